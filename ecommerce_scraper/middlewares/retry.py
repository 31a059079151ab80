"""Retries that respect the shop: backoff with jitter, and ``Retry-After`` pauses the shop.

Scrapy's :class:`~scrapy.downloadermiddlewares.retry.RetryMiddleware` decides *whether* to retry
(``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, at most ``RETRY_TIMES`` times per request, then the
failure is logged with the URL at ``RETRY_GIVE_UP_LOG_LEVEL`` and counted as
``retry/max_reached``). This subclass decides *when*:

- A response with ``Retry-After`` (seconds or an HTTP date; 429 and 503 carry it) pauses the
  shop's download slot that long: no request goes to that shop before then, while other shops
  go on. The retried request waits in the paused slot like any other. A wait over
  ``RETRY_AFTER_MAX`` is capped there (and counted): a shop asking for hours is retried later
  in the same crawl, not given up on.
- Anything else retried (5xx, timeouts, connection errors) waits
  ``min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_BASE × 2^(n-1)) × uniform(0.5, 1)`` before attempt
  *n* + 1, on a timer of the event loop: the request waits, the crawl does not.

The pause is set when the answer arrives (the ``response_downloaded`` signal, which the downloader
sends before it releases the shop's next request) on the downloader's own delay timer
(``Slot.latercall``, as ``DOWNLOAD_DELAY`` uses it): the next request of the slot is released
by the timer.

Stats: ``retry/backoff_seconds`` (total waited by retried requests), ``retry/retry_after_pauses``,
``retry/retry_after_seconds``, ``retry/retry_after_capped``, and Scrapy's ``retry/*``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.response import response_status_message

from ..retry_after import retry_after_seconds

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
        self._paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler)
        # Sent when the answer arrives, before the downloader releases the shop's next request:
        # process_response would come too late to hold that one back.
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if response.status in self.retry_http_codes:
            wait = retry_after_seconds(response.headers)
            if wait is not None:
                self._pause_shop(request, wait)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if retry_after_seconds(response.headers) is None:  # with one, the shop is paused already
            await self._back_off(retry)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._back_off(retry)
        return retry

    # --- waiting ----------------------------------------------------------------------------

    def backoff_delay(self, attempt: int) -> float:
        """Seconds before retry ``attempt`` (1 for the first retry)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, attempt - 1))
        return ceiling * self.rng.uniform(0.5, 1.0)

    async def _back_off(self, retry: Request) -> None:
        delay = self.backoff_delay(retry.meta.get("retry_times", 1))
        if delay <= 0:
            return
        self.crawler.stats.inc_value("retry/backoff_seconds", round(delay, 3))
        await asyncio.sleep(delay)

    def _pause_shop(self, request: Request, seconds: float) -> None:
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
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None or seconds <= 0:
            return
        key = downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        until = time.monotonic() + seconds
        if until <= self._paused_until.get(key, 0.0):
            return  # already paused at least that long
        self._paused_until[key] = until
        if slot.latercall is not None:
            slot.latercall.cancel()
        # The downloader's own delay timer: while it is set, the slot sends nothing.
        slot.latercall = call_later(seconds, downloader._latercall, slot)
        stats.inc_value("retry/retry_after_pauses")
        stats.inc_value("retry/retry_after_seconds", round(seconds, 3))
        logger.info("%s: Retry-After %.1f s, pausing requests to %s", request.url, seconds, key)
