"""The downloader middlewares and the scheduler's waits in process: a crawler from
``get_crawler``, the project's scheduler on a real downloader, the middlewares from
``from_crawler``, hand-built requests and responses; no download, no reactor running."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadTimeoutError, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from ecommerce_scraper.middlewares.proxies import ShopBanDetectionMiddleware, ShopProxyMiddleware
from ecommerce_scraper.middlewares.retry import BackoffRetryMiddleware
from ecommerce_scraper.middlewares.waits import WAIT_UNTIL, ShopScheduler

SHOP = "http://shop.test/knitshop/"
PROXIES = ("http://proxy-a.test:8080", "http://proxy-b.test:8080")
SETTINGS = {
    "DOWNLOAD_HANDLERS": {"http": None, "https": None, "ftp": None},  # nothing is downloaded
    "SCHEDULER_PRIORITY_QUEUE": "ecommerce_scraper.middlewares.waits.ReadySlotsPriorityQueue",
    "RETRY_TIMES": 2,
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
    "RETRY_BACKOFF_BASE": 1.0,
    "RETRY_BACKOFF_MAX": 60.0,
    "RETRY_AFTER_MAX": 600.0,
}


class ShopsSpider(Spider):
    name = "shops"
    use_proxies = True


class Engine:
    """What the scheduler and the middlewares ask of the engine (as Scrapy's own scheduler tests
    stand one in): its downloader (a real one, for the download slots), its scheduler, and
    ``crawl``, which queues a released request again."""

    def __init__(self, crawler: Crawler) -> None:
        self._engine = ExecutionEngine(crawler, lambda _: None)
        self.downloader = self._engine.downloader
        self.scheduler: ShopScheduler | None = None
        self.crawled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.crawled.append(request)
        assert self.scheduler is not None
        self.scheduler.enqueue_request(request)


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coroutine`` on an asyncio loop of its own (timers included), leaving none behind."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def make_crawler(spidercls: type[Spider] = ShopsSpider, **settings: Any) -> Crawler:
    crawler = get_crawler(spidercls, {**SETTINGS, **settings})
    crawler.spider = crawler._create_spider()
    engine = Engine(crawler)
    crawler.engine = engine  # type: ignore[assignment]
    engine.scheduler = ShopScheduler.from_crawler(crawler)
    engine.scheduler.open(crawler.spider)
    return crawler


@pytest.fixture
def crawler() -> Iterator[Crawler]:
    crawler = make_crawler()
    yield crawler
    crawler.engine.downloader.close()


def dispatched(crawler: Crawler, request: Request) -> Request:
    """``request`` through the scheduler, as the engine gets it before downloading it."""
    scheduler = crawler.engine.scheduler
    assert scheduler.enqueue_request(request)
    out = scheduler.next_request()
    assert out is request
    return out


def response(request: Request, status: int = 200, body: bytes = b"<html><body>ok</body></html>", **headers: str):
    return HtmlResponse(request.url, status=status, headers=headers, body=body, request=request)


def stats(crawler: Crawler, key: str) -> Any:
    return crawler.stats.get_value(key)


async def next_pages_then_stop(scheduler: ShopScheduler) -> list[str | None]:
    """Queue a page of the paused ``SHOP`` and one of another shop on the same host, take two
    requests from the scheduler (their URLs; ``None``: none ready), then stop it."""
    assert scheduler.enqueue_request(Request(SHOP + "p2", meta={"shop": SHOP}))
    other = Request("http://shop.test/atmosphere/p", meta={"shop": "http://shop.test/atmosphere/"})
    assert scheduler.enqueue_request(other)
    pages = [scheduler.next_request(), scheduler.next_request()]
    scheduler.close("shutdown")
    return [page and page.url for page in pages]


# --- BackoffRetryMiddleware -------------------------------------------------------------------


def test_a_503_is_retried_later_through_the_scheduler(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP}))
    before = time.time()
    retry = run(retry_mw.process_response(request, response(request, 503)))
    assert isinstance(retry, Request) and retry is not request and retry.url == request.url
    assert retry.meta["retry_times"] == 1 and retry.dont_filter
    # Backoff: the first retry waits base × uniform(0.5, 1) seconds, in the scheduler.
    assert before + 0.5 <= retry.meta[WAIT_UNTIL] <= time.time() + 1.0
    assert stats(crawler, "retry/count") == 1
    assert stats(crawler, "retry/reason_count/503 Service Unavailable") == 1
    assert 0.5 <= stats(crawler, "retry/backoff_seconds") <= 1.0


def test_the_backoff_doubles_and_stops_at_its_ceiling(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    retry_mw.rng.uniform = lambda low, high: high  # the jitter's top
    assert [retry_mw.backoff_delay(attempt) for attempt in (1, 2, 3, 7, 8)] == [1.0, 2.0, 4.0, 60.0, 60.0]


def test_after_retry_times_the_response_is_given_up_on(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP, "retry_times": 2}))
    failed = response(request, 503)
    assert run(retry_mw.process_response(request, failed)) is failed
    assert stats(crawler, "retry/max_reached") == 1 and stats(crawler, "retry/count") is None


def test_a_response_that_is_not_retried_passes(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP}))
    for status in (200, 404):
        answer = response(request, status)
        assert run(retry_mw.process_response(request, answer)) is answer
    no_retry = dispatched(crawler, Request(SHOP + "p2", meta={"shop": SHOP, "dont_retry": True}))
    busy = response(no_retry, 503)
    assert run(retry_mw.process_response(no_retry, busy)) is busy
    assert stats(crawler, "retry/count") is None


def test_retry_after_pauses_the_shop_and_the_retry_waits_as_long(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    scheduler = crawler.engine.scheduler
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP}))
    before = time.time()
    retry = run(retry_mw.process_response(request, response(request, 429, **{"Retry-After": "3"})))
    assert before + 3 <= retry.meta[WAIT_UNTIL] <= time.time() + 3
    assert stats(crawler, "retry/retry_after_pauses") == 1 and stats(crawler, "retry/retry_after_seconds") == 3
    assert stats(crawler, "retry/backoff_seconds") is None  # Retry-After replaces the backoff
    assert before + 3 <= scheduler.pauses[SHOP] <= time.time() + 3

    # Another page of the paused shop waits too; another shop on the same host does not.
    assert run(next_pages_then_stop(scheduler)) == ["http://shop.test/atmosphere/p", None]
    assert stats(crawler, "waits/held_for_shop_pause") == 1 and stats(crawler, "waits/kept_on_close") == 1


def test_a_retry_after_over_the_maximum_is_capped(crawler: Crawler) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP}))
    before = time.time()
    retry = run(retry_mw.process_response(request, response(request, 503, **{"Retry-After": "86400"})))
    assert before + 600 <= retry.meta[WAIT_UNTIL] <= time.time() + 600
    assert stats(crawler, "retry/retry_after_capped") == 1


@pytest.mark.parametrize("exception", [DownloadConnectionRefusedError, DownloadTimeoutError])
def test_a_download_failure_is_retried_with_backoff(crawler: Crawler, exception: type[Exception]) -> None:
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = dispatched(crawler, Request(SHOP + "p1", meta={"shop": SHOP}))
    retry = run(retry_mw.process_exception(request, exception("nope")))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1 and retry.meta[WAIT_UNTIL] > time.time()
    assert stats(crawler, "retry/count") == 1
    assert stats(crawler, f"retry/reason_count/scrapy.exceptions.{exception.__name__}") == 1
    assert run(retry_mw.process_exception(request, ValueError("a bug, not the network"))) is None


def test_a_direct_download_waits_in_place(crawler: Crawler) -> None:
    """robots.txt never passes the scheduler: its retry can't be held, so it waits right there."""
    retry_mw = BackoffRetryMiddleware.from_crawler(crawler)
    robots = Request("http://shop.test/robots.txt")  # not dispatched by the scheduler
    started = time.monotonic()
    retry = run(retry_mw.process_response(robots, response(robots, 503, **{"Retry-After": "0.2"})))
    assert time.monotonic() - started >= 0.2 and WAIT_UNTIL not in retry.meta


