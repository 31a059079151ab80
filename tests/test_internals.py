"""The undocumented parts of Scrapy and scrapy-rotating-proxies(-ng) that the middlewares rely on
(listed in ecommerce_scraper/middlewares/internals.py) are as pinned: an upgrade that changes
one fails here, naming the attribute and the version it was pinned for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scrapy import Request
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

from ecommerce_scraper.middlewares import internals
from ecommerce_scraper.middlewares.waits import ReadySlotsPriorityQueue


@pytest.fixture
def crawler() -> Iterator[Crawler]:
    # A real engine (its downloader) without a crawl: no download handler is needed.
    crawler = get_crawler(settings_dict={"DOWNLOAD_HANDLERS": {"http": None, "https": None, "ftp": None}})
    crawler.engine = ExecutionEngine(crawler, lambda _: None)
    yield crawler
    crawler.engine.downloader.close()


def test_the_rotating_proxies_internals_are_as_pinned() -> None:
    internals.check_rotating_proxies()


def test_the_scrapy_internals_are_as_pinned(crawler: Crawler) -> None:
    queue = ReadySlotsPriorityQueue.from_crawler(crawler, FifoMemoryQueue, "")
    internals.check_scrapy(crawler.engine.downloader, queue)
    # What the queue reads: the slot queues, the requests in the downloader, a slot's concurrency.
    queue.push(Request("http://a.example/1"))
    assert set(internals.slot_queues(queue)) == {"a.example"}
    assert internals.downloader_load(crawler.engine.downloader) == {}
    assert internals.slot_concurrency(crawler.engine.downloader, "a.example") == crawler.settings.getint(
        "CONCURRENT_REQUESTS_PER_DOMAIN"
    )
    assert queue.pop() is not None and len(queue) == 0


def test_a_changed_internal_is_named_with_its_pinned_version(crawler: Crawler) -> None:
    downloader = crawler.engine.downloader
    del downloader.per_slot_settings  # as an upgrade that renames it would leave it
    with pytest.raises(internals.InternalsChangedError) as changed:
        internals.check_scrapy(downloader, None)
    message = str(changed.value)
    assert message.startswith("Downloader.per_slot_settings is no longer a dict: ecommerce_scraper relies on it as")
    assert f"scrapy {internals.PINNED['scrapy']}" in message and "middlewares/internals.py" in message
