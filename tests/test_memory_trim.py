"""FreedMemoryReturn: the heap's freed pages go back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from ecommerce_scraper.memory import FreedMemoryReturn


def rss_mb() -> int:
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024


def test_freed_memory_goes_back_to_the_system_when_the_engine_stops() -> None:
    extension = FreedMemoryReturn.from_crawler(get_crawler(Spider, {"MEMORY_TRIM_INTERVAL": 2}))
    # 100 MB in malloc'd blocks (over pymalloc's 512 bytes), then 99% freed: each block kept pins
    # its part of the heap, so the allocator keeps the freed pages until it is asked to trim.
    blocks = [bytes(1000) for _ in range(100_000)]
    kept = blocks[::100]
    del blocks
    before = rss_mb()
    extension.engine_stopped()
    after = rss_mb()
    assert before - after > 50, (before, after)
    assert len(kept) == 1000


def test_the_trim_runs_while_the_engine_runs() -> None:
    extension = FreedMemoryReturn.from_crawler(get_crawler(Spider, {"MEMORY_TRIM_INTERVAL": 0.5}))
    extension.engine_started()
    assert extension.loop.running and extension.loop.interval == 0.5
    extension.engine_stopped()
    assert not extension.loop.running


def test_a_zero_interval_turns_it_off() -> None:
    with pytest.raises(NotConfigured):
        FreedMemoryReturn.from_crawler(get_crawler(Spider, {"MEMORY_TRIM_INTERVAL": 0}))


def test_the_project_enables_it() -> None:
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.getdict("EXTENSIONS")["ecommerce_scraper.memory.FreedMemoryReturn"] > 0
    assert settings.getfloat("MEMORY_TRIM_INTERVAL") == 2.0