# --- the scheduler's waits --------------------------------------------------------------------


def test_a_waiting_request_is_held_then_released_when_its_time_comes(crawler: Crawler) -> None:
    scheduler = crawler.engine.scheduler

    async def wait() -> list[Request]:
        later = Request(SHOP + "later", meta={"shop": SHOP, WAIT_UNTIL: time.time() + 0.2}, dont_filter=True)
        assert scheduler.enqueue_request(later)
        now = Request(SHOP + "now", meta={"shop": SHOP})
        assert scheduler.enqueue_request(now)
        assert len(scheduler) == 2 and scheduler.has_pending_requests()
        assert scheduler.next_request() is now
        assert scheduler.next_request() is None  # held, not lost: still pending
        assert scheduler.has_pending_requests() and crawler.engine.crawled == []
        await asyncio.sleep(0.35)
        return [scheduler.next_request()]

    released = run(wait())
    assert [r.url for r in released] == [SHOP + "later"] and [r.url for r in crawler.engine.crawled] == [SHOP + "later"]
    assert stats(crawler, "waits/held") == 1 and stats(crawler, "waits/released") == 1
    assert not scheduler.has_pending_requests()


def test_held_requests_go_back_into_the_queue_on_close(crawler: Crawler) -> None:
    scheduler = crawler.engine.scheduler
    until = time.time() + 3600
    later = Request(SHOP + "later", meta={WAIT_UNTIL: until}, dont_filter=True)

    async def hold_then_close() -> None:
        assert scheduler.enqueue_request(later)
        assert len(scheduler.held) == 1 and len(scheduler.mqs) == 0
        scheduler.close("shutdown")

    run(hold_then_close())
    assert stats(crawler, "waits/kept_on_close") == 1 and scheduler.held == []
    # In the queue (which a JOBDIR saves), its wait_until with it.
    assert len(scheduler.mqs) == 1 and scheduler.mqs.pop().meta[WAIT_UNTIL] == until


