"""Retries that respect the shop: backoff with jitter, and ``Retry-After`` pauses the shop.

Scrapy's :class:`~scrapy.downloadermiddlewares.retry.RetryMiddleware` settings decide *whether* to
retry (``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, at most ``RETRY_TIMES`` times per request,
then the failure is logged with the URL at ``RETRY_GIVE_UP_LOG_LEVEL`` and counted as
``retry/max_reached``; the retry itself is Scrapy's public ``get_retry_request``). This subclass
decides *when*:

- A response with ``Retry-After`` (seconds or an HTTP date; 429 and 503 carry it) pauses the
  shop that long: no request of that shop is sent before then, while other shops, even on the
  same host, go on; the retried page waits as long. A wait over ``RETRY_AFTER_MAX`` is capped
  there (and counted): a shop asking for hours is asked again later in the same crawl, not
  given up on.
- Anything else retried (5xx, timeouts, connection errors) waits
  ``min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_BASE × 2^(n-1)) × uniform(0.5, 1)`` before attempt
  *n* + 1.

Nothing waits in the downloader (where it would hold a place of ``CONCURRENT_REQUESTS``): the
retry goes back to the scheduler with its time, and the scheduler holds it and the paused shop's
requests (:mod:`.waits`).

A proxy that fails is not the shop's failure: the proxy layer (:mod:`.proxies`, after this
middleware in the chain) sends the page through another proxy at once, before it gets here.

Stats: ``retry/backoff_seconds`` (total waited by retried requests), ``retry/retry_after_pauses``,
``retry/retry_after_seconds``, ``retry/retry_after_capped``, and Scrapy's ``retry/*``.
"""

from __future__ import annotations

import logging
import random

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Response
from scrapy.utils.response import response_status_message

from ..retry_after import retry_after_seconds
from .proxies import forget_proxy
from .waits import pause_shop, postpone

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        settings = crawler.settings
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 600.0)
        self.rng = random.Random()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if response.status not in self.retry_http_codes:
            return response
        retry_after = retry_after_seconds(response.headers)
        if retry_after is not None:
            retry_after = self._pause_shop(request, retry_after)
        if request.meta.get("dont_retry", False):
            return response
        retry = self.retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        return await self._wait(request, retry, retry_after)

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self.retry_request(request, exception)
        if retry is None:
            return None
        return await self._wait(request, retry, None)

    def retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """Scrapy's retry of ``request`` (its meta may override the settings), or ``None`` when
        its retries are spent (logged and counted by Scrapy)."""
        assert self.crawler.spider is not None
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )
        # A retry takes a fresh proxy, and no proxy credentials wait on disk in the job's queue.
        return forget_proxy(retry) if retry is not None else None

    # --- waiting ----------------------------------------------------------------------------

    def backoff_delay(self, attempt: int) -> float:
        """Seconds before retry ``attempt`` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return ceiling * self.rng.uniform(0.5, 1.0)

    async def _wait(self, request: Request, retry: Request, retry_after: float | None) -> Request:
        if retry_after is None:
            delay = self.backoff_delay(retry.meta.get("retry_times", 1))
            if delay > 0:
                self.crawler.stats.inc_value("retry/backoff_seconds", round(delay, 3))
        else:
            delay = retry_after
        return await postpone(self.crawler, request, retry, delay)

    def _pause_shop(self, request: Request, seconds: float) -> float:
        """Pause ``request``'s shop for ``seconds`` (capped at ``RETRY_AFTER_MAX``); the pause."""
        stats = self.crawler.stats
        if seconds > self.retry_after_max:
            stats.inc_value("retry/retry_after_capped")
            logger.warning(
                "%s asks to wait %.0f s (Retry-After); waiting %.0f s (RETRY_AFTER_MAX) before asking again",
                request.url,
                seconds,
                self.retry_after_max,
            )
            seconds = self.retry_after_max
        if seconds > 0 and pause_shop(self.crawler, request, seconds):
            stats.inc_value("retry/retry_after_pauses")
            stats.inc_value("retry/retry_after_seconds", round(seconds, 3))
            logger.info("%s: Retry-After %.1f s, pausing its shop", request.url, seconds)
        return seconds
