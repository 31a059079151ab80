"""Excel workbooks, streamed with XlsxWriter's ``constant_memory`` mode.

XlsxWriter writes each row to a temporary file as soon as the next row starts, so a sheet's
rows never pile up in memory; a sheet must therefore be written top to bottom (several sheets
may be filled at the same time, each in its own order).

Cells by column kind (:mod:`.columns`):

- text: always a *string* cell (``write_string``), and the workbook is opened with
  ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off, so no text is
  ever turned into a formula, a link or a number because of what it holds. A string cell never
  evaluates, in Excel or LibreOffice, so the raw text is kept: no ``'`` prefix, unlike CSV
  (:func:`.cells.neutralize`). No cell of these workbooks is ever a formula.
- Characters XML 1.0 forbids (control characters other than tab, LF, CR) are dropped, and text
  is cut to Excel's 32,767 characters per cell. XlsxWriter stores a CR as OOXML's ``_x000D_``
  and escapes text that reads like such an escape, so Excel and LibreOffice read it as written.
- money: a number with a currency format (``#,##0.00 "€"`` for EUR ...; the sheet's
  ``currency`` or else the row's ``currency``); percent: a signed number ``+0.00``;
  integer: a number; date: a real datetime (naive UTC, Excel has no zones) shown
  ``yyyy-mm-dd hh:mm:ss``.
- URLs of ``link`` columns are clickable (``write_url``: a hyperlink relationship, not a
  ``HYPERLINK()`` formula), for http(s) URLs up to 2,079 characters and at most 65,530 per
  sheet (Excel's limits; later rows keep the URL as plain text). XlsxWriter keeps every link
  of a sheet in memory until the workbook is saved (about 0.5 KB each: 35 MB for a sheet at
  the cap, the same again for each further sheet), because ``<hyperlinks>`` follows
  ``<sheetData>`` in the sheet XML. Here they wait in a temporary file instead
  (:class:`.xlsxstream.SpooledLinks`) and are read back once, in order, at save time (when XlsxWriter
  still holds each link's target, about 0.1 KB, while it writes the relationships).
- Every sheet: bold header, frozen first row, autofilter over the data, column widths by kind
  (capped), printed landscape and one page wide with the header on every page, and with
  ``highlight`` rows whose callable answers ``"down"`` filled green, ``"up"`` filled red (price
  drops/rises on the Changes sheets). A column with a ``fill`` colours its own cells instead
  (stock on the Compare sheet: :data:`FILL_COLOURS`), and ``notes`` put a note on header cells.

The workbook is assembled in a private temporary folder and copied to its target when it is
complete. Writing to a path is atomic (see :func:`.csvfile.atomic_open`): the workbook appears
complete or not at all; an exception inside the ``with`` block leaves any previous file
untouched and removes every temporary file.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .cells import excel_datetime, to_decimal
from .columns import Column, value_of
from .csvfile import atomic_open
from .xlsxstream import RowStream, SpooledLinks, blank_cell, number_cell, string_cell, style_attribute

Highlight = Callable[[Any], Literal["down", "up"] | None]

#: Excel's limits.
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
MAX_HYPERLINKS_PER_SHEET = 65_530
MAX_URL_CHARS = 2_079
MAX_SHEET_TITLE = 31

#: XlsxWriter's options for every workbook: rows streamed to disk, and a str always a string cell.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
PERCENT_FORMAT = "+0.00;-0.00;0.00"
GENERIC_MONEY_FORMAT = "#,##0.00"
CURRENCY_SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "BGN": "лв", "RON": "lei"}

#: Column widths (characters) by kind, when the column does not set its own; capped at MAX_WIDTH.
KIND_WIDTHS: dict[str, int] = {
    "text": 30,
    "code": 22,  # fits a crawl id (20261203T231907Z-5fe1)
    "url": 50,
    "money": 13,
    "percent": 11,
    "integer": 10,
    "number": 10,
    "date": 20,
}
MAX_WIDTH = 60

HEADER_STYLE: dict[str, Any] = {"bold": True}
LINK_STYLE: dict[str, Any] = {"font_color": "#0563C1", "underline": 1}
# Excel's own "Good" (green), "Bad" (red) and "Neutral" (amber) cell colours, and a light grey.
FILL_COLOURS: dict[str, str] = {
    "down": "#C6EFCE",
    "up": "#FFC7CE",
    "in_stock": "#C6EFCE",
    "out_of_stock": "#FFC7CE",
    "backorder": "#FFEB9C",
    "unknown": "#E7E6E6",
}

_ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_WHITESPACE = re.compile(r"\s")


def money_format(currency: str | None) -> str:
    """The number format of a money cell: ``#,##0.00 "€"`` for EUR, the code for others."""
    code = (currency or "").strip().upper()
    if not _CURRENCY_CODE.fullmatch(code):  # unknown or malformed: a plain number format
        return GENERIC_MONEY_FORMAT
    return f'{GENERIC_MONEY_FORMAT} "{CURRENCY_SYMBOLS.get(code, code)}"'


