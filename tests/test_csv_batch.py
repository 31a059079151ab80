"""CSV a batch at a time (exports/csvbatch.py) writes exactly what the row path (the csv module) writes."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ecommerce_scraper.exports import columns as cols
from ecommerce_scraper.exports.csvbatch import BATCH_ROWS, quoted
from ecommerce_scraper.exports.csvfile import CsvRowWriter, write_csv
from ecommerce_scraper.exports.feeds import feed_columns
from ecommerce_scraper.matching.compare import COMPARE_COLUMNS

# Values a stored state, a change or a hand-made row may hold, the odd ones above all.
ATOMS: list[Any] = [
    *("", " ", "a", "Merino", "Χρώμα: Κόκκινο", "'quoted", "  lead", "trail  ", "é,ü", "😀,x", "ok\u2028sep"),
    *("=1+1", "+30", "-5", "@x", "\t=x", "\r=x", " =1", "\u00a0=1", "＝1", "－2", "\u3000=x", "\n", "\x1c=1"),
    *("a,b", 'say "hi"', "line\nbreak", "cr\rx", "crlf\r\nx", "\x00nul", "\x1fus", ",", '"'),
    *(None, 0, 1, -3, 2.5, True, False, 12, 3.0, [], {}, ("t", "u"), b"bytes"),
    *(Decimal("12.5"), Decimal("-0"), Decimal("1E+3"), Decimal("NaN"), Decimal("0.125")),
    *("12.5", " 12.50 ", "1E+3", "abc", "NaN", "0.125", "-0.00", "12.50"),
    ["a", None, " ", "=b", 3],
    {"k": "v", "n": None, "d": {"value": "x", "source": "ai"}, "l": [1, "=2"]},
    *("2026-01-05T03:00:00+00:00", "2026-01-05T03:00:00", "2026-01-05 03:00:00.123456+02:00"),
    *("2026-13-01T00:00:00+00:00", " 2026-01-05T03:00:00+00:00", date(2025, 3, 1)),
    datetime(2026, 1, 5, 3, 0, 1, 5),
    datetime(2026, 1, 5, 3, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 1, 5, 3, tzinfo=UTC),
]
TAILS = ["", ",", '"', "\n", " x", "=", "Δ", "\r\n"]


def _value(rng: random.Random) -> Any:
    value = rng.choice(ATOMS)
    if isinstance(value, str) and rng.random() < 0.3:
        value += rng.choice(TAILS)
    return value


def _row(rng: random.Random, keys: Sequence[str], integers: set[str]) -> dict[str, Any]:
    row = {key: _value(rng) for key in keys if rng.random() < 0.85}
    for key in integers & row.keys():
        row[key] = rng.choice([None, 3, True, "7", 2.9])
    if rng.random() < 0.5:
        row["ai"] = {
            "fibres": rng.choice([[{"fibre": "wool", "percent": 75}, {"fibre": _value(rng), "percent": _value(rng)}]]),
            "weight_g": {"value": _value(rng), "source": "rules"},
            "gauge": {"value": {"stitches": _value(rng), "rows": _value(rng)}},
            "care": {"value": _value(rng), "source": _value(rng)},
            "origin": _value(rng),
        }
    for key in ("breadcrumbs", "images", "attributes", "hreflang", "options", "variants"):
        if rng.random() < 0.4:
            row[key] = [_value(rng) for _ in range(rng.randint(0, 3))]
        elif rng.random() < 0.4:
            row[key] = {str(_value(rng)): _value(rng) for _ in range(2)}
    return row


class _MappingRow(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class _ObjectRow:
    def __init__(self, data: dict[str, Any]) -> None:
        self.__dict__.update(data)


def _row_path(columns: Sequence[cols.Column], rows: list[Any]) -> str:
    stream = io.StringIO(newline="")
    writer = CsvRowWriter(stream, columns)
    writer.write_header()
    for row in rows:
        writer.write_row(row)
    return stream.getvalue()


def _batch_path(columns: Sequence[cols.Column], rows: list[Any]) -> tuple[str, int]:
    stream = io.StringIO(newline="")
    writer = CsvRowWriter(stream, columns)
    writer.write_header()
    written = writer.write_rows(iter(rows))
    assert written == writer.rows
    return stream.getvalue(), written


COLUMN_LISTS = {
    "full": cols.FULL_COLUMNS,
    "seo": cols.SEO_COLUMNS,
    "variants": cols.VARIANT_COLUMNS,
    "diff": cols.DIFF_COLUMNS,
    "master_changes": cols.MASTER_CHANGES_COLUMNS,
    "summary": cols.SUMMARY_COLUMNS,
    "proxy": cols.PROXY_COLUMNS,
    "compare": COMPARE_COLUMNS,
    "feed": tuple(feed_columns(["name", "price", "attributes", "extra"])),
}


@pytest.mark.parametrize("name", sorted(COLUMN_LISTS))
def test_batches_write_what_the_row_path_writes(name: str) -> None:
    columns = COLUMN_LISTS[name]
    rng = random.Random(name)
    keys = sorted({column.name for column in columns} | {"old_value", "new_value", "ai", "variants"})
    integers = {column.name for column in columns if column.kind == "integer"}
    rows = [_row(rng, keys, integers) for _ in range(2 * BATCH_ROWS + 7)]
    expected = _row_path(columns, rows)
    assert _batch_path(columns, rows) == (expected, len(rows))
    # Rows that are not plain dicts take every cell through its getter: the same text.
    objects = name != "compare"  # compare.csv's getters read mappings only
    others = [_MappingRow(row) if index % 2 or not objects else _ObjectRow(row) for index, row in enumerate(rows)]
    assert _batch_path(columns, others)[0] == expected
    mixed = [_MappingRow(row) if index % 7 == 0 else row for index, row in enumerate(rows)]
    assert _batch_path(columns, mixed)[0] == expected


def test_batches_of_plain_states_without_ai() -> None:
    """The common case: no row of a batch has yarn attributes, so their columns are skipped."""
    rng = random.Random(1)
    rows = [{key: rng.choice(["Μαλλί, 50γρ", "=1", "x", None, "12.5"]) for key in ("name", "price", "ai")}]
    rows += [{"name": f"Νήμα {n}", "price": f"{n}.5", "fibres": "ignored", "ai": None} for n in range(3000)]
    rows.append({"name": "last", "ai": {"origin": {"value": "Peru"}}})  # the last batch has one
    assert _batch_path(cols.FULL_COLUMNS, rows)[0] == _row_path(cols.FULL_COLUMNS, rows)


class _Text(str):
    def __format__(self, spec: str) -> str:
        return "formatted"


def _plain_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Νήμα {n}",
            "breadcrumbs": ["Αρχική", "Νήματα", f"Drops {n}"],
            "images": [f"https://shop.example/{n}-1.jpg", f"https://shop.example/{n}-2.jpg"],
            "attributes": {"Σύνθεση": "60% βαμβάκι, 40% ακρυλικό", "Βάρος": f"{n} γρ."},
            "hreflang": {"el": f"https://shop.example/el/{n}", "en": f"https://shop.example/en/{n}"},
            "variants": [{"sku": f"{n}-{v}"} for v in range(n % 3)],
        }
        for n in range(count)
    ]


#: One odd value in a batch of plain ones: where the fast paths must step aside.
ODD_FIELDS: list[tuple[str, Any]] = [
    ("name", "=1+1"),
    ("name", ""),
    ("name", " lead"),
    ("name", None),
    ("name", 5),
    ("name", _Text("Plain")),
    ("breadcrumbs", ["a", " ", "b"]),
    ("breadcrumbs", ["=a", "b"]),
    ("breadcrumbs", ["a", ""]),
    ("breadcrumbs", ["a", None, 3]),
    ("breadcrumbs", []),
    ("breadcrumbs", None),
    ("breadcrumbs", "Αρχική"),
    ("breadcrumbs", ("a", "b")),
    ("breadcrumbs", [_Text("a"), "b"]),
    ("images", ["\t=x"]),
    ("attributes", {"=k": "v"}),
    ("attributes", {"": "v"}),
    ("attributes", {"k": " "}),
    ("attributes", {"k": "=v"}),
    ("attributes", {"k": None, "j": "v"}),
    ("attributes", {"k": {"value": "x", "source": "ai"}}),
    ("attributes", {3: "v"}),
    ("attributes", {_Text("k"): "v"}),
    ("attributes", {"k": _Text("v")}),
    ("attributes", {}),
    ("attributes", None),
    ("attributes", ["a", "b"]),
    ("hreflang", {"el": "x", "en": ""}),
    ("variants", None),
    ("variants", ("a", "b")),
    ("variants", "abc"),
    ("variants", {"a": 1}),
]


@pytest.mark.parametrize(("field", "odd"), ODD_FIELDS)
def test_fast_columns_step_aside_for_an_odd_value(field: str, odd: Any) -> None:
    rows = _plain_rows(2 * BATCH_ROWS)
    rows[BATCH_ROWS + 3][field] = odd  # the second batch has it, the first is plain
    expected = _row_path(cols.FULL_COLUMNS, rows)
    assert _batch_path(cols.FULL_COLUMNS, rows)[0] == expected


def test_quoting_is_the_csv_modules_for_every_character() -> None:
    cells = [f"a{chr(code)}b" for code in range(0x3100) if not 0xD800 <= code <= 0xDFFF]
    cells += ["", '"', '""', ",", "\r\n", 'x"y,z', " lead", "\x00"]
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel").writerows([cell, "x"] for cell in cells)
    assert "".join(f"{cell},x\r\n" for cell in quoted(cells)) == buffer.getvalue()


def test_one_column_keeps_the_csv_modules_lone_empty_cell(tmp_path: Path) -> None:
    columns = cols.FULL_COLUMNS[:1]
    rows = [{"site": ""}, {"site": "s"}, {}]
    path = tmp_path / "one.csv"
    assert write_csv(path, columns, rows) == 3
    assert path.read_bytes().decode("utf-8-sig") == _row_path(columns, rows) == 'site\r\n""\r\ns\r\n""\r\n'


def test_a_value_no_cell_takes_raises_as_the_row_path_does(tmp_path: Path) -> None:
    """Column by column would meet another bad value first: the batch is written row by row instead."""
    rows = [{"products": 1, "in_stock": 2}, {"products": 3, "in_stock": {"x": 1}}, {"products": "x", "in_stock": 1}]
    with pytest.raises(TypeError):
        _row_path(cols.SUMMARY_COLUMNS, rows)
    stream = io.StringIO(newline="")
    writer = CsvRowWriter(stream, cols.SUMMARY_COLUMNS)
    with pytest.raises(TypeError):
        writer.write_rows(rows)
    assert writer.rows == 1 and stream.getvalue().count("\r\n") == 1
    assert not list(tmp_path.iterdir())


def test_formula_text_is_neutralized_after_plain_text_of_the_same_start() -> None:
    """The set of plain first characters learns only plain ones: a trigger is never taken for one."""
    rows = [{"name": text} for text in ("Merino", "=1+1", "Merino", "\u00a0=1", "－1", "-", "@", "a")]
    text, _ = _batch_path((cols.SITE, cols.FULL_COLUMNS[4]), rows * 3)
    assert text == _row_path((cols.SITE, cols.FULL_COLUMNS[4]), rows * 3)
    assert ",'=1+1\r\n" in text and ",'\u00a0=1\r\n" in text and ",'－1\r\n" in text and ",'-\r\n" in text
