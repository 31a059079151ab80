"""Export file building blocks: formula safety, CSV/xlsx format, atomic writes, feeds, LibreOffice."""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from demo_shops.catalog import FORMULA_BAIT_NAME, build_catalog
from ecommerce_scraper.exports import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    MASTER_CHANGES_COLUMNS,
    SEO_COLUMNS,
    VARIANT_COLUMNS,
    XlsxWriter,
    change_direction,
    iso,
    markdown_table,
    money_text,
    neutralize,
    variant_rows,
    write_csv,
)
from ecommerce_scraper.exports.feeds import feed_columns
from ecommerce_scraper.storage.state import to_state

from .conftest import ROOT, TEST_PRODUCTS, require_service

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


# --- xlsx --------------------------------------------------------------------------------


def write_workbook(path: Path) -> list[dict[str, Any]]:
    states = [product_state(0, FORMULA_BAIT_NAME)] + [product_state(i, text) for i, text in enumerate(FORMULA_TEXTS, 1)]
    states.append(product_state(50, "#N/A"))
    states.append(product_state(51, price=None, regular_price=None, currency="USD", variants=[]))
    with XlsxWriter(path) as book:
        assert book.sheet("Products", FULL_COLUMNS, iter(states)) == len(states)
        assert book.sheet("Variants", VARIANT_COLUMNS, variant_rows(states)) == 2 * (len(states) - 1)
        assert book.sheet("Changes", DIFF_COLUMNS, change_rows(), highlight=change_direction) == 4
    return states


def test_xlsx_keeps_text_as_strings_and_numbers_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "knitshop.xlsx"
    states = write_workbook(path)
    assert_no_formulas(path)

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Products", "Variants", "Changes"]
    products = book["Products"]
    assert [cell.value for cell in products[1]] == EXPECTED_FULL
    column = {name: index for index, name in enumerate(EXPECTED_FULL)}
    rows = list(products.iter_rows(min_row=2))
    assert len(rows) == len(states)
    for row, state in zip(rows, states, strict=True):
        name = row[column["name"]]
        assert name.data_type == "s"
        assert excel_text(name.value) == state["name"]  # tab, CR, leading spaces and all
    assert rows[0][column["name"]].value == FORMULA_BAIT_NAME  # the raw text, no quote prefix
    assert rows[-2][column["name"]].value == "#N/A"  # a string, not an error cell

    price = rows[1][column["price"]]
    assert price.data_type == "n" and price.value == Decimal("1234.5")
    assert price.number_format == '#,##0.00 "€"'
    assert rows[-1][column["price"]].value is None
    assert rows[1][column["variants_count"]].value == 2
    scraped = rows[1][column["scraped_at"]]
    assert scraped.is_date and scraped.value == datetime(2025, 3, 1, 9, 30)
    url = rows[1][column["url"]]
    assert url.hyperlink.target == states[1]["url"] and url.value == states[1]["url"]
    assert rows[1][column["canonical_url"]].hyperlink is None  # only the product URL is a link
    assert rows[1][column["category"]].value == "Νήματα"

    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert all(cell.font.bold for cell in sheet[1])
    assert excel_width(products.column_dimensions["E"].width) == 40  # name
    assert excel_width(products.column_dimensions["J"].width) == 13  # price
    assert excel_width(products.column_dimensions["P"].width) == 60  # description (capped)

    variants = book["Variants"]
    first_variant = [cell.value for cell in variants[2]]
    assert first_variant[:6] == ["knitshop", "p0", FORMULA_BAIT_NAME, "SKU-0-R", "Κόκκινο", "Χρώμα=Κόκκινο"]
    assert variants.cell(2, 7).value == Decimal("3.5") and variants.cell(2, 7).number_format == '#,##0.00 "€"'

    changes = book["Changes"]
    # (fill, RGB): Excel ignores a fill colour's alpha byte, written 00 or FF by different writers.
    fills = [
        (changes.cell(row, 1).fill.fill_type, changes.cell(row, 1).fill.start_color.rgb[2:]) for row in range(2, 6)
    ]
    assert fills == [("solid", "C6EFCE"), ("solid", "FFC7CE"), (None, "000000"), ("solid", "C6EFCE")]
    assert changes.cell(4, 8).value == FORMULA_BAIT_NAME and changes.cell(4, 8).data_type == "s"
    delta = changes.cell(2, 9)
    assert delta.value == Decimal("-25") and delta.data_type == "n"


