"""Bulk writing helpers the storage shares: an upsert for the engine's dialect, rows in chunks,
and :class:`BulkWriter`, which writes a batch's rows table by table in one round trip or two.

How a batch's rows reach each database (one transaction per batch, the caller's):

- PostgreSQL: ``COPY … FROM STDIN`` (psycopg 3's ``cursor.copy``, ``write_row``, which escapes
  NULLs, tabs, newlines and backslashes itself). Plain inserts, and rows the caller found new
  (:meth:`BulkWriter.insert_new`, in a savepoint), are copied straight into their table; upserts
  are copied into a temporary table of the connection (created once per
  connection, ``ON COMMIT DELETE ROWS``), then moved with one
  ``INSERT … SELECT … ON CONFLICT … DO UPDATE``. A driver error inside ``COPY`` is raised as
  SQLAlchemy's, like every other statement's.
- SQLite: one ``executemany`` per table on the driver's cursor, values converted by SQLAlchemy's
  own bind processors, so every value is stored as the ORM stores it (money as SQLAlchemy's
  SQLite ``Numeric`` does, times in its ``DateTime`` format).

Table and column names in the SQL come from the models, never from scraped data. JSON columns
are given as text (:func:`json_text`): a state serialized once serves both its product row and
its snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

#: ``connection.info`` key: what :class:`BulkWriter` has set up on that database connection.
_SET_UP = "bulk_set_up"
_LZ4 = "default_toast_compression"
_NEW_ROWS = "bulk_new_rows"  # the savepoint of BulkWriter.insert_new
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_text(value: Any) -> str:
    """``value`` as JSON text for a JSON column: UTF-8 as it is and no spaces. Greek text escaped
    as ``\\uXXXX`` (``json.dumps``' default) is nearly twice as long, and PostgreSQL parses
    JSONB (SQLite stores, and syncs to disk) every byte of it. Reads back as the same value.

    Written by orjson, several times faster than the ``json`` module on a 2-5 KB state (a
    first crawl serializes every product): the same text, but for floats, which it may write
    in another notation of the same number (``1e-8``, not ``1e-08``), and non-finite floats
    (``NaN``, which JSON lacks and PostgreSQL's JSONB refuses), which it writes as ``null``.
    What orjson refuses (text that is not valid Unicode, a lone surrogate from a broken JSON-LD
    ``\\ud800``; an integer past 64 bits; a key that is not a string) is written by the
    ``json`` module, as before; text that can't be sent as UTF-8 in its ``\\uXXXX`` form.
    """
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        pass
    text = _COMPACT_JSON(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value)
    return text


def upsert_statement(engine: Engine, table: Any) -> Any:
    """``INSERT`` that can say ``ON CONFLICT``, for the engine's dialect."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def iter_chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Upsert:
    """Rows for :meth:`BulkWriter.upsert`: a row whose ``key`` exists updates its ``update`` columns."""

    table: Table
    columns: Sequence[str]
    rows: Sequence[tuple[Any, ...]]
    key: Sequence[str]
    update: Sequence[str]


class BulkWriter:
    """Rows written into tables on one connection, inside the caller's transaction.

    Rows are tuples in the order of ``columns``; JSON columns hold JSON text. Call
    :meth:`committed` once the transaction has committed: what it set up on the connection
    (temporary tables, the session's TOAST compression) lasts from then on; set up in a
    transaction that rolled back, it would be gone.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        # The pool entry's info lives as long as the database connection itself.
        self._known: set[str] = connection.connection.info.setdefault(_SET_UP, set())
        self._created: set[str] = set()
        self._filled: set[str] = set()  # temporary tables holding rows in this transaction
        if self.postgres and _LZ4 not in self._known:
            self._compress_with_lz4()

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """Plain ``INSERT`` of ``rows``."""
        if not rows:
            return
        if self.postgres:
            self._copy(table.name, columns, rows)
        else:
            self._executemany(table, columns, rows, "")

    def upsert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[tuple[Any, ...]],
        key: Sequence[str],
        update: Sequence[str],
    ) -> None:
        """``INSERT`` of ``rows``; a row whose ``key`` exists updates that row's ``update`` columns.
        No two rows may share a key (``ON CONFLICT DO UPDATE`` can't touch one row twice)."""
        if not rows:
            return
        assignments = ", ".join(f"{column} = excluded.{column}" for column in update)
        conflict = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments}"
        if not self.postgres:
            self._executemany(table, columns, rows, conflict)
            return
        temp = self._temp_table(table.name, columns)
        self._copy(temp, columns, rows)
        names = ", ".join(columns)
        self.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {temp}{conflict}")  # noqa: S608

    def insert_new(self, *upserts: Upsert) -> None:
        """Upserts of rows whose keys the caller found absent. On PostgreSQL they are copied
        straight into their tables after one savepoint (no temporary table, no second ``INSERT``);
        should one of them exist after all (a crawl of the same shop left running elsewhere wrote
        it meanwhile), every copy is taken back to the savepoint and the rows are upserted."""
        upserts = tuple(upsert for upsert in upserts if upsert.rows)
        if not upserts:
            return
        if self.postgres:
            # Not released: the commit releases it, one round trip fewer per batch. Any other
            # error fails the transaction, as it would without the savepoint.
            self.execute(f"SAVEPOINT {_NEW_ROWS}")
            try:
                for upsert in upserts:
                    self._copy(upsert.table.name, upsert.columns, upsert.rows)
                return
            except IntegrityError:
                self.execute(f"ROLLBACK TO SAVEPOINT {_NEW_ROWS}")
        for upsert in upserts:
            self.upsert(upsert.table, upsert.columns, upsert.rows, upsert.key, upsert.update)

    def bound(self, table: Table, columns: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
        """``values`` of ``columns`` as the driver is to get them in hand-written SQL: on SQLite
        through SQLAlchemy's bind processors (stored as the ORM stores them), else as they are."""
        if self.postgres:
            return tuple(values)
        processors = _bind_processors(self.connection, table, columns)
        return tuple(value if f is None else f(value) for f, value in zip(processors, values, strict=True))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """One statement in the driver's own parameter style; SQLAlchemy's result."""
        return self.connection.exec_driver_sql(sql, tuple(params))

    def committed(self) -> None:
        self._known |= self._created

    # --- PostgreSQL -------------------------------------------------------------------

    def _copy(self, target: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        statement = f"COPY {target} ({', '.join(columns)}) FROM STDIN"
        dbapi_error = self.connection.dialect.loaded_dbapi.Error
        try:
            with self.connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except dbapi_error as err:  # what the pipeline catches (and spools on) is SQLAlchemy's
            raise DBAPIError.instance(statement, None, err, dbapi_error) from err

    def _temp_table(self, table: str, columns: Sequence[str]) -> str:
        """The connection's temporary table for ``table``, created on first use, empty."""
        temp = f"pg_temp.bulk_{table}"
        if temp in self._filled:  # a second upsert into the same table in this transaction
            self.execute(f"TRUNCATE {temp}")
        elif temp not in self._known and temp not in self._created:
            # Same columns and types, no constraints; emptied at every commit.
            shape = f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"  # noqa: S608
            self.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS bulk_{table} ON COMMIT DELETE ROWS AS {shape}")
            self._created.add(temp)
        self._filled.add(temp)
        return temp

    def _compress_with_lz4(self) -> None:
        """States are JSON of 2-5 KB, so TOAST compresses each one; lz4 does it several times faster
        than the default pglz (servers built without lz4 keep pglz). Only new values are affected:
        reading either kind is the same."""
        offered = self.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'").scalar()
        if offered and "lz4" in offered:
            self.execute("SET default_toast_compression = lz4")
        self._created.add(_LZ4)

    # --- SQLite -----------------------------------------------------------------------

    def _executemany(self, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], tail: str) -> None:
        processors = _bind_processors(self.connection, table, columns)
        if any(processors):
            # Column by column (zip and map run in C): a batch's rows have few converted columns.
            values = [
                column if f is None else _converted(f, column)
                for f, column in zip(processors, zip(*rows, strict=True), strict=True)
            ]
            rows = list(zip(*values, strict=True))
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}){tail}"  # noqa: S608
        self.connection.exec_driver_sql(sql, list(rows))


class _Remembered(dict[Any, Any]):
    """A conversion remembering its answers for one batch: most times in a batch are the same
    moment. Looked up in C (``map(remembered.__getitem__, …)``); computed on a miss."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        self[value] = answer = self.convert(value)
        return answer


def _converted(convert: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    try:
        return list(map(_Remembered(convert).__getitem__, column))
    except TypeError:  # an unhashable value
        return list(map(convert, column))


def _bind_processors(connection: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """SQLAlchemy's conversion of each column's values for this dialect (``None``: as it is).
    JSON columns come serialized already."""
    dialect = connection.dialect
    processors: list[Callable[[Any], Any] | None] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            processors.append(None)
        else:
            processors.append(column_type.dialect_impl(dialect).bind_processor(dialect))
    return processors
