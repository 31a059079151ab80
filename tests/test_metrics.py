"""Prometheus metrics of a crawl, read back from a real Pushgateway (Debian's, ``make pushgateway``)
started by the test on a free loopback port.

- A crawl pushes each shop's gauges at close, and they are the crawl's figures: products = the items
  crawled = the crawl record's count, pages = responses received, errors, retries, duration, coverage
  of each field as counted from the items, and the last success time of the finished crawl.
- A generic crawl of two shops pushes two groups, each with its own shop's figures.
- A Pushgateway that refuses connections costs one log line; the crawl finishes as always.
- A later failed crawl leaves the last success time where it was (the push is a POST).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any, ClassVar

import pytest
from scrapy import Request, Spider
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from ecommerce_scraper.extraction.toolkit import is_empty
from ecommerce_scraper.metrics.extension import CrawlMetrics, apply_stored_health
from ecommerce_scraper.metrics.figures import CrawlFigures
from ecommerce_scraper.metrics.prometheus import ShopCrawl, push
from ecommerce_scraper.monitors.health import COVERAGE_FIELDS
from ecommerce_scraper.storage.models import Crawl
from testkit.crawling import SITE, DemoShop, assert_finished, crawl, demo_shop, engine_for
from testkit.pushgateway import Pushgateway, pushgateway, pushgateway_binary
from testkit.web import free_port

from .conftest import require_service
from .generic_crawls import generic_crawl

PREFIX = "ecommerce_scraper_crawl_"
FAILED_PUSH = "could not push the crawl metrics to the Pushgateway"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushgateway]:
    require_service(pushgateway_binary() is not None, "Pushgateway")
    with pushgateway(tmp_path_factory.mktemp("pushgateway")) as running:
        yield running


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(30) as running:
        yield running


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"


def crawl_row(url: str, site: str = SITE) -> Any:
    with engine_for(url) as engine, engine.connect() as conn:
        return conn.execute(select(Crawl).where(Crawl.site == site)).one()


def coverage_of(items: list[dict[str, Any]], field: str) -> float:
    return sum(1 for item in items if not is_empty(item.get(field))) / len(items)


def test_a_crawl_pushes_its_figures(gateway: Pushgateway, shop: DemoShop, tmp_path: Path) -> None:
    url = sqlite(tmp_path)
    env = {"PROMETHEUS_PUSHGATEWAY": gateway.url}
    run = crawl(shop.url(), url, tmp_path / "exports", tmp_path / "feed.jsonl", env=env)
    assert_finished(run)
    row = crawl_row(url)
    gauges = gateway.shop(SITE)
    print("gauges:", gauges)  # the report quotes them

    assert len(run.items) == 30
    assert gauges[PREFIX + "products"] == len(run.items) == row.items_count
    assert gauges[PREFIX + "pages"] == row.stats["response_received_count"]
    assert gauges[PREFIX + "errors"] == row.errors_count == 0
    assert gauges[PREFIX + "retries"] == row.stats.get("retry/count", 0) == 0
    assert gauges[PREFIX + "bans"] == 0
    assert gauges[PREFIX + "monitors_failed"] == 0
    assert gauges[PREFIX + "success"] == 1
    started, finished = row.started_at.replace(tzinfo=UTC), row.finished_at.replace(tzinfo=UTC)
    assert gauges[PREFIX + "duration_seconds"] == pytest.approx((finished - started).total_seconds(), abs=1e-3)
    assert 0 < gauges[PREFIX + "duration_seconds"] < run.seconds
    assert gauges["ecommerce_scraper_last_success_timestamp_seconds"] == pytest.approx(finished.timestamp(), abs=1e-3)
    for field in COVERAGE_FIELDS:
        assert gauges[f"{PREFIX}field_coverage_ratio{{field={field}}}"] == pytest.approx(
            coverage_of(run.items, field), abs=5e-5
        )
    assert f"{SITE} crawl {run.crawl_id}: metrics pushed to {gateway.url}" in run.output
    assert FAILED_PUSH not in run.output


def test_a_generic_crawl_pushes_each_shop_its_own_figures(gateway: Pushgateway, demo_root: str, tmp_path: Path) -> None:
    shops = {"127.0.0.1-knitshop": f"{demo_root}knitshop/", "127.0.0.1-atmosphere": f"{demo_root}atmosphere/"}
    run = generic_crawl(list(shops.values()), tmp_path, env={"PROMETHEUS_PUSHGATEWAY": gateway.url})
    assert_finished(run)
    pages = {}
    for site in shops:
        gauges = gateway.shop(site)
        items = [item for item in run.items if item["site"] == site]
        assert items, site
        assert gauges[PREFIX + "products"] == len(items) == crawl_row(sqlite(tmp_path), site).items_count
        assert gauges[PREFIX + "success"] == 1
        assert gauges[f"{PREFIX}field_coverage_ratio{{field=price}}"] == pytest.approx(
            coverage_of(items, "price"), abs=5e-5
        )
        pages[site] = gauges[PREFIX + "pages"]
    # Each shop's pages are its own: together, every response of the crawl.
    stats = crawl_row(sqlite(tmp_path), next(iter(shops))).stats
    assert all(pages.values())
    assert sum(pages.values()) == stats["response_received_count"]


def test_a_pushgateway_that_refuses_costs_one_log_line(shop: DemoShop, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    run = crawl(
        shop.url(),
        sqlite(tmp_path),
        tmp_path / "exports",
        tmp_path / "feed.jsonl",
        env={"PROMETHEUS_PUSHGATEWAY": closed},
    )
    assert_finished(run)
    assert len(run.items) == 30
    lines = [line for line in run.output.splitlines() if FAILED_PUSH in line]
    assert len(lines) == 1, lines
    assert "WARNING" in lines[0] and closed in lines[0]
    assert "metrics/extension.py" not in run.output  # no traceback
    assert crawl_row(sqlite(tmp_path)).status == "finished"


def test_a_failed_crawl_keeps_the_last_success_time(gateway: Pushgateway) -> None:
    site = "unit-shop"
    common: dict[str, Any] = {"pages": 5, "errors": 0, "bans": 0, "retries": 0, "duration_seconds": 3.0}
    finished_at = time.time() - 3600
    ok = ShopCrawl(site, "c1", "finished", products=10, monitors_failed=0, finished_at=finished_at, **common)
    push(gateway.url, ok)
    failed = ShopCrawl(site, "c2", "failed", products=0, monitors_failed=2, finished_at=time.time(), **common)
    push(gateway.url, failed)
    gauges = gateway.shop(site)
    assert gauges["ecommerce_scraper_last_success_timestamp_seconds"] == pytest.approx(finished_at)
    assert gauges[PREFIX + "success"] == 0
    assert gauges[PREFIX + "products"] == 0
    assert gauges[PREFIX + "monitors_failed"] == 2


# --- the figures, without a crawl -----------------------------------------------------------------


class TwoShops(Spider):
    name = "two_shops"

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    shops: ClassVar[dict[str, Named]] = {"http://a.test/": Named("a"), "http://b.test/shop/": Named("b")}

    def site_names(self) -> list[str]:
        return ["a", "b"]


def test_retries_and_bans_are_counted_per_shop() -> None:
    crawler = get_crawler(TwoShops)
    figures = CrawlFigures.of(crawler)
    assert CrawlFigures.of(crawler) is figures
    spider = TwoShops()
    figures.spider_opened(spider)
    page = Request("http://b.test/shop/p1", meta={"shop": "http://b.test/shop/"})
    figures.request_scheduled(page, spider)
    retried = page.replace(meta={**page.meta, "retry_times": 1})  # what get_retry_request does
    figures.request_scheduled(retried, spider)
    resent = retried.replace(meta={**retried.meta, "proxy_retry_times": 1})  # a ban: another proxy
    figures.request_scheduled(resent, spider)
    child = Request("http://b.test/shop/p2", meta={**resent.meta})  # a page built from its meta: nothing new
    figures.request_scheduled(child, spider)
    robots = Request("http://a.test/robots.txt")  # no shop in meta: by its host
    figures.request_scheduled(robots, spider)
    assert figures.site_of(robots, spider) == "a"
    figures.page_outcome(site="a", url="http://a.test/p", outcome="failed", cause="http_500")
    figures.page_outcome(site="a", url="http://a.test/q", outcome="gone", cause="http_404")
    assert (figures.shop("b").retries, figures.shop("b").bans) == (1, 1)
    assert (figures.shop("a").retries, figures.shop("a").bans) == (0, 0)
    assert figures.errors("a", {"log_count/ERROR": 7}) == 1  # two shops: a shop's failed pages


def test_coverage_and_monitors_come_from_the_stats_when_there() -> None:
    crawler = get_crawler(Spider, {"PROMETHEUS_PUSHGATEWAY": "http://127.0.0.1:9"})
    metrics = CrawlMetrics.from_crawler(crawler)
    metrics.figures.sites = ["knitshop"]
    # The field-coverage pipeline's counts: 4 products, 2 with a price, 4 with a sku.
    counts = {"coverage/knitshop/items": 4, "coverage/knitshop/price": 2, "coverage/knitshop/sku": 4}
    stats = {**counts, "monitors/failed": 2, "elapsed_time_seconds": 12.5}
    pushed = metrics.shop_crawl("knitshop", "c1", stats, status="finished")
    assert pushed.coverage["price"] == 0.5
    assert pushed.coverage["sku"] == 1.0
    assert pushed.coverage["name"] == 0.0
    assert (pushed.monitors_failed, pushed.duration_seconds) == (2, 12.5)


def test_without_a_pushgateway_the_extension_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.exceptions import NotConfigured

    monkeypatch.delenv("PROMETHEUS_PUSHGATEWAY", raising=False)
    with pytest.raises(NotConfigured):
        CrawlMetrics.from_crawler(get_crawler(Spider))


def test_what_the_monitors_stored_in_the_row_wins() -> None:
    common: dict[str, Any] = {"pages": 1, "errors": 0, "bans": 0, "retries": 0, "duration_seconds": 1.0}
    pushed = ShopCrawl("s", "c", "partial", products=3, monitors_failed=0, coverage={"price": 1.0}, **common)
    apply_stored_health(pushed, {"coverage/price": 0.25, "monitors": {"failed": ["item_count", "coverage/price"]}})
    assert (pushed.coverage["price"], pushed.monitors_failed) == (0.25, 2)
