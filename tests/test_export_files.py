"""Export file building blocks: formula safety, cells, columns, CSV, atomic writes (xlsx, LibreOffice and feeds:
test_export_files_xlsx.py)."""

from __future__ import annotations

import csv
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from demo_shops.catalog import FORMULA_BAIT_NAME
from ecommerce_scraper.exports import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    MASTER_CHANGES_COLUMNS,
    SEO_COLUMNS,
    VARIANT_COLUMNS,
    change_direction,
    iso,
    markdown_table,
    money_text,
    neutralize,
    variant_rows,
    write_csv,
)
from ecommerce_scraper.storage.state import to_state

# Every way a cell can start a formula (OWASP), plus the same behind leading whitespace.
FORMULA_TEXTS = [
    FORMULA_BAIT_NAME,
    "+1+1",
    "-20% Merino",
    "-5",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\tplain after tab",
    "\r=1+1",
    "   =1+1",
    "  +cmd|' /C calc'!A0",
    "\u00a0=1+1",
    "\n@x",
    "＝1+1",
]
SAFE_TEXTS = ["Merino Deluxe", "Μαλλί Μερινό 100% «Αλπακά»", "12.50", "a=b", "50g - 125m", "", " ", "#N/A"]

GREEK_NAME = "Νήμα Αλπακά «Ουράνιο τόξο» – 50γρ"

EXPECTED_FULL = [
    "site",
    "product_id",
    "url",
    "canonical_url",
    "name",
    "brand",
    "sku",
    "gtin",
    "mpn",
    "price",
    "regular_price",
    "currency",
    "availability",
    "category",
    "breadcrumbs",
    "description",
    "main_image",
    "images",
    "variants_count",
    "attributes",
    "fibres",
    "weight_g",
    "length_m",
    "needle_mm_min",
    "needle_mm_max",
    "hook_mm",
    "gauge",
    "yarn_weight",
    "care",
    "colour_name",
    "colour_code",
    "product_type",
    "origin",
    "attribute_sources",
    "seo_title",
    "meta_description",
    "h1",
    "meta_robots",
    "og_title",
    "og_description",
    "og_image",
    "hreflang",
    "fingerprint",
    "scraped_at",
    "crawl_id",
]
EXPECTED_SEO = [
    "url",
    "canonical_url",
    "seo_title",
    "meta_description",
    "h1",
    "meta_robots",
    "og_title",
    "og_description",
    "og_image",
    "hreflang",
]
EXPECTED_DIFF = ["change_type", "product_id", "url", "name", "field", "variant_sku", "old", "new", "delta_pct"]
EXPECTED_VARIANTS = [
    "site",
    "product_id",
    "product_name",
    "variant_sku",
    "variant_name",
    "options",
    "price",
    "regular_price",
    "availability",
]


