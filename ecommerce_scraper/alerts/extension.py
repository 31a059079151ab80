"""Business alerts after each stored crawl: a Scrapy extension on the storage's ``crawl_stored``.

When the storage has closed a shop's crawl it sends
:data:`~ecommerce_scraper.signals.crawl_stored`; this extension then reads that crawl's digests
(:func:`~.digest.crawl_digests`) and sends each to its rule's destinations, in a daemon worker
thread: the storage's closing is neither delayed nor failed by a slow or broken destination.
At ``engine_stopped`` (after every ``spider_closed`` handler, the storage's included) it waits
for its deliveries, at most ``ALERTS_DELIVERY_TIMEOUT`` seconds, so the process does not exit
with a digest unsent.

Stats: ``alerts/rules_matched`` (digests made), ``alerts/sent`` and ``alerts/failed``
(deliveries, one per digest and destination), ``alerts/retries``. They are counted once the
deliveries end, after Scrapy's stats dump; the extension logs them in one line.

Off (``NotConfigured``) without an alerts file (``ALERTS_FILE``, ``config/alerts.json``) or
without the storage pipeline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, UsageError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from .. import signals as project_signals
from ..config import ConfigError
from ..exports.compare_export import matches_path, own_shop
from ..storage.db import stores_products
from ..storage.shared import crawl_database
from .delivery import DeliveryResult, deliver
from .digest import Digest, crawl_digests, crawl_row
from .health import health_destinations, health_message
from .rules import AlertsFile, alerts_config

logger = logging.getLogger(__name__)

STAT_KEYS = ("alerts/rules_matched", "alerts/sent", "alerts/failed", "alerts/retries", "alerts/health_sent")


def send_digest(
    digest: Digest, *, retry_times: int, backoff: float, deliver_to: Callable[..., Any] = deliver
) -> list[DeliveryResult]:
    """Send one digest to every destination of its rule (blocking)."""
    what = f"alert {digest.rule.name!r} ({digest.site} crawl {digest.crawl_id})"
    return [
        deliver_to(url, digest.title, digest.body, retry_times=retry_times, backoff=backoff, what=what)
        for url in digest.rule.notify
    ]


class BusinessAlerts:
    def __init__(self, crawler: Crawler, config: AlertsFile) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.config = config
        self.database = crawl_database(crawler)
        self.retry_times = settings.getint("ALERTS_RETRY_TIMES", 2)
        self.backoff = settings.getfloat("ALERTS_RETRY_BACKOFF", 2.0)
        self.timeout = settings.getfloat("ALERTS_DELIVERY_TIMEOUT", 30.0)
        self.health_urls = health_destinations(settings)
        # for "match": "undercut" rules: your shop and the manual match controls
        self.own = own_shop(settings) if any(rule.match == "undercut" for rule in config.rules) else None
        self.matches_file = matches_path(settings)
        if self.own is None:
            for rule in config.rules:
                if rule.match == "undercut":
                    logger.warning(
                        'alert %r: "match": "undercut" without an own shop (own_site or OWN_CATALOG) matches nothing',
                        rule.name,
                    )
        self.workers: list[threading.Thread] = []
        self.lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BusinessAlerts:
        settings = crawler.settings
        storing = stores_products(settings)
        if not storing:
            raise NotConfigured("business alerts need the storage pipeline")
        try:
            config = alerts_config(settings)
        except ConfigError as exc:  # the add-on has said so already, when it ran
            raise UsageError(str(exc), print_help=False) from None
        if config is None and not health_destinations(settings):
            raise NotConfigured("no alerts file (ALERTS_FILE or config/alerts.json) and no HEALTH_NOTIFY")
        extension = cls(crawler, config or AlertsFile(rules=[]))
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.crawl_stored, signal=project_signals.crawl_stored)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    # --- on the reactor -------------------------------------------------------------------------

    def engine_started(self) -> None:
        self.database.hold(self)

    def crawl_stored(self, site: str, crawl_id: str) -> None:
        """Start sending the crawl's digests in a worker thread; returns at once."""
        worker = threading.Thread(
            target=self.send_crawl, args=(site, crawl_id), name=f"alerts-{site}-{crawl_id}", daemon=True
        )
        self.workers.append(worker)
        worker.start()

    async def engine_stopped(self) -> None:
        try:
            if self.workers:
                await maybe_deferred_to_future(deferToThread(self.wait, self.timeout))
                stats = self.crawler.stats
                logger.info(
                    "alerts: %d digest(s), %d delivery(ies) sent, %d failed, %d health alert(s) sent",
                    *(stats.get_value(key, 0) for key in (*STAT_KEYS[:3], "alerts/health_sent")),
                )
        finally:
            if not self.running():  # a delivery still running may read the database yet
                self.database.release(self)

    # --- in threads -----------------------------------------------------------------------------

    def running(self) -> list[threading.Thread]:
        return [worker for worker in self.workers if worker.is_alive()]

    def wait(self, timeout: float) -> bool:
        """Wait for every delivery, at most ``timeout`` seconds in all; True when none is left."""
        deadline = time.monotonic() + timeout
        for worker in list(self.workers):
            worker.join(max(0.0, deadline - time.monotonic()))
        left = self.running()
        if left:
            logger.error(
                "alerts: %d crawl(s)' deliveries still running after %.0f s (ALERTS_DELIVERY_TIMEOUT): not waited for",
                len(left),
                timeout,
            )
        return not left

    def send_crawl(self, site: str, crawl_id: str) -> None:
        """Read and send one crawl's digests (or its health alert); every failure is logged here, never raised."""
        try:
            engine = self.database.engine()
            crawl = crawl_row(engine, site, crawl_id)
            health = health_message(crawl) if crawl is not None else None
            digests = (
                []
                if health
                else crawl_digests(
                    engine, self.config.rules, site, crawl_id, own=self.own, matches_file=self.matches_file
                )
            )
        except Exception as exc:
            logger.error("alerts: could not read the changes of %s crawl %s: %s", site, crawl_id, exc)
            return
        if health:
            self.send_health(site, crawl_id, *health)
            return
        for digest in digests:
            self.count("alerts/rules_matched")
            for result in send_digest(digest, retry_times=self.retry_times, backoff=self.backoff):
                self.count("alerts/sent" if result.ok else "alerts/failed")
                self.count("alerts/retries", result.retries)
                if result.ok:
                    logger.info(
                        "alert %r: %s crawl %s, %d product(s), sent to %s",
                        digest.rule.name,
                        site,
                        crawl_id,
                        len(digest.products),
                        result.destination,
                    )

    def send_health(self, site: str, crawl_id: str, title: str, body: str) -> None:
        for url in self.health_urls:
            result = deliver(
                url,
                title,
                body,
                retry_times=self.retry_times,
                backoff=self.backoff,
                what=f"health alert ({site} crawl {crawl_id})",
            )
            self.count("alerts/health_sent" if result.ok else "alerts/failed")
            self.count("alerts/retries", result.retries)
            if result.ok:
                logger.warning("health alert: %s crawl %s looks broken, sent to %s", site, crawl_id, result.destination)

    def count(self, key: str, value: int = 1) -> None:
        with self.lock:
            self.crawler.stats.inc_value(key, value)
