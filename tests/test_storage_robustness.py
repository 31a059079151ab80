"""The storage promises that only show when things go wrong, proven with real crawls.

- A database that can't be reached at start fails the crawl at once, with one line naming the
  masked URL, before the shop is asked for anything.
- A database that goes away mid-crawl loses nothing: the rest is spooled, and the next crawl
  loads the spool before it crawls.
- SIGKILL at any moment leaves the database consistent; the rerun marks the dead crawl aborted
  and ends where an uninterrupted crawl ends.
- Crawls that were interrupted, saw too few products or too many errors record no removals;
  a clean crawl does.
- Duplicates: the most complete copy wins, and its changes are against the state before the crawl.

Crawls run ``scrapy crawl`` in a subprocess against demo servers started here (their own
catalog size and day), with ``DATABASE_URL``/``EXPORTS_DIR`` in the environment.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ecommerce_scraper import settings as project_settings
from ecommerce_scraper.demo.catalog import build_catalog
from ecommerce_scraper.demo.server import DemoServer, start_in_thread
from ecommerce_scraper.demo.stores import store_for
from ecommerce_scraper.items import Product as ProductItem
from ecommerce_scraper.pipelines.dedup import DedupPipeline
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.diff import diff_states
from ecommerce_scraper.storage.models import Change, Crawl, Product, Snapshot
from ecommerce_scraper.storage.state import to_state
from ecommerce_scraper.storage.writer import CrawlOutcome, CrawlWriter

from .conftest import ROOT, demo_requests, fetch, require_service
from .db import POSTGRES_URL, postgres_available

SITE = "knitshop"  # PrestaShop demo: HTML pages and sitemaps, no browser needed
#: Politeness lifted: these are local demo shops. knitshop needs no browser, so Scrapy's own
#: HTTP handler spares each crawl starting Playwright (storage is what is tested here).
FAST = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": "false",
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_HANDLERS": "{}",
    "LOG_LEVEL": "INFO",
}
PASSWORD = "s3cret"  # noqa: S105 - must never show up in any output


# --- demo shops -------------------------------------------------------------------------------


@dataclass
class DemoShop:
    server: DemoServer
    products: int

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/"

    def url(self, site: str = SITE) -> str:
        return f"{self.root}{site}/"

    def set_day(self, day: int) -> None:
        status, _, _ = fetch(f"{self.root}__demo__/day?d={day}")
        assert status == 200

    def product_ids(self, day: int, site: str = SITE) -> set[str]:
        """The true product ids of the shop on ``day`` (what a perfect crawler reports)."""
        store = store_for(build_catalog(site, self.products, day, 1))
        return {store.truth(product, self.url(site))["product_id"] for product in store.catalog.products}


@contextmanager
def demo_shop(products: int) -> Iterator[DemoShop]:
    server, _ = start_in_thread(products=products, day=1, seed=1)
    try:
        yield DemoShop(server, products)
    finally:
        server.shutdown()
        server.server_close()


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


# --- crawling ---------------------------------------------------------------------------------


@dataclass
class CrawlRun:
    returncode: int
    output: str  # stdout + stderr
    items: list[dict[str, Any]]
    seconds: float

    @property
    def crawl_id(self) -> str:
        ids = {item["crawl_id"] for item in self.items}
        assert len(ids) == 1, ids
        return ids.pop()


def crawl_command(base_url: str, feed: Path, settings: dict[str, object]) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"base_url={base_url}", "-O", str(feed)]
    for key, value in {**FAST, **settings}.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def crawl_env(database_url: str, exports: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "EXPORTS_DIR": str(exports)}


def read_feed(feed: Path) -> list[dict[str, Any]]:
    if not feed.exists():
        return []
    return [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class RunningCrawl:
    """A ``scrapy crawl`` subprocess; its output goes to a file, which can't fill up and stall
    the crawl while the test is busy polling the database."""

    proc: subprocess.Popen[bytes]
    feed: Path
    log: Path
    started: float

    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float = 120) -> CrawlRun:
        self.proc.wait(timeout=timeout)
        output = self.log.read_text(encoding="utf-8", errors="replace")
        return CrawlRun(self.proc.returncode, output, read_feed(self.feed), time.monotonic() - self.started)

    def kill(self) -> None:
        """SIGKILL to the crawl and anything it started (its own session)."""
        if self.running():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def start_crawl(base_url: str, database_url: str, exports: Path, feed: Path, **settings: object) -> RunningCrawl:
    log = feed.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            crawl_command(base_url, feed, settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=crawl_env(database_url, exports),
            start_new_session=True,
        )
    return RunningCrawl(proc, feed, log, time.monotonic())


def crawl(base_url: str, database_url: str, exports: Path, feed: Path, **settings: object) -> CrawlRun:
    return start_crawl(base_url, database_url, exports, feed, **settings).finish()


def assert_finished(run: CrawlRun) -> None:
    assert run.returncode == 0, run.output[-4000:]
    assert "Spider closed (finished)" in run.output, run.output[-4000:]


def wait_until(condition: Callable[[], bool], running: RunningCrawl, timeout: float = 60) -> None:
    """Poll ``condition`` while the crawl runs; fail if it ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert running.running(), "the crawl ended before the condition held"
        assert time.monotonic() < deadline, "timed out waiting for the crawl"
        time.sleep(0.05)


