"""Database plumbing: which database, an engine tuned for it, and a schema-revision check.

``DATABASE_URL`` (Scrapy setting, else environment) picks the database; without it a SQLite
file in ``EXPORTS_DIR`` is used. ``open_database`` connects once, turns connection failures into
a one-line ``DatabaseError`` that never shows a password, and checks the Alembic revision:

- at head: ready;
- empty (no tables at all): the schema is created on the spot, on SQLite and on PostgreSQL
  alike -- an empty database holds nothing to lose, and a first crawl should just work;
- older than head, newer/unknown, or tables without a revision: ``DatabaseError``, nothing
  written. Upgrading real data is an explicit step: ``make migrate`` (``alembic upgrade head``).

Migrations run under a lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock) and
re-check the revision once they hold it, because cron starts several spiders at once and each
of them opens the same fresh database.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

DEFAULT_EXPORTS_DIR = "exports"
SQLITE_FILENAME = "catalog.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # concurrent spiders share one file: wait for the writer
#: Pages of a new SQLite file. A product's row (its JSON state, 2-5 KB) and its snapshot's left
#: most of a 4 KB page (SQLite's default) empty, one row per page; 16 KB pages hold several:
#: a first crawl writes a smaller file with less CPU (bench/storage.py, 20,000 products: 25-35%
#: fewer CPU seconds per crawl). A file made before keeps its pages (only VACUUM changes them).
SQLITE_PAGE_SIZE = 16_384
POSTGRES_CONNECT_TIMEOUT_S = 5  # a dead server must fail the crawl at once, not hang it
VERSION_TABLE = "alembic_version"
#: The Alembic revision this code's models need: the migrations' head (tests/test_storage_db.py keeps
#: them equal). A database stamped with it is ready without importing Alembic, which costs every
#: crawl 23 MB and a third of a second; Alembic is loaded only to create, migrate or explain.
SCHEMA_HEAD = "0006"

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Any fixed 64-bit key: every process migrating this project's databases takes the same lock.
MIGRATION_LOCK_KEY = int.from_bytes(b"ecomscrp", "big")
MIGRATIONS_PACKAGE = "ecommerce_scraper.storage.migrations"

# Driver message fragment -> what went wrong, in words (first match wins: "role ... does not
# exist" must not read as a missing database).
_CONNECT_REASONS: tuple[tuple[str, str], ...] = (
    ("password authentication failed", "authentication failed (wrong user or password)"),
    ("no password supplied", "authentication failed (the server wants a password)"),
    ("role", "authentication failed (no such user/role)"),
    ("database", "the database does not exist (create it first, e.g. `createdb`)"),
    ("connection refused", "connection refused (is the server running and listening on that host and port?)"),
    ("could not translate host name", "unknown host"),
    ("name or service not known", "unknown host"),
    ("nodename nor servname", "unknown host"),
    ("temporary failure in name resolution", "unknown host (name resolution failed)"),
    ("timeout expired", f"no answer within {POSTGRES_CONNECT_TIMEOUT_S} s (host down or firewalled?)"),
    ("permission denied", "permission denied (may this user create tables in that database/schema?)"),
    ("unable to open database file", "cannot open the file (does its folder exist, is it writable?)"),
    ("file is not a database", "the file is not a SQLite database"),
    ("database is locked", "the SQLite file stayed locked by another process"),
)


class DatabaseError(Exception):
    """The database can't be used as it is; the message is one line, safe to log (no password)."""


# --- URLs -----------------------------------------------------------------------------------


