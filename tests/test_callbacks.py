"""The shop spiders' callbacks in process, on the demo shops' pages (no server, no crawl): each
platform is detected on its home page, each discovery route yields the next requests, and a
product page becomes the one item the demo truth says it is."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from demo_shops.catalog import (
    CATEGORIES,
    FORMULA_BAIT_NAME,
    IDX_FORMULA_BAIT,
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    SPECIAL_COUNT,
)
from ecommerce_scraper.items import Product
from ecommerce_scraper.normalize import canonicalize_url
from ecommerce_scraper.spiders.generic import GenericSpider

from .demo_pages import (
    HOST,
    SHOP_SPIDERS,
    DemoSite,
    as_response,
    money,
    product_view,
    requests_of,
    shop_crawler,
    shop_spider,
    stat,
)

PLATFORMS = {
    "atmosphere": "woocommerce",
    "sittingknitting": "shopify",
    "knitshop": "prestashop",
    "ili_ili": "opencart",
    "triskeli": "magento2",
    "cityknitting": "none",  # hand-made: config/sites.json gives its selectors, no platform
}
#: Shops whose catalog API is read first (then each product page, with the API's data).
API_PATHS = {
    "atmosphere": "wp-json/wc/store/v1/products",
    "sittingknitting": "products.json",
    "triskeli": "graphql",
}
WITH_SITEMAPS = [site for site in SHOP_SPIDERS if site != "cityknitting"]
#: Platforms whose product URLs look like no other page's (``Platform.is_product_url``).
URL_TELLS_PRODUCT = ("atmosphere", "sittingknitting", "knitshop")
#: A category page of each shop: the yarns (catalog category 10, "nimata"), first page.
YARN_LISTINGS = {
    "atmosphere": "product-category/nimata/",
    "sittingknitting": "collections/yarns",
    "knitshop": "10-nimata",
    "ili_ili": "nimata",
    "triskeli": "nimata.html",
    "cityknitting": "katigoria.php?id=10",
}
YARNS = next(category for category in CATEGORIES if category.id == 10)
#: The products every catalog has (formula bait, price on request, on sale, out of stock,
#: variants, two categories) and one ordinary product.
PRODUCT_INDEXES = [*range(SPECIAL_COUNT), SPECIAL_COUNT + 1]


@cache
def demo(site: str) -> DemoSite:
    return DemoSite(site)


@cache
def api_product_requests(site: str) -> dict[str, Request]:
    """Product page requests the shop's catalog API page yields, by URL (each carries its
    ``api_product``), as the spider's parse_home -> parse_api route makes them."""
    spider = shop_spider(site)
    shop = demo(site)
    (api_request,) = requests_of(spider.parse_home(shop.response(shop.root, shop=shop.root)))
    output = list(spider.parse_api(shop.response(api_request.url, api_request)))
    assert stat(spider, "catalog_api/pages") == 1
    return {request.url: request for request in requests_of(output) if request.callback == spider.parse_page}


def product(site: str, index: int):
    return next(p for p in demo(site).products if p.index == index)


# --- the home page ----------------------------------------------------------------------------


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_home_page_detects_the_platform_and_takes_its_best_route(site: str) -> None:
    spider = shop_spider(site)
    shop = demo(site)
    output = list(spider.parse_home(shop.response(shop.root, shop=shop.root)))
    assert stat(spider, f"shop/{site}/platform") == PLATFORMS[site]
    if spider.site.platform == "auto":  # what was detected is kept for a resumed crawl
        assert spider.state["shops"][shop.root]["platform"] == PLATFORMS[site]
    (request,) = output
    assert request.meta["shop"] == shop.root
    if site in API_PATHS:
        assert request.url.startswith(shop.root + API_PATHS[site])
        assert request.callback == spider.parse_api and request.meta["api_first_page"] is True
    else:
        assert request.url == HOST + "robots.txt"  # the host's, not the shop folder's
        assert request.callback == spider.parse_robots and request.dont_filter


@pytest.mark.parametrize("site", API_PATHS)
def test_the_catalog_api_asks_for_every_product_page_with_its_api_data(site: str) -> None:
    requests = api_product_requests(site)
    shop = demo(site)
    assert set(requests) == {shop.product_url(p) for p in shop.products}
    for request in requests.values():
        assert request.cb_kwargs["follow"] is False and request.cb_kwargs["api_product"]["name"]


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_robots_txt_leads_to_the_announced_sitemaps(site: str) -> None:
    spider = shop_spider(site)
    shop = demo(site)
    robots = as_response(
        shop.url("robots.txt"), shop.robots_txt().encode(), "text/plain", Request(shop.root, meta={"shop": shop.root})
    )
    urls = [request.url for request in requests_of(spider.parse_robots(robots))]
    expected = [shop.url(path) for path in shop.store.sitemap_paths()] or [shop.url("sitemap.xml")]
    assert urls == expected
    assert spider.shops[shop.root].pending_sitemaps == len(expected)


