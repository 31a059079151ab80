"""The storage promises that only show when things go wrong, proven with real crawls (removals and duplicates:
test_storage_robustness_removals.py).

- A database that can't be reached at start fails the crawl at once, with one line naming the
  masked URL, before the shop is asked for anything.
- A database that goes away mid-crawl loses nothing: the rest is spooled, and the next crawl
  loads the spool before it crawls.
- SIGKILL at any moment leaves the database consistent; the rerun marks the dead crawl aborted
  and ends where an uninterrupted crawl ends.

Crawls run ``scrapy crawl`` in a subprocess against demo servers started here (their own
catalog size and day), with ``DATABASE_URL``/``EXPORTS_DIR`` in the environment.
"""

from __future__ import annotations

import csv
import json
import secrets
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ecommerce_scraper.storage import db
from testkit.crawling import (
    SITE,
    DemoShop,
    assert_finished,
    changes_of,
    content,
    crawl,
    crawl_rows,
    demo_shop,
    engine_for,
    product_count,
    product_rows,
    snapshots_of,
    start_crawl,
    wait_until,
)

from .conftest import demo_requests, fetch, require_service
from .db import POSTGRES_URL, postgres_available

PASSWORD = "s3cret"  # noqa: S105 - must never show up in any output


@pytest.fixture(scope="module")
def big_shop() -> Iterator[DemoShop]:
    """300 products: a crawl long enough to pull the database away in the middle of it."""
    with demo_shop(300) as shop:
        yield shop


@pytest.fixture(scope="module")
def kill_shop() -> Iterator[DemoShop]:
    with demo_shop(40) as shop:
        yield shop


@pytest.fixture(scope="module")
def small_shop() -> Iterator[DemoShop]:
    """30 products; a test that switches its day switches it back to day 1 first."""
    with demo_shop(30) as shop:
        yield shop


# --- 1. unreachable database at start -------------------------------------------------------


def unreachable_databases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """engine -> (a URL it can't open, the reason the message must give)."""
    # Root ignores file permissions: a regular file where the folder should be stops it too.
    (tmp_path / "not-a-folder").write_text("")
    return {
        "postgresql": (f"postgresql://scraper:{PASSWORD}@127.0.0.1:1/shop", "connection refused"),
        "sqlite": (f"sqlite:///{(tmp_path / 'not-a-folder' / 'catalog.sqlite3').as_posix()}", "cannot open the file"),
    }


def test_unreachable_database_fails_the_crawl_at_once(small_shop: DemoShop, tmp_path: Path) -> None:
    fetch(f"{small_shop.root}__demo__/reset")
    # Both engines at once: each crawl is mostly Python starting up.
    started = {
        engine: start_crawl(small_shop.url(), url, tmp_path / engine / "exports", tmp_path / engine / "items.jsonl")
        for engine, (url, _) in unreachable_databases(tmp_path).items()
    }
    runs = {engine: running.finish() for engine, running in started.items()}

    for engine, (url, reason) in unreachable_databases(tmp_path).items():
        run = runs[engine]
        masked = db.mask_url(db.normalize_url(url))
        assert PASSWORD not in masked
        assert run.returncode != 0, (engine, run.output[-3000:])
        assert "Spider closed (finished)" not in run.output, engine
        assert run.seconds < 30, engine  # at once: no retrying, no waiting on a timeout
        assert not run.items, engine
        message = f"error: cannot connect to database {masked}: {reason}"
        assert any(message in line for line in run.output.splitlines()), (engine, run.output[-3000:])
        assert "Traceback" not in run.output, (engine, run.output[-3000:])  # one line, not a stack
        # The failure is told once, by the database error, not buried under follow-up errors.
        assert "StoragePipeline.spider_closed" not in run.output, (engine, run.output[-3000:])
        assert "AttributeError" not in run.output, (engine, run.output[-3000:])
        assert PASSWORD not in run.output, engine
    assert demo_requests(small_shop.root, SITE) == []  # the shop was never asked for anything
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


# --- 2. the database goes away mid-crawl ------------------------------------------------------


@pytest.fixture
def dedicated_postgres() -> Iterator[tuple[str, Engine]]:
    """A PostgreSQL database of its own (connections to it get blocked), and an admin engine."""
    require_service(postgres_available(), "PostgreSQL")
    name = f"t_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), admin
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def block_connections(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
        )


