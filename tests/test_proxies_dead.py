"""A dead proxy is rested at once and its pages go through a live one: real ``generic`` crawls of a
demo shop through one live local proxy and one dead one, a closed port (connection refused) or a
host name that does not resolve (``nonexistent.invalid``, reserved never to resolve)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecommerce_scraper.middlewares.proxy_list import mask_proxy
from ecommerce_scraper.spiders.generic import site_name_for
from testkit.crawling import DemoShop, assert_finished, demo_shop
from testkit.proxies import ForwardProxy
from testkit.web import free_port

from .generic_crawls import generic_crawl, stats_of

PRODUCTS = 150


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as running:
        yield running


def closed_port() -> str:
    """A loopback port nothing listens on: connecting to it is refused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    "dead",
    [
        pytest.param(closed_port, id="closed-port"),
        pytest.param(lambda: "http://nonexistent.invalid:3128", id="unresolvable"),
    ],
)
def test_a_dead_proxy_is_rested_and_its_pages_go_through_the_live_one(shop: DemoShop, tmp_path: Path, dead) -> None:
    dead_url = dead()
    with ForwardProxy("live") as live:
        run = generic_crawl(
            [shop.url()],
            tmp_path,
            args={"proxies": "true"},
            env={"PROXIES": f"{live.url},{dead_url}"},
        )
        forwarded = live.forwarded
    assert_finished(run)

    ids = Counter(item["product_id"] for item in run.items)
    stats = stats_of(tmp_path, site_name_for(shop.url()))
    table = {row["proxy"]: row for row in stats["proxies/table"]}
    dead_row, live_row = table[mask_proxy(dead_url)], table[mask_proxy(live.url)]
    print(
        f"products {len(ids)}/{PRODUCTS}, most copies {max(ids.values())}; dead proxy {dead_row['requests']} "
        f"requests, {dead_row['bans']} bans; live proxy {live_row['requests']} requests (forwarded {forwarded}); "
        f"shop retries {stats.get('retry/count', 0)}"
    )
    # 100% of the catalog, once each.
    assert set(ids) == shop.product_ids(1)
    assert max(ids.values()) == 1
    # Rested after its first failures: a few requests, each a ban, the rest through the live one.
    assert dead_row["bans"] > 0 and dead_row["bans"] == dead_row["requests"]
    assert dead_row["requests"] <= 8, dead_row
    assert live_row["successes"] >= PRODUCTS
    # Retried by the proxy layer at once, not by the shop's retries (with their backoff).
    assert stats.get("retry/count", 0) == 0 and "retry/backoff_seconds" not in stats