# --- sitemaps and listings --------------------------------------------------------------------


def walk_sitemaps(site: str) -> tuple[list[Request], object]:
    """From the announced sitemaps through any index to the product page requests."""
    spider = shop_spider(site, PLATFORMS[site])
    shop = demo(site)
    pending = [Request(shop.url(path), meta={"shop": shop.root}) for path in shop.store.sitemap_paths()]
    spider.shops[shop.root].pending_sitemaps = len(pending)
    pages: list[Request] = []
    for _ in range(20):
        if not pending:
            break
        sitemap = pending.pop(0)
        for request in requests_of(spider.parse_sitemap(shop.response(sitemap.url, sitemap))):
            (pending if request.callback == spider.parse_sitemap else pages).append(request)
    return pages, spider


@pytest.mark.parametrize("site", WITH_SITEMAPS)
def test_the_sitemaps_lead_to_every_product_page(site: str) -> None:
    pages, spider = walk_sitemaps(site)
    shop = demo(site)
    urls = [r.url for r in pages]
    products = sorted(canonicalize_url(shop.product_url(p)) for p in shop.products)
    if site in URL_TELLS_PRODUCT:  # the platform tells a product URL: nothing else is fetched
        assert sorted(urls) == products
    else:  # OpenCart SEO keywords and Magento url_key.html: every page, each looked at once
        assert set(products) <= set(urls) and len(urls) == len(set(urls)) > len(products)
    assert all(r.callback == spider.parse_page and r.cb_kwargs == {"follow": False} for r in pages)
    assert stat(spider, "sitemaps/read") >= 1
    assert spider.shops[shop.root].pending_sitemaps == 0 and not spider.shops[shop.root].listing_started


def test_a_shop_without_sitemaps_is_crawled_from_its_listing_pages() -> None:
    spider = shop_spider("cityknitting")
    shop = demo("cityknitting")
    sitemap = Request(shop.url("sitemap.xml"), meta={"shop": shop.root})
    spider.shops[shop.root].pending_sitemaps = 1
    output = requests_of(spider.parse_sitemap(shop.response(sitemap.url, sitemap)))  # a 404 page, not XML
    assert [r.url for r in output][:1] == [shop.root]
    assert all(r.callback == spider.parse_page and r.cb_kwargs == {"follow": True} for r in output)
    assert spider.shops[shop.root].listing_started


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_a_listing_page_yields_its_product_pages(site: str) -> None:
    spider = shop_spider(site, PLATFORMS[site])
    shop = demo(site)  # as parse_home left it
    url = shop.url(YARN_LISTINGS[site])
    requests = requests_of(spider.parse_page(shop.response(url, shop=shop.root), follow=True))
    # By the last part of the path: OpenCart links a product under its category's path too.
    products = {r.url.rsplit("/", 1)[-1] for r in requests if r.cb_kwargs == {"follow": False}}
    yarns = {shop.product_url(p).rsplit("/", 1)[-1] for p in shop.store.catalog.in_category(YARNS)}
    assert products, "no product page requested"
    assert products <= yarns, products - yarns
    assert stat(spider, "pages/listing") == 1 and stat(spider, "pages/not_product") is None
    assert all(r.meta["shop"] == shop.root and r.callback == spider.parse_page for r in requests)


# --- product pages ----------------------------------------------------------------------------


def parse_product_page(site: str, index: int) -> tuple[list[object], object]:
    spider = shop_spider(site, PLATFORMS[site])
    shop = demo(site)
    url = shop.product_url(product(site, index))
    if site in API_PATHS:  # the page request as the catalog API route makes it
        request = api_product_requests(site)[url]
        request = request.replace(callback=None, errback=None)
        return list(spider.parse_page(shop.response(url, request), **request.cb_kwargs)), spider
    return list(spider.parse_page(shop.response(url, shop=shop.root), follow=False)), spider


@pytest.mark.parametrize("index", PRODUCT_INDEXES)
@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_a_product_page_is_the_product_the_shop_holds(site: str, index: int) -> None:
    output, spider = parse_product_page(site, index)
    (item,) = output
    assert isinstance(item, Product)
    truth = demo(site).truth(product(site, index))
    assert product_view(item) == product_view(truth)
    assert item["product_id"] == truth["product_id"] and item["site"] == site
    assert stat(spider, "products/scraped") == 1
    assert stat(spider, "products/variants") == len(truth["variants"])


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_the_special_products_read_as_the_shop_shows_them(site: str) -> None:
    """Spelled out, so that a wrong truth could not hide a wrong item."""

    def item(index: int) -> Product:
        return parse_product_page(site, index)[0][0]

    assert item(IDX_FORMULA_BAIT)["name"] == FORMULA_BAIT_NAME  # read as text, neutralized in exports only
    on_sale = item(IDX_ON_SALE)
    assert on_sale["regular_price"] > on_sale["price"]
    assert item(IDX_OUT_OF_STOCK)["availability"] == "out_of_stock"
    assert len(item(IDX_VARIANTS)["variants"]) >= 2
    if product(site, IDX_PRICE_ON_REQUEST).price is None:
        no_price = item(IDX_PRICE_ON_REQUEST)
        assert no_price["price"] is None and no_price["regular_price"] is None  # never 0
    two = product(site, IDX_TWO_CATEGORIES)
    assert len(two.categories) == 2 and item(IDX_TWO_CATEGORIES)["category"] == demo(site).truth(two)["category"]


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_a_page_without_a_product_yields_nothing(site: str) -> None:
    spider = shop_spider(site, PLATFORMS[site])
    shop = demo(site)
    url = shop.url(shop.store.trap_path)  # every store renders it: a plain page, no product
    assert list(spider.parse_page(shop.response(url, shop=shop.root), follow=False)) == []
    assert stat(spider, "pages/not_product") == 1
    assert stat(spider, "products/scraped") is None


