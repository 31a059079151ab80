"""Live progress of a running crawl, and ``scrapy status``.

- End to end (PostgreSQL, where a crawl and its readers really run side by side): a slowed demo
  shop crawled with ``PROGRESS_INTERVAL=1``; while it runs its ``crawls`` row says ``running`` with
  items growing, ``scrapy status`` lists it as running, ``index.html`` written then shows it; once
  it has closed, the row has its final counts and ``scrapy status`` says finished.
- The rows themselves, on SQLite and PostgreSQL: progress only touches a running row, the close
  replaces it, a resumed crawl does not count an earlier part's progress as stats; the overview
  is every shop's last crawl and every running one.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ecommerce_scraper.commands.status import format_status
from ecommerce_scraper.exports.report import write_index
from ecommerce_scraper.storage.db import open_database
from ecommerce_scraper.storage.models import Crawl
from ecommerce_scraper.storage.progress import Progress, crawl_overview, record_progress
from ecommerce_scraper.storage.writer import CrawlWriter
from testkit import zygote
from testkit.crawling import SITE, assert_finished, demo_shop, engine_for, start_crawl, wait_until
from testkit.web import ROOT, fetch

from .db import fresh_database


def status_lines(url: str) -> list[str]:
    """``scrapy status``'s output lines (it exits 0)."""
    proc = zygote.run(
        [sys.executable, "-m", "scrapy", "status"], cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.splitlines()


def test_a_running_crawl_shows_its_progress(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url, demo_shop(30) as shop, engine_for(url) as engine:
        # Every page answers 0.07 s late, two at a time: the crawl lasts a few seconds.
        assert fetch(f"{shop.root}__demo__/faults?spec=slow=1,slow_seconds=0.07")[0] == 200
        running = start_crawl(
            shop.url(),
            url,
            tmp_path / "exports",
            tmp_path / "feed.jsonl",
            PROGRESS_INTERVAL=1,
            CONCURRENT_REQUESTS_PER_DOMAIN=2,
        )
        seen: list[tuple[int, int, Any]] = []

        def progressed(more_than: int) -> bool:
            try:
                with engine.connect() as conn:
                    row = conn.execute(select(Crawl).where(Crawl.site == SITE)).first()
            except SQLAlchemyError:
                return False  # the crawl has not created the schema yet
            if row is None or row.status != "running" or not row.stats:
                return False
            seen.append((row.items_count, row.stats["progress/pages"], row.stats["progress/updated_at"]))
            return row.items_count > more_than

        try:
            wait_until(lambda: progressed(0), running, timeout=30)
            first_items = seen[-1][0]
            lines = status_lines(url)
            index = write_index(engine, tmp_path / "exports").read_text(encoding="utf-8")
            wait_until(lambda: progressed(first_items), running, timeout=30)
            run = running.finish()
        finally:
            running.kill()
        assert_finished(run)
        print("progress rows (items, pages, updated_at):", sorted(set(seen)))
        print("\n".join(["status while running:", *lines]))

        assert lines[0].split()[:3] == ["SHOP", "CRAWL", "ID"]
        line = next(line for line in lines[1:] if run.crawl_id in line)
        assert line.split()[:3] == [SITE, run.crawl_id, "running"]
        assert "updated" in line and "s ago" in line
        assert 'class="badge info">running' in index and "pages so far" in index
        assert "1 crawl is running" in index

        with engine.connect() as conn:
            row = conn.execute(select(Crawl).where(Crawl.site == SITE)).one()
        assert len(run.items) == 30
        assert (row.status, row.items_count) == ("finished", 30)
        assert not [key for key in row.stats if key.startswith("progress/")]
        assert row.stats["metrics/progress_updates"] >= 2
        after = status_lines(url)
        print("\n".join(["status after:", *after]))
        fields = next(line for line in after if run.crawl_id in line).split()
        assert fields[:3] == [SITE, run.crawl_id, "finished"]
        assert fields[-3:] == ["30", str(row.stats["response_received_count"]), "0"]


def test_progress_touches_only_a_running_row(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        writer = CrawlWriter(engine, "a", "c1", "a")
        writer.start()
        assert record_progress(engine, "a", "c1", Progress(pages=12, items=5, errors=1))
        assert not record_progress(engine, "a", "nope", Progress(pages=1, items=1, errors=0))
        with engine.connect() as conn:
            row = conn.execute(select(Crawl).where(Crawl.crawl_id == "c1")).one()
        assert (row.status, row.items_count, row.errors_count) == ("running", 5, 1)
        assert row.stats["progress/pages"] == 12 and row.stats["progress/items"] == 5

        # Killed, then resumed: the earlier part's progress is not taken for its stats.
        resumed = CrawlWriter(engine, "a", "c1", "a")
        resumed.start()
        assert not any(key.startswith("progress/") for key in resumed._previous_stats)

        resumed.finish("finished", {"response_received_count": 3})
        assert not record_progress(engine, "a", "c1", Progress(pages=99, items=99, errors=9))  # too late
        with engine.connect() as conn:
            row = conn.execute(select(Crawl).where(Crawl.crawl_id == "c1")).one()
        assert row.status != "running" and row.items_count == 0 and row.errors_count == 0
        assert "progress/pages" not in row.stats
    finally:
        engine.dispose()


def test_the_overview_is_each_shops_last_crawl_and_the_running_ones(database_url: str) -> None:
    engine = open_database(database_url)
    try:
        for site, crawl_id in (("b", "b1"), ("a", "a1"), ("b", "b2")):
            writer = CrawlWriter(engine, site, crawl_id, site)
            writer.start()
            if crawl_id != "b2":
                writer.finish("finished", {"response_received_count": 4})
        record_progress(engine, "b", "b2", Progress(pages=7, items=3, errors=0))
        lines = crawl_overview(engine)
        assert [(line.site, line.crawl_id, line.status) for line in lines] == [
            ("a", "a1", "failed"),  # saw no product
            ("b", "b2", "running"),
        ]
        running = lines[1]
        assert (running.items, running.pages, running.errors) == (3, 7, 0)
        assert running.updated_at is not None
        table = format_status(lines, now=running.updated_at + timedelta(seconds=4)).splitlines()
        assert table[0].startswith("SHOP") and len(table) == 3
        assert table[2].split()[:3] == ["b", "b2", "running"] and "(4 s ago)" in table[2]
        assert table[1].split()[-3:] == ["0", "4", "0"]
        assert datetime.now(UTC) - running.updated_at < timedelta(minutes=1)
    finally:
        engine.dispose()
