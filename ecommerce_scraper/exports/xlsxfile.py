"""Excel workbooks, streamed with openpyxl's write-only mode (memory stays flat).

Cells by column kind (:mod:`.columns`):

- text: always a *string* cell. openpyxl 3.1 turns any str starting with ``=`` into a formula
  (``Cell._bind_value``) and the seven error literals (``#N/A`` ...) into error cells, so
  every text cell's ``data_type`` is forced back to ``"s"`` after binding. A string cell never
  evaluates, in Excel or LibreOffice, so the raw text is kept: no ``'`` prefix, unlike CSV
  (:func:`.cells.neutralize`). No cell of these workbooks is ever a formula.
- Characters XML 1.0 forbids (control characters other than tab, LF, CR) are dropped, and text
  is cut to Excel's 32,767 characters per cell.
- money: a number with a currency format (``#,##0.00 "€"`` for EUR ...; the sheet's
  ``currency`` or else the row's ``currency``); percent: a signed number ``+0.00``;
  integer: a number; date: a real datetime (naive UTC, Excel has no zones) shown
  ``yyyy-mm-dd hh:mm:ss``.
- URLs of ``link`` columns are clickable through the cell's hyperlink (a relationship, not a
  ``HYPERLINK()`` formula), for http(s) URLs up to 2,079 characters and at most 65,530 per
  sheet (Excel's limits; later rows keep the URL as plain text). openpyxl would keep every
  hyperlink as an object until the workbook is saved (about 2 KB each, 150 MB for a sheet at
  the cap), because ``<hyperlinks>`` follows ``<sheetData>`` in the sheet XML and their
  relationships go to a separate part. Here they wait in a temporary file instead
  (:class:`_LinkSpool`) and are streamed into both parts at save time, so memory stays flat
  however many rows and links a sheet has.
- Every sheet: bold header, frozen first row (panes at A2), autofilter over the data, column
  widths by kind (capped), and with ``highlight`` rows whose callable answers ``"down"`` filled
  green, ``"up"`` filled red (price drops/rises on the Changes sheets).

Writing to a path is atomic (see :func:`.csvfile.atomic_open`): the workbook appears complete
or not at all; an exception inside the ``with`` block leaves any previous file untouched.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any, Literal
from xml.sax.saxutils import quoteattr

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import PKG_REL_NS, REL_NS

from .cells import excel_datetime, to_decimal
from .columns import Column, value_of
from .csvfile import atomic_open

Highlight = Callable[[Any], Literal["down", "up"] | None]

#: Excel's limits.
MAX_CELL_CHARS = 32_767
MAX_ROWS = 1_048_576
MAX_HYPERLINKS_PER_SHEET = 65_530
MAX_URL_CHARS = 2_079
MAX_SHEET_TITLE = 31

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

HEADER_FONT = Font(bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
# Excel's own "Good" (green) and "Bad" (red) cell colours.
FILLS: dict[str, PatternFill] = {
    "down": PatternFill(fill_type="solid", start_color="C6EFCE", end_color="C6EFCE"),
    "up": PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE"),
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
    cleaned = _ILLEGAL_XML_CHARS.sub("", text)
    return cleaned[:MAX_CELL_CHARS]


def sheet_title(title: str) -> str:
    """A title Excel accepts: no ``[]:*?/\\``, not empty, at most 31 characters."""
    cleaned = _BAD_TITLE_CHARS.sub(" ", title).strip().strip("'") or "Sheet"
    return cleaned[:MAX_SHEET_TITLE]


def column_width(column: Column) -> int:
    width = column.width or KIND_WIDTHS[column.kind]
    return min(max(width, len(column.name) + 3), MAX_WIDTH)


class SheetWriter:
    """Rows of one write-only sheet; made by :meth:`XlsxWriter.add_sheet`."""

    def __init__(
        self,
        worksheet: WriteOnlyWorksheet,
        columns: Sequence[Column],
        *,
        highlight: Highlight | None = None,
        currency: str | None = None,
        max_links: int = MAX_HYPERLINKS_PER_SHEET,
    ) -> None:
        self.columns = tuple(columns)
        self.rows = 0
        self._ws = worksheet
        self._highlight = highlight
        self._currency = currency
        self.links = _LinkSpool()
        self._max_links = max(0, min(max_links, MAX_HYPERLINKS_PER_SHEET))
        self._letters = [get_column_letter(index) for index in range(1, len(self.columns) + 1)]
        self._finished = False
        # Widths and panes belong to the sheet's head: set before the first row is streamed.
        for letter, column in zip(self._letters, self.columns, strict=True):
            worksheet.column_dimensions[letter].width = column_width(column)
        worksheet.freeze_panes = "A2"
        # Printed (or saved as PDF), a sheet is landscape and one page wide, its header on every page.
        worksheet.page_setup.orientation = "landscape"
        worksheet.page_setup.fitToWidth = 1
        worksheet.page_setup.fitToHeight = 0
        worksheet.sheet_properties.pageSetUpPr.fitToPage = True
        worksheet.print_title_rows = "1:1"
        # openpyxl makes a sheet's writer on the first append; this one streams the spooled links.
        worksheet._writer = _SpooledLinksSheetWriter(worksheet, self.links)
        worksheet._writer.write_top()
        worksheet.append([self._header_cell(column.name) for column in self.columns])

    def _header_cell(self, name: str) -> Cell:
        cell = WriteOnlyCell(self._ws, value=name)
        cell.data_type = "s"
        cell.font = HEADER_FONT
        return cell

    def append(self, row: Any) -> None:
        """Write one row (a mapping or an object, as the columns' getters read it)."""
        if self._finished:
            raise RuntimeError("sheet already finished")
        if self.rows + 1 >= MAX_ROWS:
            raise ValueError(f"more rows than an Excel sheet holds ({MAX_ROWS - 1} after the header)")
        fill = FILLS.get(self._highlight(row) or "") if self._highlight else None
        currency = self._currency or _text_or_none(value_of(row, "currency"))
        self.rows += 1
        self._ws.append(
            [
                self._cell(column, row, fill, currency, letter)
                for letter, column in zip(self._letters, self.columns, strict=True)
            ]
        )

    def extend(self, rows: Iterable[Any]) -> int:
        """Write every row of ``rows`` (consumed one by one); returns how many."""
        before = self.rows
        for row in rows:
            self.append(row)
        return self.rows - before

    def finish(self) -> int:
        """Set the autofilter over the written range; returns the data rows written."""
        if not self._finished:
            last = get_column_letter(max(len(self.columns), 1))
            self._ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"
            self._finished = True
        return self.rows

    def discard(self) -> None:
        """Drop what was streamed (openpyxl's temporary file) without writing the sheet."""
        self._finished = True
        self.links.close()
        # openpyxl 3.1 keeps a write-only sheet's rows in a temporary file until the workbook
        # is saved; a workbook that is never saved would leave it behind until exit.
        writer = self._ws._writer
        if writer is None:
            return
        try:
            if self._ws._rows is not None:
                self._ws._rows.close()
            writer.close()
            writer.cleanup()
        except (OSError, ValueError, RuntimeError):
            pass

    def _cell(self, column: Column, row: Any, fill: PatternFill | None, currency: str | None, letter: str) -> Any:
        value = column.get(row)
        cell = self._typed_value(column, value, currency, letter) if value is not None else None
        if fill is None:
            return cell
        if not isinstance(cell, Cell):
            cell = self._plain_cell(cell)
        cell.fill = fill
        return cell

    def _typed_value(self, column: Column, value: Any, currency: str | None, letter: str) -> Any:
        """A Cell where the value needs a style or a forced type, else the plain value (faster)."""
        kind = column.kind
        if kind == "money":
            return self._number_cell(to_decimal(value), money_format(currency))
        if kind == "percent":
            return self._number_cell(to_decimal(value), PERCENT_FORMAT)
        if kind == "integer":
            return int(value)
        if kind == "number":
            return value  # a Decimal: a number cell in the General format (3.5, 420)
        if kind == "date":
            moment = excel_datetime(value)
            if moment is None:  # unreadable date: keep what was there, as text
                return self._text(str(value))
            cell = WriteOnlyCell(self._ws, value=moment)
            cell.number_format = DATE_FORMAT
            return cell
        text = value if isinstance(value, str) else str(value)
        if column.link and self.links.count < self._max_links and _linkable(text):
            cell = self._string_cell(text)
            cell.font = LINK_FONT
            self.links.add(f"{letter}{self.rows + 1}", text)  # the header is row 1
            return cell
        return self._text(text)

    def _number_cell(self, value: Any, number_format: str) -> Cell | None:
        if value is None:
            return None
        cell = WriteOnlyCell(self._ws, value=value)
        cell.number_format = number_format
        return cell

    def _text(self, text: str) -> str | Cell:
        cleaned = clean_text(text)
        # openpyxl 3.1 (Cell._bind_value) turns a str starting with "=" into a formula and the
        # error literals into error cells; only those need a cell with its type forced. Any
        # other str is a string cell already, and a plain value skips building a Cell.
        if cleaned.startswith("=") or cleaned in ERROR_CODES:
            return self._string_cell(cleaned)
        return cleaned

    def _string_cell(self, text: str) -> Cell:
        cell = WriteOnlyCell(self._ws, value=text)
        cell.data_type = "s"  # a text is a string, never a formula or an error
        return cell

    def _plain_cell(self, value: Any) -> Cell:
        if isinstance(value, str):
            return self._string_cell(value)
        return WriteOnlyCell(self._ws, value=value)


def _linkable(text: str) -> bool:
    return (
        len(text) <= MAX_URL_CHARS
        and text.startswith(("http://", "https://"))
        and not _WHITESPACE.search(text)
        and not _ILLEGAL_XML_CHARS.search(text)
    )


class _LinkSpool:
    """One sheet's hyperlinks (cell reference, URL), in a temporary file until the save.

    A linkable URL holds no whitespace (:func:`_linkable`), so a line is ``ref<TAB>url``.
    """

    def __init__(self) -> None:
        self.count = 0
        self._file: IO[str] | None = None

    def add(self, ref: str, url: str) -> None:
        if self._file is None:
            # Open from the first link until the save (or close()): not a with-block's lifetime.
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="xlsx-links-")  # noqa: SIM115
        self._file.write(f"{ref}\t{url}\n")
        self.count += 1

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        """``(relationship number, ref, url)`` in the order the links were added."""
        if self._file is None:
            return
        self._file.flush()
        self._file.seek(0)
        for number, line in enumerate(self._file, 1):
            ref, url = line.rstrip("\n").split("\t", 1)
            yield number, ref, url

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _link_rel_id(number: int) -> str:
    # openpyxl numbers a sheet's own relationships rId1, rId2 ...: a prefix of our own can't clash.
    return f"rLink{number}"


