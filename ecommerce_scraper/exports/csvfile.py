"""CSV export files: UTF-8 with BOM, header row, formula-safe, streamed, atomic.

- UTF-8 with a BOM, so Excel shows Greek text correctly when the file is double-clicked.
- Cells by column kind (:mod:`.columns`): text is neutralized (:func:`.cells.neutralize`),
  money is a plain decimal string (``1234.50``), percentages too, dates ISO 8601 UTC,
  counts plain integers. Quoting is the csv module's ``excel`` dialect (``,``, ``"``, CRLF).
- Rows are consumed one by one, or a batch at a time (:meth:`CsvRowWriter.write_rows`,
  :mod:`.csvbatch`: the same text, column by column): memory does not grow with the catalog.
- :func:`atomic_open`: the file is written aside (``<name>.tmp-<random>`` in the same
  directory), flushed to disk, then renamed over the target; a failure part-way removes the
  temporary file and leaves any previous file untouched.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .cells import iso, money_text, neutralize, number_text
from .columns import Column, column_names
from .csvbatch import BatchText, batches

#: The CSV files' encoding: UTF-8 with a byte order mark.
CSV_ENCODING = "utf-8-sig"


@contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file that appears at ``path`` only complete: written aside, fsynced, renamed.

    The parent directory is created when missing. On any exception (KeyboardInterrupt
    included) the temporary file is removed and ``path`` keeps its previous content.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.tmp-{secrets.token_hex(6)}")
    # "xb": never clobbers anything; the default umask applies (mkstemp would make it 0600).
    handle = open(temporary, "xb")  # noqa: SIM115 - closed below on every path
    try:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, target)
    except BaseException:
        handle.close()
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _integer_text(value: Any) -> str:
    return str(int(value))


#: A column kind's value (never ``None``) as CSV text; text kinds are neutralized (:func:`.cells.neutralize`).
CSV_TEXT: dict[str, Callable[[Any], str]] = {
    "money": money_text,
    "percent": money_text,
    "date": iso,
    "integer": _integer_text,
    "number": number_text,
}


def csv_cell(column: Column, row: Any) -> str:
    """One row's cell of ``column`` as CSV text."""
    value = column.get(row)
    if value is None:
        return ""
    return CSV_TEXT.get(column.kind, neutralize)(value)


def csv_row(columns: Sequence[Column], row: Any) -> list[str]:
    """One row's cells, in column order."""
    return [csv_cell(column, row) for column in columns]


class CsvRowWriter:
    """Writes the header and then rows to an open text stream (newline="" as csv requires).

    :meth:`write_row` writes one row through the csv module; :meth:`write_rows` writes the same
    text a batch at a time (:mod:`.csvbatch`), several times faster: the one for a whole file.
    """

    def __init__(self, stream: IO[str], columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)
        self._stream = stream
        self._writer = csv.writer(stream, dialect="excel")
        self.rows = 0
        texts = [CSV_TEXT.get(column.kind, neutralize) for column in self.columns]
        # Each column's getter and its kind's conversion, chosen once: this is the inner loop of every CSV.
        self._plan = tuple((column.get, text) for column, text in zip(self.columns, texts, strict=True))
        self._batch = BatchText(self.columns, texts) if len(self.columns) > 1 else None

    def write_header(self) -> None:
        self._writer.writerow(column_names(self.columns))

    def write_row(self, row: Any) -> None:
        self._writer.writerow(self._cells(row))
        self.rows += 1

    def write_rows(self, rows: Iterable[Any]) -> int:
        """Write every row of ``rows`` (consumed a batch at a time); returns how many."""
        before = self.rows
        if self._batch is None:
            self._writer.writerows(map(self._counted_cells, rows))
            return self.rows - before
        for batch in batches(rows):
            try:
                text = self._batch.text(batch)
            except Exception:
                # A value no cell conversion takes: the row path writes the rows before it and raises
                # the error it always raised, at the same row (column by column could meet another first).
                self._writer.writerows(map(self._counted_cells, batch))
                continue
            self._stream.write(text)
            self.rows += len(batch)
        return self.rows - before

    def _cells(self, row: Any) -> list[str]:
        return ["" if (value := get(row)) is None else text(value) for get, text in self._plan]

    def _counted_cells(self, row: Any) -> list[str]:
        cells = self._cells(row)
        self.rows += 1
        return cells


def write_csv(path: str | os.PathLike[str], columns: Sequence[Column], rows: Iterable[Any]) -> int:
    """Write ``rows`` under a header of ``columns`` to ``path`` atomically; returns rows written."""
    with atomic_open(path) as raw:
        stream = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
        try:
            writer = CsvRowWriter(stream, columns)
            writer.write_header()
            writer.write_rows(rows)
            stream.flush()
        finally:
            stream.detach()  # atomic_open owns (and closes) the binary file
        return writer.rows
