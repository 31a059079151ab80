"""Store every product, diff it against the last crawl, and close the crawl record.

Items are buffered per shop and written in batches (``STORAGE_BATCH_SIZE``, default 500)
in a worker thread, one batch at a time, so the reactor keeps crawling while the database
works. A database that can't be reached at start fails the crawl at once with a clear
message; one that goes away mid-crawl gets the rest of the items spooled to
``<EXPORTS_DIR>/spool/*.jsonl``, which the next crawl loads first: nothing is lost.

Once a shop's crawl is closed in the database, the pipeline sends
:data:`~ecommerce_scraper.signals.crawl_stored`: the export extension
(:mod:`ecommerce_scraper.exports.extension`) writes the files from there. This module writes none.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy.exc import SQLAlchemyError
from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThread

from .. import signals as project_signals
from ..monitors.health import STATS_KEY, HealthCheck, Thresholds
from ..storage.bulk import iter_chunks
from ..storage.db import DatabaseError, database_url, mask_url, open_database
from ..storage.shared import crawl_database
from ..storage.state import to_state
from ..storage.writer import CrawlWriter

logger = logging.getLogger(__name__)


def check_database(settings: BaseSettings) -> None:
    """Fail at start-up, in one line, when the crawl's database can't be used.

    Called by the project add-on (``addon.py``) when the crawl starts, before anything is
    crawled: a ``UsageError`` there is what ``scrapy crawl`` prints as ``error: ...``.
    """
    pipelines = settings.getdict("ITEM_PIPELINES")
    if not any(str(path).endswith("StoragePipeline") for path in pipelines):
        return
    try:
        open_database(database_url(settings)).dispose()
    except DatabaseError as exc:
        raise UsageError(str(exc), print_help=False) from None


class StoragePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.database = crawl_database(crawler)
        self.url = self.database.url
        self.batch_size = settings.getint("STORAGE_BATCH_SIZE", 500)
        self.max_error_rate = settings.getfloat("REMOVALS_MAX_ERROR_RATE", 0.05)
        self.min_seen_share = settings.getfloat("REMOVALS_MIN_SEEN_SHARE", 0.9)
        #: crawl health monitors, judged in each shop's close (ecommerce_scraper.monitors.health)
        self.thresholds = Thresholds.from_settings(settings) if settings.getbool("MONITORS_ENABLED", True) else None
        self.exports_dir = Path(settings.get("EXPORTS_DIR", "exports"))
        self.spool_dir = self.exports_dir / "spool"
        self.writers: dict[str, CrawlWriter] = {}
        self.batches: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.lock = DeferredLock()  # one batch at a time: their order is the crawl's order
        self.database_down = False
        #: site -> product pages that failed or are gone, waiting for the next batch
        self.outcomes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.page_outcome, signal=project_signals.page_outcome)
        crawler.signals.connect(self.known_products, signal=project_signals.known_products)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    # --- opening ----------------------------------------------------------------------

    async def open_spider(self, spider: Spider | None = None) -> None:
        # Raises DatabaseError (masked URL, what went wrong): the crawl stops before it starts.
        self.engine = self.database.open(self)
        logger.info("storing products in %s", mask_url(self.url))
        for site, crawl_id in self.load_spool():
            await self._stored(site, crawl_id)
        spider = spider or self.crawler.spider
        # Every shop of the crawl is recorded, even one that can't be reached or shows nothing.
        for site in getattr(spider, "site_names", list)():
            self.writer_for(site)

    def writer_for(self, site: str) -> CrawlWriter:
        writer = self.writers.get(site)
        if writer is None:
            spider = self.crawler.spider
            job_id = getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")
            writer = CrawlWriter(self.engine, site, spider.crawl_id, spider.name, job_id)
            writer.start()
            self.writers[site] = writer
        return writer

    # --- items ------------------------------------------------------------------------

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        state = to_state(item)
        batch = self.batches[state["site"]]
        batch.append(state)
        if len(batch) >= self.batch_size:
            await self.flush(state["site"])
        return item

    async def flush(self, site: str) -> None:
        batch, self.batches[site] = self.batches[site], []
        outcomes, self.outcomes[site] = self.outcomes[site], []
        if batch or outcomes:
            await maybe_deferred_to_future(self.lock.run(deferToThread, self._write, site, batch, outcomes))

    # --- what the spider tells and asks -------------------------------------------------

    def page_outcome(self, site: str, url: str, outcome: str, cause: str, product_id: str | None = None) -> None:
        self.outcomes[site].append({"url": url, "outcome": outcome, "cause": cause[:100], "product_id": product_id})

    def known_products(self, site: str, reason: str) -> list[tuple[str, str]]:
        """Answer the spider's :data:`~ecommerce_scraper.signals.known_products` question.

        Blocking, in the reactor: asked once per shop at its start and once at the crawl's idle end,
        one indexed query each (the writer thread is idle then, or merely batching).
        """
        if self.database_down or not hasattr(self, "engine"):
            return []
        pending = {str(state["product_id"]) for state in self.batches.get(site, [])}
        try:
            return self.writer_for(site).known_products(reason, pending)
        except SQLAlchemyError as exc:
            logger.warning("%s: could not list known products (%s)", site, str(exc).splitlines()[0])
            return []

    def _write(self, site: str, batch: list[dict[str, Any]], outcomes: list[dict[str, Any]] | None = None) -> None:
        stats = self.crawler.stats
        if not self.database_down:
            started = time.perf_counter()
            try:
                self.writer_for(site).write_outcomes(outcomes or [])
                changes = self.writer_for(site).write_batch(batch)
            except SQLAlchemyError as exc:
                self.database_down = True
                logger.error(
                    "database %s failed (%s); spooling items to %s",
                    mask_url(self.url),
                    str(exc).splitlines()[0],
                    self.spool_dir,
                )
            else:
                if not batch:
                    return
                elapsed = time.perf_counter() - started
                stats.inc_value("storage/items_written", len(batch))
                stats.inc_value("storage/changes", changes)
                stats.inc_value("storage/batches")
                stats.inc_value("storage/write_seconds", elapsed)
                stats.max_value("storage/batch_max_seconds", elapsed)
                return
        self.spool(site, batch)

    # --- spooling ---------------------------------------------------------------------

    def spool_path(self, site: str) -> Path:
        return self.spool_dir / f"{site}-{self.crawler.spider.crawl_id}.jsonl"

    def spool(self, site: str, batch: list[dict[str, Any]]) -> None:
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        path = self.spool_path(site)
        spider = self.crawler.spider
        with path.open("a", encoding="utf-8") as out:
            for state in batch:
                record = {"site": site, "crawl_id": spider.crawl_id, "spider": spider.name, "state": state}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self.crawler.stats.inc_value("storage/items_spooled", len(batch))

    def load_spool(self) -> list[tuple[str, str]]:
        """Write what an earlier crawl spooled while its database was away, then delete it;
        return the (site, crawl_id) of the crawls it closed."""
        loaded_crawls: list[tuple[str, str]] = []
        if not self.spool_dir.is_dir():
            return loaded_crawls
        for path in sorted(self.spool_dir.glob("*.jsonl")):
            loaded = 0
            writers: dict[tuple[str, str], CrawlWriter] = {}
            with path.open(encoding="utf-8") as spooled:
                records = (json.loads(line) for line in spooled if line.strip())
                for chunk in iter_chunks(records, self.batch_size):
                    for (site, crawl_id), states in _group(chunk).items():
                        writer = writers.get((site, crawl_id))
                        if writer is None:
                            writer = CrawlWriter(self.engine, site, crawl_id, chunk[0]["spider"])
                            writer.start()
                            writers[(site, crawl_id)] = writer
                        writer.write_batch(states)
                        loaded += len(states)
            for writer in writers.values():
                # Its own crawl never closed properly: removals can't be trusted.
                writer.finish("spooled", {}, status_override="partial")
            path.unlink()
            self.crawler.stats.inc_value("storage/items_unspooled", loaded)
            logger.warning("loaded %d items that an earlier crawl spooled to %s", loaded, path)
            loaded_crawls += [(writer.site, writer.crawl_id) for writer in writers.values()]
        return loaded_crawls

    async def _stored(self, site: str, crawl_id: str) -> None:
        await self.crawler.signals.send_catch_log_async(project_signals.crawl_stored, site=site, crawl_id=crawl_id)

    # --- closing ----------------------------------------------------------------------

    async def close_spider(self, spider: Spider | None = None) -> None:
        for site in list(self.batches.keys() | self.outcomes.keys()):
            await self.flush(site)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        if not hasattr(self, "engine"):
            return  # open_spider failed: its DatabaseError is the one message the user needs
        try:
            await self._close_crawls(reason)
        finally:
            self.database.release(self)  # the crawl_stored handlers above are done with it

    async def _close_crawls(self, reason: str) -> None:
        stats = self.crawler.stats
        for site, writer in self.writers.items():
            if self.database_down:
                logger.error("%s: crawl %s not closed in the database (it was down)", site, writer.crawl_id)
                continue
            check = (
                HealthCheck(site, writer.crawl_id, reason, self.thresholds, self.max_error_rate)
                if self.thresholds
                else None
            )
            try:
                outcome = await maybe_deferred_to_future(
                    self.lock.run(
                        deferToThread,
                        writer.finish,
                        reason,
                        stats.get_stats(),
                        max_error_rate=self.max_error_rate,
                        min_seen_share=self.min_seen_share,
                        health=check,
                    )
                )
            except SQLAlchemyError as exc:
                logger.error("%s: could not close crawl %s: %s", site, writer.crawl_id, str(exc).splitlines()[0])
                continue
            stats.set_value(f"storage/{site}/status", outcome.status)
            stats.set_value(f"storage/{site}/changes", outcome.changes)
            stats.set_value(f"storage/{site}/removed", outcome.removed)
            stats.set_value(f"storage/{site}/unverified", outcome.unverified)
            if check is not None and check.health is not None:
                stats.set_value(f"{STATS_KEY}/{site}", check.health.as_json())  # for the Spidermon suite
            logger.info(
                "%s crawl %s: %s, %d products seen, %d changes, %d removed, %d unverified",
                site,
                writer.crawl_id,
                outcome.status,
                outcome.seen,
                outcome.changes,
                outcome.removed,
                outcome.unverified,
            )
            await self._stored(site, writer.crawl_id)


def _group(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[(record["site"], record["crawl_id"])].append(record["state"])
    return groups