def allow_connections(admin: Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


def test_database_lost_mid_crawl_is_spooled_and_loaded_by_the_next_crawl(
    dedicated_postgres: tuple[str, Engine], big_shop: DemoShop, tmp_path: Path
) -> None:
    url, admin = dedicated_postgres
    name = make_url(url).database
    assert name is not None
    exports = tmp_path / "exports"
    batch = 20

    running = start_crawl(big_shop.url(), url, exports, tmp_path / "first.jsonl", STORAGE_BATCH_SIZE=batch)
    try:
        with engine_for(url) as poll:
            wait_until(lambda: product_count(poll) >= 2 * batch, running)
        block_connections(admin, name)
        first = running.finish()
    finally:
        running.kill()  # only if the test failed half-way

    # The crawl went on without its database, to the end.
    assert_finished(first)
    assert len(first.items) == big_shop.products
    assert "spooling items to" in first.output
    spool_files = list((exports / "spool").glob("*.jsonl"))
    assert [p.name for p in spool_files] == [f"{SITE}-{first.crawl_id}.jsonl"]
    spooled = [json.loads(line) for line in spool_files[0].read_text(encoding="utf-8").splitlines()]
    assert {r["crawl_id"] for r in spooled} == {first.crawl_id}

    allow_connections(admin, name)
    crawled = {item["product_id"]: item for item in first.items}
    with engine_for(url) as engine:
        committed = set(product_rows(engine))
        assert crawl_rows(engine)[first.crawl_id].status == "running"  # it could not be closed
    spooled_ids = {r["state"]["product_id"] for r in spooled}
    assert committed and spooled_ids
    assert committed | spooled_ids == set(crawled)  # between them, every product

    second = crawl(big_shop.url(), url, exports, tmp_path / "second.jsonl", CLOSESPIDER_ITEMCOUNT=5)
    assert second.returncode == 0, second.output[-4000:]
    assert f"loaded {len(spooled)} items that an earlier crawl spooled" in second.output
    assert second.output.index("items that an earlier crawl spooled") < second.output.index("crawling knitshop")
    assert not spool_files[0].exists()

    with engine_for(url) as engine:
        crawls = crawl_rows(engine)
        products = product_rows(engine)
        first_changes = changes_of(engine, first.crawl_id)
        first_snapshots = snapshots_of(engine, first.crawl_id)
        second_changes = changes_of(engine, second.crawl_id)
    row = crawls[first.crawl_id]
    assert (row.status, row.items_count, row.changes_count) == ("partial", big_shop.products, big_shop.products)
    assert "spooled" in (row.status_note or "")
    # Nothing lost: every product of the first crawl, as it crawled it, recorded under its crawl.
    assert set(products) == set(crawled)
    for pid, product in products.items():
        assert product.fingerprint == crawled[pid]["fingerprint"], pid
        assert product.first_crawl_id == first.crawl_id
    assert Counter((c.product_id, c.change_type) for c in first_changes) == Counter((pid, "new") for pid in crawled)
    assert sorted(s.product_id for s in first_snapshots) == sorted(crawled)
    # Loaded before the second crawl wrote: what it saw again was known, not new.
    assert second.items and second_changes == []
    assert crawls[second.crawl_id].status == "partial"  # closed early, by CLOSESPIDER_ITEMCOUNT
    # The loaded crawl got its files, in its own folder only (it is partial: latest/ never had it).
    with (exports / SITE / first.crawl_id / "full.csv").open(encoding="utf-8-sig", newline="") as full:
        assert sorted(row["product_id"] for row in csv.DictReader(full)) == sorted(crawled)
    assert not (exports / SITE / "latest").exists()


# --- 3. SIGKILL mid-crawl ---------------------------------------------------------------------


class UninterruptedCrawl:
    """One crawl of ``kill_shop`` into a fresh database, started at once and read when needed:
    it runs while the first killed crawl is being slowed down."""

    def __init__(self, shop: DemoShop, folder: Path) -> None:
        self.shop = shop
        self.url = db.database_url({"EXPORTS_DIR": str(folder / "exports")})
        self.running = start_crawl(shop.url(), self.url, folder / "exports", folder / "items.jsonl")
        self._content: dict[str, Any] | None = None

    def content(self) -> dict[str, Any]:
        """``products`` content once the crawl has finished."""
        if self._content is None:
            assert_finished(self.running.finish())
            with engine_for(self.url) as engine:
                self._content = content(engine)
            assert len(self._content) == self.shop.products
        return self._content


@pytest.fixture(scope="module")
def uninterrupted(kill_shop: DemoShop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UninterruptedCrawl]:
    reference = UninterruptedCrawl(kill_shop, tmp_path_factory.mktemp("uninterrupted"))
    try:
        yield reference
    finally:
        reference.running.kill()


def test_sigkill_mid_crawl_leaves_a_consistent_database_and_the_rerun_completes_it(
    database_url: str, kill_shop: DemoShop, uninterrupted: UninterruptedCrawl, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    batch = 5
    # One request at a time, a little apart: slow enough to be killed halfway.
    killed_crawl = start_crawl(
        kill_shop.url(),
        database_url,
        exports,
        tmp_path / "killed.jsonl",
        STORAGE_BATCH_SIZE=batch,
        CONCURRENT_REQUESTS=1,
        DOWNLOAD_DELAY=0.03,
    )
    try:
        with engine_for(database_url) as poll:
            wait_until(lambda: product_count(poll) >= 2 * batch, killed_crawl)
    finally:
        killed_crawl.kill()
    assert killed_crawl.proc.returncode == -signal.SIGKILL

    with engine_for(database_url) as engine:
        crawls = crawl_rows(engine)
        products = product_rows(engine)
        assert len(crawls) == 1
        killed_id, killed = next(iter(crawls.items()))
        changes = changes_of(engine, killed_id)
        snapshots = snapshots_of(engine, killed_id)
    assert killed.status == "running" and killed.finished_at is None
    assert 0 < len(products) < kill_shop.products, "not killed mid-crawl"
    assert len(products) % batch == 0  # whole batches only: the one in flight left nothing
    assert all(p.last_crawl_id == killed_id for p in products.values())
    assert sorted(s.product_id for s in snapshots) == sorted(products)
    assert sorted((c.product_id, c.change_type) for c in changes) == sorted((pid, "new") for pid in products)

    rerun = crawl(kill_shop.url(), database_url, exports, tmp_path / "rerun.jsonl", STORAGE_BATCH_SIZE=batch)
    assert_finished(rerun)
    with engine_for(database_url) as engine:
        crawls = crawl_rows(engine)
        assert content(engine) == uninterrupted.content()
        rerun_changes = changes_of(engine, rerun.crawl_id)
    assert crawls[killed_id].status == "aborted"
    assert "never finished" in (crawls[killed_id].status_note or "")
    assert crawls[rerun.crawl_id].status == "finished"
    # The rerun only added what the killed crawl never wrote; nothing was removed.
    assert sorted((c.product_id, c.change_type) for c in rerun_changes) == sorted(
        (pid, "new") for pid in set(uninterrupted.content()) - set(products)
    )