def clean_text(text: str) -> str:
    """Text an xlsx cell can hold: no XML-illegal characters, at most 32,767 characters."""
    # Every XML-illegal character is unprintable: printable text (the common case) needs no regex.
    cleaned = text if text.isprintable() else _ILLEGAL_XML_CHARS.sub("", text)
    return cleaned if len(cleaned) <= MAX_CELL_CHARS else cleaned[:MAX_CELL_CHARS]


def _utf16_len(text: str) -> int:
    # Excel counts UTF-16 code units: a character outside the BMP (an emoji) counts twice.
    return len(text.encode("utf-16-le")) // 2


def sheet_title(title: str, limit: int = MAX_SHEET_TITLE) -> str:
    """A title Excel accepts: no ``[]:*?/\\``, no ``'`` at either end, not empty, at most 31 characters."""
    cleaned = _BAD_TITLE_CHARS.sub(" ", title).strip().strip("'")
    while _utf16_len(cleaned) > limit:
        cleaned = cleaned[:-1].rstrip().rstrip("'")
    return cleaned or "Sheet"


def column_width(column: Column) -> int:
    width = column.width or KIND_WIDTHS[column.kind]
    return min(max(width, len(column.name) + 3), MAX_WIDTH)


class _Styles:
    """One workbook's cell formats, made once per combination (XlsxWriter formats belong to a workbook)."""

    def __init__(self, workbook: Workbook) -> None:
        self._workbook = workbook
        self._made: dict[tuple[str | None, str | None, bool], Format] = {}
        self._attributes: dict[tuple[str | None, str | None, bool], str] = {}
        self.header = workbook.add_format(HEADER_STYLE)

    def get(self, number_format: str | None = None, fill: str | None = None, link: bool = False) -> Format | None:
        if number_format is None and fill is None and not link:
            return None
        key = (number_format, fill, link)
        style = self._made.get(key)
        if style is None:
            properties: dict[str, Any] = dict(LINK_STYLE) if link else {}
            if number_format is not None:
                properties["num_format"] = number_format
            if fill is not None:
                properties.update(pattern=1, bg_color=FILL_COLOURS[fill])
            style = self._made[key] = self._workbook.add_format(properties)
        return style

    def attribute(self, number_format: str | None = None, fill: str | None = None, link: bool = False) -> str:
        """The cell XML's style attribute of :meth:`get`'s format (made once per combination)."""
        key = (number_format, fill, link)
        attribute = self._attributes.get(key)
        if attribute is None:
            attribute = self._attributes[key] = style_attribute(self.get(number_format, fill, link))
        return attribute


#: A column's cell writer: (cell reference, row, column, value, fill, currency) -> the cell's XML or None.
CellWriter = Callable[[str, int, int, Any, str | None, str | None], str | None]


