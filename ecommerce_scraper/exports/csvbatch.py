"""CSV text a batch of rows at a time, column by column: the same bytes as the csv module, faster.

:class:`.csvfile.CsvRowWriter` writes one row with the csv module, after one getter and one
conversion call per cell (:func:`.csvfile.csv_row`). At 100,000 products that is about 5 million
Python calls, and the csv module looks at each of the file's 200 million characters one by one.
Here a batch of rows becomes its text column by column:

- A column that shows one field as it is (:attr:`.columns.Column.field`) reads that field from
  every row at once, and a text cell that needs nothing done (a ``str`` starting with neither
  whitespace nor a formula trigger, :func:`.cells.neutralize`'s common case) is kept without a
  call: a batch of them is recognised in C (:func:`_all_plain`). Anything else goes through the
  very functions the row path uses.
- A list or a mapping shown joined (:func:`.columns.joined`, :func:`.columns.pairs`, the getters
  of :data:`.columns.FIELD_READERS`) is joined by ``str.join`` when every value of the batch is a
  list (a dict) of plain strings, and a list's length is counted by ``len``; else the batch goes
  through the getter.
- Money and moments repeat across a catalog: each distinct stored value is converted once.
- A column whose cells all depend on a field that no row of the batch has
  (:attr:`.columns.Column.needs`: the yarn attributes without ``ai``) is empty, without its getter.
- Quoting is the csv module's ``excel`` dialect with ``QUOTE_MINIMAL``: a cell is quoted when it
  contains ``,``, ``"``, CR or LF (quotes doubled), which is checked once over a column's whole
  batch: most columns (ids, URLs, codes, money) never need it.
- Rows are joined by ``str.join`` and the batch is handed to the stream as one string.

The row path stays the reference: tests/test_csv_batch.py checks that both give the same text.
"""

from __future__ import annotations

import inspect
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from .cells import FORMULA_TRIGGERS, iso, money_text, neutralize, to_datetime
from .columns import FIELD_READERS, PAIR_SEPARATOR, Column, count_of, joined, pairs, text_of

#: Rows converted together: enough to spread the per-column work thin, few enough that a batch's text
#: (about 1 MB) stays in the CPU's cache: 1,000 rows were a third slower than 250.
BATCH_ROWS = 250
#: The excel dialect's row terminator.
LINE_END = "\r\n"

#: One column's cells for a batch of dict rows.
ColumnCells = Callable[[list[dict[str, Any]]], list[str]]

T = TypeVar("T")


def batches(rows: Iterable[T], size: int = BATCH_ROWS) -> Iterator[list[T]]:
    """``rows`` in lists of ``size`` (the last one shorter), consumed as they are needed."""
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


#: First characters met so far that a ``str`` cell may start with to be written as it is: neither
#: :func:`.columns.text_of` nor :func:`.cells.neutralize` touches a text starting with a character
#: that is not whitespace (tab and CR, which ``neutralize`` also quotes, are) and not a formula trigger.
#: Learnt as met (a set test is the cheapest check there is), bounded whatever the text.
_PLAIN_FIRST: set[str] = set()
_PLAIN_FIRST_MAX = 10_000


def _learn_plain(first: str) -> bool:
    """Whether a text starting with ``first`` is written as it is; such a character is remembered."""
    if first.isspace() or first in FORMULA_TRIGGERS:
        return False
    if len(_PLAIN_FIRST) < _PLAIN_FIRST_MAX:
        _PLAIN_FIRST.add(first)
    return True


def _text_cell(value: Any) -> str:
    # The row path's text cell (:func:`.csvfile.csv_cell` of a text column) for any value.
    if value.__class__ is str and value and _learn_plain(value[0]):
        return value
    text = text_of(value)
    return "" if text is None else neutralize(text)


def _money_cell(value: Any) -> str:
    # The row path's money cell: ``to_decimal`` then ``money_text`` (which reads a Decimal as it is).
    return money_text(value) if value is not None else ""


