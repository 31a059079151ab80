"""The documentation that is generated from code matches the code."""

from __future__ import annotations

from ecommerce_scraper.exports.reference import render

from .conftest import ROOT


def test_export_reference_is_up_to_date() -> None:
    documented = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    assert documented == render(), "regenerate: python -m ecommerce_scraper.exports.reference > docs/exports.md"
