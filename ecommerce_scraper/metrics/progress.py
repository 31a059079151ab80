"""Live progress: a running crawl's ``crawls`` rows show its pages, items and errors so far.

Every ``PROGRESS_INTERVAL`` seconds (default 30; 0 turns it off) each shop's figures
(:mod:`.figures`) are written into its crawl row (:func:`~ecommerce_scraper.storage.progress.record_progress`)
by a thread: the reactor only copies a few counters. An update still being written when the next
one is due makes that one skip, so updates never pile up behind a slow database; a failed one is
a WARNING line (once per crawl) and the crawl goes on. When the spider closes, the update in
flight is waited for before the storage closes the crawl, whose final counts replace these.

``scrapy status`` and ``exports/index.html`` (once written again) show what was written.
Off without the storage pipeline (there is no crawl row to update).
"""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread

from ..storage.progress import Progress, record_progress
from ..storage.shared import crawl_database
from .figures import CrawlFigures

logger = logging.getLogger(__name__)


def stores_crawls(crawler: Crawler) -> bool:
    pipelines = crawler.settings.getdict("ITEM_PIPELINES")
    return any(str(path).endswith("StoragePipeline") and order is not None for path, order in pipelines.items())


class CrawlProgress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.figures = CrawlFigures.of(crawler)
        self.database = crawl_database(crawler)
        self.loop: LoopingCall | None = None
        self.in_flight: Deferred[None] | None = None
        self.failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 30)
        if interval <= 0 or not stores_crawls(crawler):
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.database.hold(self)
        self.loop = LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    async def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.in_flight is not None:
            await maybe_deferred_to_future(self.in_flight)
        self.database.release(self)

    def tick(self) -> None:
        """Hand each shop's figures so far to a thread, unless the last update is still being written."""
        spider = self.crawler.spider
        if self.in_flight is not None or spider is None:
            return
        stats = self.crawler.stats.get_stats()
        updates = []
        for site in self.figures.all_sites():
            shop, errors = self.figures.shop(site), self.figures.errors(site, stats)
            updates.append((site, Progress(pages=shop.pages, items=shop.items, errors=errors)))
        in_flight = deferToThread(self._write, str(spider.crawl_id), updates)
        self.in_flight = in_flight
        in_flight.addBoth(self._written)

    def _written(self, _: object) -> None:
        self.in_flight = None

    def _write(self, crawl_id: str, updates: list[tuple[str, Progress]]) -> None:
        try:
            engine = self.database.engine()
            for site, progress in updates:
                record_progress(engine, site, crawl_id, progress)
        except Exception as exc:
            self.failures += 1
            if self.failures == 1:
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                logger.warning("could not record the crawl's progress (%s); the crawl goes on", reason)
            return
        self.crawler.stats.inc_value("metrics/progress_updates")