def _date_cell(value: Any) -> str:
    # The row path's date cell: ``to_datetime`` then ``iso``, whose own ``to_datetime`` of an aware
    # UTC datetime gives it back as it is.
    moment = to_datetime(value)
    return "" if moment is None else moment.isoformat(timespec="seconds")


_FIRST = operator.itemgetter(0)


def _all_plain(values: list[Any]) -> bool:
    """Whether every value is a ``str`` starting with a known plain character, tested in C
    (``str.join`` refuses anything but strings, ``[0]`` an empty one)."""
    try:
        "".join(values)
        return _PLAIN_FIRST.issuperset(map(_FIRST, values))
    except (TypeError, IndexError):
        return False


def _plain_strings(texts: list[str]) -> bool:
    """:func:`_all_plain` of strings, learning the plain first characters it did not know yet."""
    if _all_plain(texts):
        return True
    try:
        firsts = set(map(_FIRST, texts))
    except IndexError:  # an empty string
        return False
    learnt = [_learn_plain(first) for first in firsts - _PLAIN_FIRST]  # each one, no short cut
    return all(learnt)


def _text_cells(field: str) -> ColumnCells:
    plain = _PLAIN_FIRST

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        values = list(map(dict.get, rows, itertools.repeat(field)))
        if _all_plain(values):  # a column of names, URLs or codes: each cell is its value
            return values
        return [value if value.__class__ is str and value[:1] in plain else _text_cell(value) for value in values]

    return cells


#: Distinct stored values a money or date column remembers the cell of: a catalog's prices repeat
#: (3.50, 4.90 ...), and so does ``scraped_at`` (to the second: many pages a second).
_MEMO_MAX = 50_000


def _memo_cells(field: str, convert: Callable[[Any], str]) -> ColumnCells:
    known: dict[str, str] = {}  # stored value (a state's money and moments are strings) -> its cell

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        out = []
        for row in rows:
            value = row.get(field)
            if value.__class__ is str:
                cell = known.get(value)
                if cell is None:
                    if len(known) >= _MEMO_MAX:
                        known.clear()
                    cell = known[value] = convert(value)
            else:
                cell = convert(value)
            out.append(cell)
        return out

    return cells


_NONE = type(None)


def _types(values: Iterable[Any]) -> set[type]:
    return set(map(type, values))


def _values_of(rows: list[dict[str, Any]], field: str, kind: type[list] | type[dict]) -> list[Any] | None:
    """The field's values when each is a ``kind`` or missing (an empty one then), else ``None``."""
    values = list(map(dict.get, rows, itertools.repeat(field)))
    kinds = _types(values)
    if not kinds <= {kind, _NONE}:
        return None
    if _NONE in kinds:
        values = [kind() if value is None else value for value in values]
    return values


def _joined_cells(field: str, separator: str, otherwise: ColumnCells) -> ColumnCells:
    """:func:`.columns.joined` of a field, for a batch whose values are lists of plain strings
    (or missing): each cell is the list joined, nothing dropped, nothing to neutralize."""

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        values = _values_of(rows, field, list)
        if values is None:
            return otherwise(rows)
        items = list(itertools.chain.from_iterable(values))
        if not (_types(items) <= {str} and _plain_strings(items)):
            return otherwise(rows)
        return list(map(separator.join, values))

    return cells


def _pairs_cells(field: str, between: str, otherwise: ColumnCells) -> ColumnCells:
    """:func:`.columns.pairs` of a field, for a batch whose values are dicts of plain strings by
    plain string keys (or missing): each cell is ``key<between>value`` joined, nothing to neutralize."""

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        values = _values_of(rows, field, dict)
        if values is None:
            return otherwise(rows)
        keys = list(itertools.chain.from_iterable(values))
        texts = list(itertools.chain.from_iterable(map(dict.values, values)))
        if not (_types(keys) <= {str} and _types(texts) <= {str} and _plain_strings(keys) and _plain_strings(texts)):
            return otherwise(rows)
        return [PAIR_SEPARATOR.join(map(between.join, value.items())) for value in values]

    return cells


