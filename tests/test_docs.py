"""The documentation that is generated from, or shows, what the code writes matches the code."""

from __future__ import annotations

from ecommerce_scraper.exports.compare_export import compare_sheet_columns
from ecommerce_scraper.exports.reference import render
from ecommerce_scraper.matching.compare import COMPARE_COLUMNS

from .conftest import ROOT


def test_export_reference_is_up_to_date() -> None:
    documented = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    assert documented == render(), "regenerate: python -m ecommerce_scraper.exports.reference > docs/exports.md"


def _table_after(text: str, marker: str) -> list[str]:
    """The header cells of the first Markdown table after ``marker``."""
    after = text[text.index(marker) :]
    header = next(line for line in after.splitlines() if line.startswith("| "))
    return [cell.strip() for cell in header.strip("|").split("|")]


def test_the_readmes_compare_examples_have_the_files_columns() -> None:
    """The README's compare.csv excerpt names real columns, and its Compare sheet row has the
    sheet's columns, in order, for the shops it shows."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    csv_header = _table_after(readme, "One yarn as four demo shops write it")
    assert set(csv_header) <= {column.name for column in COMPARE_COLUMNS}, csv_header
    sheet_header = _table_after(readme, "and its row on the Compare sheet")
    shops = ["atmosphere", "knitshop", "manefa", "triskeli"]
    assert sheet_header == [column.name for column in compare_sheet_columns(shops)]
