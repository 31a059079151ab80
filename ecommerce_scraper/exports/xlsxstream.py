"""The one module that touches XlsxWriter's internals (pinned: XlsxWriter 3.3.1, requirements.txt).

:class:`RowStream` writes a ``constant_memory`` worksheet's data rows as XML straight into the
worksheet's row file, the same XML XlsxWriter's own ``write_string``/``write_number``/
``write_datetime``/``write_blank``/``write_url`` would produce there (tests/test_xlsx_stream.py
compares the two), without XlsxWriter's per-cell work (A1-notation check, bounds and dimension
bookkeeping, a cell tuple, a dispatch on its class name, attribute escaping, three regexes):
that was most of a workbook's cost. What XlsxWriter keeps track of for the rest of the sheet
(the last row written, the used range, the link count) is kept up to date here.

:class:`SpooledLinks` stands in for ``Worksheet.hyperlinks``, with the links in a temporary
file instead of memory (see :mod:`.xlsxfile`).

XlsxWriter internals used: ``Worksheet.row_data_fh``, ``previous_row``, ``dim_rowmax``,
``hlink_count``, ``hyperlinks``, ``_write_single_row``, ``_convert_date_time``;
``Format._get_xf_index``; ``xmlwriter.XMLwriter._escape_control_characters``;
``utility._utf16_len``/``_utf16_truncate``; ``url.Url``. Any other XlsxWriter version must pass
tests/test_xlsx_stream.py before its pin moves.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Any

from xlsxwriter.format import Format
from xlsxwriter.url import Url
from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

#: Excel's limit of characters (UTF-16 code units) in a cell, as XlsxWriter applies it.
_STRING_MAX = 32_767
_escape_control_characters = XMLwriter._escape_control_characters


def style_attribute(style: Format | None) -> str:
    """The ``s`` attribute of a cell in ``style`` (``""`` for none), as XlsxWriter writes it."""
    return "" if style is None else f' s="{style._get_xf_index()}"'


def string_cell(ref: str, style: str, text: str) -> str:
    """An inline string cell; ``text`` holds no XML-illegal character (:func:`.xlsxfile.clean_text`)."""
    if len(text) > _STRING_MAX // 2 and _utf16_len(text) > _STRING_MAX:
        text = _utf16_truncate(text, _STRING_MAX)
    if "_x" in text or "\r" in text:  # Excel's _xHHHH_ escapes: XlsxWriter's own function
        text = _escape_control_characters(text)
    preserve = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def number_cell(ref: str, style: str, number: Any) -> str:
    """A number cell (``int``, ``float``, finite ``Decimal``)."""
    return f'<c r="{ref}"{style}><v>{number:.16G}</v></c>'


def blank_cell(ref: str, style: str) -> str:
    """An empty cell that only carries a style."""
    return f'<c r="{ref}"{style}/>'


class RowStream:
    """A sheet's data rows, written after its header row (row 0, written with XlsxWriter's API)."""

    def __init__(self, worksheet: Worksheet, columns: int, links: SpooledLinks) -> None:
        self._ws = worksheet
        #: Column letters, so a cell reference is a concatenation.
        self.letters = tuple(xl_col_to_name(index) for index in range(columns))
        self._links = links
        # XlsxWriter writes a row when the next one starts: the header goes to the row file now.
        worksheet._write_single_row(1)

    def write(self, number: int, cells: list[str]) -> None:
        """Row ``number`` (0-based) made of ``cells`` (the XML of each, in column order)."""
        ws = self._ws
        if cells:
            ws.row_data_fh.write(f'<row r="{number + 1}">{"".join(cells)}</row>')
            ws.dim_rowmax = number
        ws.previous_row = number

    def link(self, number: int, col: int, url: str) -> None:
        """Make cell (``number``, ``col``), written as ``url``'s text, a hyperlink to ``url``."""
        self._ws.hlink_count += 1
        self._links.add(number, col, url)

    def excel_date(self, moment: datetime) -> float:
        """A naive datetime as Excel's serial number (the workbook's epoch)."""
        return self._ws._convert_date_time(moment)


class SpooledLinks:
    """Stands in for XlsxWriter's ``Worksheet.hyperlinks`` (row -> {col: Url}), with the links in a
    temporary file instead of memory.

    Links are added with :meth:`add` (rows in ascending order). At save, XlsxWriter 3.3 asks
    ``sorted(hyperlinks.keys())`` and ``hyperlinks[row]`` (``.keys()`` and ``[col]``) for each of
    those rows in that order, so the file is read back once, front to back, and each link becomes
    XlsxWriter's ``Url`` only then. A URL holds no whitespace (:func:`.xlsxfile._linkable`): one
    line per link.
    """

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._file: IO[str] | None = None
        self._rows = array("L")  # the rows holding links, ascending: 8 bytes each
        self._pending: tuple[int, int, str] | None = None  # the next record read ahead
        self._loaded_row = -1
        self._loaded: dict[int, Url] = {}

    def __getitem__(self, row: int) -> _SpooledRow:
        return _SpooledRow(self, row)

    def keys(self) -> Iterator[int]:
        return iter(self._rows)

    def add(self, row: int, col: int, url: str) -> None:
        if self._file is None:
            # Open from the first link until the save: not a with-block's lifetime.
            self._file = tempfile.TemporaryFile(  # noqa: SIM115
                "w+", encoding="utf-8", newline="\n", dir=self._folder, prefix="links-"
            )
        if not self._rows or self._rows[-1] != row:
            self._rows.append(row)
        self._file.write(f"{row} {col} {url}\n")

    def load(self, row: int) -> dict[int, Url]:
        """``{col: Url}`` of ``row``; rows must be asked for in ascending order."""
        if row != self._loaded_row and self._file is not None:
            if self._loaded_row < 0:  # the first row asked for: the save has begun
                self._file.seek(0)
                self._pending = self._read()
            self._loaded_row, self._loaded = row, {}
            while self._pending is not None and self._pending[0] == row:
                self._loaded[self._pending[1]] = Url(self._pending[2])
                self._pending = self._read()
        return self._loaded if row == self._loaded_row else {}

    def _read(self) -> tuple[int, int, str] | None:
        assert self._file is not None
        line = self._file.readline()
        if not line:
            return None
        row, col, url = line.rstrip("\n").split(" ", 2)
        return int(row), int(col), url

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _SpooledRow:
    """One row of :class:`SpooledLinks`, as XlsxWriter reads it at save time."""

    def __init__(self, links: SpooledLinks, row: int) -> None:
        self._links = links
        self._row = row

    def __getitem__(self, col: int) -> Url:
        return self._links.load(self._row)[col]

    def keys(self) -> Iterable[int]:
        return self._links.load(self._row).keys()
