"""PrestaShop 1.6 demo store (knitshop) over HTTP (the adapter: test_prestashop_adapter.py)."""

from __future__ import annotations

import http.client
import json
from decimal import Decimal
from urllib.parse import urljoin, urlsplit

import pytest
from protego import Protego
from scrapy.http import HtmlResponse
from scrapy.utils.sitemap import Sitemap

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.stores import store_for
from demo_shops.stores.prestashop import PrestaShopStore
from ecommerce_scraper.platforms import detect_platform
from ecommerce_scraper.platforms.prestashop import PrestaShopPlatform

from .conftest import TEST_PRODUCTS, fetch

SITE = "knitshop"


@pytest.fixture(scope="module")
def shop(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def store() -> PrestaShopStore:
    store = store_for(build_catalog(SITE, TEST_PRODUCTS))
    assert isinstance(store, PrestaShopStore)
    return store


@pytest.fixture(scope="module")
def platform(shop: str) -> PrestaShopPlatform:
    return PrestaShopPlatform(shop)


def page(url: str) -> HtmlResponse:
    status, headers, body = fetch(url)
    return HtmlResponse(url=url, status=status, headers=headers, body=body, encoding="utf-8")


def get_no_redirect(url: str) -> tuple[int, str | None]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, response.getheader("Location")


def product_view(product: dict) -> dict:
    """Fields the end-to-end comparison uses, as strings (truth has strings, the adapter Decimals)."""

    def money(value: object) -> str | None:
        return None if value is None else f"{Decimal(str(value)):.2f}"

    return {
        "product_id": product.get("product_id"),
        "name": product.get("name"),
        "sku": product.get("sku"),
        "price": money(product.get("price")),
        "regular_price": money(product.get("regular_price")),
        "availability": product.get("availability"),
        "variants": sorted(
            (
                v["sku"],
                v["name"],
                json.dumps(v["options"], ensure_ascii=False),
                money(v["price"]),
                money(v["regular_price"]),
                v["availability"],
            )
            for v in product.get("variants") or []
        ),
    }


# --- the store over HTTP ---------------------------------------------------------------


def test_robots_txt_announces_gsitemap_and_keeps_products_crawlable(demo_root: str, shop: str, store) -> None:
    status, _, body = fetch(urljoin(demo_root, "/robots.txt"))
    assert status == 200
    robots = Protego.parse(body.decode())
    assert f"{shop}1_index_sitemap.xml" in list(robots.sitemaps)
    product = store.catalog.products[IDX_VARIANTS]
    allowed = [shop, shop + store.product_path(product), f"{shop}11-malli", f"{shop}10-nimata?p=2"]
    denied = [
        f"{shop}order",
        f"{shop}index.php?controller=order",
        f"{shop}10-nimata?orderby=price&orderway=asc",
        f"{shop}10-nimata?n=60",
        f"{shop}search?search_query=drops",
        f"{shop}cart?add=1&id_product=5&token=x",
        f"{shop}modules/blockcart/ajax-cart.js",
        shop + store.trap_path,
    ]
    assert all(robots.can_fetch(url, "bot") for url in allowed)
    assert not any(robots.can_fetch(url, "bot") for url in denied)


def test_gsitemap_lists_every_product_once_with_its_image(shop: str, store: PrestaShopStore) -> None:
    status, headers, body = fetch(f"{shop}1_index_sitemap.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    index = Sitemap(body)
    assert index.type == "sitemapindex"
    assert [entry["loc"] for entry in index] == [f"{shop}1_el_0_sitemap.xml"]
    status, _, body = fetch(f"{shop}1_el_0_sitemap.xml")
    assert status == 200 and b"\r\n" in body and b"<![CDATA[" in body
    locs = [entry["loc"] for entry in Sitemap(body)]
    products = [shop + store.product_path(p) for p in store.catalog.products]
    assert [loc for loc in locs if loc.endswith(".html")] == products
    assert f"{shop}11-malli" in locs and f"{shop}content/1-apostoli" in locs and locs[0] == shop
    assert body.count(b"<image:image>") == len(products)
    assert fetch(f"{shop}1_en_0_sitemap.xml")[0] == 404


def test_home_page_carries_prestashop_markers(shop: str) -> None:
    response = page(shop)
    assert response.status == 200
    assert response.headers.get("Powered-By") == b"PrestaShop"
    assert response.headers.get("Set-Cookie", b"").startswith(b"PrestaShop-")
    assert response.css("body#index") and response.css("ul#homefeatured.product_list li.ajax_block_product")
    assert "var static_token = '" in response.text and "/modules/blockcart/ajax-cart.js" in response.text
    assert PrestaShopPlatform.detect(response) == 100
    assert detect_platform(response) == "prestashop"


def test_category_pages_paginate_with_p_and_cover_the_category(shop: str, store: PrestaShopStore) -> None:
    yarns = next(c for c in store.categories.values() if c.slug == "nimata")
    expected = [shop + store.product_path(p) for p in store.catalog.in_category(yarns)]
    assert len(expected) > 12
    seen: list[str] = []
    url: str | None = f"{shop}10-nimata"
    pages = 0
    while url:
        response = page(url)
        assert response.status == 200 and response.css("body#category")
        links = response.css("ul.product_list a.product_img_link::attr(href)").getall()
        assert len(links) <= 12
        seen += links
        url = response.css("ul.pagination li#pagination_next a::attr(href)").get()
        pages += 1
    assert seen == expected and pages == -(-len(expected) // 12)
    assert page(f"{shop}10-nimata?p=2").css("link[rel=canonical]::attr(href)").get() == f"{shop}10-nimata?p=2"
    assert get_no_redirect(f"{shop}10-nimata?p=99") == (302, f"{shop}10-nimata")
    assert get_no_redirect(f"{shop}10-wrong-slug") == (301, f"{shop}10-nimata")
    assert fetch(f"{shop}99-nothing")[0] == 404


def test_product_in_two_categories_is_reachable_under_both(shop: str, store: PrestaShopStore) -> None:
    product = store.catalog.products[IDX_TWO_CATEGORIES]
    secondary = product.categories[1]
    canonical = shop + store.product_path(product)
    other = shop + store.product_path(product, secondary)
    assert canonical != other
    for url in (canonical, other):
        response = page(url)
        assert response.status == 200
        assert response.css("link[rel=canonical]::attr(href)").get() == canonical
    listing = page(f"{shop}{store.category_path(secondary)}")
    assert other in listing.css("ul.product_list a.product_img_link::attr(href)").getall()


def test_product_urls_redirect_and_404_like_prestashop(shop: str, store: PrestaShopStore) -> None:
    product = store.catalog.products[IDX_ON_SALE]
    canonical = shop + store.product_path(product)
    assert product.gtin and canonical.endswith(f"-{product.gtin}.html")  # 1.6's {-:ean13} route part
    no_ean = store.catalog.products[IDX_VARIANTS]  # a page of colours has no EAN: no route part
    assert no_ean.gtin is None and store.product_path(no_ean).endswith(f"-{no_ean.slug}.html")
    legacy = f"{shop}index.php?id_product={product.numeric_id}&controller=product"
    assert get_no_redirect(legacy) == (301, canonical)
    assert get_no_redirect(f"{shop}malli/{product.numeric_id}-old-name.html") == (301, canonical)
    assert fetch(f"{shop}malli/99999-nothing.html")[0] == 404
    assert fetch(f"{shop}no/such/page")[0] == 404
    assert get_no_redirect(f"{shop}index.php?controller=nothing")[0] == 404
    english = page(f"{shop}en/{store.product_path(product)}")
    assert english.status == 200 and english.css("html::attr(lang)").get() == "en"
    hreflang = dict(zip(english.css("link[hreflang]::attr(hreflang)").getall(),
                        english.css("link[hreflang]::attr(href)").getall(), strict=True))  # fmt: skip
    assert hreflang == {"el": canonical, "en": f"{shop}en/{store.product_path(product)}"}
    status, headers, body = fetch(f"{shop}{product.numeric_id * 10 + 1}-large_default/{product.slug}.jpg")
    assert status == 200 and headers["Content-Type"] == "image/gif" and body.startswith(b"GIF89a")


def test_product_page_markup_and_js_globals(shop: str, store: PrestaShopStore) -> None:
    product = store.catalog.products[IDX_ON_SALE]
    response = page(shop + store.product_path(product))
    assert response.css("body#product")
    assert response.css("#product_page_product_id::attr(value)").get() == product.product_id
    assert (
        response.css("#our_price_display::text").get()
        == "7,60\xa0€"
        == f"{product.price:.2f}".replace(".", ",") + "\xa0€"
    )
    assert (
        response.css("#old_price_display .price::text").get().startswith(f"{product.regular_price}".replace(".", ","))
    )
    assert response.css("#reduction_percent_display::text").get() == "-20%"
    assert response.css("#availability_value.label-success::text").get() == "Διαθέσιμο"
    assert response.css("#product_reference [itemprop=sku]::attr(content)").get() == product.sku
    assert "var taxRate = 24;" in response.text and "var reduction_percent = 20;" in response.text
    # The related-products carousel shows other products' prices: not this product's.
    carousel = response.css("#productscategory_list li.product-box")
    assert carousel and all(product.slug not in li.css("a::attr(href)").get() for li in carousel)


def test_price_on_request_shows_no_price(shop: str, store: PrestaShopStore, platform: PrestaShopPlatform) -> None:
    product = store.catalog.products[IDX_PRICE_ON_REQUEST]
    assert product.price is None
    response = page(shop + store.product_path(product))
    assert not response.css("#our_price_display") and "var productShowPrice = false;" in response.text
    assert "var productPrice = 0;" in response.text  # the JS globals still carry the stored 0
    extracted = platform.extract_product(response)
    assert "price" not in extracted and "regular_price" not in extracted
    assert extracted["availability"] == "in_stock"