def _count_cells(field: str, otherwise: ColumnCells) -> ColumnCells:
    """A list field's length (``variants_count``), for a batch whose values are all lists."""

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        values = list(map(dict.get, rows, itertools.repeat(field)))
        if not _types(values) <= {list}:
            return otherwise(rows)
        return list(map(str, map(len, values)))

    return cells


#: :func:`.columns.pairs`' own ``between``, for a column that leaves it out.
_PAIRS_BETWEEN = inspect.signature(pairs).parameters["between"].default


def _neutralized(value: Any) -> str:
    # The row path's text cell of a getter's value (``neutralize``, learning plain first characters).
    if value is None:
        return ""
    if value.__class__ is str and value:
        _learn_plain(value[0])
    return neutralize(value)


def _getter_cells(column: Column, text: Callable[[Any], str]) -> ColumnCells:
    get = column.get
    if text is neutralize:
        plain = _PLAIN_FIRST

        def text_cells(rows: list[dict[str, Any]]) -> list[str]:
            values = [get(row) for row in rows]
            return [value if value.__class__ is str and value[:1] in plain else _neutralized(value) for value in values]

        return text_cells

    def cells(rows: list[dict[str, Any]]) -> list[str]:
        return ["" if (value := get(row)) is None else text(value) for row in rows]

    return cells


def column_cells(column: Column, text: Callable[[Any], str]) -> ColumnCells:
    """How a batch of dict rows becomes ``column``'s cells (``text``: its kind's conversion, as the row path's)."""
    if column.field is not None and column.kind in ("text", "code", "url") and text is neutralize:
        return _text_cells(column.field)
    if column.field is not None and column.kind in ("money", "percent") and text is money_text:
        return _memo_cells(column.field, _money_cell)
    if column.field is not None and column.kind == "date" and text is iso:
        return _memo_cells(column.field, _date_cell)
    otherwise = _getter_cells(column, text)
    field, reader, args = FIELD_READERS.get(column.get, ("", None, ()))
    if reader is joined and text is neutralize:
        return _joined_cells(field, *args, otherwise)
    if reader is pairs and text is neutralize:
        return _pairs_cells(field, *(args or (_PAIRS_BETWEEN,)), otherwise)
    if reader is count_of and column.kind == "integer" and not args:
        return _count_cells(field, otherwise)
    return otherwise


def _needs_quotes(cell: str) -> bool:
    return "," in cell or '"' in cell or "\n" in cell or "\r" in cell


def quoted(cells: list[str]) -> list[str]:
    """A column's cells as the csv module writes them (``excel``, ``QUOTE_MINIMAL``)."""
    if not _needs_quotes("".join(cells)):  # one scan: most columns never hold a delimiter
        return cells
    return ['"' + cell.replace('"', '""') + '"' if _needs_quotes(cell) else cell for cell in cells]


class BatchText:
    """CSV text of batches of rows under ``columns`` (at least two: the csv module quotes a lone empty cell)."""

    def __init__(self, columns: Sequence[Column], texts: Sequence[Callable[[Any], str]]) -> None:
        if len(columns) < 2:
            raise ValueError("batch CSV text needs two columns or more")
        self._plan = tuple(
            (column.needs, column_cells(column, text), _getter_cells(column, text))
            for column, text in zip(columns, texts, strict=True)
        )

    def text(self, rows: list[Any]) -> str:
        """The rows' lines, each ending with CRLF."""
        if not rows:
            return ""
        if not all(row.__class__ is dict for row in rows):
            # Mappings and objects: every cell through its getter (still column by column).
            return _lines([quoted(generic(rows)) for _, _, generic in self._plan])
        present: dict[str, bool] = {}
        empty = [""] * len(rows)
        columns = []
        for needs, cells, _ in self._plan:
            if needs is not None:
                if needs not in present:
                    present[needs] = any(row.get(needs) is not None for row in rows)
                if not present[needs]:
                    columns.append(empty)
                    continue
            columns.append(quoted(cells(rows)))
        return _lines(columns)


def _lines(columns: list[list[str]]) -> str:
    lines = list(map(",".join, zip(*columns, strict=True)))
    lines.append("")  # the last line's CRLF, without copying the batch's text once more
    return LINE_END.join(lines)