# --- ShopProxyMiddleware and ShopBanDetectionMiddleware ---------------------------------------


@pytest.fixture
def proxied(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Crawler, ShopProxyMiddleware, ShopBanDetectionMiddleware]]:
    monkeypatch.delenv("PROXIES", raising=False)
    crawler = make_crawler(PROXY_LIST=",".join(PROXIES))
    yield crawler, ShopProxyMiddleware.from_crawler(crawler), ShopBanDetectionMiddleware.from_crawler(crawler)
    crawler.engine.downloader.close()


def through(proxy_mw: ShopProxyMiddleware, request: Request) -> Request:
    assert run(proxy_mw.process_request(request)) is None
    return request


def test_a_request_of_a_shop_that_wants_proxies_gets_one(proxied) -> None:
    _, proxy_mw, _ = proxied
    request = through(proxy_mw, Request(SHOP + "p1", meta={"shop": SHOP}))
    assert request.meta["proxy"] in PROXIES and request.meta["_rotating_proxy"] is True
    assert request.meta["_proxy_name"] == request.meta["proxy"]  # no credentials to hide here
    assert "download_slot" not in request.meta  # the shop's own slot: its politeness stays


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (403, b"<html><body>Forbidden</body></html>", "403 forbidden"),
        (503, b"<html><head><title>Just a moment...</title></head><body>cf-chl</body></html>", "503 cloudflare"),
        (200, b"<html><body><div class='g-recaptcha'></div> are you a robot?</body></html>", "200 recaptcha"),
    ],
    ids=["403", "cloudflare-503", "captcha-200"],
)
def test_a_ban_rests_the_proxy_and_sends_the_page_through_the_other(proxied, status, body, reason) -> None:
    crawler, proxy_mw, ban_mw = proxied
    request = through(proxy_mw, Request(SHOP + "p1", meta={"shop": SHOP}))
    banned = request.meta["proxy"]
    answer = response(request, status, body)
    # Scrapy calls process_response in reverse order of DOWNLOADER_MIDDLEWARES: bans (620), then proxies (610).
    assert ban_mw.process_response(request, answer) is answer
    assert request.meta["_ban"] is True and request.meta["_ban_reason"].startswith(reason)
    retry = proxy_mw.process_response(request, answer)
    assert isinstance(retry, Request) and retry.url == request.url and retry.dont_filter
    assert "proxy" not in retry.meta and "_ban" not in retry.meta and retry.meta["proxy_retry_times"] == 1
    assert stats(crawler, "proxies/page_retries") == 1
    assert stats(crawler, f"proxies/bans/{status}") == 1 and stats(crawler, f"bans/status/{status}") == 1
    (other,) = (p for p in PROXIES if p != banned)
    for _ in range(5):  # the banned proxy rests: every retry goes through the other one
        assert through(proxy_mw, retry.copy()).meta["proxy"] == other
    assert proxy_mw.figures.records[banned].bans == 1


