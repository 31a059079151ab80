"""Bulk writing helpers the storage shares: an upsert for the engine's dialect, rows in chunks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite


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
