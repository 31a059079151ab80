"""End to end: the generic spider, told nothing but the shops' URLs, reports each demo shop's
truth and asks for nothing robots.txt forbids. (Each shop's own spider is checked the same way
in test_changes, on the crawls of ``make demo``.)"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urljoin

import pytest
from protego import Protego

from .conftest import chromium_path, demo_requests, fetch, require_service, run_crawl, truth

SHOPS = ["atmosphere", "sittingknitting", "knitshop", "ili_ili", "triskeli", "manefa", "cityknitting"]


def _money(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _product_view(product: dict) -> dict:
    """The fields the issue says must match, normalized for comparison."""
    return {
        "name": product["name"],
        "price": _money(product.get("price")),
        "regular_price": _money(product.get("regular_price")),
        "currency": product.get("currency"),
        "availability": product.get("availability"),
        "sku": product.get("sku"),
        "variants": sorted(
            (
                v.get("sku") or "",
                _money(v.get("price")),
                _money(v.get("regular_price")),
                v.get("availability"),
            )
            for v in product.get("variants") or []
        ),
    }


def assert_same_catalog(items: list[dict], expected: list[dict], fields: tuple[str, ...] | None = None) -> None:
    ids = [i["product_id"] for i in items]
    assert len(ids) == len(set(ids)), f"duplicate products: {sorted(i for i in ids if ids.count(i) > 1)}"
    got = {i["product_id"]: _product_view(i) for i in items}
    want = {p["product_id"]: _product_view(p) for p in expected}
    assert set(got) == set(want), f"missing {sorted(set(want) - set(got))}, unexpected {sorted(set(got) - set(want))}"
    mismatches = []
    for product_id, truth_view in want.items():
        for field, value in truth_view.items():
            if fields and field not in fields:
                continue
            if got[product_id][field] != value:
                mismatches.append(f"{product_id} {field}: got {got[product_id][field]!r}, want {value!r}")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches[:25])


def assert_polite(demo_root: str, site: str, since: int) -> None:
    """No request the demo server saw for this shop (after the first ``since``) is disallowed
    by its robots.txt."""
    robots = Protego.parse(fetch(urljoin(demo_root, "/robots.txt"))[2].decode())
    seen = demo_requests(demo_root, site)[since:]
    assert seen, "the demo server saw no request at all"
    forbidden = [r["path"] for r in seen if not robots.can_fetch(urljoin(demo_root, r["path"]), "ecommerce_scraper")]
    assert not forbidden, f"requested robots-disallowed URLs: {forbidden}"


@dataclass
class GenericCrawl:
    items: dict[str, list[dict]]  # site -> products
    output: str


@pytest.fixture(scope="module")
def generic_crawl_of_every_shop(demo_root: str, tmp_path_factory: pytest.TempPathFactory) -> GenericCrawl:
    """``scrapy crawl generic`` given the seven demo shops at once: no config, platforms detected."""
    require_service(chromium_path() is not None, "Chromium")  # manefa is a JavaScript storefront
    before = {site: len(demo_requests(demo_root, site)) for site in SHOPS}
    urls = ",".join(f"{demo_root}{site}/" for site in SHOPS)
    items, proc = run_crawl("generic", tmp_path_factory.mktemp("generic"), f"url={urls}", timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    by_site: dict[str, list[dict]] = {site: [] for site in SHOPS}
    for item in items:
        by_site[item["site"].removeprefix("127.0.0.1-")].append(item)
    for site in SHOPS:
        assert_polite(demo_root, site, since=before[site])
    return GenericCrawl(by_site, proc.stderr)


@pytest.mark.parametrize("site", SHOPS)
def test_generic_spider_finds_the_same_products(
    site: str, demo_root: str, generic_crawl_of_every_shop: GenericCrawl
) -> None:
    items = generic_crawl_of_every_shop.items[site]
    assert_same_catalog(items, truth(site, demo_root), fields=("name", "price", "regular_price", "availability"))
    assert all(item["site"] == f"127.0.0.1-{site}" for item in items)


def test_generic_crawl_of_seven_shops_logs_no_error(generic_crawl_of_every_shop: GenericCrawl) -> None:
    assert "ERROR" not in generic_crawl_of_every_shop.output, generic_crawl_of_every_shop.output[-3000:]