def test_a_busy_shop_is_not_a_ban(proxied) -> None:
    crawler, proxy_mw, ban_mw = proxied
    request = through(proxy_mw, Request(SHOP + "p1", meta={"shop": SHOP}))
    answer = response(request, 503, **{"Retry-After": "5"})
    assert ban_mw.process_response(request, answer) is answer and request.meta["_ban"] is False
    assert proxy_mw.process_response(request, answer) is answer  # left to the retries
    assert stats(crawler, "proxies/page_retries") is None


def test_an_unreachable_proxy_is_a_ban(proxied) -> None:
    _, proxy_mw, ban_mw = proxied
    request = through(proxy_mw, Request(SHOP + "p1", meta={"shop": SHOP}))
    ban_mw.process_exception(request, DownloadConnectionRefusedError("refused"))
    assert request.meta["_ban"] is True
    assert request.meta["_ban_reason"] == "proxy unreachable (DownloadConnectionRefusedError)"
    retry = proxy_mw.process_exception(request, DownloadConnectionRefusedError("refused"))
    assert isinstance(retry, Request) and "proxy" not in retry.meta


def test_a_spider_that_does_not_use_proxies_gets_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROXIES", raising=False)

    class DirectSpider(Spider):
        name = "direct"
        use_proxies = False

    crawler = make_crawler(DirectSpider, PROXY_LIST=",".join(PROXIES))
    try:
        proxy_mw = ShopProxyMiddleware.from_crawler(crawler)
        request = through(proxy_mw, Request(SHOP + "p1"))
        assert "proxy" not in request.meta
        forbidden = response(request, 403)
        ban_mw = ShopBanDetectionMiddleware.from_crawler(crawler)
        assert ban_mw.process_response(request, forbidden) is forbidden and "_ban" not in request.meta
        assert proxy_mw.process_response(request, forbidden) is forbidden
    finally:
        crawler.engine.downloader.close()


def test_without_proxies_the_middlewares_are_off(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("PROXIES", raising=False)
    crawler = get_crawler(ShopsSpider, {"PROXY_LIST_PATH": str(tmp_path / "none.txt")})
    for middleware in (ShopProxyMiddleware, ShopBanDetectionMiddleware):
        with pytest.raises(NotConfigured):
            middleware.from_crawler(crawler)


def test_a_proxy_the_spider_chose_is_left_alone(proxied) -> None:
    """A response to a request sent without a rotating proxy (the spider chose one) is no verdict."""
    _, proxy_mw, ban_mw = proxied
    own = through(proxy_mw, Request(SHOP + "p1", meta={"proxy": "http://mine.test:3128"}))
    assert own.meta["proxy"] == "http://mine.test:3128" and "_rotating_proxy" not in own.meta
    forbidden = Response(own.url, status=403, request=own)
    assert (
        ban_mw.process_response(own, forbidden) is forbidden and proxy_mw.process_response(own, forbidden) is forbidden
    )


def test_a_shops_pause_outlives_a_stop_and_a_resume(tmp_path: Path) -> None:
    """Retry-After paused the shop for 30 s and the crawl stopped: resumed at once (same JOBDIR),
    it still sends that shop nothing before the pause is over; another shop goes on."""
    jobdir = str(tmp_path / "job")
    first = make_crawler(JOBDIR=jobdir)
    paused_at = time.time()
    assert first.engine.scheduler.pause(Request(SHOP + "p1", meta={"shop": SHOP}), 30)
    first.engine.scheduler.close("shutdown")
    first.engine.downloader.close()

    resumed = make_crawler(JOBDIR=jobdir)
    try:
        scheduler = resumed.engine.scheduler
        assert paused_at + 30 <= scheduler.pauses[SHOP] <= time.time() + 30
        assert stats(resumed, "waits/pauses_restored") == 1
        assert run(next_pages_then_stop(scheduler)) == ["http://shop.test/atmosphere/p", None]
    finally:
        resumed.engine.downloader.close()
    # A pause over by the next start is not restored (nor kept: the file goes with the last one).
    (tmp_path / "job" / "shop_pauses.json").write_text(json.dumps({SHOP: time.time() - 1}), encoding="utf-8")
    later = make_crawler(JOBDIR=jobdir)
    try:
        assert later.engine.scheduler.pauses == {}
        later.engine.scheduler.close("finished")
        assert not (tmp_path / "job" / "shop_pauses.json").exists()
    finally:
        later.engine.downloader.close()
