"""Running real crawls in tests: demo shops on free ports, ``scrapy crawl`` subprocesses, and
reading back what they stored.

A crawl runs as a user runs it (``python -m scrapy crawl``) with ``DATABASE_URL`` and
``EXPORTS_DIR`` in its environment; its output goes to a file next to its feed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from demo_shops.catalog import build_catalog
from demo_shops.server import DemoServer, start_in_thread
from demo_shops.stores import store_for
from ecommerce_scraper.storage.models import Change, Crawl, Product, Snapshot

from . import zygote
from .web import ROOT, fetch

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


def crawl_env(database_url: str, exports: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "EXPORTS_DIR": str(exports), **(env or {})}


def read_feed(feed: Path) -> list[dict[str, Any]]:
    if not feed.exists():
        return []
    return [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class RunningCrawl:
    """A ``scrapy crawl`` subprocess; its output goes to a file, which can't fill up and stall
    the crawl while the test is busy polling the database."""

    proc: zygote.ForkedProcess | subprocess.Popen[bytes]
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


def start_crawl(
    base_url: str,
    database_url: str,
    exports: Path,
    feed: Path,
    *,
    env: Mapping[str, str] | None = None,
    **settings: object,
) -> RunningCrawl:
    log = feed.with_suffix(".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = zygote.popen(
            crawl_command(base_url, feed, settings),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=crawl_env(database_url, exports, env),
            start_new_session=True,
        )
    return RunningCrawl(proc, feed, log, time.monotonic())


def crawl(
    base_url: str,
    database_url: str,
    exports: Path,
    feed: Path,
    *,
    env: Mapping[str, str] | None = None,
    **settings: object,
) -> CrawlRun:
    return start_crawl(base_url, database_url, exports, feed, env=env, **settings).finish()


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
