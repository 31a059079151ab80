"""Retries that respect the shop, in real crawls of a demo shop that answers 429 and 503.

- Retry-After: after a 429, the next request to the shop comes no earlier than it says.
- Backoff: a 503'd page is asked again after an exponentially growing, jittered wait, while the
  rest of the shop goes on.
- Retries are capped; a page that keeps failing is logged with its URL, and counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import Headers

from ecommerce_scraper.middlewares.retry import BackoffRetryMiddleware
from ecommerce_scraper.retry_after import retry_after_seconds
from testkit.crawling import SITE, DemoShop, assert_finished, crawl, demo_shop

from .conftest import demo_requests, fetch


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(12) as running:
        yield running


def crawl_with_faults(shop: DemoShop, tmp_path: Path, spec: str, **settings: Any) -> tuple[Any, list[dict]]:
    fetch(f"{shop.root}__demo__/reset")
    fetch(f"{shop.root}__demo__/faults?spec={spec}")
    try:
        run = crawl(
            shop.url(),
            f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}",
            tmp_path / "exports",
            tmp_path / "items.jsonl",
            **settings,
        )
    finally:
        fetch(f"{shop.root}__demo__/faults?spec=")
    return run, sorted(demo_requests(shop.root, SITE), key=lambda r: r["time"])


def test_retry_after_pauses_the_shop(shop: DemoShop, tmp_path: Path) -> None:
    # One request at a time (with DOWNLOAD_DELAY 0, Scrapy 2.19 lets queued requests past the
    # per-domain limit): only then is "the next request" after a 429 one sent after it.
    run, log = crawl_with_faults(
        shop,
        tmp_path,
        "429=0.25,retry_after=1",
        CONCURRENT_REQUESTS_PER_DOMAIN=1,
        DOWNLOAD_DELAY=0.02,
        RETRY_TIMES=10,
    )
    assert_finished(run)
    assert {item["product_id"] for item in run.items} == shop.product_ids(1)
    limited = [index for index, entry in enumerate(log) if entry["status"] == 429]
    assert limited, "the shop answered 429 at least once"
    for index in limited[:-1] if limited[-1] == len(log) - 1 else limited:
        waited = log[index + 1]["time"] - log[index]["time"]
        assert waited >= 1 - 0.05, (log[index]["path"], waited)  # not earlier than told
    assert f"'retry/retry_after_pauses': {len(limited)}" in run.output


def test_errors_back_off_per_page_while_the_shop_goes_on(shop: DemoShop, tmp_path: Path) -> None:
    run, log = crawl_with_faults(
        shop, tmp_path, "5xx=0.3", CONCURRENT_REQUESTS_PER_DOMAIN=1, RETRY_TIMES=10, RETRY_BACKOFF_BASE=0.4
    )
    assert_finished(run)
    assert {item["product_id"] for item in run.items} == shop.product_ids(1)
    failed = [(index, entry) for index, entry in enumerate(log) if entry["status"] == 503]
    assert failed
    others_meanwhile = 0
    for index, entry in failed:
        later = [(i, e) for i, e in enumerate(log) if i > index and e["path"] == entry["path"]]
        assert later, f"{entry['path']} was asked again"
        retry_index, retry = later[0]
        # At least base × 0.5 after a first failure (more after later ones), never at once.
        assert retry["time"] - entry["time"] >= 0.4 * 0.5 - 0.02, entry["path"]
        others_meanwhile += retry_index - index - 1
    assert others_meanwhile > 0  # the other pages did not wait for the retried one


def test_retries_are_capped_and_the_failure_is_logged_with_its_url(shop: DemoShop, tmp_path: Path) -> None:
    run, log = crawl_with_faults(shop, tmp_path, "5xx=1.0", RETRY_TIMES=2, RETRY_BACKOFF_BASE=0.05)
    assert run.returncode == 0
    home = shop.url()
    assert sum(1 for entry in log if entry["path"] == f"/{SITE}/") == 3  # the first try and 2 retries
    assert f"Gave up retrying <GET {home}> (failed 3 times): 503 Service Unavailable" in run.output
    assert "'retry/max_reached': " in run.output


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = 1_700_000_000.0
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 120))
    assert retry_after_seconds(Headers({"Retry-After": "30"})) == 30
    assert retry_after_seconds(Headers({"Retry-After": date}), now=now) == pytest.approx(120)
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0  # in the past: now
    assert retry_after_seconds(Headers({"Retry-After": "later"})) is None
    assert retry_after_seconds(Headers({})) is None


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"RETRY_BACKOFF_BASE": 1.0, "RETRY_BACKOFF_MAX": 10.0})
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (9, 10.0)):
        delays = [middleware.backoff_delay(attempt) for _ in range(200)]
        assert all(ceiling * 0.5 <= delay <= ceiling for delay in delays), attempt
        assert max(delays) - min(delays) > ceiling * 0.2  # jittered, not in lockstep