class SheetWriter:
    """Rows of one streamed sheet; made by :meth:`XlsxWriter.add_sheet`."""

    def __init__(
        self,
        worksheet: Worksheet,
        styles: _Styles,
        folder: str,
        columns: Sequence[Column],
        *,
        highlight: Highlight | None = None,
        currency: str | None = None,
        max_links: int = MAX_HYPERLINKS_PER_SHEET,
        notes: Mapping[str, str] | None = None,
    ) -> None:
        self.columns = tuple(columns)
        self.rows = 0
        self.links = 0
        self._ws = worksheet
        self._styles = styles
        self._highlight = highlight
        self._currency = currency
        self._max_links = max(0, min(max_links, MAX_HYPERLINKS_PER_SHEET))
        self._finished = False
        self._money_formats: dict[str | None, str] = {}
        # The sheet's links wait on disk, not in memory, until the save (see the module docstring).
        self._spool = SpooledLinks(folder)
        worksheet.hyperlinks = self._spool
        for index, column in enumerate(self.columns):
            worksheet.set_column(index, index, column_width(column))
        worksheet.freeze_panes(1, 0)
        # Printed (or saved as PDF), a sheet is landscape and one page wide, its header on every page.
        worksheet.set_landscape()
        worksheet.fit_to_pages(1, 0)
        worksheet.repeat_rows(0)
        for index, column in enumerate(self.columns):
            worksheet.write_string(0, index, column.name, styles.header)
            if notes and column.name in notes:  # before the data rows: a streamed row can't be written again
                worksheet.write_comment(0, index, notes[column.name])
        # Data rows go to the sheet's row file as XML (.xlsxstream), one string per row.
        self._stream = RowStream(worksheet, len(self.columns), self._spool)
        self._plan = [
            (column.get, self._writer(column), letters, column.fill)
            for column, letters in zip(self.columns, self._stream.letters, strict=True)
        ]

    def append(self, row: Any) -> None:
        """Write one row (a mapping or an object, as the columns' getters read it)."""
        if self._finished:
            raise RuntimeError("sheet already finished")
        if self.rows + 1 >= MAX_ROWS:
            raise ValueError(f"more rows than an Excel sheet holds ({MAX_ROWS - 1} after the header)")
        fill = _known_fill(self._highlight(row)) if self._highlight else None
        currency = self._currency or _text_or_none(value_of(row, "currency"))
        self.rows += 1  # the header is row 0
        number = self.rows
        suffix = str(number + 1)
        cells: list[str] = []
        for index, (get, write, letters, fill_of) in enumerate(self._plan):
            value = get(row)
            cell_fill = fill if fill_of is None else _known_fill(fill_of(row))
            if value is not None:
                cell = write(letters + suffix, number, index, value, cell_fill, currency)
                if cell is not None:
                    cells.append(cell)
            elif cell_fill is not None:  # a highlighted row is coloured across, empty cells included
                cells.append(blank_cell(letters + suffix, self._styles.attribute(fill=cell_fill)))
        self._stream.write(number, cells)

    def extend(self, rows: Iterable[Any]) -> int:
        """Write every row of ``rows`` (consumed one by one); returns how many."""
        before = self.rows
        for row in rows:
            self.append(row)
        return self.rows - before

    def finish(self) -> int:
        """Set the autofilter over the written range; returns the data rows written."""
        if not self._finished:
            self._ws.autofilter(0, 0, self.rows, max(len(self.columns), 1) - 1)
            self._finished = True
        return self.rows

    def discard(self) -> None:
        """Stop writing and let go of the worksheet (its row file closes with it) and its links."""
        self._finished = True
        self._spool.close()
        self._ws = None  # type: ignore[assignment]
        self._stream = None  # type: ignore[assignment]

    # One writer per column kind, chosen once (this is the inner loop of every export).

    def _writer(self, column: Column) -> CellWriter:
        if column.link:
            return self._write_link
        return {
            "money": self._write_money,
            "percent": self._write_percent,
            "integer": self._write_integer,
            "number": self._write_number,
            "date": self._write_date,
        }.get(column.kind, self._write_text)

    def _write_text(self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None) -> str:
        text = value if isinstance(value, str) else str(value)
        return string_cell(ref, self._styles.attribute(fill=fill), clean_text(text))

    def _write_link(self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None) -> str:
        text = value if isinstance(value, str) else str(value)
        if self.links < self._max_links and _linkable(text):
            self.links += 1
            self._stream.link(row, col, text)
            return string_cell(ref, self._styles.attribute(fill=fill, link=True), text)
        # past Excel's limits: the URL as plain text
        return self._write_text(ref, row, col, text, fill, currency)

    def _write_money(
        self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None
    ) -> str | None:
        number_format = self._money_formats.get(currency)
        if number_format is None:
            number_format = self._money_formats[currency] = money_format(currency)
        return self._write_decimal(ref, to_decimal(value), number_format, fill)

    def _write_percent(
        self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None
    ) -> str | None:
        return self._write_decimal(ref, to_decimal(value), PERCENT_FORMAT, fill)

    def _write_decimal(self, ref: str, value: Decimal | None, number_format: str, fill: str | None) -> str | None:
        if value is not None:
            return number_cell(ref, self._styles.attribute(number_format, fill), value)
        if fill is not None:
            return blank_cell(ref, self._styles.attribute(fill=fill))
        return None

    def _write_integer(self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None) -> str:
        return number_cell(ref, self._styles.attribute(fill=fill), int(value))

    def _write_number(self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None) -> str:
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if not math.isfinite(value):  # as XlsxWriter's write_number refuses them
                raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option")
            return number_cell(ref, self._styles.attribute(fill=fill), value)  # General format: 3.5, 420
        return self._write_text(ref, row, col, value, fill, currency)

    def _write_date(self, ref: str, row: int, col: int, value: Any, fill: str | None, currency: str | None) -> str:
        moment = excel_datetime(value)
        if moment is not None:
            return number_cell(ref, self._styles.attribute(DATE_FORMAT, fill), self._stream.excel_date(moment))
        # unreadable date: keep what was there, as text
        return self._write_text(ref, row, col, str(value), fill, currency)


