"""One database engine per crawl (``storage/shared.py``), shared by every component that uses it.

- End to end: a real ``scrapy crawl`` with every user of the database on (the storage, the AI
  answer cache, the exports, matching, alerts, metrics and progress extensions) connects through
  one engine besides the add-on's start-up check, and disposes it once, after its last use.
  SQLAlchemy's own engine events count them, in the crawl's process (no mock).
- The holder, on a real SQLite file and PostgreSQL: one per crawler, opened once however many
  threads ask at once, disposed when its last user lets go; a database that can't be used raises
  ``open_database``'s error to whoever asks, is not remembered, and works once it is fixed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine, event, text

from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.shared import CrawlDatabase, crawl_database
from testkit.crawling import SITE, crawl_command, crawl_env, demo_shop, read_feed
from testkit.web import ROOT, free_port

from .db import sqlite_url

# Runs `scrapy crawl` in this process, recording every engine's connections and disposal.
CENSUS = r"""
import json, sys, time
from sqlalchemy import Engine, event

log_path, argv = sys.argv[1], sys.argv[2:]
engines = []  # kept alive: a number per engine, never reused

def record(what, engine):
    if not any(known is engine for known in engines):
        engines.append(engine)
    number = next(n for n, known in enumerate(engines) if known is engine)
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps({"event": what, "engine": number, "url": str(engine.url)}) + "\n")

event.listen(Engine, "engine_connect", lambda connection: record("connect", connection.engine))
event.listen(Engine, "engine_disposed", lambda engine: record("dispose", engine))

from scrapy.cmdline import execute
execute(["scrapy", *argv])
"""


def census_crawl(tmp_path: Path, base_url: str, database: str, **settings: object) -> tuple[list[dict[str, Any]], str]:
    """Crawl with the census on: (its events in order, the crawl's output)."""
    log, feed = tmp_path / "census.jsonl", tmp_path / "items.jsonl"
    command = crawl_command(base_url, feed, settings)
    assert command[1:3] == ["-m", "scrapy"]
    dead = f"http://127.0.0.1:{free_port()}"
    env = crawl_env(database, tmp_path / "exports", {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{dead}/v1"})
    proc = subprocess.run(
        [sys.executable, "-c", CENSUS, str(log), *command[3:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert read_feed(feed), output[-4000:]
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return events, output


def test_a_crawl_uses_one_engine_and_disposes_it_once_after_its_last_use(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path)
    dead = f"http://127.0.0.1:{free_port()}"
    alerts = tmp_path / "alerts.json"
    # Read for every stored crawl, matches nothing: nothing is sent.
    rule = {
        "name": "none",
        "sites": ["*"],
        "changes": ["new"],
        "product_ids": ["no-such"],
        "notify": [f"json://{dead[7:]}"],
    }
    alerts.write_text(json.dumps({"rules": [rule]}), encoding="utf-8")
    with demo_shop(30) as shop:
        events, output = census_crawl(
            tmp_path,
            shop.url(),
            database,
            PROGRESS_INTERVAL=0.05,
            ALERTS_FILE=alerts,
            PROMETHEUS_PUSHGATEWAY=dead,
            AI_MAX_ATTEMPTS=1,
        )
    # Every user did use the database (their stats, in the crawl's final dump).
    for stat in (
        "'storage/items_written': 30",
        f"'exports/{SITE}/files'",
        f"'matching/{SITE}/mode'",
        "'metrics/progress_updates'",
        "'metrics/push_failed'",
        "'ai/calls'",
    ):
        assert stat in output, (stat, output[-4000:])
    assert "alerts: 0 digest(s)" in output and "alerts: could not read" not in output

    by_engine: dict[int, list[str]] = {}
    for entry in events:
        by_engine.setdefault(entry["engine"], []).append(entry["event"])
    counts = [(used.count("connect"), used.count("dispose")) for used in by_engine.values()]
    print("engines (connections, disposals):", counts)
    assert {entry["url"] for entry in events} == {database}
    # The add-on's check when the crawl starts (it creates the schema: two connections), disposed
    # before the crawl's one engine connects.
    (check, checked), *crawl = by_engine.items()
    assert checked == ["connect", "connect", "dispose"]
    assert events.index({"event": "dispose", "engine": check, "url": database}) == len(checked) - 1
    assert len(crawl) == 1, by_engine
    used = crawl[0][1]
    assert used.count("dispose") == 1 and used[-1] == "dispose", used  # once, after its last use
    assert used.count("connect") > 10  # every component's work went through it


# --- the holder ---------------------------------------------------------------------------------


def crawler_on(url: str) -> Any:
    return get_crawler(Spider, {"DATABASE_URL": url})


class EngineEvents:
    """Engines that connected and were disposed while it listened (SQLAlchemy's events)."""

    def __init__(self) -> None:
        self.connected: list[Engine] = []
        self.disposed: list[Engine] = []

    def __enter__(self) -> EngineEvents:
        event.listen(Engine, "engine_connect", self._connect)
        event.listen(Engine, "engine_disposed", self._dispose)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "engine_connect", self._connect)
        event.remove(Engine, "engine_disposed", self._dispose)

    def _connect(self, connection: Any) -> None:
        if not any(engine is connection.engine for engine in self.connected):
            self.connected.append(connection.engine)

    def _dispose(self, engine: Engine) -> None:
        self.disposed.append(engine)


def test_one_holder_per_crawler(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    first, second = crawler_on(url), crawler_on(url)
    assert crawl_database(first) is crawl_database(first)
    assert crawl_database(first) is not crawl_database(second)
    assert crawl_database(first).url == db.database_url(first.settings)


def test_threads_asking_at_once_open_it_once(database_url: str) -> None:
    database = CrawlDatabase(database_url)
    engines: list[Engine] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        engine = database.engine()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engines.append(engine)

    with EngineEvents() as seen:
        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        database.release(object())
    assert len(engines) == 8 and all(engine is engines[0] for engine in engines)
    assert seen.connected == [engines[0]] and seen.disposed == [engines[0]]


def test_it_is_disposed_when_its_last_user_lets_go(tmp_path: Path) -> None:
    database = CrawlDatabase(sqlite_url(tmp_path))
    storage, exports = object(), object()
    with EngineEvents() as seen:
        database.hold(storage)
        database.hold(exports)
        engine = database.engine()
        database.release(storage)
        database.release(storage)  # twice: still one user left
        assert seen.disposed == []
        with engine.connect() as connection:  # the exports still read
            connection.execute(text("SELECT 1"))
        database.release(exports)
        assert seen.disposed == [engine]
        database.release(exports)  # nothing open: nothing to dispose again
        assert seen.disposed == [engine]


def test_a_database_it_cannot_use_raises_open_databases_error_and_is_not_remembered(database_url: str) -> None:
    db.upgrade(database_url)
    db.downgrade(database_url, "0005")
    database, storage, exports = CrawlDatabase(database_url), object(), object()
    with pytest.raises(db.DatabaseError) as raised:
        database.open(storage)
    assert str(raised.value) == (
        f"database {db.mask_url(database_url)} is at revision 0005, this code needs {db.SCHEMA_HEAD}: "
        "run `make migrate` (alembic upgrade head)"
    )
    db.upgrade(database_url)  # what `make migrate` does
    with EngineEvents() as seen:
        engine = database.open(exports)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == db.SCHEMA_HEAD
        database.release(exports)  # the storage's failed open left it holding nothing
        assert seen.disposed == [engine]
