"""Matching after each stored crawl: a Scrapy extension on the storage's ``crawl_stored``.

When the storage has closed a shop's crawl it sends
:data:`~ecommerce_scraper.signals.crawl_stored`; this extension then brings the stored match groups
up to date for that shop's new, changed and removed products (:func:`.sync.sync_matches` with
``sites=[site]``; from scratch when the controls file or the matcher changed), in a thread: the
reactor never waits on the database or on the matching. The handler returns once it is done, so
the master workbook written at the process's end (:mod:`..exports.extension`) reads groups that
include this crawl. A failure is logged once and costs only the matching: the crawl is stored,
and the exports bring the groups up to date again before they read them. From
``MATCHING_PROCESS_PRODUCTS`` current products in the database on (default 20,000; 0: always,
-1: never) it runs in a child process (:mod:`.process`), whose memory goes back to the system
when it ends. It holds :data:`~..memory.catalog_work` meanwhile: the crawl's files wait for it.

Stats: ``matching/<site>/mode`` (``full``, ``incremental``, ``unchanged``),
``matching/<site>/seconds``, ``matching/<site>/units_changed``, ``matching/<site>/process``
(``child`` or ``crawl``); ``matching/failed`` on a failure.

Off (``NotConfigured``) with ``MATCHING_AFTER_CRAWL = False`` or without the storage pipeline.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from .. import signals as project_signals
from ..exports.compare_export import matches_path
from ..memory import catalog_work
from ..storage.db import stores_products
from ..storage.shared import crawl_database
from .process import DEFAULT_PROCESS_PRODUCTS, current_product_count, sync_in_process
from .sync import sync_matches

logger = logging.getLogger(__name__)


class CrawlMatching:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.database = crawl_database(crawler)
        self.matches_file = matches_path(crawler.settings)
        self.process_products = crawler.settings.getint("MATCHING_PROCESS_PRODUCTS", DEFAULT_PROCESS_PRODUCTS)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMatching:
        settings = crawler.settings
        storing = stores_products(settings)
        if not settings.getbool("MATCHING_AFTER_CRAWL", True) or not storing:
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.crawl_stored, signal=project_signals.crawl_stored)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.database.hold(self)

    async def crawl_stored(self, site: str, crawl_id: str) -> None:
        """Match the crawl's changed products, in a thread; a failure is logged, never raised."""
        await maybe_deferred_to_future(deferToThread(self.match, site, crawl_id))

    def match(self, site: str, crawl_id: str) -> None:
        stats = self.crawler.stats
        try:
            with catalog_work:
                engine = self.database.engine()
                in_child = 0 <= self.process_products <= current_product_count(engine)
                if in_child:
                    child = sync_in_process(self.database.url, self.matches_file, sites=[site])
                    run = child.run
                    if child.peak_rss_mb is not None:
                        stats.set_value(f"matching/{site}/process_peak_rss_mb", round(child.peak_rss_mb, 1))
                else:
                    run = sync_matches(engine, self.matches_file, sites=[site])
        except Exception as exc:
            stats.inc_value("matching/failed")
            logger.error("%s crawl %s: matching across shops failed: %s", site, crawl_id, exc)
            return
        stats.set_value(f"matching/{site}/mode", run.mode)
        stats.set_value(f"matching/{site}/seconds", round(run.seconds, 3))
        stats.set_value(f"matching/{site}/units_changed", run.units_changed)
        stats.set_value(f"matching/{site}/process", "child" if in_child else "crawl")
        logger.info("%s crawl %s: %s%s", site, crawl_id, run.describe(), " (child process)" if in_child else "")

    def engine_stopped(self) -> None:
        self.database.release(self)
