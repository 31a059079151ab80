"""Waiting without holding a downloader slot: the scheduler keeps the requests that must wait.

A request inside the downloader counts against ``CONCURRENT_REQUESTS`` until it leaves it, so a
retry that sleeps in a downloader middleware (its backoff, a ``Retry-After``, every proxy
resting), or a request queued behind a paused download slot, takes a place that another shop's
page could use: sixteen of them stall the whole crawl. Here nothing waits in the downloader:

- **A request that must wait** carries ``meta["wait_until"]`` (a Unix time, so it still means
  the same after a stop and a resume): :func:`postpone` sets it on a retry, which the middleware
  returns to the engine. :class:`ShopScheduler` (``SCHEDULER``) holds it in memory, off the
  queues, and a timer gives it back to the engine (``engine.crawl``) when its time comes.
- **A paused shop** (``Retry-After``, :func:`pause_shop`): every request of that shop that comes
  out of the queue before the pause ends is held the same way; other shops, even on the same
  host, go on. A shop is the spider's ``meta["shop"]`` (the shop's base URL), else the host.
- **No more requests enter the downloader than a slot can send at once**
  (:class:`ReadySlotsPriorityQueue`, ``SCHEDULER_PRIORITY_QUEUE``): a slot with as many requests
  in the downloader as its concurrency gets no more until one leaves, so the few requests
  already there when a shop says ``Retry-After`` are all that can still go out, and a slow or
  delayed shop takes its own share of ``CONCURRENT_REQUESTS``, never everyone's.
- **The crawl does not close while requests wait**: held requests count as pending
  (``has_pending_requests``), so the engine never finds the spider idle meanwhile.
- **A stop keeps them**: on close, held requests go back into the queue, which a ``JOBDIR``
  saves; after a resume, one whose time has not come is held again. The shops' pauses that have
  not ended are kept in the job folder too (``shop_pauses.json``): a crawl resumed at once still
  sends a paused shop nothing before its ``Retry-After`` is over.
- A download that does not come from the scheduler (``engine.download_async``: robots.txt) has
  nowhere else to wait: :func:`postpone` waits it out in place, as before.

Held requests live in memory: a paused shop's queue is drained into memory while the pause lasts
(its requests come out of the queue one by one and are set aside), so a very large queue costs
memory then.

A held request reaches the engine twice (returned by a middleware, then released), so
``request_scheduled`` fires for it each time; the dupefilter sees it once.

Stats: ``waits/held`` (requests held), ``waits/held_for_shop_pause``, ``waits/released``,
``waits/kept_on_close``, ``waits/pauses_restored``.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from scrapy import Request, Spider
from scrapy.core.scheduler import Scheduler
from scrapy.pqueues import DownloaderAwarePriorityQueue
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.job import job_dir

from . import internals

if TYPE_CHECKING:
    from scrapy.core.downloader import Downloader
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: ``request.meta`` key: the Unix time before which the request must not be sent.
WAIT_UNTIL = "wait_until"
#: A time this close is now (timers may fire a hair early).
EPSILON = 0.005
#: In the job folder: the shops' pauses a stop interrupted (shop -> Unix time the pause ends).
PAUSES_FILE = "shop_pauses.json"


def wait_before(request: Request, seconds: float) -> Request:
    """``request``, marked to be sent no earlier than ``seconds`` from now. It skips the
    dupefilter (it is a retry of a page already let through), like Scrapy's own retries."""
    request.meta[WAIT_UNTIL] = time.time() + max(0.0, seconds)
    request.dont_filter = True
    return request


def shop_of(request: Request, downloader: Downloader) -> str:
    """What a ``Retry-After`` pauses: the spider's shop (its base URL), else the download slot."""
    return str(request.meta.get("shop") or downloader.get_slot_key(request))


def scheduler_of(crawler: Crawler) -> ShopScheduler | None:
    """The crawl's :class:`ShopScheduler`; ``None`` with another scheduler or outside a crawl."""
    try:
        scheduler = crawler.engine.scheduler
    except RuntimeError:  # Crawler.engine before the crawl starts
        return None
    return scheduler if isinstance(scheduler, ShopScheduler) else None


