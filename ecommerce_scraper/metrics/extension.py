"""Prometheus gauges of each shop's crawl, pushed to a Pushgateway when the crawl closes.

On when ``PROMETHEUS_PUSHGATEWAY`` (a setting, or the environment) names a Pushgateway
(``http://host:9091``); else ``NotConfigured``. For each shop of the crawl, once the storage has
closed its crawl (:data:`~ecommerce_scraper.signals.crawl_stored`): products (the crawl record's
``items_count``), pages, errors, bans, retries (:mod:`.figures`: each shop's own), duration,
coverage of :data:`~ecommerce_scraper.monitors.health.COVERAGE_FIELDS` (the shop's crawl
record's ``coverage/<field>`` when the health monitors stored them, else the field-coverage
pipeline's counts), monitors failed (stat ``monitors/failed``, else the failed monitors the row
lists under ``monitors``, else 0) and, for a ``finished`` crawl, the last success time
(:mod:`.prometheus`). A shop the storage never closed (the database went away) is pushed when the
engine stops, as not stored: no success.

The push runs in a thread (the reactor goes on) with a timeout (``PROMETHEUS_PUSH_TIMEOUT``);
a failed push is one WARNING line, once per crawl, and never fails the crawl.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from sqlalchemy import select
from twisted.internet.threads import deferToThread

from .. import signals as project_signals
from ..monitors.health import COVERAGE_FIELDS, coverage_shares
from ..storage.db import mask_url
from ..storage.models import Crawl
from ..storage.shared import crawl_database
from .figures import CrawlFigures, ShopFigures
from .prometheus import ShopCrawl, push

logger = logging.getLogger(__name__)


def gateway_of(settings: Any) -> str | None:
    return settings.get("PROMETHEUS_PUSHGATEWAY") or os.environ.get("PROMETHEUS_PUSHGATEWAY") or None


class CrawlMetrics:
    def __init__(self, crawler: Crawler, gateway: str) -> None:
        self.crawler = crawler
        self.gateway = gateway
        self.timeout = crawler.settings.getfloat("PROMETHEUS_PUSH_TIMEOUT", 10.0)
        self.figures = CrawlFigures.of(crawler)
        self.database = crawl_database(crawler)
        self.pushed: set[str] = set()
        self.failures = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMetrics:
        gateway = gateway_of(crawler.settings)
        if not gateway:
            raise NotConfigured
        extension = cls(crawler, gateway)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.crawl_stored, signal=project_signals.crawl_stored)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    # --- signals ----------------------------------------------------------------------------

    def engine_started(self) -> None:
        self.database.hold(self)

    async def crawl_stored(self, site: str, crawl_id: str) -> None:
        spider = self.crawler.spider
        if spider is None or crawl_id != getattr(spider, "crawl_id", None) or site in self.pushed:
            return  # an earlier crawl's spool, loaded by this one: its figures are not this process's
        self.pushed.add(site)
        crawl = self.shop_crawl(site, crawl_id, dict(self.crawler.stats.get_stats()), status="unknown")
        await maybe_deferred_to_future(deferToThread(self._push_stored, crawl))

    async def engine_stopped(self) -> None:
        spider = self.crawler.spider
        crawl_id = str(getattr(spider, "crawl_id", "") or "")
        stats = dict(self.crawler.stats.get_stats())
        try:
            for site in self.figures.all_sites():
                if site not in self.pushed:
                    self.pushed.add(site)
                    crawl = self.shop_crawl(site, crawl_id, stats, status="not stored")
                    await maybe_deferred_to_future(deferToThread(self._push, crawl))
        finally:
            self.database.release(self)

    # --- the figures ------------------------------------------------------------------------

    def shop_crawl(self, site: str, crawl_id: str, stats: dict[str, Any], *, status: str) -> ShopCrawl:
        """One shop's gauges from this process's figures and the crawl's stats (the crawl record's
        status and times are put in by :meth:`_push_stored`)."""
        figures = self.figures.shops.get(site) or ShopFigures()
        elapsed = stats.get("elapsed_time_seconds")
        return ShopCrawl(
            site=site,
            crawl_id=crawl_id,
            status=status,
            products=figures.items,
            pages=figures.pages,
            errors=self.figures.errors(site, stats),
            bans=figures.bans,
            retries=figures.retries,
            duration_seconds=float(elapsed) if isinstance(elapsed, int | float) else 0.0,
            monitors_failed=int(stats.get("monitors/failed") or 0),
            coverage=self.coverage(site, stats),
        )

    def coverage(self, site: str, stats: dict[str, Any]) -> dict[str, float]:
        """Field -> share 0..1 of the shop's products with it, from the field-coverage pipeline's counts
        (``coverage/<site>/<field>``); the shares the health monitors stored in the row win later."""
        shares = coverage_shares(site, stats)
        return {name: shares.get(name, 0.0) for name in COVERAGE_FIELDS}

    def _push_stored(self, crawl: ShopCrawl) -> None:
        """Push ``crawl`` with the crawl record's status, product count and times (in a thread)."""
        site, crawl_id = crawl.site, crawl.crawl_id
        try:
            with self.database.engine().connect() as connection:
                row = connection.execute(
                    select(Crawl.status, Crawl.items_count, Crawl.started_at, Crawl.finished_at, Crawl.stats).where(
                        Crawl.site == site, Crawl.crawl_id == crawl_id
                    )
                ).first()
        except Exception as exc:  # the push goes on with this process's figures
            logger.warning("%s: could not read crawl %s for its metrics (%s)", site, crawl_id, _first_line(exc))
            row = None
        if row is not None:
            crawl.status, crawl.products = row.status, row.items_count
            apply_stored_health(crawl, row.stats or {})
            started, finished = _aware(row.started_at), _aware(row.finished_at)
            if started is not None and finished is not None:
                crawl.duration_seconds = max(0.0, (finished - started).total_seconds())
                crawl.finished_at = finished.timestamp()
        self._push(crawl)

    def _push(self, crawl: ShopCrawl) -> None:
        try:
            push(self.gateway, crawl, timeout=self.timeout)
        except Exception as exc:
            self.failures += 1
            self.crawler.stats.inc_value("metrics/push_failed")
            if self.failures == 1:
                where = mask_url(self.gateway)
                logger.warning("could not push the crawl metrics to the Pushgateway %s: %s", where, _first_line(exc))
            return
        self.crawler.stats.inc_value("metrics/pushed")
        logger.info("%s crawl %s: metrics pushed to %s", crawl.site, crawl.crawl_id, mask_url(self.gateway))


def apply_stored_health(crawl: ShopCrawl, stored: dict[str, Any]) -> None:
    """What the crawl-health monitors stored in the shop's row wins: its ``coverage/<field>`` shares
    (the shop's own) and, unless the crawl's stats said ``monitors/failed``, the failed monitors
    listed under ``monitors`` (``{"failed": [names]}``)."""
    for name in COVERAGE_FIELDS:
        share = stored.get(f"coverage/{name}")
        if isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 1:
            crawl.coverage[name] = float(share)
    verdicts = stored.get("monitors")
    if not crawl.monitors_failed and isinstance(verdicts, dict) and isinstance(verdicts.get("failed"), list):
        crawl.monitors_failed = len(verdicts["failed"])


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