def test_xlsx_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "knitshop.xlsx"
    write_workbook(path)
    before = path.read_bytes()
    tmp_files = set(Path(tempfile.gettempdir()).glob("xlsx-*"))

    with pytest.raises(RuntimeError, match="crawl died"), XlsxWriter(path) as book:
        book.sheet("Products", FULL_COLUMNS, [product_state(1)])
        book.sheet("Variants", FULL_COLUMNS, failing_rows([product_state(i) for i in range(300)], fail_after=200))

    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["knitshop.xlsx"]
    # The streaming temporary files (XlsxWriter's rows, the spooled links) were removed too.
    assert set(Path(tempfile.gettempdir()).glob("xlsx-*")) <= tmp_files


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_xlsx_streams_ten_thousand_rows_with_flat_memory(tmp_path: Path) -> None:
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc to read the resident memory")
    samples: dict[int, int] = {}
    template = product_state(1)

    def rows() -> Iterator[dict[str, Any]]:
        for index in range(10_000):
            if index in (2_000, 9_999):
                samples[index] = _rss_bytes()
            yield {**template, "product_id": f"p{index}", "url": f"https://shop.example/el/p/{index}"}

    path = tmp_path / "big.xlsx"
    with XlsxWriter(path) as book:
        assert book.sheet("Products", FULL_COLUMNS, rows()) == 10_000
    growth = samples[9_999] - samples[2_000]
    # Held in memory, 8,000 rows of 32 cells take well over 40 MB, and XlsxWriter's own hyperlink
    # objects about 4 MB more; streamed rows and spooled links leave memory flat.
    assert growth < 4 * 2**20, f"memory grew by {growth / 2**20:.1f} MB over 8,000 rows"
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        rels = archive.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
    assert '<row r="10001"' in sheet
    # Every row's URL is a link, its relationship pointing at that row's own URL.
    refs = dict(re.findall(r'<hyperlink ref="(C\d+)" r:id="(rId\d+)"', sheet))
    targets = dict(re.findall(r'Id="(rId\d+)" [^>]*?Target="([^"]+)"', rels))
    assert len(refs) == len(targets) == 10_000
    assert targets[refs["C2"]] == "https://shop.example/el/p/0"
    assert targets[refs["C10001"]] == "https://shop.example/el/p/9999"


def test_xlsx_prints_landscape_one_page_wide_with_the_header_on_every_page(tmp_path: Path) -> None:
    path = tmp_path / "knitshop.xlsx"
    write_workbook(path)
    for sheet in openpyxl.load_workbook(path).worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth in (1, None)  # one page wide (1 is OOXML's default)
        assert sheet.page_setup.fitToHeight == 0  # as many pages down as it takes
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows.replace("$", "") == "1:1"  # the header row, absolute or not