async def postpone(crawler: Crawler, request: Request, retry: Request, seconds: float) -> Request:
    """``retry`` (of ``request``), to be sent ``seconds`` from now.

    When ``request`` came from :class:`ShopScheduler`, ``retry`` goes back to it marked with its
    time (:func:`wait_before`) and waits there, in no downloader slot. A download the engine
    made directly (robots.txt) never passes the scheduler: it waits here, in its slot.
    """
    if seconds <= 0:
        return retry
    if can_hold(crawler, request):
        return wait_before(retry, seconds)
    await asyncio.sleep(seconds)
    return retry


def can_hold(crawler: Crawler, request: Request) -> bool:
    """Whether a request returned instead of ``request`` goes to a :class:`ShopScheduler`, which
    can hold it (not so for a direct download: ``engine.download_async`` sends it on at once)."""
    scheduler = scheduler_of(crawler)
    return scheduler is not None and scheduler.dispatched(request)


def pause_shop(crawler: Crawler, request: Request, seconds: float) -> bool:
    """Send nothing more to ``request``'s shop for ``seconds``; whether the pause got longer."""
    scheduler = scheduler_of(crawler)
    return scheduler.pause(request, seconds) if scheduler is not None else False


class ShopScheduler(Scheduler):
    """Scrapy's scheduler (queues, dupefilter, ``JOBDIR``) that also holds the requests that must
    wait (``meta["wait_until"]``, paused shops) until their time, off the queues."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[tuple[float, int, Request]] = []  # a heap: (time, order, request)
        self.pauses: dict[str, float] = {}  # shop -> Unix time its pause ends
        self._order = itertools.count()
        self._timer: CallLaterResult | None = None
        self._timer_at = 0.0
        # The requests this scheduler handed to the engine (see postpone()).
        self._dispatched: WeakSet[Request] = WeakSet()

    # --- the engine's interface --------------------------------------------------------------

    def open(self, spider: Spider) -> Any:
        opened = super().open(spider)
        assert self.crawler is not None and self.crawler.engine is not None
        internals.check_scrapy(self.crawler.engine.downloader, self.mqs)
        self._load_pauses()
        return opened

    def enqueue_request(self, request: Request) -> bool:
        until = request.meta.get(WAIT_UNTIL, 0.0)
        if request.dont_filter and until - time.time() > EPSILON:
            self._hold(request, until)  # held before it is queued (a dupefilter check would be moot)
            return True
        return super().enqueue_request(request)

    def next_request(self) -> Request | None:
        while (request := super().next_request()) is not None:
            paused_until = self._pause_of(request)
            until = max(request.meta.get(WAIT_UNTIL, 0.0), paused_until)
            if until - time.time() <= EPSILON:
                self._dispatched.add(request)
                return request
            # Not yet: its shop is paused, or its wait outlived a stop and resume.
            if paused_until >= until:
                self._stat("waits/held_for_shop_pause")
            self._hold(request, until)
        return None

    def has_pending_requests(self) -> bool:
        # Held requests are pending: the engine must not find the spider idle and close it.
        return bool(self.held) or super().has_pending_requests()

    def __len__(self) -> int:
        return super().__len__() + len(self.held)

    def close(self, reason: str) -> Any:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.held:
            # Back into the queue, which JOBDIR saves: a resumed crawl holds them again until
            # their wait_until, and a paused shop's until its pause (kept beside them) is over.
            kept = [entry[2] for entry in sorted(self.held)]
            self.held.clear()
            for request in kept:
                super().enqueue_request(request)
            self._stat("waits/kept_on_close", len(kept))
            logger.info("%d waiting request(s) put back in the queue (kept in the job folder, if any)", len(kept))
        self._save_pauses()
        return super().close(reason)

    # --- pauses kept over a stop ---------------------------------------------------------------

    def _pauses_path(self) -> Path | None:
        folder = job_dir(self.crawler.settings) if self.crawler is not None else None
        return Path(folder) / PAUSES_FILE if folder else None

    def _save_pauses(self) -> None:
        path = self._pauses_path()
        if path is None:
            return
        now = time.time()
        running = {shop: until for shop, until in self.pauses.items() if until > now}
        if running:
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(running), encoding="utf-8")
            temporary.replace(path)
            logger.info("%d shop pause(s) kept in the job folder", len(running))
        else:
            path.unlink(missing_ok=True)

    def _load_pauses(self) -> None:
        path = self._pauses_path()
        if path is None or not path.exists():
            return
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # a damaged file costs the pauses, never the crawl
            logger.warning("%s: unreadable (%s); the shops' pauses before the stop are not kept", path, exc)
            return
        now = time.time()
        restored = {
            str(shop): float(until)
            for shop, until in (saved.items() if isinstance(saved, dict) else ())
            if isinstance(until, int | float) and until > now
        }
        self.pauses.update(restored)
        if restored:
            self._stat("waits/pauses_restored", len(restored))
            logger.info("%d shop pause(s) from before the stop still run", len(restored))

    # --- waiting -----------------------------------------------------------------------------

    def dispatched(self, request: Request) -> bool:
        """Whether the engine got ``request`` from this scheduler (not a direct download)."""
        return request in self._dispatched

    def pause(self, request: Request, seconds: float) -> bool:
        """Hold every request of ``request``'s shop for ``seconds``; whether that is longer than
        the pause it had."""
        assert self.crawler is not None and self.crawler.engine is not None
        shop = shop_of(request, self.crawler.engine.downloader)
        until = time.time() + seconds
        if until <= self.pauses.get(shop, 0.0):
            return False
        self.pauses[shop] = until
        return True

    def _pause_of(self, request: Request) -> float:
        if not self.pauses:
            return 0.0
        assert self.crawler is not None and self.crawler.engine is not None
        shop = shop_of(request, self.crawler.engine.downloader)
        until = self.pauses.get(shop, 0.0)
        if until and until <= time.time():
            del self.pauses[shop]
            return 0.0
        return until

    def _hold(self, request: Request, until: float) -> None:
        # It passed the dupefilter when it was first queued: coming back later is no duplicate.
        request.dont_filter = True
        heapq.heappush(self.held, (until, next(self._order), request))
        self._stat("waits/held")
        self._arm()

    def _arm(self) -> None:
        """Keep the timer set for the earliest held request."""
        if not self.held:
            return
        earliest = self.held[0][0]
        if self._timer is not None:
            if self._timer_at <= earliest:
                return
            self._timer.cancel()
        self._timer_at = earliest
        self._timer = call_later(max(0.0, earliest - time.time()), self._release)

    def _release(self) -> None:
        self._timer = None
        now = time.time()
        due = []
        while self.held and self.held[0][0] - now <= EPSILON:
            due.append(heapq.heappop(self.held)[2])
        self._arm()
        assert self.crawler is not None and self.crawler.engine is not None
        for request in due:
            # Through the engine, which queues it here again and wakes up to send it.
            self.crawler.engine.crawl(request)
        self._stat("waits/released", len(due))

    def _stat(self, key: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)


class ReadySlotsPriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's downloader-aware queue (the least busy download slot first) that hands out no
    request for a slot which already has as many requests in the downloader as it may send at
    once: they would only wait in the downloader, holding places of ``CONCURRENT_REQUESTS``."""

    def pop(self) -> Request | None:
        with self._only_ready_slots():
            return super().pop()

    def peek(self) -> Request | None:
        with self._only_ready_slots():
            return super().peek()

    @contextmanager
    def _only_ready_slots(self) -> Iterator[None]:
        assert self.crawler.engine is not None
        downloader = self.crawler.engine.downloader
        queues = internals.slot_queues(self)
        load = internals.downloader_load(downloader)
        full = [slot for slot in queues if load[slot] >= internals.slot_concurrency(downloader, slot)]
        hidden = {slot: queues.pop(slot) for slot in full}
        try:
            yield
        finally:
            queues.update(hidden)
