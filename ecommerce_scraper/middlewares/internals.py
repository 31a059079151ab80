"""The only place :mod:`ecommerce_scraper.middlewares` touches what Scrapy and
scrapy-rotating-proxies(-ng) do not document: pinned to the versions below, checked when a crawl
starts (:func:`check_scrapy` from ``ShopScheduler.open``, :func:`check_rotating_proxies` from
``ShopProxyMiddleware.from_crawler``) and by ``tests/test_internals.py``, which fail with the
attribute's name and the pinned version when an upgrade changes one.

Replaced by public API (issue 11):

- ``scrapy.core.downloader.Slot.latercall`` and ``Downloader._latercall`` (a ``Retry-After``
  paused the download slot on the downloader's own delay timer; the requests then waited in the
  slot, holding ``CONCURRENT_REQUESTS``): the scheduler holds a paused shop's requests instead
  (:mod:`.waits`, ``SCHEDULER`` is a documented setting, ``ExecutionEngine.scheduler`` public
  since 2.19, ``engine.crawl``, ``scrapy.utils.asyncio.call_later``).
- ``RetryMiddleware._retry``: ``scrapy.downloadermiddlewares.retry.get_retry_request``.
- ``RotatingProxyMiddleware._handle_result`` and ``._retry`` (overridden or called to mark a
  proxy and retry the page through another): :class:`~.proxies.ShopProxyMiddleware` does it with
  the proxy container's methods (``get_proxy``, ``get_random``, ``mark_dead``, ``mark_good``,
  ``reanimate``).
- ``Proxies.unchecked`` and ``Proxies.dead`` written to by hand (a proxy put back early) and
  ``ProxyState.failed_attempts`` (the ban number in the log): ``Proxies.reanimate`` with a time
  (below) and the middleware's own count of bans in a row.

Still used, pinned here (no public way to do it):

- scrapy-rotating-proxies-ng: ``Proxies.dead`` (the resting proxies) and
  ``Proxies.proxies[url].next_check`` (when each rest ends), read to know how long to wait when
  every proxy rests; ``Proxies.reanimate(_time=...)`` to end the soonest rest early when a
  request has waited ``PROXY_WAIT_MAX``.
- Scrapy: ``DownloaderAwarePriorityQueue.pqueues`` (the queue of each download slot), to skip
  slots that can't send now; ``Downloader.active``, ``Downloader.slots``, ``Slot.concurrency``,
  ``Downloader.per_slot_settings`` and ``Downloader.domain_concurrency`` (public names, not
  documented), to count a slot's requests in the downloader against what it may send at once.

Public names the subclasses use as their base classes set them (not underscored, not listed in
the docs; a rename would fail loudly, with an ``AttributeError``):
``Scheduler.crawler``, ``.stats`` and ``.mqs`` (:class:`~.waits.ShopScheduler`),
``RotatingProxyMiddleware.proxies`` and ``.max_proxies_to_try``, and the ``meta["_ban"]``
verdict that the library's ``BanDetectionMiddleware`` documents (:mod:`.proxies`).
"""

from __future__ import annotations

import time
from collections import Counter
from importlib.metadata import version
from typing import TYPE_CHECKING, Any

from scrapy import Request

if TYPE_CHECKING:
    from rotating_proxies.expire import Proxies
    from scrapy.core.downloader import Downloader
    from scrapy.pqueues import DownloaderAwarePriorityQueue

#: distribution -> the version these internals were read from
PINNED = {"scrapy": "2.19.0", "scrapy-rotating-proxies-ng": "0.7.0"}


class InternalsChangedError(RuntimeError):
    """An upgrade changed something this module relies on."""


def _changed(package: str, what: str, problem: str) -> InternalsChangedError:
    return InternalsChangedError(
        f"{what} {problem}: ecommerce_scraper relies on it as in {package} {PINNED[package]} "
        f"(installed: {version(package)}); see ecommerce_scraper/middlewares/internals.py"
    )


# --- Scrapy -----------------------------------------------------------------------------------