def test_xlsx_links_stop_at_the_cap_and_at_excels_url_length(tmp_path: Path) -> None:
    path = tmp_path / "links.xlsx"
    too_long = "https://shop.example/p/" + "x" * 2_100
    urls = [f"https://shop.example/p/{index}" for index in range(4)] + [too_long, "ftp://shop.example/p"]
    states = [product_state(index, url=url) for index, url in enumerate(urls)]
    with XlsxWriter(path, max_links_per_sheet=3) as book:
        book.sheet("Products", FULL_COLUMNS, states)
    cells = [row[2] for row in openpyxl.load_workbook(path)["Products"].iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == urls  # every URL is there, as text at least
    assert [cell.hyperlink.target if cell.hyperlink else None for cell in cells] == urls[:3] + [None] * 3
    assert_no_formulas(path)


def test_xlsx_sheet_titles_are_ones_excel_accepts(tmp_path: Path) -> None:
    path = tmp_path / "titles.xlsx"
    with XlsxWriter(path) as book:
        for title in ("knitshop", "KNITSHOP", "History", "a/b:c*?", "'quoted'", "ν" * 40, "🧶" * 20, "🧶" * 20):
            book.sheet(title, DIFF_COLUMNS, [])
    titles = openpyxl.load_workbook(path).sheetnames
    assert titles[:5] == ["knitshop", "KNITSHOP 2", "History 2", "a b c", "quoted"]
    assert titles[5] == "ν" * 31
    assert titles[6:] == ["🧶" * 15, "🧶" * 14 + " 2"]  # Excel counts UTF-16 units: 31 at most
    assert len({title.lower() for title in titles}) == len(titles)


# --- LibreOffice -------------------------------------------------------------------------


def _csv_fields(line: str) -> list[tuple[str, bool]]:
    """(value, was quoted) per field of one CSV line without embedded newlines."""
    fields: list[tuple[str, bool]] = []
    for match in re.finditer(r'(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))', line):
        quoted, bare = match.group(1), match.group(2)
        fields.append((quoted.replace('""', '"'), True) if quoted is not None else (bare, False))
    return fields


def test_libreoffice_reads_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    require_service(shutil.which("libreoffice") is not None, "LibreOffice")
    path = tmp_path / "knitshop.xlsx"
    states = [product_state(i, name, description="one line") for i, name in enumerate((FORMULA_BAIT_NAME, "@SUM(1+1)"))]
    with XlsxWriter(path) as book:
        book.sheet("Products", FULL_COLUMNS, states)
        book.sheet("Changes", DIFF_COLUMNS, change_rows(), highlight=change_direction)
    # CSV filter tokens: ',' '"' UTF-8, line 1, -, -, quote all text cells, -, raw values
    # (not as shown), no formulas, -, every sheet (one file per sheet).
    options = "44,34,76,1,,0,true,true,false,false,false,-1"
    _libreoffice_convert(path, f"csv:Text - txt - csv (StarCalc):{options}", tmp_path)
    products = (tmp_path / "lo" / "knitshop-Products.csv").read_text(encoding="utf-8").splitlines()
    header = [value for value, _ in _csv_fields(products[0])]
    assert header == EXPECTED_FULL
    first = dict(zip(header, _csv_fields(products[1]), strict=True))
    # Evaluated, the bait would read "Merino Deluxe"; kept as text it reads as written.
    assert first["name"] == (FORMULA_BAIT_NAME, True)
    assert dict(zip(header, _csv_fields(products[2]), strict=True))["name"] == ("@SUM(1+1)", True)
    assert first["price"] == ("1234.5", False)  # unquoted: a numeric cell
    assert first["regular_price"] == ("1500", False)
    assert first["variants_count"] == ("2", False)
    assert first["scraped_at"] == ("2025-03-01 09:30:00", False)  # a date cell, not text
    assert first["category"] == ("Νήματα", True)

    changes = (tmp_path / "lo" / "knitshop-Changes.csv").read_text(encoding="utf-8").splitlines()
    renamed = dict(zip(EXPECTED_DIFF, _csv_fields(changes[3]), strict=True))
    assert renamed["new"] == (FORMULA_BAIT_NAME, True)
    assert dict(zip(EXPECTED_DIFF, _csv_fields(changes[1]), strict=True))["delta_pct"] == ("-25", False)

    # The product URLs are links in LibreOffice too (read back from its flat OpenDocument XML).
    _libreoffice_convert(path, "fods", tmp_path)
    document = (tmp_path / "lo" / "knitshop.fods").read_text(encoding="utf-8")
    links = re.findall(r'<text:a xlink:href="([^"]+)"', document)
    product_links = [html.escape(state["url"], quote=False) for state in states]
    change_links = [row["url"] for row in change_rows()]
    assert links == product_links + change_links  # Products sheet, then Changes


def test_libreoffice_reads_text_like_an_excel_escape_as_written(tmp_path: Path) -> None:
    """OOXML text escapes a character as ``_xHHHH_``: a name that reads like one must stay as written."""
    require_service(shutil.which("libreoffice") is not None, "LibreOffice")
    path = tmp_path / "knitshop.xlsx"
    names = ["_x0041_ wool", "Merino_x000D_Extra", "plain"]
    with XlsxWriter(path) as book:
        book.sheet("Products", FULL_COLUMNS, [product_state(i, name, description="d") for i, name in enumerate(names)])
    _libreoffice_convert(path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,-1", tmp_path)
    lines = (tmp_path / "lo" / "knitshop-Products.csv").read_text(encoding="utf-8").splitlines()
    header = [value for value, _ in _csv_fields(lines[0])]
    read = [dict(zip(header, _csv_fields(line), strict=True))["name"][0] for line in lines[1:]]
    assert read == names


def _libreoffice_convert(path: Path, target: str, tmp_path: Path) -> None:
    """``libreoffice --headless --convert-to target`` into ``tmp_path/lo``, with a private profile."""
    proc = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(tmp_path / "lo"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr


# --- Scrapy feeds ------------------------------------------------------------------------

FEED_EXPORTERS = json.dumps(
    {
        "xlsx": "ecommerce_scraper.exports.feeds.XlsxItemExporter",
        "csv": "ecommerce_scraper.exports.feeds.SafeCsvItemExporter",
    }
)


def crawl_with_feeds(
    spider: str, tmp_path: Path, *outputs: Path, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """``scrapy crawl`` as a user runs it, with several ``-O`` feeds (run_crawl writes only JSON Lines)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for output in outputs:
        cmd += ["-O", str(output)]
    for setting in (
        "DOWNLOAD_DELAY=0",
        "AUTOTHROTTLE_ENABLED=false",
        "LOG_LEVEL=INFO",
        f"FEED_EXPORTERS={FEED_EXPORTERS}",
    ):
        cmd += ["-s", setting]
    for arg in args:
        cmd += ["-a", arg]
    env = {**os.environ, "EXPORTS_DIR": str(tmp_path / "exports")}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=240)


def test_crawl_feeds_write_safe_csv_and_xlsx(demo_root: str, tmp_path: Path) -> None:
    jsonl, xlsx, csv_path = tmp_path / "out.jsonl", tmp_path / "out.xlsx", tmp_path / "out.csv"
    proc = crawl_with_feeds("knitshop", tmp_path, jsonl, xlsx, csv_path, args=(f"base_url={demo_root}knitshop/",))
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = {item["product_id"]: item for item in map(json.loads, jsonl.read_text().splitlines())}
    catalog = build_catalog("knitshop", TEST_PRODUCTS, day=1, seed=1)
    assert len(items) == len(catalog.products)

    header, *rows = read_csv(csv_path)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert header == EXPECTED_FULL
    by_id = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id.keys() == items.keys()
    for product_id, item in items.items():
        row = by_id[product_id]
        assert row["name"] == neutralize(item["name"])  # Greek round-trips; the bait is quoted
        assert row["price"] == money_text(item["price"])
        assert row["variants_count"] == str(len(item["variants"]))
    bait = next(row for row in by_id.values() if row["name"].startswith("'"))
    assert bait["name"] == "'" + FORMULA_BAIT_NAME

    assert_no_formulas(xlsx)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == ["Products", "Variants"]
    sheet_rows = list(book["Products"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == EXPECTED_FULL
    by_id_xlsx = {row[1]: row for row in sheet_rows[1:]}
    assert by_id_xlsx.keys() == items.keys()
    price_index = EXPECTED_FULL.index("price")
    for product_id, item in items.items():
        row = by_id_xlsx[product_id]
        assert row[EXPECTED_FULL.index("name")] == item["name"]
        value = row[price_index]
        if item["price"] is None:
            assert value is None
        else:  # a number cell (openpyxl reads floats back), equal to the crawled price
            assert isinstance(value, float | int) and Decimal(str(value)) == Decimal(item["price"])
    assert FORMULA_BAIT_NAME in {row[EXPECTED_FULL.index("name")] for row in sheet_rows[1:]}
    variant_count = sum(len(item["variants"]) for item in items.values())
    assert variant_count > 0
    assert book["Variants"].max_row == variant_count + 1


def test_feed_columns_follow_scrapy_fields_option() -> None:
    assert feed_columns(None) == FULL_COLUMNS
    picked = feed_columns(["name", "price", "extra"])
    assert [c.name for c in picked] == ["name", "price", "extra"]
    assert picked[1].kind == "money"
    renamed = feed_columns({"name": "Όνομα", "price": "Τιμή"})
    assert [c.name for c in renamed] == ["Όνομα", "Τιμή"]
    assert renamed[1].get({"price": "12.5"}) == Decimal("12.50")
    assert picked[2].get({"extra": ["a", "b"]}) == "a; b"
