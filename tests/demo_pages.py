"""The demo shops' pages in process, as Scrapy responses, for testing spider callbacks without a
server: a URL under a shop's root goes to its :class:`~demo_shops.store.Store` (``handle``), and
the answer comes back as the response Scrapy would have built, with its request attached."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

from demo_shops.catalog import DemoProduct, build_catalog
from demo_shops.store import DemoRequest, Store
from demo_shops.stores import store_for
from ecommerce_scraper.spiders.atmosphere import AtmosphereSpider
from ecommerce_scraper.spiders.base import ShopSpider
from ecommerce_scraper.spiders.cityknitting import CityknittingSpider
from ecommerce_scraper.spiders.ili_ili import IliIliSpider
from ecommerce_scraper.spiders.knitshop import KnitshopSpider
from ecommerce_scraper.spiders.shop import Shop
from ecommerce_scraper.spiders.sittingknitting import SittingknittingSpider
from ecommerce_scraper.spiders.triskeli import TriskeliSpider

from .conftest import TEST_PRODUCTS

HOST = "http://shop.test/"

#: The six demo shops a crawl reads without a browser: site -> its spider.
SHOP_SPIDERS: dict[str, type[ShopSpider]] = {
    "atmosphere": AtmosphereSpider,  # WooCommerce
    "sittingknitting": SittingknittingSpider,  # Shopify
    "knitshop": KnitshopSpider,  # PrestaShop
    "ili_ili": IliIliSpider,  # OpenCart
    "triskeli": TriskeliSpider,  # Magento 2
    "cityknitting": CityknittingSpider,  # hand-made
}


class DemoSite:
    """One demo shop of the session's catalog size, mounted at ``http://shop.test/<site>/``."""

    def __init__(self, site: str, products: int = TEST_PRODUCTS) -> None:
        self.site = site
        self.store: Store = store_for(build_catalog(site, products))
        self.root = f"{HOST}{site}/"

    @property
    def products(self) -> tuple[DemoProduct, ...]:
        return self.store.catalog.products

    def url(self, path: str) -> str:
        return self.root + path

    def product_url(self, product: DemoProduct) -> str:
        return self.root + self.store.product_path(product)

    def truth(self, product: DemoProduct) -> dict[str, Any]:
        return self.store.truth(product, self.root)

    def response(self, url: str, request: Request | None = None, *, redirects: int = 5, **meta: Any) -> Response:
        """The store's answer to a GET of ``url`` (redirects followed, as Scrapy's middleware would),
        as a response to ``request`` (default: a new one with ``meta``)."""
        if request is None:
            request = Request(url, meta=meta)
        target = url
        for _ in range(redirects + 1):
            parts = urlsplit(target)
            path = parts.path.removeprefix(urlsplit(self.root).path)
            query = parse_qs(parts.query, keep_blank_values=True)
            answer = self.store.handle(DemoRequest("GET", path, query, {}, b"", self.root))
            if answer.status not in (301, 302, 303, 307, 308) or "Location" not in answer.headers:
                break
            target = urljoin(target, answer.headers["Location"])
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        return as_response(target, body, answer.content_type, request, answer.status, answer.headers)

    def robots_txt(self) -> str:
        """robots.txt as the demo server writes it for this shop (the server's, not the store's)."""
        host_path = urlsplit(self.root).path
        lines = ["User-agent: *", *(f"Disallow: {host_path}{rule}" for rule in self.store.robots_disallow()), ""]
        lines += [f"Sitemap: {self.root}{path}" for path in self.store.sitemap_paths()]
        return "\n".join(lines) + "\n"


def as_response(
    url: str,
    body: bytes,
    content_type: str,
    request: Request,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The response class Scrapy would pick for these headers, with ``request`` attached."""
    all_headers = {"Content-Type": content_type, **(headers or {})}
    cls = responsetypes.from_args(headers=all_headers, url=url, body=body)
    return cls(url=url, status=status, headers=all_headers, body=body, request=request)


@cache
def shop_crawler(spidercls: type[Spider]) -> Crawler:
    """One crawler per spider class (building one costs tens of milliseconds, mostly copying
    settings); each test's spider is new and starts with empty stats."""
    return get_crawler(spidercls, {})


def shop_spider(site: str, platform: str | None = None, **arguments: Any) -> ShopSpider:
    """The shop's spider pointed at its demo store, on a fresh crawler, with its shop registered
    (as ``start()`` does) so that callbacks find it by ``meta["shop"]``; with ``platform``, the
    platform its home page showed (as ``parse_home`` leaves it)."""
    spidercls = SHOP_SPIDERS[site]
    crawler = shop_crawler(spidercls)
    crawler.stats.clear_stats()  # each spider starts from none
    spider = spidercls.from_crawler(crawler, base_url=f"{HOST}{site}/", **arguments)
    crawler.spider = spider
    shop = spider.register(Shop(spider.name, spider.site.base_url, spider.site))
    if platform is not None:
        shop.use_platform(platform)
    return spider


def stat(spider: Spider, key: str) -> Any:
    return spider.crawler.stats.get_value(key)


def requests_of(output: Iterable[Any]) -> list[Request]:
    return [entry for entry in output if isinstance(entry, Request)]


def money(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def product_view(product: Any) -> dict[str, Any]:
    """The fields compared with the demo truth (as tests/test_spiders.py compares whole crawls):
    money as Decimal, variants as sorted tuples."""
    return {
        "name": product["name"],
        "price": money(product.get("price")),
        "regular_price": money(product.get("regular_price")),
        "currency": product.get("currency"),
        "availability": product.get("availability"),
        "sku": product.get("sku"),
        "variants": sorted(
            (
                v.get("sku") or "",
                v.get("name"),
                money(v.get("price")),
                money(v.get("regular_price")),
                v.get("availability"),
            )
            for v in product.get("variants") or []
        ),
    }
