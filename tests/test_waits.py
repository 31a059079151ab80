"""Waiting requests hold no downloader slot: real ``generic`` crawls of demo shops, one of them
down for maintenance (every page: 503 with ``Retry-After``).

- Its pause never slows another shop, even one on the same host (the demo shops share one).
- A retry waiting out its ``Retry-After`` when the crawl stops is kept in the job folder, and
  after a resume is still sent no earlier than the shop asked.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.crawling import SITE, DemoShop, assert_finished, demo_shop

from .conftest import demo_requests, fetch
from .generic_crawls import TIMED_LOG, generic_crawl, item_times, opened_at

GOOD, BUSY = SITE, "atmosphere"  # knitshop (PrestaShop) crawls fine; atmosphere is down
PRODUCTS = 50
RETRY_AFTER = 30
#: Paced by the delay rather than by the CPU (this machine is shared): comparable durations.
PACED = {"DOWNLOAD_DELAY": 0.15, "LOG_LEVEL": "DEBUG", **TIMED_LOG}


@pytest.fixture(scope="module")
def shops() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as running:
        yield running


def good_shop_seconds(output: str, shop: DemoShop) -> float:
    """From the spider's opening to the good shop's last product, read from the crawl's output
    (the start-up before it, a database migration included, is no shop's doing)."""
    times = item_times(output, shop.url(GOOD))
    return max(times) - opened_at(output) if times else math.inf


def test_a_shop_asking_to_wait_never_slows_another(shops: DemoShop, tmp_path: Path) -> None:
    fetch(f"{shops.root}__demo__/faults?spec=busy={BUSY},retry_after={RETRY_AFTER}")
    try:
        alone = generic_crawl([shops.url(GOOD)], tmp_path / "alone", **PACED)
        assert_finished(alone)
        alone_seconds = good_shop_seconds(alone.output, shops)
        fetch(f"{shops.root}__demo__/reset")
        # Both shops; closed long before the busy one's first retry is due (RETRY_AFTER).
        limit = math.ceil(1.5 * alone_seconds) + 3
        both = generic_crawl([shops.url(GOOD), shops.url(BUSY)], tmp_path / "both", CLOSESPIDER_TIMEOUT=limit, **PACED)
    finally:
        fetch(f"{shops.root}__demo__/faults?spec=")
    assert both.returncode == 0, both.output[-3000:]
    assert "Spider closed (closespider_timeout)" in both.output

    good = Counter(item["product_id"] for item in both.items if item["url"].startswith(shops.url(GOOD)))
    both_seconds = good_shop_seconds(both.output, shops)
    busy_asked = demo_requests(shops.root, BUSY)
    print(
        f"good shop alone: {alone_seconds:.2f} s; beside the busy one: {both_seconds:.2f} s "
        f"({len(good)}/{PRODUCTS} products); busy shop asked {len(busy_asked)} time(s)"
    )
    assert set(good) == shops.product_ids(1, GOOD) and max(good.values()) == 1
    assert both_seconds <= 1.2 * alone_seconds, (alone_seconds, both_seconds)
    # The busy shop was asked once, and not again before its Retry-After: its retry waited,
    # and is kept in the job folder for a resumed crawl.
    assert [entry["status"] for entry in busy_asked] == [503]
    assert re.search(r"1 waiting request\(s\) put back in the queue", both.output)


def test_a_waiting_retry_outlives_a_stop_and_still_waits_after_the_resume(tmp_path: Path) -> None:
    retry_after = 12
    with demo_shop(30) as shop:
        fetch(f"{shop.root}__demo__/faults?spec=busy={SITE},retry_after={retry_after}")
        stopped = generic_crawl([shop.url()], tmp_path, name="stopped", CLOSESPIDER_TIMEOUT=3, **TIMED_LOG)
        fetch(f"{shop.root}__demo__/faults?spec=")
        before_stop = demo_requests(shop.root, SITE)
        resumed = generic_crawl([shop.url()], tmp_path, name="resumed", RESUME="true", **TIMED_LOG)
        home = [entry for entry in demo_requests(shop.root, SITE)[len(before_stop) :] if entry["path"] == f"/{SITE}/"]
    refused = before_stop[0]
    print(
        f"before the stop: {[(e['status'], round(e['time'] - refused['time'], 2)) for e in before_stop]}; after the "
        f"resume the home page was asked at +{[round(e['time'] - refused['time'], 2) for e in home]} s"
    )
    assert stopped.returncode == 0 and "Spider closed (closespider_timeout)" in stopped.output
    assert [entry["status"] for entry in before_stop] == [503]
    assert "1 waiting request(s) put back in the queue" in stopped.output
    assert_finished(resumed)
    assert re.search(r"Resuming crawl \([1-9]\d* requests scheduled\)", resumed.output)
    ids = Counter(item["product_id"] for item in resumed.items)
    assert set(ids) == shop.product_ids(1) and max(ids.values()) == 1
    # The resumed crawl starts the shop again, and sends the kept retry no earlier than it is due
    # (on a loaded machine the restart itself may come after that moment: then both do).
    due = refused["time"] + retry_after
    assert len(home) == 2 and due <= home[1]["time"] + 0.05
