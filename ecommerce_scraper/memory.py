"""Freed memory goes back to the system while a crawl runs, so its RSS tracks what it holds.

A crawl parses thousands of pages in the reactor thread while the storage, exports and matching
work in worker threads. glibc's allocator keeps what they free in its heaps (one per thread) and
hands little of it back: measured on a 1,000-product shop, RSS rose from 166 MB to 256 MB while
what was in use stayed near 180 MB (``malloc_trim`` brought it back to 183 MB). An OOM killer,
a container's limit and ``docs/scaling.md``'s sizing all see RSS, so the crawl returns the free
pages every ``MEMORY_TRIM_INTERVAL`` seconds (default 2; 0 turns it off) and once more when
the engine stops. A trim costs about 2 ms; a system without glibc (musl, macOS) skips it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

#: Held by the work at a crawl's close that reads a whole catalog (the matching across shops, the
#: crawl's export files, the master workbook), so that in one process they run one after the
#: other and their peaks don't add up: a 20,000-product crawl's close peaked at 335 MB with its
#: matching and its workbook side by side. Little time is lost: both are Python code, which runs
#: one thread at a time anyway.
catalog_work = threading.Lock()


def glibc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or ``None`` where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


class FreedMemoryReturn:
    """Extension (``EXTENSIONS``): calls ``malloc_trim`` every ``MEMORY_TRIM_INTERVAL`` seconds."""

    def __init__(self, trim: Callable[[], object], interval: float) -> None:
        self.trim = trim
        self.loop = LoopingCall(trim)
        self.interval = interval

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreedMemoryReturn:
        interval = crawler.settings.getfloat("MEMORY_TRIM_INTERVAL", 2.0)
        if interval <= 0:
            raise NotConfigured("MEMORY_TRIM_INTERVAL is 0")
        trim = glibc_trim()
        if trim is None:
            raise NotConfigured("no malloc_trim in this C library")
        extension = cls(trim, interval)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.loop.start(self.interval, now=False)

    def engine_stopped(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.trim()
