"""The OpenCart demo shop (ili_ili) over HTTP (the adapter: test_opencart_adapter.py)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from parsel import Selector
from protego import Protego
from scrapy.http import HtmlResponse

from demo_shops.catalog import (
    CATEGORIES,
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    Catalog,
    Category,
    build_catalog,
)
from demo_shops.store import DemoRequest
from demo_shops.stores import store_for
from ecommerce_scraper.platforms.opencart import OpenCartPlatform

from .conftest import TEST_PRODUCTS, fetch

SITE = "ili_ili"
SITEMAP = "index.php?route=extension/feed/google_sitemap"


@pytest.fixture(scope="module")
def store_url(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(SITE, TEST_PRODUCTS)


@pytest.fixture(scope="module")
def platform(store_url: str) -> OpenCartPlatform:
    return OpenCartPlatform(store_url, "EUR", "el")


def get(url: str) -> HtmlResponse:
    status, headers, body = fetch(url)
    assert status == 200, f"{url}: HTTP {status}"
    return HtmlResponse(url=url, body=body, encoding="utf-8", headers=headers)


def category_path(category: Category) -> str:
    return "/".join(c.slug for c in category.path())


def listing_products(platform: OpenCartPlatform, first_page: str) -> tuple[list[str], int]:
    """Product links of every page of a listing, following the pagination (and the count of pages)."""
    links, url, pages = [], first_page, 0
    while url and pages < 20:
        found = platform.listing_links(get(url))
        assert found is not None
        links += found.products
        pages += 1
        url = next(iter(found.next_pages), None)
    return links, pages


# --- the store ------------------------------------------------------------------------


def test_home_page_is_an_opencart_page(store_url: str, catalog: Catalog) -> None:
    status, headers, body = fetch(store_url)
    html = body.decode()
    assert status == 200
    assert re.match(r"OCSESSID=[0-9a-f]{26}; path=/", headers["Set-Cookie"])
    assert 'href="catalog/view/theme/default/stylesheet/stylesheet.css"' in html
    assert 'src="catalog/view/javascript/jquery/jquery-2.1.1.min.js"' in html
    assert f'<base href="{store_url}" />' in html
    page = Selector(text=html)
    assert page.css("#common-home")
    assert page.css(f'footer a[href="{store_url}trap/do-not-follow"]')
    menu = set(page.css("#menu a::attr(href)").getall())
    assert {store_url + category_path(c) for c in CATEGORIES} <= menu
    featured = page.css(".product-layout .caption h4 a::attr(href)").getall()
    assert featured == [store_url + p.slug for p in catalog.products[:8]]


def test_product_is_served_under_all_its_urls_with_one_canonical(store_url: str, catalog: Catalog) -> None:
    product = catalog.products[IDX_TWO_CATEGORIES]
    primary, extra = product.categories
    ids = "_".join(str(c.id) for c in primary.path())
    urls = [
        store_url + product.slug,
        f"{store_url}{category_path(primary)}/{product.slug}",
        f"{store_url}{category_path(extra)}/{product.slug}",
        f"{store_url}index.php?route=product/product&product_id={product.product_id}",
        f"{store_url}index.php?route=product/product&path={ids}&product_id={product.product_id}",
    ]
    for url in urls:
        page = get(url)
        assert page.css("link[rel=canonical]::attr(href)").get() == store_url + product.slug, url
        assert page.css("#product input[name=product_id]::attr(value)").get() == product.product_id, url
        assert page.css("h1::text").get() == product.name
    # Reached from its second category, the breadcrumb follows that path.
    crumbs = get(urls[2]).css("ul.breadcrumb li a::text").getall()
    assert crumbs == [extra.name_el, product.name]


@pytest.mark.parametrize(
    "path",
    [
        "no-such-keyword",
        "nimata/no-such-keyword",
        "index.php?route=product/product&product_id=99999",
        "index.php?route=product/product&product_id=abc",
        "index.php?route=product/category&path=999",
        "index.php?route=no/such/route",
    ],
)
def test_unknown_pages_are_404(store_url: str, path: str) -> None:
    status, _, body = fetch(store_url + path)
    assert status == 404
    assert "δεν βρέθηκε" in body.decode()


def test_category_listing_paginates_through_every_product(
    store_url: str, catalog: Catalog, platform: OpenCartPlatform
) -> None:
    yarns = next(c for c in CATEGORIES if c.slug == "nimata")
    expected = [f"{store_url}nimata/{p.slug}" for p in catalog.in_category(yarns)]
    assert len(expected) > 12, "the test needs a listing of several pages"
    links, pages = listing_products(platform, store_url + "nimata")
    assert links == expected
    assert pages == -(-len(expected) // 12)
    page2 = get(store_url + "nimata?page=2")
    assert page2.css("ul.pagination li.active span::text").get() == "2"
    assert page2.css("link[rel=prev]::attr(href)").get() == store_url + "nimata"
    # The same listing through the route, without SEO URLs.
    by_route = get(f"{store_url}index.php?route=product/category&path={yarns.id}&page=2")
    assert by_route.css(".product-layout h4 a::text").getall() == page2.css(".product-layout h4 a::text").getall()


def test_product_in_two_categories_is_listed_in_both(
    store_url: str, catalog: Catalog, platform: OpenCartPlatform
) -> None:
    product = catalog.products[IDX_TWO_CATEGORIES]
    for category in product.categories:
        links, _ = listing_products(platform, store_url + category_path(category))
        assert f"{store_url}{category_path(category)}/{product.slug}" in links


def test_robots_txt_announces_the_feed_and_disallows_private_and_faceted_pages(demo_root: str, store_url: str) -> None:
    robots = Protego.parse(fetch(demo_root + "robots.txt")[2].decode())
    assert store_url + SITEMAP in list(robots.sitemaps)
    listing = get(store_url + "nimata")
    sort_urls = listing.css("#input-sort option::attr(value)").getall()
    limit_urls = listing.css("#input-limit option::attr(value)").getall()
    assert sort_urls and limit_urls
    for url in [
        store_url + "index.php?route=checkout/cart",
        store_url + "index.php?route=account/login",
        store_url + "trap/do-not-follow",
        *sort_urls,
        *limit_urls,
    ]:
        assert not robots.can_fetch(url, "ecommerce_scraper"), url
    for url in [store_url, store_url + "nimata?page=2", store_url + "drops-baby-cotton-2", store_url + SITEMAP]:
        assert robots.can_fetch(url, "ecommerce_scraper"), url


def test_google_sitemap_lists_products_categories_and_manufacturers(store_url: str, catalog: Catalog) -> None:
    status, headers, body = fetch(store_url + SITEMAP)
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    sitemap = Selector(text=body.decode(), type="xml")
    sitemap.register_namespace("s", "http://www.sitemaps.org/schemas/sitemap/0.9")
    sitemap.register_namespace("image", "http://www.google.com/schemas/sitemap-image/1.1")
    products = sitemap.xpath("//s:url[s:priority='1.0']/s:loc/text()").getall()
    assert products == [store_url + p.slug for p in catalog.products]
    captions = sitemap.xpath("//s:url/image:image/image:caption/text()").getall()
    assert captions[0] == catalog.products[0].name  # the formula-bait name survives XML escaping
    others = set(sitemap.xpath("//s:url[s:priority='0.7']/s:loc/text()").getall())
    categories = {store_url + category_path(c) for c in CATEGORIES}
    manufacturers = {store_url + p.brand.lower().replace(" ", "-") for p in catalog.products}
    assert others == categories | manufacturers
    for loc in sorted(others)[:5]:
        assert fetch(loc)[0] == 200, loc


def test_product_page_shows_opencart_prices_and_options(store_url: str, catalog: Catalog) -> None:
    on_sale = get(store_url + catalog.products[IDX_ON_SALE].slug)
    product = catalog.products[IDX_ON_SALE]
    assert on_sale.css("span[style*=line-through]::text").get() == _oc(product.regular_price)
    assert on_sale.css("#content .col-sm-4 h2::text").get() == _oc(product.price)
    on_request = get(store_url + catalog.products[IDX_PRICE_ON_REQUEST].slug)
    assert on_request.css("#content .col-sm-4 h2::text").get() == "Τιμή κατόπιν επικοινωνίας"
    out = get(store_url + catalog.products[IDX_OUT_OF_STOCK].slug)
    assert "Διαθεσιμότητα: Εξαντλημένο" in out.css("ul.list-unstyled li::text").getall()
    with_options = catalog.products[IDX_VARIANTS]
    page = get(store_url + with_options.slug)
    select = page.css("#product select[name^=option]")
    label = page.css(f"label[for={select.attrib['id']}]::text").get()
    assert label == next(iter(with_options.variants[0].options))
    texts = [" ".join(o.split()) for o in select.css("option[data-sku]::text").getall()]
    for variant, text in zip(with_options.variants, texts, strict=True):
        delta = variant.price - with_options.price
        assert text == variant.name + (f" (+{_oc(delta)})" if delta else "")
    # Related products carry other products' prices: the trap for naive extractors.
    related = page.css(".product-thumb .price").getall()
    assert len(related) == 4


def test_cart_widget_and_cart_page(store_url: str, catalog: Catalog) -> None:
    status, _, body = fetch(store_url + "index.php?route=common/cart/info")
    assert status == 200 and 'id="cart"' in body.decode()
    # Not over HTTP: robots.txt disallows checkout/, and the spider tests check that the
    # shared demo server never served a disallowed page.
    cart = store_for(catalog).handle(DemoRequest("GET", "index.php", {"route": ["checkout/cart"]}, {}, b"", store_url))
    assert cart.status == 200 and "Το καλάθι αγορών σας είναι άδειο!" in str(cart.body)


def _oc(amount: Decimal | None) -> str:
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + "€"