@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_a_truncated_page_is_fetched_again_then_dropped(site: str) -> None:
    spider = shop_spider(site, PLATFORMS[site])
    shop = demo(site)
    url = shop.product_url(product(site, IDX_VARIANTS))
    whole = shop.response(url, shop=shop.root)
    cut = whole.replace(body=whole.body[: len(whole.body) // 3])
    (retry,) = spider.parse_page(cut, follow=False)
    assert isinstance(retry, Request) and retry.url == url and retry.dont_filter
    assert retry.meta["truncation_retries"] == 1 and retry.meta["shop"] == shop.root
    assert stat(spider, "pages/truncated_retried") == 1
    last = cut.replace(
        request=Request(url, meta={"shop": shop.root, "truncation_retries": spider.max_truncation_retries})
    )
    assert list(spider.parse_page(last, follow=False)) == []
    assert stat(spider, "pages/truncated_dropped") == 1 and stat(spider, "products/scraped") is None
    # The whole page, once it comes, is the product.
    (item,) = spider.parse_page(whole, follow=False)
    assert isinstance(item, Product)


# --- the generic spider: one given page, no config -------------------------------------------


def generic_spider(url: str) -> tuple[GenericSpider, Request]:
    """``scrapy crawl generic -a url=URL -a follow=false``: the spider and its one start request."""
    crawler = shop_crawler(GenericSpider)
    crawler.stats.clear_stats()
    spider = GenericSpider.from_crawler(crawler, url=url, follow="false")
    crawler.spider = spider
    starting = spider.start().__anext__()
    try:
        starting.send(None)
    except StopIteration as started:  # start() awaits nothing: its first request is there at once
        return spider, started.value
    raise AssertionError("start() did not yield at once")


@pytest.mark.parametrize("index", [IDX_ON_SALE, IDX_VARIANTS])
@pytest.mark.parametrize("site", SHOP_SPIDERS)
def test_the_generic_spider_reads_a_product_page_of_each_platform(site: str, index: int) -> None:
    shop = demo(site)
    url = shop.product_url(product(site, index))
    spider, request = generic_spider(url)
    assert request.url == url and request.callback == spider.parse_single
    root = request.meta["shop"]
    assert root == HOST and spider.shops[root].platform.name == "none"  # not known before the page
    (item,) = spider.parse_single(shop.response(url, request))
    assert spider.shops[root].platform.name == PLATFORMS[site]  # detected from the page itself
    assert product_view(item) == product_view(shop.truth(product(site, index)))
    assert item["site"] == "shop.test" and item["url"] == url
    assert stat(spider, "products/scraped") == 1


CORPUS = Path(__file__).parent / "corpus"
CORPUS_TRUTH = [json.loads(line) for line in (CORPUS / "truth.jsonl").read_text(encoding="utf-8").splitlines()]


def corpus_item(truth: dict) -> Product:
    spider, request = generic_spider(truth["url"])
    body = gzip.decompress((CORPUS / "pages" / f"{truth['page']}.html.gz").read_bytes())
    response = HtmlResponse(url=truth["url"], body=body, encoding=truth["saved_encoding"], request=request)
    (item,) = spider.parse_single(response)
    return item


@pytest.mark.parametrize("truth", CORPUS_TRUTH, ids=lambda truth: truth["page"])
def test_a_real_saved_page_reads_as_its_hand_written_truth(truth: dict) -> None:
    item = corpus_item(truth)
    for field in ("name", "regular_price", "currency", "sku", "brand"):
        assert item[field] == (money(truth[field]) if field == "regular_price" else truth[field]), field


@pytest.mark.xfail(
    strict=True,
    reason="the heuristics look for a price-classed element near the <h1>; gibertjeune.fr prints its "
    "price in a bare <strong> of an offer form, and no stock words near it",
)
@pytest.mark.parametrize("truth", CORPUS_TRUTH, ids=lambda truth: truth["page"])
def test_a_real_saved_page_without_price_markup_gives_its_price(truth: dict) -> None:
    item = corpus_item(truth)
    assert (item["price"], item["availability"]) == (money(truth["price"]), truth["availability"])