class _SpooledLinksSheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, with ``<hyperlinks>`` streamed from a :class:`_LinkSpool`."""

    def __init__(self, worksheet: WriteOnlyWorksheet, links: _LinkSpool) -> None:
        super().__init__(worksheet)
        self.links = links

    def write_hyperlinks(self) -> None:
        if not self.links.count:
            return
        xf = self.xf.send(True)
        with xf.element("hyperlinks", nsmap={"r": REL_NS}):
            for number, ref, _url in self.links:
                # An element opened in the stream inherits xmlns:r; a written Element redeclares it.
                with xf.element("hyperlink", {"ref": ref, f"{{{REL_NS}}}id": _link_rel_id(number)}):
                    pass
        self.xf.send(None)


class _SpooledLinksExcelWriter(ExcelWriter):
    """openpyxl's package writer, adding each sheet's hyperlink relationships part, streamed."""

    def write_worksheet(self, ws: WriteOnlyWorksheet) -> None:
        super().write_worksheet(ws)
        writer = ws._writer if isinstance(ws._writer, _SpooledLinksSheetWriter) else None
        if writer is None or not writer.links.count:
            return
        if len(ws._rels):  # openpyxl would write a second rels part under the same name
            raise RuntimeError(f"sheet {ws.title!r} has relationships of its own besides hyperlinks")
        with self._archive.open(get_rels_path(ws.path)[1:], "w") as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{PKG_REL_NS}">'.encode())
            for number, _ref, url in writer.links:
                part.write(
                    f'<Relationship Id="{_link_rel_id(number)}" Type="{REL_NS}/hyperlink" '
                    f'Target={quoteattr(url)} TargetMode="External"/>'.encode()
                )
            part.write(b"</Relationships>")
        writer.links.close()


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class XlsxWriter:
    """A streaming workbook: ``with XlsxWriter(path) as book: book.sheet("Products", FULL_COLUMNS, rows)``.

    ``target`` is a path (written atomically when the ``with`` block ends without an error) or
    an open binary file (Scrapy's feed storage; written at :meth:`close`, not closed here).
    ``max_links_per_sheet`` caps the clickable URLs per sheet (Excel's limit by default; each
    costs about 2 KB of memory until the workbook is saved, see the module docstring).
    """

    def __init__(
        self, target: str | os.PathLike[str] | IO[bytes], *, max_links_per_sheet: int = MAX_HYPERLINKS_PER_SHEET
    ) -> None:
        self._target = target
        self._max_links = max_links_per_sheet
        self._workbook = Workbook(write_only=True)
        self._sheets: list[SheetWriter] = []
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
        for sheet in self._sheets:
            sheet.discard()

    def add_sheet(
        self, title: str, columns: Sequence[Column], *, highlight: Highlight | None = None, currency: str | None = None
    ) -> SheetWriter:
        """A new sheet to append rows to (several may be filled at the same time)."""
        if self._closed:
            raise RuntimeError("workbook already closed")
        worksheet = self._workbook.create_sheet(sheet_title(title))
        sheet = SheetWriter(worksheet, columns, highlight=highlight, currency=currency, max_links=self._max_links)
        self._sheets.append(sheet)
        return sheet

    def sheet(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Iterable[Any],
        *,
        highlight: Highlight | None = None,
        currency: str | None = None,
    ) -> int:
        """A whole sheet from ``rows`` (consumed one by one); returns the data rows written."""
        sheet = self.add_sheet(title, columns, highlight=highlight, currency=currency)
        sheet.extend(rows)
        return sheet.finish()

    def close(self) -> None:
        """Finish every sheet and write the workbook to the target."""
        if self._closed:
            return
        self._closed = True
        for sheet in self._sheets:
            sheet.finish()
        try:
            if isinstance(self._target, str | os.PathLike):
                with atomic_open(self._target) as handle:
                    self._save(handle)
            else:
                self._save(self._target)
        except BaseException:
            for sheet in self._sheets:
                sheet.discard()
            raise

    def _save(self, handle: IO[bytes]) -> None:
        # What Workbook.save does, with the package writer that adds the spooled hyperlinks.
        if not self._workbook.worksheets:
            self._workbook.create_sheet()
        self._workbook.properties.modified = datetime.now(UTC).replace(tzinfo=None)
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            _SpooledLinksExcelWriter(self._workbook, archive).write_data()
