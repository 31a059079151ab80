"""exports/xlsxstream.py writes the same sheet XML as XlsxWriter's own cell methods (the pin on its internals)."""

from __future__ import annotations

import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter import Workbook

from ecommerce_scraper.exports.xlsxfile import WORKBOOK_OPTIONS, clean_text
from ecommerce_scraper.exports.xlsxstream import (
    RowStream,
    SpooledLinks,
    blank_cell,
    number_cell,
    string_cell,
    style_attribute,
)

TEXTS = [
    "plain",
    " leading space",
    "trailing newline\n",
    "tab\tinside",
    "carriage\rreturn",
    "_x0041_ looks like an escape",
    'a & b < c > d "quoted"',
    "Ελληνικά 🧶",
    "🧶" * 20_000,  # past Excel's 32,767 UTF-16 units: XlsxWriter cuts it
    "\u00a0no-break space at both ends\u00a0",
]
NUMBERS = [Decimal("12.50"), Decimal("1000"), 3, 3.5, Decimal("-0.125"), 10**20]
MOMENT = datetime(2025, 3, 1, 9, 30, 15)
URLS = ["https://shop.example/p/1?a=1&b=2", "http://shop.example/καλτσες#top"]


def _sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")}


def _book(path: Path, *, streamed: bool) -> None:
    book = Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": str(path.parent)})
    ws = book.add_worksheet("Data")
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": '#,##0.00 "€"'})
    fill = book.add_format({"pattern": 1, "bg_color": "#C6EFCE"})
    link = book.add_format({"font_color": "#0563C1", "underline": 1})
    date = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for col in range(4):
        ws.write_string(0, col, f"column {col}", bold)
    if streamed:
        links = SpooledLinks(str(path.parent))
        ws.hyperlinks = links
        stream = RowStream(ws, 4, links)
        row = 0
        for text in TEXTS:
            row += 1
            ref = stream.letters[0] + str(row + 1)
            stream.write(row, [string_cell(ref, style_attribute(None), clean_text(text))])
        for number in NUMBERS:
            row += 1
            stream.write(row, [number_cell(f"B{row + 1}", style_attribute(money), number)])
        row += 1
        stream.write(row, [number_cell(f"C{row + 1}", style_attribute(date), stream.excel_date(MOMENT))])
        row += 1
        stream.write(row, [blank_cell(f"A{row + 1}", style_attribute(fill)), string_cell(f"D{row + 1}", "", "x")])
        for url in URLS:
            row += 1
            stream.link(row, 3, url)
            stream.write(row, [string_cell(f"D{row + 1}", style_attribute(link), url)])
        row += 1
        stream.write(row, [])  # a row without cells is not written
    else:
        row = 0
        for text in TEXTS:
            row += 1
            ws.write_string(row, 0, clean_text(text))
        for number in NUMBERS:
            row += 1
            ws.write_number(row, 1, number, money)
        row += 1
        ws.write_datetime(row, 2, MOMENT, date)
        row += 1
        ws.write_blank(row, 0, None, fill)
        ws.write_string(row, 3, "x")
        for url in URLS:
            row += 1
            ws.write_url(row, 3, url, link)
    ws.autofilter(0, 0, 20, 3)  # the last row with cells
    book.close()


def test_streamed_rows_are_xlsxwriters_own_xml(tmp_path: Path) -> None:
    assert xlsxwriter.__version__ == "3.3.1"  # the version these internals were read from (requirements.txt)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _book(tmp_path / "a" / "api.xlsx", streamed=False)
    _book(tmp_path / "b" / "streamed.xlsx", streamed=True)
    api, streamed = _sheet_xml(tmp_path / "a" / "api.xlsx"), _sheet_xml(tmp_path / "b" / "streamed.xlsx")
    assert api.keys() == streamed.keys()
    for name in api:
        assert streamed[name] == api[name], name
    # the streamed rows are really there
    assert b"_x005F_x0041_" in streamed["xl/worksheets/sheet1.xml"]
    assert b"<hyperlink " in streamed["xl/worksheets/sheet1.xml"]