def product_state(index: int, name: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A stored product state (prices as decimal strings, as the database keeps them)."""
    item = {
        "site": "knitshop",
        "product_id": f"p{index}",
        "url": f"https://shop.example/el/p/{index}?utm_source=x",
        "canonical_url": f"https://shop.example/el/p/{index}",
        "name": name if name is not None else f"{GREEK_NAME} {index}",
        "brand": "Drops",
        "sku": f"SKU-{index}",
        "gtin": "5201234567890",
        "mpn": f"MPN-{index}",
        "price": Decimal("1234.5"),
        "regular_price": Decimal("1500"),
        "currency": "EUR",
        "availability": "in_stock",
        "category": "Νήματα",
        "breadcrumbs": ["Νήματα", "Μαλλί"],
        "description": 'Απαλό νήμα.\nΔεύτερη γραμμή, με "εισαγωγικά".',
        "main_image": f"https://shop.example/img/{index}.jpg",
        "images": [f"https://shop.example/img/{index}.jpg", f"https://shop.example/img/{index}b.jpg"],
        "variants": [
            {
                "sku": f"SKU-{index}-R",
                "name": "Κόκκινο",
                "options": {"Χρώμα": "Κόκκινο"},
                "price": Decimal("3.5"),
                "regular_price": None,
                "availability": "in_stock",
            },
            {
                "sku": f"SKU-{index}-B",
                "name": "-Μπλε",
                "options": {"Χρώμα": "Μπλε"},
                "price": Decimal("4"),
                "regular_price": Decimal("5"),
                "availability": "out_of_stock",
            },
        ],
        "attributes": {"Υλικό": "Μαλλί", "Βάρος": "50g"},
        "ai": {
            "fibres": {
                "value": [{"fibre": "wool", "percent": 75}, {"fibre": "polyamide", "percent": 25}],
                "source": "structured",
            },
            "weight_g": {"value": 50, "source": "structured"},
            "needle_mm_min": {"value": 3.5, "source": "rules"},
            "needle_mm_max": {"value": 4, "source": "rules"},
            "gauge": {"value": {"stitches": 22, "rows": 30}, "source": "ai"},
            "care": {"value": "=cmd|' /C calc'!A0", "source": "ai"},
            "product_type": {"value": "yarn", "source": "rules"},
        },
        "seo_title": f"{GREEK_NAME} | Shop",
        "meta_description": "Περιγραφή",
        "h1": GREEK_NAME,
        "meta_robots": "index,follow",
        "og_title": GREEK_NAME,
        "og_description": "Περιγραφή",
        "og_image": f"https://shop.example/img/{index}.jpg",
        "hreflang": {"el": "https://shop.example/el/p", "en": "https://shop.example/en/p"},
        "fingerprint": "ab" * 32,
        "scraped_at": datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        "crawl_id": "20250301T093000Z-abcd",
    }
    item.update(overrides)
    return to_state(item)


def change_rows() -> list[dict[str, Any]]:
    base = {"site": "knitshop", "url": "https://shop.example/el/p/1", "detected_at": "2025-03-02T08:00:00+00:00"}
    return [
        {**base, "change_type": "price_down", "product_id": "p1", "name": GREEK_NAME, "field": "price"}
        | {"old_value": "20.00", "new_value": "15.00", "delta_pct": Decimal("-25.00")},
        {**base, "change_type": "price_up", "product_id": "p2", "name": "Up", "field": "price"}
        | {"old_value": "10.00", "new_value": "11.00", "delta_pct": Decimal("10.00")},
        {**base, "change_type": "renamed", "product_id": "p3", "name": FORMULA_BAIT_NAME, "field": "name"}
        | {"old_value": "Old", "new_value": FORMULA_BAIT_NAME, "delta_pct": None},
        {**base, "change_type": "variant_price_changed", "product_id": "p4", "name": "V", "field": "price"}
        | {"variant_sku": "SKU-4-R", "old_value": "4.00", "new_value": "3.00", "delta_pct": Decimal("-25.00")},
    ]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")}


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def excel_text(value: str) -> str:
    """A string cell's text as Excel and LibreOffice read it: OOXML escapes a control character
    as ``_xHHHH_`` (``\\r`` is ``_x000D_``) and a literal ``_x`` as ``_x005F_x``; openpyxl returns
    the escapes as they are stored."""
    return _EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def excel_width(stored: float) -> int:
    """A column width as Excel shows it, in characters: the file stores characters plus a 5-pixel
    padding, in units of the default font's digit width (7 pixels for Calibri 11)."""
    return round((stored * 7 - 5) / 7)


def assert_no_formulas(path: Path) -> None:
    for name, xml in sheet_xml(path).items():
        assert not re.search(r"<(\w+:)?f[\s>/]", xml), f"{name} holds a formula element"


# --- cells -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", FORMULA_TEXTS)
def test_neutralize_prefixes_every_formula_start(text: str) -> None:
    assert neutralize(text) == "'" + text


@pytest.mark.parametrize("text", SAFE_TEXTS)
def test_neutralize_leaves_plain_text_alone(text: str) -> None:
    assert neutralize(text) == text


def test_neutralize_none_and_non_text() -> None:
    assert neutralize(None) == ""
    assert neutralize(-5) == "'-5"  # a text column holding a number is still text


def test_money_text_is_a_plain_decimal() -> None:
    assert money_text(Decimal("1234.5")) == "1234.50"
    assert money_text(Decimal("1E+3")) == "1000.00"
    assert money_text(Decimal("0.125")) == "0.125"
    assert money_text(Decimal("-0.00")) == "0.00"
    assert money_text("12.5") == "12.50"
    assert money_text(7) == "7.00"
    assert money_text(None) == ""
    assert money_text("on request") == ""


def test_iso_is_utc_to_the_second() -> None:
    athens = timezone(timedelta(hours=2))
    assert iso(datetime(2025, 3, 1, 11, 30, 5, 123456, tzinfo=athens)) == "2025-03-01T09:30:05+00:00"
    assert iso(datetime(2025, 3, 1, 9, 30)) == "2025-03-01T09:30:00+00:00"  # naive = UTC
    assert iso("2025-03-01T11:30:00+02:00") == "2025-03-01T09:30:00+00:00"
    assert iso("not a date") == "not a date"
    assert iso(None) == ""


# --- columns -----------------------------------------------------------------------------


def test_column_lists_are_exactly_the_documented_ones() -> None:
    assert [c.name for c in FULL_COLUMNS] == EXPECTED_FULL
    assert [c.name for c in SEO_COLUMNS] == EXPECTED_SEO
    assert [c.name for c in DIFF_COLUMNS] == EXPECTED_DIFF
    assert [c.name for c in VARIANT_COLUMNS] == EXPECTED_VARIANTS
    assert [c.name for c in MASTER_CHANGES_COLUMNS] == ["site", *EXPECTED_DIFF, "detected_at"]


def test_markdown_table_lists_every_column_in_order() -> None:
    table = markdown_table(FULL_COLUMNS)
    lines = table.splitlines()
    assert lines[:2] == ["| column | type | meaning |", "|---|---|---|"]
    assert [re.match(r"\| `(\w+)` \|", line).group(1) for line in lines[2:]] == EXPECTED_FULL
    assert "| `price` | decimal (`1234.50`) |" in table
    # Pipes inside a cell are escaped so the table keeps its shape.
    assert all(line.count("|") - line.count("\\|") == 4 for line in lines)


def test_getters_format_lists_and_mappings() -> None:
    state = product_state(1)
    cells = {column.name: column.get(state) for column in FULL_COLUMNS}
    assert cells["breadcrumbs"] == "Νήματα > Μαλλί"
    assert cells["images"] == "https://shop.example/img/1.jpg | https://shop.example/img/1b.jpg"
    assert cells["attributes"] == "Υλικό: Μαλλί; Βάρος: 50g"
    assert cells["fibres"] == "wool 75%; polyamide 25%"
    assert (cells["weight_g"], cells["needle_mm_min"], cells["needle_mm_max"]) == (
        Decimal(50),
        Decimal("3.5"),
        Decimal(4),
    )
    assert cells["length_m"] is None and cells["hook_mm"] is None and cells["origin"] is None
    assert cells["gauge"] == "22 × 30"
    assert cells["product_type"] == "yarn"
    assert cells["attribute_sources"] == (
        "fibres=structured; weight_g=structured; needle_mm_min=rules; needle_mm_max=rules; gauge=ai; care=ai; "
        "product_type=rules"
    )
    assert cells["hreflang"] == "el=https://shop.example/el/p; en=https://shop.example/en/p"
    assert cells["variants_count"] == 2
    assert cells["price"] == Decimal("1234.50")
    assert cells["scraped_at"] == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    rows = list(variant_rows([state]))
    assert [{c.name: c.get(r) for c in VARIANT_COLUMNS}["options"] for r in rows] == ["Χρώμα=Κόκκινο", "Χρώμα=Μπλε"]
    assert [change_direction(r) for r in change_rows()] == ["down", "up", None, "down"]


# --- CSV ---------------------------------------------------------------------------------


def test_csv_is_bom_utf8_with_documented_header_and_safe_cells(tmp_path: Path) -> None:
    states = [product_state(0, FORMULA_BAIT_NAME)] + [product_state(i, text) for i, text in enumerate(FORMULA_TEXTS, 1)]
    states.append(product_state(99, regular_price=None, price=None, variants=[], scraped_at=None))
    path = tmp_path / "full.csv"

    assert write_csv(path, FULL_COLUMNS, iter(states)) == len(states)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    header, *rows = read_csv(path)
    assert header == EXPECTED_FULL
    named = [dict(zip(header, row, strict=True)) for row in rows]
    for row, state in zip(named, states, strict=True):
        if state["name"] in FORMULA_TEXTS:
            assert row["name"] == "'" + state["name"]
    assert named[0]["name"] == "'" + FORMULA_BAIT_NAME
    first = named[1]
    assert first["price"] == "1234.50"
    assert first["regular_price"] == "1500.00"
    assert first["variants_count"] == "2"
    assert first["scraped_at"] == "2025-03-01T09:30:00+00:00"
    assert first["description"] == state_description()  # embedded newline and quotes survive
    assert first["category"] == "Νήματα"
    last = named[-1]
    assert (last["name"], last["price"], last["regular_price"], last["variants_count"], last["scraped_at"]) == (
        f"{GREEK_NAME} 99",
        "",
        "",
        "0",
        "",
    )
    # No cell anywhere starts a formula.
    assert not any(re.match(r"\s*[=+\-@]|[\t\r]", cell) for row in rows for cell in row)


def state_description() -> str:
    return product_state(0)["description"]


def test_seo_and_diff_csv(tmp_path: Path) -> None:
    write_csv(tmp_path / "seo.csv", SEO_COLUMNS, [product_state(1)])
    header, row = read_csv(tmp_path / "seo.csv")
    assert header == EXPECTED_SEO
    assert row[EXPECTED_SEO.index("hreflang")] == "el=https://shop.example/el/p; en=https://shop.example/en/p"

    assert write_csv(tmp_path / "diff.csv", DIFF_COLUMNS, change_rows()) == 4
    header, *rows = read_csv(tmp_path / "diff.csv")
    assert header == EXPECTED_DIFF
    assert rows[0] == [
        *("price_down", "p1", "https://shop.example/el/p/1", GREEK_NAME, "price", "", "20.00", "15.00", "-25.00")
    ]
    assert rows[2][EXPECTED_DIFF.index("new")] == "'" + FORMULA_BAIT_NAME
    assert rows[3][EXPECTED_DIFF.index("variant_sku")] == "SKU-4-R"


def failing_rows(states: list[dict[str, Any]], fail_after: int) -> Iterator[dict[str, Any]]:
    for index, state in enumerate(states):
        if index == fail_after:
            raise RuntimeError("crawl died")
        yield state


def test_csv_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "out" / "full.csv"
    assert write_csv(path, FULL_COLUMNS, [product_state(1), product_state(2)]) == 2
    before = path.read_bytes()
    assert os.listdir(path.parent) == ["full.csv"]

    with pytest.raises(RuntimeError, match="crawl died"):
        write_csv(path, FULL_COLUMNS, failing_rows([product_state(i) for i in range(1500)], fail_after=1000))

    assert path.read_bytes() == before  # the old file, whole
    assert os.listdir(path.parent) == ["full.csv"]  # no temporary file left


def _csv_fields(line: str) -> list[tuple[str, bool]]:
    """(value, was quoted) per field of one CSV line without embedded newlines."""
    fields: list[tuple[str, bool]] = []
    for match in re.finditer(r'(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))', line):
        quoted, bare = match.group(1), match.group(2)
        fields.append((quoted.replace('""', '"'), True) if quoted is not None else (bare, False))
    return fields
