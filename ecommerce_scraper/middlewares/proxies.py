"""Rotating proxies for the shops that want them, on scrapy-rotating-proxies(-ng).

The library (its maintained fork, module ``rotating_proxies``) picks a random live proxy per
request, marks proxies dead on a ban and good on a clean answer, rests dead ones with
exponential backoff (full jitter, ``ROTATING_PROXY_BACKOFF_BASE``/``_CAP``) and retries a banned
page through other proxies (``ROTATING_PROXY_PAGE_RETRY_TIMES``). Wrapped here:

- **Only for shops with** ``"proxies": true`` in ``config/sites.json`` (``use_proxies`` on the
  spider); other shops' requests pass untouched.
- **Politeness stays per shop.** The library moves each request to a download slot per proxy,
  which would multiply a shop's request rate by the number of proxies; here requests keep the
  shop's slot (``DOWNLOAD_DELAY``, concurrency and Retry-After pauses stay the shop's).
- **A failed proxy costs nothing but a moment.** A ban (:mod:`.bans`: a challenge page, a 403, a
  proxy that refuses connections or whose name does not resolve...) rests the proxy and sends
  the page through another proxy at once: it goes back to the scheduler with no wait, and never
  reaches the shop's retries (whose backoff is for a busy shop).
- **All proxies resting slows the crawl, never stops it.** The library would put every dead
  proxy straight back to work; here a request waits for the first proxy whose rest is over (at
  most ``PROXY_WAIT_MAX`` seconds, then the soonest one is put back early), held by the scheduler
  (:mod:`.waits`), not in the downloader.
- **Bans are judged for shops** (:mod:`.bans`), and each ban is logged with its reason.
- **Credentials never show**: proxies appear by :func:`~.proxy_list.mask_proxy` name only, a
  retried request leaves without its ``Proxy-Authorization`` header, and
  :class:`~.proxy_list.CredentialsFilter` scrubs every log record.
- **Per-proxy stats** (:class:`ProxyStats`): requests, successes, bans, mean and p95 latency,
  last ban reason, in the crawl stats as ``proxies/table`` (kept with the crawl in the
  database, from which ``exports/proxy_stats.csv`` and master.xlsx's Proxies sheet are written).
- Scrapy 2.19 deprecates middleware methods taking ``spider``: these take none.

Of the library this uses its public parts: the middlewares' constructors and their proxy logging
and reanimating loops, the proxy container's methods and the ban policy interface. What it reads
of the container's state is pinned in :mod:`.internals`.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from rotating_proxies.middlewares import BanDetectionMiddleware, RotatingProxyMiddleware
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from . import internals
from .bans import ShopBanPolicy
from .proxy_list import CredentialsFilter, Proxy, load_proxies, mask_proxy
from .waits import can_hold, wait_before

#: ``request.meta`` key: the request waited for a proxy as long as we wait (``PROXY_WAIT_MAX``).
PROXY_WAITED = "_proxy_waited_max"

logger = logging.getLogger(__name__)

#: Latency samples kept per proxy for the p95 (a uniform sample of all: memory stays flat).
LATENCY_SAMPLE = 2048


def uses_proxies(spider: Spider | None) -> bool:
    return bool(getattr(spider, "use_proxies", False))


def forget_proxy(request: Request) -> Request:
    """``request`` without the proxy it was sent through (a retry gets a fresh one, and no
    credentials wait on disk in the job's queue)."""
    if request.meta.get("_rotating_proxy"):
        request.headers.pop(b"Proxy-Authorization", None)
        for key in ("proxy", "_auth_proxy", "download_slot"):
            request.meta.pop(key, None)
    return request


@dataclass
class ProxyRecord:
    requests: int = 0
    successes: int = 0
    bans: int = 0
    errors: int = 0
    latency_total: float = 0.0
    latency_count: int = 0
    samples: list[float] = field(default_factory=list)
    last_ban_reason: str | None = None
    bans_in_a_row: int = 0

    def latency(self, seconds: float, rng: random.Random) -> None:
        self.latency_total += seconds
        self.latency_count += 1
        if len(self.samples) < LATENCY_SAMPLE:
            bisect.insort(self.samples, seconds)
            return
        slot = rng.randrange(self.latency_count)  # reservoir sampling (Algorithm R)
        if slot < LATENCY_SAMPLE:
            del self.samples[rng.randrange(LATENCY_SAMPLE)]
            bisect.insort(self.samples, seconds)

    def row(self, name: str) -> dict[str, Any]:
        mean = self.latency_total / self.latency_count if self.latency_count else None
        p95 = self.samples[min(len(self.samples) - 1, int(0.95 * len(self.samples)))] if self.samples else None
        return {
            "proxy": name,
            "requests": self.requests,
            "successes": self.successes,
            "bans": self.bans,
            "errors": self.errors,
            "mean_latency_ms": round(mean * 1000) if mean is not None else None,
            "p95_latency_ms": round(p95 * 1000) if p95 is not None else None,
            "last_ban_reason": self.last_ban_reason,
        }


class ProxyStats:
    """Per-proxy figures of one crawl, by masked name."""

    def __init__(self, names: list[str]) -> None:
        self.records: dict[str, ProxyRecord] = {name: ProxyRecord() for name in names}
        self.rng = random.Random(0)

    def record(self, name: str, *, latency: float | None, ban_reason: str | None, error: bool = False) -> None:
        entry = self.records.setdefault(name, ProxyRecord())
        entry.requests += 1
        if latency is not None:
            entry.latency(latency, self.rng)
        if ban_reason is not None:
            entry.bans += 1
            entry.bans_in_a_row += 1
            entry.last_ban_reason = ban_reason
        elif error:
            entry.errors += 1
        else:
            entry.successes += 1
            entry.bans_in_a_row = 0

    def table(self) -> list[dict[str, Any]]:
        return [record.row(name) for name, record in sorted(self.records.items())]


class ShopProxyMiddleware(RotatingProxyMiddleware):
    def __init__(self, crawler: Crawler, proxies: list[Proxy]) -> None:
        settings = crawler.settings
        super().__init__(
            proxy_list=[proxy.url for proxy in proxies],
            logstats_interval=settings.getfloat("ROTATING_PROXY_LOGSTATS_INTERVAL", 60),
            stop_if_no_proxies=False,
            max_proxies_to_try=settings.getint("ROTATING_PROXY_PAGE_RETRY_TIMES", 5),
            backoff_base=settings.getfloat("ROTATING_PROXY_BACKOFF_BASE", 300),
            backoff_cap=settings.getfloat("ROTATING_PROXY_BACKOFF_CAP", 3600),
            crawler=crawler,
        )
        self.crawler = crawler
        self.wait_max = settings.getfloat("PROXY_WAIT_MAX", 60)
        self.names = {proxy.url: proxy.name for proxy in proxies}
        self.figures = ProxyStats(sorted(self.names.values()))
        self._resting_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShopProxyMiddleware:
        proxies = load_proxies(crawler.settings)
        if not proxies:
            raise NotConfigured  # no proxies: nothing to rotate (a shop that wants them fails at start-up)
        internals.check_rotating_proxies()
        install_credentials_filter([secret for proxy in proxies for secret in proxy.secrets])
        middleware = cls(crawler, proxies)
        crawler.signals.connect(middleware.engine_started, signal=signals.engine_started)
        crawler.signals.connect(middleware.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # --- choosing a proxy -----------------------------------------------------------------

    async def process_request(self, request: Request) -> Request | None:  # type: ignore[override]
        if not uses_proxies(self.crawler.spider):
            return None
        if "proxy" in request.meta and not request.meta.get("_rotating_proxy"):
            return None  # the spider chose a proxy itself
        while (proxy := self._choose(request)) is None:
            wait, capped = self._rest_left()
            if can_hold(self.crawler, request):
                # Back to the scheduler, which holds it (in no downloader slot) until then.
                later = wait_before(forget_proxy(request.copy()), wait)
                later.meta[PROXY_WAITED] = capped
                return later
            await asyncio.sleep(wait)  # a direct download (robots.txt) can only wait here
            request.meta[PROXY_WAITED] = capped
        self._resting_logged = False
        request.meta.pop(PROXY_WAITED, None)  # a later wait for a proxy starts afresh
        request.meta["proxy"] = proxy
        request.meta["_rotating_proxy"] = True
        request.meta["_proxy_name"] = self.names.get(proxy, mask_proxy(proxy))
        return None

    def _choose(self, request: Request) -> str | None:
        self.proxies.reanimate()  # those whose rest is over are back
        proxy = self.proxies.get_random()
        if proxy is None and request.meta.get(PROXY_WAITED):
            # This page waited the most we wait: put the soonest-back proxy to work rather than stall.
            internals.end_soonest_rest(self.proxies)
            proxy = self.proxies.get_random()
        return proxy

    def _rest_left(self) -> tuple[float, bool]:
        """Every proxy is resting: how long to wait for the first to come back (at most
        ``PROXY_WAIT_MAX``), and whether that is cut short. The crawl slows down."""
        now = time.time()
        soonest = min(internals.rest_ends(self.proxies).values(), default=now)
        wait = min(max(soonest - now, 0.1), self.wait_max)
        self.crawler.stats.inc_value("proxies/all_resting_waits")
        if not self._resting_logged:
            self._resting_logged = True
            logger.warning("every proxy is resting after bans: slowing down (next one back in %.0f s)", wait)
        return wait, soonest - now > self.wait_max

    # --- outcomes -----------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        return self._outcome(request, error=False) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:  # type: ignore[override]
        return self._outcome(request, error=True)

    def _outcome(self, request: Request, *, error: bool) -> Request | None:
        """Mark the proxy by the ban verdict (:class:`ShopBanDetectionMiddleware` put it in
        ``meta["_ban"]``); for a ban, the page again, to go through another proxy at once."""
        proxy = self.proxies.get_proxy(request.meta.get("proxy"))
        if not (proxy and request.meta.get("_rotating_proxy")):
            return None
        self._count(request, error=error)
        ban = request.meta.get("_ban")
        if ban is False:
            self.proxies.mark_good(proxy)
        if ban is not True:
            return None  # a clean answer, or a failure that may as well be the shop's
        self.proxies.mark_dead(proxy)
        tries = request.meta.get("proxy_retry_times", 0) + 1
        if tries > request.meta.get("max_proxies_to_try", self.max_proxies_to_try):
            logger.debug("%s failed through %d proxies: now the page's own failure", request.url, tries)
            return None
        retry = forget_proxy(request.copy())
        retry.meta["proxy_retry_times"] = tries
        for key in ("_ban", "_ban_reason"):
            retry.meta.pop(key, None)
        retry.dont_filter = True
        self.crawler.stats.inc_value("proxies/page_retries")
        return retry

    def _count(self, request: Request, *, error: bool) -> None:
        name = request.meta.get("_proxy_name")
        if name is None:
            return
        reason = request.meta.get("_ban_reason") if request.meta.get("_ban") else None
        self.figures.record(name, latency=request.meta.get("download_latency"), ban_reason=reason, error=error)
        if reason is not None:
            self.crawler.stats.inc_value(f"proxies/bans/{reason.split(' ', 1)[0]}")
            in_a_row = self.figures.records[name].bans_in_a_row
            logger.info("proxy %s banned (%s) at %s: resting it (ban #%d)", name, reason, request.url, in_a_row)

    # --- the crawl's figures ------------------------------------------------------------

    def spider_closed(self, spider: Spider) -> None:
        stats = self.crawler.stats
        table = self.figures.table()
        stats.set_value("proxies/table", table)
        for row in table:
            for key in ("requests", "successes", "bans"):
                stats.set_value(f"proxies/{row['proxy']}/{key}", row[key])
        logger.info("proxies: %s", "; ".join(f"{r['proxy']} {r['requests']} requests, {r['bans']} bans" for r in table))


class ShopBanDetectionMiddleware(BanDetectionMiddleware):
    """The library's ban detection with :class:`~.bans.ShopBanPolicy`, for proxied requests only."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.stats, ShopBanPolicy())
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ShopBanDetectionMiddleware:
        if not load_proxies(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:  # type: ignore[override]
        if not request.meta.get("_rotating_proxy"):
            return response
        return super().process_response(request, response, self.crawler.spider)

    def process_exception(self, request: Request, exception: Exception) -> None:  # type: ignore[override]
        if request.meta.get("_rotating_proxy"):
            super().process_exception(request, exception, self.crawler.spider)


def install_credentials_filter(secrets: list[str]) -> None:
    """Scrub ``secrets`` from every record any handler of the root logger writes (once per secret set)."""
    if not secrets:
        return
    root = logging.getLogger()
    for handler in root.handlers:
        existing = next((f for f in handler.filters if isinstance(f, CredentialsFilter)), None)
        if existing is None:
            handler.addFilter(CredentialsFilter(secrets))
        else:
            existing.secrets = sorted(set(existing.secrets) | set(secrets), key=len, reverse=True)