def slot_queues(queue: DownloaderAwarePriorityQueue) -> dict[str, Any]:
    """The queue's per-download-slot queues, by slot key (may be changed in place)."""
    return queue.pqueues


def downloader_load(downloader: Downloader) -> Counter[str]:
    """Requests in the downloader (its middlewares included) by download slot."""
    return Counter(downloader.get_slot_key(request) for request in downloader.active)


def slot_concurrency(downloader: Downloader, key: str) -> int:
    """How many requests the download slot ``key`` sends at once (as ``Downloader`` sets it up)."""
    slot = downloader.slots.get(key)
    if slot is not None:
        return slot.concurrency
    default = downloader.ip_concurrency or downloader.domain_concurrency
    return int(downloader.per_slot_settings.get(key, {}).get("concurrency", default))


def check_scrapy(downloader: Downloader, queue: Any) -> None:
    """Fail loudly when the Scrapy internals above are not what they were."""
    from scrapy.core.downloader import Slot
    from scrapy.pqueues import DownloaderAwarePriorityQueue

    if isinstance(queue, DownloaderAwarePriorityQueue) and not isinstance(getattr(queue, "pqueues", None), dict):
        raise _changed("scrapy", "DownloaderAwarePriorityQueue.pqueues", "is no longer a dict of slot queues")
    for name, kind in (("active", set), ("slots", dict), ("per_slot_settings", dict)):
        if not isinstance(getattr(downloader, name, None), kind):
            raise _changed("scrapy", f"Downloader.{name}", f"is no longer a {kind.__name__}")
    for name in ("domain_concurrency", "ip_concurrency"):
        if not isinstance(getattr(downloader, name, None), int):
            raise _changed("scrapy", f"Downloader.{name}", "is no longer an int")
    if downloader.get_slot_key(Request("http://internals.invalid/")) != "internals.invalid":
        raise _changed("scrapy", "Downloader.get_slot_key()", "no longer keys a slot by host name")
    if getattr(Slot(concurrency=3, delay=0), "concurrency", None) != 3:
        raise _changed("scrapy", "scrapy.core.downloader.Slot.concurrency", "is no longer the slot's concurrency")


# --- scrapy-rotating-proxies(-ng) ---------------------------------------------------------------


def rest_ends(proxies: Proxies) -> dict[str, float]:
    """The resting (dead) proxies, each with the Unix time its rest ends."""
    return {proxy: proxies.proxies[proxy].next_check or 0.0 for proxy in proxies.dead}


def end_soonest_rest(proxies: Proxies) -> None:
    """Put the proxy whose rest ends first back to work now, keeping its backoff for its next ban."""
    ends = rest_ends(proxies)
    if ends:
        proxies.reanimate(_time=min(ends.values()))


def check_rotating_proxies() -> None:
    """Fail loudly when the scrapy-rotating-proxies internals above are not what they were."""
    import inspect

    from rotating_proxies.expire import Proxies

    package = "scrapy-rotating-proxies-ng"
    if "_time" not in inspect.signature(Proxies.reanimate).parameters:
        raise _changed(package, "Proxies.reanimate(_time=...)", "no longer takes the time to reanimate at")
    proxies = Proxies(["http://proxy.invalid:1"], backoff=lambda attempt: 60.0)
    before = time.time()
    proxies.mark_dead("http://proxy.invalid:1")
    if not isinstance(getattr(proxies, "dead", None), set) or "http://proxy.invalid:1" not in proxies.dead:
        raise _changed(package, "Proxies.dead", "is no longer the set of resting proxies")
    state = getattr(proxies, "proxies", {}).get("http://proxy.invalid:1")
    if not before + 60 <= (getattr(state, "next_check", None) or 0) <= time.time() + 60:
        raise _changed(package, "Proxies.proxies[url].next_check", "is no longer the Unix time the proxy's rest ends")
    end_soonest_rest(proxies)
    if proxies.dead or proxies.get_random() is None:
        raise _changed(package, "Proxies.reanimate(_time=...)", "no longer puts a resting proxy back")
