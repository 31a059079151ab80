"""The one dedup rule: the most complete copy of a product wins, the first among equals.

In process: the pipeline built by ``from_crawler``, items fed one by one, stats read back; and
the spider's ``emit``, which yields every copy and counts each product once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from ecommerce_scraper.items import Product
from ecommerce_scraper.pipelines.dedup import DedupPipeline
from ecommerce_scraper.storage.state import completeness, replaces


def product(**fields: Any) -> Product:
    base: dict[str, Any] = {
        "site": "shop",
        "product_id": "1",
        "url": "https://shop.example/p/1",
        "canonical_url": "https://shop.example/p/1",
        "name": "Merino",
        "price": Decimal("10.00"),
        "currency": "EUR",
        "variants": [],
    }
    return Product(**{**base, **fields})


def pipeline() -> tuple[DedupPipeline, Any]:
    crawler = get_crawler(Spider)
    return DedupPipeline.from_crawler(crawler), crawler.stats


def test_the_rule() -> None:
    assert replaces(5, 4)
    assert not replaces(4, 4)  # equals: the first copy stays
    assert not replaces(3, 4)


def test_first_copy_passes_and_an_equal_or_poorer_copy_is_dropped() -> None:
    dedup, stats = pipeline()
    first = product()
    assert dedup.process_item(first) is first
    assert first["fingerprint"]
    for later in (product(url="https://shop.example/c/p/1"), product(price=None)):
        with pytest.raises(DropItem):
            dedup.process_item(later)
    assert stats.get_value("dedup/dropped") == 2
    assert stats.get_value("dedup/replaced") is None


def test_a_more_complete_copy_replaces_the_first() -> None:
    dedup, stats = pipeline()
    first, richer = product(), product(brand="Drops", description="Soft.")
    assert completeness(richer) > completeness(first)
    dedup.process_item(first)
    assert dedup.process_item(richer) is richer
    with pytest.raises(DropItem):  # now the richer copy is the one to beat
        dedup.process_item(product(brand="Drops"))
    assert (stats.get_value("dedup/replaced"), stats.get_value("dedup/dropped")) == (1, 1)


def test_other_products_and_other_sites_are_not_duplicates() -> None:
    dedup, stats = pipeline()
    for item in (product(), product(product_id="2"), product(site="other")):
        dedup.process_item(item)
    assert stats.get_value("dedup/dropped") is None
    # One number per product, by site: no item is held.
    assert {site: sorted(kept) for site, kept in dedup.kept.items()} == {"shop": ["1", "2"], "other": ["1"]}


def test_the_spider_yields_every_copy_and_counts_each_product_once() -> None:
    from ecommerce_scraper.config import SiteConfig
    from ecommerce_scraper.spiders.base import CatalogSpider, Shop

    class ShopCatalog(CatalogSpider):
        name = "shop"

    crawler = get_crawler(ShopCatalog)
    spider = ShopCatalog.from_crawler(crawler)
    shop = Shop(
        "shop",
        "https://shop.example/",
        SiteConfig.model_validate({"name": "Shop", "base_url": "https://shop.example/"}),
    )
    api = {"product_id": "7", "url": "https://shop.example/p/7", "name": "Alpaca", "price": Decimal("4.5")}
    items = [*spider.emit(shop, api, None), *spider.emit(shop, {**api, "url": "https://shop.example/c/p/7"}, None)]
    assert [i["product_id"] for i in items] == ["7", "7"]
    stats = crawler.stats
    assert (stats.get_value("products/scraped"), stats.get_value("products/duplicate_urls")) == (1, 1)
    assert ("shop", "7") in spider.seen_product_ids
    dedup = DedupPipeline.from_crawler(crawler)
    dedup.process_item(items[0])
    with pytest.raises(DropItem):
        dedup.process_item(items[1])