def _linkable(text: str) -> bool:
    if not text.startswith(("http://", "https://")):
        return False
    if len(text) > MAX_URL_CHARS or (len(text) > MAX_URL_CHARS // 2 and _utf16_len(text) > MAX_URL_CHARS):
        return False
    # Whitespace other than " " and XML-illegal characters are all unprintable: the regexes only then.
    if text.isprintable():
        return " " not in text
    return not _WHITESPACE.search(text) and not _ILLEGAL_XML_CHARS.search(text)


def _known_fill(fill: str | None) -> str | None:
    return fill if fill in FILL_COLOURS else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class XlsxWriter:
    """A streaming workbook: ``with XlsxWriter(path) as book: book.sheet("Products", FULL_COLUMNS, rows)``.

    ``target`` is a path (written atomically when the ``with`` block ends without an error) or
    an open binary file (Scrapy's feed storage; written at :meth:`close`, not closed here).
    ``max_links_per_sheet`` caps the clickable URLs per sheet (Excel's limit by default).
    """

    def __init__(
        self, target: str | os.PathLike[str] | IO[bytes], *, max_links_per_sheet: int = MAX_HYPERLINKS_PER_SHEET
    ) -> None:
        self._target = target
        self._max_links = max_links_per_sheet
        # XlsxWriter's row files and the assembled workbook live here until the copy to the target.
        self._folder = tempfile.TemporaryDirectory(prefix="xlsx-")
        self._book_path = Path(self._folder.name) / "workbook.xlsx"
        self._workbook: Workbook | None = Workbook(
            str(self._book_path), {**WORKBOOK_OPTIONS, "tmpdir": self._folder.name}
        )
        self._styles = _Styles(self._workbook)
        self._sheets: list[SheetWriter] = []
        self._titles: set[str] = set()
        self._closed = False

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()

    def discard(self) -> None:
        """Give up: nothing is written, a previous file at the target stays as it was."""
        self._closed = True
        # Dropping the workbook closes its row files (CPython frees it here: nothing else refers to
        # its worksheets once the sheet writers let go); the folder goes with everything in it.
        self._workbook = None
        for sheet in self._sheets:
            sheet.discard()
        self._folder.cleanup()

    def add_sheet(
        self,
        title: str,
        columns: Sequence[Column],
        *,
        highlight: Highlight | None = None,
        currency: str | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> SheetWriter:
        """A new sheet to append rows to (several may be filled at the same time); ``notes``: column
        name -> the note on its header cell."""
        if self._closed or self._workbook is None:
            raise RuntimeError("workbook already closed")
        worksheet = self._workbook.add_worksheet(self._unique_title(sheet_title(title)))
        sheet = SheetWriter(
            worksheet,
            self._styles,
            self._folder.name,
            columns,
            highlight=highlight,
            currency=currency,
            max_links=self._max_links,
            notes=notes,
        )
        self._sheets.append(sheet)
        return sheet

    def _unique_title(self, title: str) -> str:
        # Excel refuses two sheets whose titles differ only in case, and the name "History".
        taken = self._titles | {"history"}
        candidate, number = title, 1
        while candidate.lower() in taken:
            number += 1
            suffix = f" {number}"
            candidate = sheet_title(title, MAX_SHEET_TITLE - len(suffix)) + suffix
        self._titles.add(candidate.lower())
        return candidate

    def sheet(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Iterable[Any],
        *,
        highlight: Highlight | None = None,
        currency: str | None = None,
        notes: Mapping[str, str] | None = None,
    ) -> int:
        """A whole sheet from ``rows`` (consumed one by one); returns the data rows written."""
        sheet = self.add_sheet(title, columns, highlight=highlight, currency=currency, notes=notes)
        sheet.extend(rows)
        return sheet.finish()

    def close(self) -> None:
        """Finish every sheet and write the workbook to the target."""
        if self._closed or self._workbook is None:
            return
        self._closed = True
        try:
            for sheet in self._sheets:
                sheet.finish()
            if not self._workbook.worksheets():
                self._workbook.add_worksheet()
            self._workbook.close()
            with open(self._book_path, "rb") as book:
                if isinstance(self._target, str | os.PathLike):
                    with atomic_open(self._target) as handle:
                        shutil.copyfileobj(book, handle)
                else:
                    shutil.copyfileobj(book, self._target)
        finally:
            self.discard()
