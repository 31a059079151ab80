"""End to end: each spider crawls its demo shop and must report exactly the shop's truth."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin

import pytest
from protego import Protego

from .conftest import chromium_path, demo_requests, fetch, require_service, run_crawl, truth

SHOPS = ["atmosphere", "sittingknitting", "knitshop", "ili_ili", "triskeli", "manefa", "cityknitting"]
JS_SHOPS = {"manefa"}


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


def _needs_browser(site: str) -> None:
    if site in JS_SHOPS:
        require_service(chromium_path() is not None, "Chromium")


@pytest.mark.parametrize("site", SHOPS)
def test_shop_spider_reports_the_demo_catalog(site: str, demo_root: str, tmp_path: Path) -> None:
    _needs_browser(site)
    before = len(demo_requests(demo_root, site))
    items, proc = run_crawl(site, tmp_path, f"base_url={demo_root}{site}/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_catalog(items, truth(site, demo_root))
    assert_polite(demo_root, site, since=before)
    # SEO fields come from every product page crawled.
    for item in items:
        assert item["seo_title"] and item["h1"], f"no SEO fields for {item['url']}"
        assert item["canonical_url"].startswith(f"{demo_root}{site}/")
    assert "ERROR" not in proc.stderr, proc.stderr[-3000:]


@pytest.mark.parametrize("site", SHOPS)
def test_generic_spider_finds_the_same_products(site: str, demo_root: str, tmp_path: Path) -> None:
    _needs_browser(site)
    items, proc = run_crawl("generic", tmp_path, f"url={demo_root}{site}/")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert_same_catalog(items, truth(site, demo_root), fields=("name", "price", "regular_price", "availability"))
