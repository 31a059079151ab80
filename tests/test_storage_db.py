"""Database plumbing on SQLite and PostgreSQL: URLs, engines, migrations, the revision check."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from scrapy.settings import Settings
from sqlalchemy import Engine, create_engine, inspect, select, text

from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import Base, Crawl, Product

from .conftest import ROOT, require_service
from .db import POSTGRES_URL, postgres_available

# The `database_url` fixture (sqlite + postgresql) comes from tests/db.py through conftest.py.

TABLES = {"crawls", "products", "snapshots", "changes", "crawl_products", "exports", "ai_extractions", "page_outcomes"}
TABLES |= {"match_units", "match_members", "match_state"}
NEXT_REVISION = "test_next"


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def current_revisions(url: str) -> tuple[str, ...]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


@pytest.fixture
def next_revision_dir(tmp_path: Path) -> Path:
    """A copy of the migrations plus one later revision: code that is one migration ahead."""
    target = tmp_path / "migrations"
    shutil.copytree(db.migrations_dir(), target, ignore=shutil.ignore_patterns("__pycache__"))
    (target / "versions" / f"{NEXT_REVISION}.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = {NEXT_REVISION!r}\n"
        f"down_revision = {db.head_revision()!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n"
        '    op.create_table("test_next", sa.Column("id", sa.Integer, primary_key=True))\n\n\n'
        "def downgrade():\n"
        '    op.drop_table("test_next")\n'
    )
    return target


# --- migrations -------------------------------------------------------------------------------


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    assert table_names(database_url) == set()

    db.upgrade(database_url)
    assert table_names(database_url) == TABLES | {"alembic_version"}
    assert current_revisions(database_url) == (db.head_revision(),)

    db.downgrade(database_url, "base")
    assert table_names(database_url) - {"alembic_version"} == set()
    assert current_revisions(database_url) == ()

    db.upgrade(database_url, "head")
    assert table_names(database_url) == TABLES | {"alembic_version"}


def test_migrations_match_models(database_url: str) -> None:
    """Autogenerate sees nothing to do: models.py and the migrations describe the same schema."""
    db.upgrade(database_url)
    engine = db.create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_create_the_indexes_and_unique_constraints(database_url: str) -> None:
    db.upgrade(database_url)
    engine = create_engine(database_url)
    try:
        inspector = inspect(engine)
        indexes = {index["name"]: index["column_names"] for index in inspector.get_indexes("snapshots")}
        uniques = {unique["name"]: unique["column_names"] for unique in inspector.get_unique_constraints("products")}
    finally:
        engine.dispose()
    assert indexes["ix_snapshots_site_product"] == ["site", "product_id", "id"]
    assert uniques["uq_products_site_product"] == ["site", "product_id"]


# --- open_database ----------------------------------------------------------------------------


def test_open_database_creates_a_fresh_database_and_it_works(database_url: str) -> None:
    engine = db.open_database(database_url)
    try:
        assert table_names(database_url) == TABLES | {"alembic_version"}
        assert current_revisions(database_url) == (db.head_revision(),)
        now = datetime.now(UTC)
        product = Product(
            site="knitshop",
            product_id="p1",
            price=Decimal("1234.5000"),
            fingerprint="f" * 64,
            data={"price": "1234.50", "name": "Μαλλί"},
            first_seen=now,
            last_seen=now,
            first_crawl_id="c1",
            last_crawl_id="c1",
        )
        with db.session_factory(engine)() as session:
            session.add_all([Crawl(site="knitshop", crawl_id="c1", spider="knitshop", started_at=now), product])
            session.commit()
            assert product.price == Decimal("1234.5")  # still readable: expire_on_commit=False
        with db.session_factory(engine)() as session:
            stored = session.scalars(select(Product)).one()
            crawl = session.scalars(select(Crawl)).one()
        assert stored.price == Decimal("1234.5") and isinstance(stored.price, Decimal)
        assert stored.data == {"price": "1234.50", "name": "Μαλλί"}
        assert (crawl.status, crawl.items_count) == ("running", 0)
    finally:
        engine.dispose()
    # A database at head opens as it is.
    db.open_database(database_url).dispose()


def test_the_schema_head_constant_is_the_migrations_head() -> None:
    assert db.head_revision() == db.SCHEMA_HEAD


def test_a_database_at_head_opens_without_loading_alembic(database_url: str) -> None:
    db.open_database(database_url).dispose()
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom ecommerce_scraper.storage.db import open_database\n"
            f"open_database({database_url!r}).dispose()\n"
            "print(sorted(m for m in sys.modules if m.startswith('alembic')))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert opened.stdout.strip() == "[]", opened.stderr


def test_open_database_many_processes_on_a_fresh_database(database_url: str) -> None:
    """Cron starts several spiders at once: one creates the schema, the others wait and use it."""
    start_at = time.time() + 1.5  # after every process has imported SQLAlchemy and Alembic
    script = (
        "import sys, time; from ecommerce_scraper.storage import db; "
        "time.sleep(max(0, float(sys.argv[2]) - time.time())); db.open_database(sys.argv[1]).dispose()"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, database_url, str(start_at)], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [process.communicate(timeout=60)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], errors
    assert current_revisions(database_url) == (db.head_revision(),)


def test_open_database_refuses_an_older_revision_and_writes_nothing(
    database_url: str, next_revision_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = db.head_revision()
    db.upgrade(database_url)
    # Newer code: its migrations and the head its models need.
    monkeypatch.setattr(db, "migrations_dir", lambda: next_revision_dir)
    monkeypatch.setattr(db, "SCHEMA_HEAD", NEXT_REVISION)

    with pytest.raises(db.DatabaseError) as raised:
        db.open_database(database_url)
    assert str(raised.value) == (
        f"database {db.mask_url(database_url)} is at revision {head}, this code needs {NEXT_REVISION}: "
        "run `make migrate` (alembic upgrade head)"
    )
    assert "test_next" not in table_names(database_url)
    assert current_revisions(database_url) == (head,)

    db.upgrade(database_url)  # what `make migrate` does
    assert "test_next" in table_names(database_url)
    db.open_database(database_url).dispose()


def test_open_database_refuses_a_revision_it_does_not_know(
    database_url: str, next_revision_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as newer_code:
        newer_code.setattr(db, "migrations_dir", lambda: next_revision_dir)
        db.upgrade(database_url)
    with pytest.raises(db.DatabaseError, match=r"is at revision test_next, which this code does not know"):
        db.open_database(database_url)
    assert current_revisions(database_url) == (NEXT_REVISION,)


def test_open_database_refuses_tables_without_a_revision(database_url: str) -> None:
    db.upgrade(database_url)
    execute(database_url, "DELETE FROM alembic_version")
    with pytest.raises(
        db.DatabaseError,
        match=r"has tables \(ai_extractions, changes, crawl_products, crawls, exports, \.\.\.\) but no",
    ):
        db.open_database(database_url)
    assert current_revisions(database_url) == ()


def test_sqlite_engine_is_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = db.open_database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": db.SQLITE_BUSY_TIMEOUT_MS}


def test_a_new_sqlite_file_has_16_kb_pages_and_an_older_one_keeps_its_own(tmp_path: Path) -> None:
    older = tmp_path / "older.sqlite3"
    with closing(sqlite3.connect(older)) as connection:  # made before, with SQLite's default pages
        connection.execute("CREATE TABLE t (x)")
    sizes = {}
    for path, engine in (
        (tmp_path / "catalog.sqlite3", db.open_database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")),
        (older, db.create_engine_for(f"sqlite:///{older}")),
    ):
        try:
            with engine.connect() as connection:
                sizes[path.name] = connection.exec_driver_sql("PRAGMA page_size").scalar()
        finally:
            engine.dispose()
    assert sizes == {"catalog.sqlite3": db.SQLITE_PAGE_SIZE, "older.sqlite3": 4096}


def test_migrations_run_from_a_zipped_egg(tmp_path: Path) -> None:
    """Scrapyd imports the project from a zipped egg: the migrations must still be found and run."""
    egg = tmp_path / "project.egg"
    with zipfile.ZipFile(egg, "w") as archive:
        for path in (ROOT / "ecommerce_scraper").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(ROOT).as_posix())
    url = f"sqlite:///{tmp_path / 'egg.sqlite3'}"
    script = (
        "import sys; from ecommerce_scraper.storage import db; "
        "assert db.__file__.startswith(sys.argv[1]), db.__file__; "
        "db.open_database(sys.argv[2]).dispose(); print(db.migrations_dir())"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(egg), url],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(egg), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert not proc.stdout.strip().startswith(str(ROOT))
    assert table_names(url) == TABLES | {"alembic_version"}


# --- connection failures ----------------------------------------------------------------------


def test_unreachable_postgres_fails_fast_with_a_masked_url() -> None:
    started = time.monotonic()
    with pytest.raises(db.DatabaseError) as raised:
        db.open_database("postgresql://scraper:s3cret-pw@127.0.0.1:1/catalog")
    message = str(raised.value)
    assert message.startswith("cannot connect to database postgresql+psycopg://scraper:***@127.0.0.1:1/catalog: ")
    assert "connection refused" in message
    assert "s3cret-pw" not in message and "\n" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no driver text chained on
    assert time.monotonic() - started < db.POSTGRES_CONNECT_TIMEOUT_S


def test_missing_postgres_database_and_schema_are_named() -> None:
    require_service(postgres_available(), "PostgreSQL")
    server = POSTGRES_URL.rsplit("/", 1)[0].replace("postgres@", "postgres:s3cret-pw@", 1)
    with pytest.raises(db.DatabaseError, match=r"/no_such_database: the database does not exist") as raised:
        db.open_database(f"{server}/no_such_database")
    assert "s3cret-pw" not in str(raised.value) and ":***@" in str(raised.value)

    with pytest.raises(db.DatabaseError, match=r"no schema of its search_path \(no_such_schema\) exists"):
        db.open_database(f"{POSTGRES_URL}?options=-csearch_path%3Dno_such_schema")


def test_unopenable_sqlite_file_is_explained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'catalog.sqlite3'}"
    with pytest.raises(db.DatabaseError, match=r"cannot open the file \(does its folder exist"):
        db.open_database(url)


def test_bad_urls_are_database_errors() -> None:
    with pytest.raises(db.DatabaseError, match=r"invalid database URL"):
        db.create_engine_for("not a url")
    with pytest.raises(db.DatabaseError, match=r"^invalid database URL 'postgresql://u:\*\*\*@host:x/shop'$"):
        db.create_engine_for("postgresql://u:pw@host:x/shop")
    with pytest.raises(db.DatabaseError, match=r"mysql://u:\*\*\*@host/shop needs a driver that is not installed"):
        db.create_engine_for("mysql://u:pw@host/shop")


# --- URLs -------------------------------------------------------------------------------------


def test_database_url_defaults_to_sqlite_in_exports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert db.database_url({}) == "sqlite:///exports/catalog.sqlite3"
    assert (tmp_path / "exports").is_dir()

    exports = tmp_path / "elsewhere" / "exports"
    assert db.database_url({"EXPORTS_DIR": str(exports)}) == f"sqlite:///{exports}/catalog.sqlite3"
    assert exports.is_dir()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/shop", "postgresql+psycopg://u:p@db:5432/shop"),
        ("postgresql://u:p@db/shop?sslmode=require", "postgresql+psycopg://u:p@db/shop?sslmode=require"),
        ("postgresql+psycopg://u@db/shop", "postgresql+psycopg://u@db/shop"),
        ("sqlite:////var/lib/catalog.sqlite3", "sqlite:////var/lib/catalog.sqlite3"),
    ],
)
def test_database_url_rewrites_postgres_urls_for_psycopg3(given: str, expected: str) -> None:
    assert db.database_url({"DATABASE_URL": given}) == expected


def test_database_url_setting_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://env@db/shop")
    assert db.database_url(Settings({"DATABASE_URL": "sqlite:///setting.sqlite3"})) == "sqlite:///setting.sqlite3"
    assert db.database_url(Settings()) == "postgresql+psycopg://env@db/shop"
    assert db.database_url() == "postgresql+psycopg://env@db/shop"
    assert db.database_url({"DATABASE_URL": "sqlite:///given.sqlite3"}) == "sqlite:///given.sqlite3"


def test_mask_url_hides_only_the_password() -> None:
    assert db.mask_url("postgresql+psycopg://scraper:pa%40ss@db:5432/shop") == (
        "postgresql+psycopg://scraper:***@db:5432/shop"
    )
    assert db.mask_url("sqlite:///exports/catalog.sqlite3") == "sqlite:///exports/catalog.sqlite3"
    # Unparseable URLs (bad port, stray "@") are masked too.
    assert db.mask_url("postgresql://user:se:c@ret@host:x/shop") == "postgresql://user:***@host:x/shop"


def test_engine_options(tmp_path: Path) -> None:
    postgres: Engine = db.create_engine_for("postgresql://u@127.0.0.1/shop")
    sqlite = db.create_engine_for(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        assert postgres.dialect.driver == "psycopg"
        assert postgres.pool._pre_ping and sqlite.pool._pre_ping
        assert db.session_factory(sqlite).kw["expire_on_commit"] is False
    finally:
        postgres.dispose()
        sqlite.dispose()