# --- database ---------------------------------------------------------------------------------


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    """An engine that keeps no connection open between uses (a crawl shares the database)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def product_count(engine: Engine) -> int:
    """Products committed so far; 0 while the crawl has not even created the schema."""
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Product).where(Product.site == SITE)) or 0
    except SQLAlchemyError:
        return 0


def crawl_rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(Crawl).where(Crawl.site == SITE).order_by(Crawl.started_at)).all()
    return {row.crawl_id: row for row in rows}


def product_rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {row.product_id: row for row in conn.execute(select(Product).where(Product.site == SITE))}


def changes_of(engine: Engine, crawl_id: str | None = None) -> list[Any]:
    query = select(Change).where(Change.site == SITE)
    if crawl_id is not None:
        query = query.where(Change.crawl_id == crawl_id)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(Change.id)))


def snapshots_of(engine: Engine, crawl_id: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(Snapshot).where(Snapshot.site == SITE, Snapshot.crawl_id == crawl_id)))


def content(engine: Engine) -> dict[str, tuple[str, Decimal | None, str | None]]:
    """What a crawl leaves in ``products``: product_id -> (fingerprint, price, availability)."""
    return {pid: (row.fingerprint, row.price, row.availability) for pid, row in product_rows(engine).items()}


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


# --- 4. removals only after clean crawls ------------------------------------------------------


def writer_crawl(engine: Engine, crawl_id: str, states: list[dict[str, Any]], stats: dict[str, Any]) -> CrawlOutcome:
    """A crawl written straight through ``CrawlWriter``, closed as the pipeline closes it."""
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    writer.write_batch(states)
    return writer.finish(
        "finished",
        stats,
        max_error_rate=project_settings.REMOVALS_MAX_ERROR_RATE,
        min_seen_share=project_settings.REMOVALS_MIN_SEEN_SHARE,
    )


def assert_nothing_removed(engine: Engine) -> None:
    assert [c.product_id for c in changes_of(engine) if c.change_type == "removed"] == []
    assert [pid for pid, p in product_rows(engine).items() if p.removed_at is not None] == []


def test_only_clean_crawls_record_removals(database_url: str, small_shop: DemoShop, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    small_shop.set_day(1)
    day1 = crawl(small_shop.url(), database_url, exports, tmp_path / "day1.jsonl")
    assert_finished(day1)
    expected_removed = small_shop.product_ids(1) - small_shop.product_ids(2)
    assert expected_removed, "day 2 of the demo shop should remove a product"

    small_shop.set_day(2)
    # One request at a time, or the downloader's queue runs on well past the fifth item.
    early = crawl(
        small_shop.url(),
        database_url,
        exports,
        tmp_path / "early.jsonl",
        CLOSESPIDER_ITEMCOUNT=5,
        CONCURRENT_REQUESTS=1,
    )
    assert early.returncode == 0, early.output[-4000:]

    engine = db.open_database(database_url)
    try:
        row = crawl_rows(engine)[early.crawl_id]
        assert row.status == "partial" and row.items_count < len(day1.items) // 2
        assert "closespider_itemcount" in (row.status_note or "")
        assert_nothing_removed(engine)

        states = [dict(p.data) for p in sorted(product_rows(engine).values(), key=lambda p: p.product_id)]
        few = states[: len(day1.items) * 4 // 10]
        many_errors = {"response_received_count": 40, "log_count/ERROR": 10}
        max_rate, min_share = project_settings.REMOVALS_MAX_ERROR_RATE, project_settings.REMOVALS_MIN_SEEN_SHARE
        assert max_rate < 10 / 40 and len(few) < min_share * len(day1.items) <= len(states) - 2
        error_note = f"error rate 25.0% over {max_rate:.0%} (10 errors, 40 responses)"
        too_few_note = f"saw {len(few)} products, under {min_share:.0%} of the previous crawl's {len(day1.items)}"

        # Saw 40% of the products, and a quarter of its requests failed.
        outcome = writer_crawl(engine, "writer-errors-few", few, many_errors)
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, f"{error_note}; {too_few_note}")
        assert_nothing_removed(engine)

        # Finished without errors, yet saw only 40% of the products of the last complete crawl
        # (day 1): neither the crawl closed early nor the failing one is the yardstick.
        outcome = writer_crawl(engine, "writer-few", few, {"response_received_count": len(few)})
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, too_few_note)
        assert_nothing_removed(engine)

        # Saw nearly everything, but too many requests failed: that alone is enough.
        outcome = writer_crawl(engine, "writer-errors", states[:-2], many_errors)
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, error_note)
        assert crawl_rows(engine)["writer-errors"].status_note == error_note
        assert_nothing_removed(engine)
    finally:
        engine.dispose()

    # The positive control: a clean day-2 crawl records exactly the removals the catalogs imply.
    clean = crawl(small_shop.url(), database_url, exports, tmp_path / "clean.jsonl")
    assert_finished(clean)
    with engine_for(database_url) as engine:
        row = crawl_rows(engine)[clean.crawl_id]
        removed_changes = [c.product_id for c in changes_of(engine, clean.crawl_id) if c.change_type == "removed"]
        removed_rows = {pid for pid, p in product_rows(engine).items() if p.removed_at is not None}
    assert (row.status, row.status_note) == ("finished", None)
    assert sorted(removed_changes) == sorted(expected_removed)
    assert removed_rows == expected_removed


# --- 5. duplicates ----------------------------------------------------------------------------


def yarn(**fields: Any) -> ProductItem:
    base: dict[str, Any] = {
        "site": SITE,
        "product_id": "1001",
        "url": "https://shop.example/1001-merino.html",
        "canonical_url": "https://shop.example/1001-merino.html",
        "name": "Merino Extra Fine",
        "price": Decimal("10.00"),
        "currency": "EUR",
        "availability": "in_stock",
        "variants": [],
        "crawl_id": "dup-crawl",
    }
    return ProductItem(**{**base, **fields})


def dedup_copies(first: ProductItem, poorer: ProductItem, richer: ProductItem) -> ProductItem:
    """Three copies of one product through the DedupPipeline: the poorer later one is dropped,
    the richer later one passes as a replacement. Returns the first (with its fingerprint)."""
    crawler = get_crawler(Spider)
    dedup = DedupPipeline.from_crawler(crawler)
    assert dedup.process_item(first) is first
    with pytest.raises(DropItem):
        dedup.process_item(poorer)
    assert dedup.process_item(richer) is richer
    assert crawler.stats.get_value("dedup/dropped") == 1
    assert crawler.stats.get_value("dedup/replaced") == 1
    return first


def write_copies(engine: Engine, crawl_id: str, first: ProductItem, richer: ProductItem, others: list[Any]) -> int:
    """Written as the storage pipeline writes them: each copy in its own batch of one crawl.
    Returns the changes the batches reported."""
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    reported = writer.write_batch([to_state(first), *others])
    reported += writer.write_batch([to_state(richer)])
    writer.finish("finished", {"response_received_count": len(others) + 2})
    return reported


def fillers(count: int) -> list[dict[str, Any]]:
    """Other products of the shop, so a crawl without the watched one is complete enough to trust."""
    return [
        to_state(yarn(product_id=f"20{n:02d}", name=f"Filler {n}", url=f"https://shop.example/{n}"))
        for n in range(count)
    ]


def test_dedup_keeps_the_most_complete_copy_and_diffs_it_against_the_previous_crawl(database_url: str) -> None:
    before = to_state(yarn(crawl_id="earlier"))
    first = yarn(price=Decimal("12.00"), brand="Drops")
    poorer = yarn(price=Decimal("11.00"))  # fewer fields than the first copy
    richer = yarn(price=Decimal("9.00"), brand="Drops", description="Soft.", category="Wool")
    dedup_copies(first, poorer, richer)

    engine = db.open_database(database_url)
    try:
        writer_crawl(engine, "earlier", [before], {"response_received_count": 1})
        reported = write_copies(engine, "dup-crawl", first, richer, [])
        stored = product_rows(engine)["1001"]
        snapshots = snapshots_of(engine, "dup-crawl")
        changes = [(c.change_type, c.field, c.old_value, c.new_value) for c in changes_of(engine, "dup-crawl")]
        crawl_row = crawl_rows(engine)["dup-crawl"]
    finally:
        engine.dispose()
    assert stored.fingerprint == richer["fingerprint"]
    assert (stored.price, stored.data["description"]) == (Decimal("9.00"), "Soft.")
    assert [s.fingerprint for s in snapshots] == [richer["fingerprint"]]
    expected = [(r.change_type, r.field, r.old_value, r.new_value) for r in diff_states(before, to_state(richer))]
    assert changes == expected
    # Against the earlier crawl's 10.00, not the first copy's 12.00.
    assert ("price_down", "price", "10.00", "9.00") in changes
    assert not any(c[0] == "price_up" for c in changes)
    # The first copy's changes were taken back: they are not counted either.
    assert reported == crawl_row.changes_count == len(changes)


def test_dedup_replacement_of_a_product_back_from_removal_is_still_new(database_url: str) -> None:
    others = fillers(10)
    first = yarn(price=Decimal("12.00"), brand="Drops")
    richer = yarn(price=Decimal("9.00"), brand="Drops", description="Soft.")
    dedup_copies(first, yarn(), richer)

    engine = db.open_database(database_url)
    try:
        writer_crawl(engine, "known", [to_state(yarn()), *others], {"response_received_count": 11})
        gone = writer_crawl(engine, "gone", others, {"response_received_count": 10})
        assert (gone.status, gone.removed) == ("finished", 1)
        reported = write_copies(engine, "back", first, richer, others)
        stored = product_rows(engine)["1001"]
        changes = [(c.product_id, c.change_type) for c in changes_of(engine, "back")]
        crawl_row = crawl_rows(engine)["back"]
    finally:
        engine.dispose()
    assert stored.removed_at is None and stored.fingerprint == richer["fingerprint"]
    # As if it had come once: gone before this crawl, so new, not a price drop from before it went.
    assert changes == [("1001", "new")]
    assert reported == crawl_row.changes_count == 1
