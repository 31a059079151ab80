"""Scrapy feed exporters: ``-O out.xlsx`` and ``-O out.csv`` give the export files' products.

Register them in ``FEED_EXPORTERS`` (settings.py)::

    FEED_EXPORTERS = {
        "xlsx": "ecommerce_scraper.exports.feeds.XlsxItemExporter",
        "csv": "ecommerce_scraper.exports.feeds.SafeCsvItemExporter",
    }

Both turn each item into its stored state (:func:`~ecommerce_scraper.storage.state.to_state`)
and write it with the columns of ``full.csv`` (:data:`.columns.FULL_COLUMNS`), so a feed holds
the same products, in the same columns, as the export tree. ``-s FEED_EXPORT_FIELDS=a,b`` (or
the ``fields`` feed option) picks and orders columns; names that are not export columns are
written as text from the item's field of that name.

Scrapy owns the feed file (it opens and closes it), so feeds are not written atomically; the
export tree is.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import IO, Any

from scrapy.exporters import BaseItemExporter

from ..storage.state import to_state
from .columns import FULL_COLUMNS, VARIANT_COLUMNS, Column, pairs, text_of, value_of, variant_rows
from .csvfile import CSV_ENCODING, CsvRowWriter
from .xlsxfile import SheetWriter, XlsxWriter

_COLUMNS_BY_NAME: dict[str, Column] = {column.name: column for column in FULL_COLUMNS}


def feed_columns(fields_to_export: Mapping[str, str] | Iterable[str] | None) -> tuple[Column, ...]:
    """The columns of a feed: all of :data:`FULL_COLUMNS`, or the fields Scrapy was told to export.

    A ``{field: header}`` mapping renames the headers, as Scrapy's own exporters do.
    """
    if fields_to_export is None:
        return FULL_COLUMNS
    if isinstance(fields_to_export, Mapping):
        return tuple(_column(field, header) for field, header in fields_to_export.items())
    return tuple(_column(field, field) for field in fields_to_export)


def _column(field: str, header: str) -> Column:
    known = _COLUMNS_BY_NAME.get(field)
    if known is None:
        return Column(header, "text", lambda row: _any_text(value_of(row, field)), f"the item's `{field}`")
    if header == field:
        return known
    return Column(header, known.kind, known.get, known.description, link=known.link, width=known.width)


def _any_text(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return pairs(value)
    if isinstance(value, list | tuple):
        return pairs(list(value))
    return text_of(value)


class SafeCsvItemExporter(BaseItemExporter):
    """The project's CSV feed: the columns of ``full.csv``, UTF-8 with BOM, formula-safe.

    The encoding is always UTF-8 with a BOM (the export contract); ``FEED_EXPORT_ENCODING``
    does not change it. ``include_headers_line=False`` leaves the header out.
    """

    def __init__(self, file: IO[bytes], *, include_headers_line: bool = True, **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.include_headers_line = include_headers_line
        self.stream = io.TextIOWrapper(file, encoding=CSV_ENCODING, newline="", write_through=True)
        self._writer = CsvRowWriter(self.stream, feed_columns(self.fields_to_export))

    def start_exporting(self) -> None:
        if self.include_headers_line:
            self._writer.write_header()

    def export_item(self, item: Any) -> None:
        self._writer.write_row(to_state(item))

    def finish_exporting(self) -> None:
        # Scrapy closes the file: only let go of it, without closing it.
        self.stream.flush()
        self.stream.detach()


class XlsxItemExporter(BaseItemExporter):
    """An Excel feed: a Products sheet (the columns of ``full.csv``) and a Variants sheet.

    Rows stream into XlsxWriter's constant-memory sheets as items arrive; the workbook is written
    to the feed file when the feed closes.
    """

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.file = file
        self._book: XlsxWriter | None = None
        self._products: SheetWriter | None = None
        self._variants: SheetWriter | None = None

    def start_exporting(self) -> None:
        self._book = XlsxWriter(self.file)
        self._products = self._book.add_sheet("Products", feed_columns(self.fields_to_export))
        self._variants = self._book.add_sheet("Variants", VARIANT_COLUMNS)

    def export_item(self, item: Any) -> None:
        if self._products is None or self._variants is None:
            self.start_exporting()
        assert self._products is not None and self._variants is not None
        state = to_state(item)
        self._products.append(state)
        self._variants.extend(variant_rows([state]))

    def finish_exporting(self) -> None:
        if self._book is None:
            self.start_exporting()
        assert self._book is not None
        self._book.close()