def normalize_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` (what hosts hand out) -> the psycopg 3 driver."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(settings_or_env: Mapping[str, Any] | None = None) -> str:
    """The database URL: ``DATABASE_URL`` else a SQLite file ``<EXPORTS_DIR>/catalog.sqlite3``.

    Given Scrapy settings, a setting wins over the environment; given a plain mapping, that
    mapping *is* the environment; given nothing, ``os.environ`` is read. The default's folder
    is created, so SQLite can create the file in it.
    """
    sources: list[Mapping[str, Any]] = [os.environ] if settings_or_env is None else [settings_or_env]
    if _is_scrapy_settings(settings_or_env):
        sources.append(os.environ)
    url = _lookup(sources, "DATABASE_URL")
    if url:
        return normalize_url(url)
    exports_dir = Path(_lookup(sources, "EXPORTS_DIR") or DEFAULT_EXPORTS_DIR)
    exports_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(exports_dir / SQLITE_FILENAME).as_posix()}"


def stores_products(settings: Any) -> bool:
    """Whether the crawl's item pipelines include the storage (an extension reading the database
    after each crawl has nothing to read otherwise)."""
    pipelines = settings.getdict("ITEM_PIPELINES")
    return any(str(path).endswith("StoragePipeline") and order is not None for path, order in pipelines.items())


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``: the only form of a URL we log or raise."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparseable: still never echo what sits between "user:" and the last "@" (rather too much).
        return re.sub(r"(://[^:/@]*:).*@", r"\1***@", str(url))


def _is_scrapy_settings(source: object) -> bool:
    # Only look at Scrapy when it is already loaded: the alembic CLI should not pay for importing it.
    module = sys.modules.get("scrapy.settings")
    return module is not None and isinstance(source, module.BaseSettings)


def _lookup(sources: list[Mapping[str, Any]], key: str) -> str | None:
    for source in sources:
        value = source.get(key)
        if value:
            return str(value)
    return None


# --- engines and sessions -------------------------------------------------------------------


def create_engine_for(url: str | URL) -> Engine:
    """An engine for ``url``: SQLite in WAL mode with foreign keys and a busy timeout, PostgreSQL
    with a short connect timeout; connections are pinged before use everywhere."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    try:
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        raise DatabaseError(f"unsupported database URL {mask_url(parsed)}: unknown database type") from None
    except ImportError as err:
        raise DatabaseError(f"database URL {mask_url(parsed)} needs a driver that is not installed: {err}") from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine


def _parse(url: str | URL) -> URL:
    try:
        return make_url(normalize_url(url) if isinstance(url, str) else url)
    except (ArgumentError, ValueError):
        raise DatabaseError(f"invalid database URL {mask_url(url)!r}") from None


def _sqlite_on_connect(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")  # before WAL, which fixes it; else ignored
        # WAL: readers (reports, exports) don't block the spider that writes, nor it them.
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    # WAL is a property of the file: only the first connections to a new file switch it, and when
    # two of them do at once SQLite answers "locked" at once, without waiting. Retry for a while.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (items outlive their transaction)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


# --- opening a database ---------------------------------------------------------------------


def open_database(url: str | URL) -> Engine:
    """Connect to ``url`` and make sure its schema is this code's; returns the engine.

    Raises ``DatabaseError`` (one line, password masked) when the server can't be reached or
    the schema is not at head -- see the module docstring for what is migrated automatically.
    """
    engine = create_engine_for(url)
    try:
        with connect(engine) as connection:
            fresh = _check_revision(connection)
        if fresh:
            _create_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _check_revision(connection: Connection) -> bool:
    """True for an empty database (to be created); raises unless the database is at head."""
    masked = mask_url(connection.engine.url)
    with _translate_errors(connection.engine.url):
        # Tables first: a migration commits tables and revision together, so reading the revision
        # second can't see its tables without its revision (each read is its own snapshot).
        names = set(inspect(connection).get_table_names())
        current = _stamped_revisions(connection) if VERSION_TABLE in names else ()
    if current == (SCHEMA_HEAD,):
        return False
    tables = sorted(names - {VERSION_TABLE})
    if not current:
        if not tables:
            return True
        listed = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseError(
            f"database {masked} has tables ({listed}) but no Alembic revision, so this code did not create it: "
            "point DATABASE_URL at an empty database (or `alembic stamp head` if it already has this schema)"
        )
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    at = ", ".join(current)
    if all(_is_known_revision(script, revision) for revision in current):
        raise DatabaseError(
            f"database {masked} is at revision {at}, this code needs {head}: run `make migrate` (alembic upgrade head)"
        )
    raise DatabaseError(
        f"database {masked} is at revision {at}, which this code does not know (migrated by a newer version?); "
        f"this code needs {head}: deploy the matching code, or check DATABASE_URL"
    )


def _stamped_revisions(connection: Connection) -> tuple[str, ...]:
    # What Alembic's MigrationContext.get_current_heads() reads, without loading Alembic.
    return tuple(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))


def _is_known_revision(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _create_schema(engine: Engine) -> None:
    with connect(engine) as connection, _translate_errors(engine.url):
        lock_for_migration(connection)
        # Another spider may have created it while we waited for the lock.
        if _check_revision(connection):
            logger.info("database %s is empty: creating the schema (alembic upgrade head)", mask_url(engine.url))
            _run_alembic(connection, "upgrade", "head")
        connection.commit()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection whose failure is a one-line ``DatabaseError`` (refused, unknown host, auth...)."""
    with _translate_errors(engine.url, action="cannot connect to"):
        connection = engine.connect()
        if connection.dialect.name == "postgresql":
            _check_search_path(connection)
    with connection:
        yield connection


def _check_search_path(connection: Connection) -> None:
    # options=-csearch_path=<schema> naming a schema that doesn't exist leaves no schema at all.
    if connection.execute(text("SELECT current_schema()")).scalar() is None:
        search_path = connection.execute(text("SHOW search_path")).scalar()
        connection.close()
        raise DatabaseError(
            f"database {mask_url(connection.engine.url)}: no schema of its search_path ({search_path}) exists: "
            "create it first (CREATE SCHEMA ...)"
        )


@contextmanager
def _translate_errors(url: URL, action: str = "error on") -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as err:
        raise DatabaseError(f"{action} database {mask_url(url)}: {_reason(err, url)}") from None


def _reason(err: SQLAlchemyError, url: URL) -> str:
    detail = str(getattr(err, "orig", None) or err)
    lowered = detail.lower()
    for fragment, reason in _CONNECT_REASONS:
        if fragment in lowered and (fragment not in ("role", "database") or "does not exist" in lowered):
            return reason
    first_line = next((line.strip() for line in detail.splitlines() if line.strip()), type(err).__name__)
    return _scrub_password(first_line, url)


def _scrub_password(message: str, url: URL) -> str:
    # Driver messages don't normally quote the password; make sure of it anyway.
    if url.password:
        message = message.replace(str(url.password), "***")
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", message)


# --- migrations -----------------------------------------------------------------------------


def migrations_dir() -> Path:
    """The Alembic script directory, found through the package (works from an egg too)."""
    return _migrations_dir()


@cache
def _migrations_dir() -> Path:
    resource = resources.files(MIGRATIONS_PACKAGE)
    if isinstance(resource, Path):
        return resource
    # A zipped egg (Scrapyd): Alembic reads scripts from disk, so copy them out once.
    target = Path(tempfile.mkdtemp(prefix="ecommerce_scraper-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy_tree(resource, target)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                _copy_tree(entry, target / entry.name)
        elif entry.name.endswith((".py", ".mako")):
            (target / entry.name).write_bytes(entry.read_bytes())


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini needed): the package's migrations and,
    when given, the database URL for env.py."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates "%": a path containing one must be escaped.
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    if url is not None:
        config.attributes["url"] = url
    return config


def head_revision() -> str:
    """The revision this code's models need (the migrations' head, read by Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise DatabaseError("no Alembic revision found in the migrations directory")
    return head


def upgrade(url: str | URL, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on ``url``."""
    _migrate(url, "upgrade", revision)


def downgrade(url: str | URL, revision: str) -> None:
    """``alembic downgrade <revision>`` on ``url`` (``"base"`` drops every table)."""
    _migrate(url, "downgrade", revision)


def _migrate(url: str | URL, direction: str, revision: str) -> None:
    engine = create_engine_for(url)
    try:
        with connect(engine) as connection, _translate_errors(engine.url):
            lock_for_migration(connection)
            _run_alembic(connection, direction, revision)
            connection.commit()
    finally:
        engine.dispose()


def lock_for_migration(connection: Connection) -> None:
    """Serialize migrations across processes until ``connection`` commits (env.py uses it too)."""
    if connection.dialect.name == "sqlite":
        # Takes SQLite's write lock now (waiting up to busy_timeout) rather than at the first write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def _run_alembic(connection: Connection, direction: str, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    # env.py runs on this connection, inside the caller's transaction and lock.
    config.attributes["connection"] = connection
    if direction == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)
