"""Database fixtures shared by the storage tests (conftest re-exports ``database_url``).

``database_url`` runs a test twice: on a fresh SQLite file and on a fresh PostgreSQL schema
(``t_<hex>`` in the ``test`` database, dropped afterwards). Without a PostgreSQL server the
second run is skipped, except in CI where it fails.

Test modules take the fixture as an argument; import ``ecommerce_scraper.storage.db`` as a
module (``db.database_url(...)``) so the function of the same name doesn't shadow it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

#: The server and database the PostgreSQL runs use (trust auth on the loopback).
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@cache
def postgres_available() -> bool:
    """Whether the test PostgreSQL server answers (asked once per session)."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"


def postgres_schema_url(schema: str) -> str:
    """``POSTGRES_URL`` confined to ``schema`` (tables and alembic_version go there)."""
    return make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file in ``folder``, or a PostgreSQL schema made for it."""
    if kind == "sqlite":
        yield sqlite_url(folder)
        return
    # Imported here: conftest imports this module, so a top-level import would be circular.
    from .conftest import require_service

    require_service(postgres_available(), "PostgreSQL")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield postgres_schema_url(schema)
        with admin.begin() as connection:
            # A connection a test left open must not hang the suite: fail instead.
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test, once on SQLite and once on PostgreSQL."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database shared by a module's tests (crawled once, asserted many times)."""
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        yield url


def record_unseen_as_gone(writer: Any) -> None:
    """Evidence for a crawl written straight through a ``CrawlWriter``: every known product it did
    not see answered 404 (what the spider reports for a removed product's page)."""
    from ecommerce_scraper.storage.models import Product

    with writer.engine.connect() as connection:
        unseen = connection.execute(
            select(Product.product_id).where(
                Product.site == writer.site, Product.removed_at.is_(None), Product.last_crawl_id != writer.crawl_id
            )
        ).scalars()
        outcomes = [{"url": f"gone:{pid}", "outcome": "gone", "cause": "http_404", "product_id": pid} for pid in unseen]
    writer.write_outcomes(outcomes)
