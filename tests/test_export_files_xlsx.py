"""Export file building blocks, continued: xlsx workbooks, opening them in LibreOffice, Scrapy feeds."""

from __future__ import annotations

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
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from demo_shops.catalog import FORMULA_BAIT_NAME, build_catalog
from ecommerce_scraper.exports import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    VARIANT_COLUMNS,
    XlsxWriter,
    change_direction,
    money_text,
    neutralize,
    variant_rows,
)
from ecommerce_scraper.exports.feeds import feed_columns

from .conftest import ROOT, TEST_PRODUCTS, require_service
from .test_export_files import (
    EXPECTED_DIFF,
    EXPECTED_FULL,
    FORMULA_TEXTS,
    _csv_fields,
    assert_no_formulas,
    change_rows,
    excel_text,
    excel_width,
    failing_rows,
    product_state,
    read_csv,
)

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


def test_xlsx_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A temporary folder of this test's own: crawls in other test workers stream workbooks too.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "knitshop.xlsx"
    write_workbook(path)
    before = path.read_bytes()

    with pytest.raises(RuntimeError, match="crawl died"), XlsxWriter(path) as book:
        book.sheet("Products", FULL_COLUMNS, [product_state(1)])
        book.sheet("Variants", FULL_COLUMNS, failing_rows([product_state(i) for i in range(300)], fail_after=200))

    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["knitshop.xlsx", "scratch"]
    # The streaming temporary files (XlsxWriter's rows, the spooled links) were removed too.
    assert os.listdir(scratch) == []


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
