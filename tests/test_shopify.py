"""The Shopify demo store (sittingknitting) over real HTTP (the adapter: test_shopify_adapter.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

import pytest
from protego import Protego
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.sitemap import Sitemap

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    DemoProduct,
    build_catalog,
)
from demo_shops.store import DemoRequest
from demo_shops.stores import store_for
from demo_shops.stores.shopify import ShopifyStore

from .conftest import TEST_PRODUCTS, fetch

SITE = "sittingknitting"
VARIANT_KEYS = {
    "id",
    "title",
    "option1",
    "option2",
    "option3",
    "sku",
    "requires_shipping",
    "taxable",
    "featured_image",
    "available",
    "price",
    "grams",
    "compare_at_price",
    "position",
    "product_id",
    "created_at",
    "updated_at",
}


@pytest.fixture(scope="module")
def store() -> ShopifyStore:
    built = store_for(build_catalog(SITE, TEST_PRODUCTS, 1, 1))
    assert isinstance(built, ShopifyStore)
    return built


@pytest.fixture(scope="module")
def shop_url(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


def get(url: str) -> HtmlResponse:
    status, headers, body = fetch(url)
    return HtmlResponse(url=url, body=body, encoding="utf-8", headers=headers, status=status)


def get_json(url: str) -> Any:
    status, _, body = fetch(url)
    assert status == 200, url
    return json.loads(body)


def dec(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def product_view(partial: dict[str, Any]) -> dict[str, Any]:
    """What the truth states, from a partial product (Decimals as strings)."""
    return {
        "product_id": partial.get("product_id"),
        "price": dec(partial.get("price")),
        "regular_price": dec(partial.get("regular_price")),
        "availability": partial.get("availability"),
        "variants": [
            {**v, "price": dec(v["price"]), "regular_price": dec(v["regular_price"])}
            for v in partial.get("variants") or []
        ],
    }


def truth_view(store: ShopifyStore, index: int, shop_url: str) -> dict[str, Any]:
    product = next(p for p in store.catalog.products if p.index == index)
    truth = store.truth(product, shop_url)
    return {k: truth[k] for k in ("product_id", "price", "regular_price", "availability", "variants")}


def product_by_index(store: ShopifyStore, index: int) -> DemoProduct:
    return next(p for p in store.catalog.products if p.index == index)


def sitemap_locs(url: str) -> list[str]:
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"].startswith("application/xml"), url
    return [entry["loc"] for entry in Sitemap(body)]


def ld_json(response: TextResponse) -> dict[str, Any]:
    return json.loads(response.css('script[type="application/ld+json"]::text').get())


# --- the store: pages, headers, markers -------------------------------------------------


def test_home_page_carries_shopify_markers_and_headers(shop_url: str) -> None:
    status, headers, body = fetch(shop_url)
    text = body.decode()
    assert status == 200
    assert headers["X-ShopId"].isdigit()
    assert headers["powered-by"] == "Shopify"
    assert 'Shopify.shop = "sittingknitting.myshopify.com";' in text
    assert 'Shopify.currency = {"active":"EUR","rate":"1.0"};' in text
    assert "//cdn.shopify.com/" in text
    assert re.search(r'<meta name="shopify-checkout-api-token" content="[0-9a-f]{32}">', text)
    assert 'id="shopify-pc__banner"' in text  # cookie banner
    assert f'href="/{SITE}/trap/do-not-follow"' in text  # the hidden trap link
    assert f'href="/{SITE}/cart" class="header__icon header__icon--cart' in text


def test_product_page_is_a_dawn_product_page(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_VARIANTS)
    response = get(f"{shop_url}products/{product.slug}")
    assert response.status == 200
    assert response.css('link[rel="canonical"]::attr(href)').get() == f"{shop_url}products/{product.slug}"
    assert response.css(".product__title h1::text").get() == product.name
    assert response.css('meta[property="og:type"]::attr(content)').get() == "product"
    assert {a.attrib["hreflang"] for a in response.css('link[rel="alternate"][hreflang]')} == {"en", "el", "x-default"}
    meta = json.loads(re.search(r"var meta = (\{.*?\});\n", response.text).group(1))
    assert meta["product"]["id"] == product.numeric_id
    assert [v["sku"] for v in meta["product"]["variants"]] == [v.sku for v in product.variants]
    picker_json = json.loads(response.css('variant-selects script[type="application/json"]::text').get())
    assert [(v["price"], v["available"]) for v in picker_json] == [
        (int(v.price * 100), v.availability == "in_stock") for v in product.variants
    ]
    ld = ld_json(response)
    assert ld["@type"] == "Product" and ld["brand"]["name"] == product.brand
    assert [(o["sku"], Decimal(str(o["price"]))) for o in ld["offers"]] == [(v.sku, v.price) for v in product.variants]
    assert ld["sku"] == store.truth(product, shop_url)["sku"]  # selected_or_first_available_variant


def test_related_products_show_other_products_with_prices(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_ON_SALE)
    response = get(f"{shop_url}products/{product.slug}")
    cards = response.css("product-recommendations .card-wrapper")
    assert len(cards) == 4
    links = cards.css(".card__heading.h5 a::attr(href)").getall()
    assert all("pr_prod_strat=" in link for link in links)  # Shopify's recommendation tracking
    assert not any(f"/products/{product.slug}?" in link for link in links)
    assert all(card.css(".price-item--regular::text").re(r"€\d+\.\d\d") for card in cards)


def test_sale_and_sold_out_markup(store: ShopifyStore, shop_url: str) -> None:
    on_sale = product_by_index(store, IDX_ON_SALE)
    response = get(f"{shop_url}products/{on_sale.slug}")
    price = response.css(".product__info-container .price")
    assert "price--on-sale" in price.attrib["class"]
    assert price.css("s.price-item--regular::text").get().strip() == f"€{on_sale.regular_price:.2f} EUR"
    sold_out = product_by_index(store, IDX_OUT_OF_STOCK)
    response = get(f"{shop_url}products/{sold_out.slug}")
    button = response.css('product-form button[name="add"]')
    assert "disabled" in button.attrib and button.css("span::text").get() == "Sold out"
    assert "price--sold-out" in response.css(".product__info-container .price").attrib["class"]


def test_product_is_reachable_inside_collections_with_one_canonical(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_TWO_CATEGORIES)
    handles = store.collections_of(product)
    assert {"straight-needles", "accessories"} <= set(handles)
    for handle in ("straight-needles", "accessories"):
        response = get(f"{shop_url}collections/{handle}/products/{product.slug}")
        assert response.status == 200
        assert response.css('link[rel="canonical"]::attr(href)').get() == f"{shop_url}products/{product.slug}"
        listing = get(f"{shop_url}collections/{handle}")
        assert (
            f"/{SITE}/collections/{handle}/products/{product.slug}"
            in listing.css("#product-grid a::attr(href)").getall()
        )


def test_variant_parameter_selects_the_variant(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_VARIANTS)
    wanted = product.variants[2]
    response = get(f"{shop_url}products/{product.slug}?variant={wanted.variant_id}")
    assert response.css('form[action$="/cart/add"] input[name="id"]::attr(value)').get() == str(wanted.variant_id)
    assert (
        f"€{wanted.price:.2f} EUR"
        in response.css("#price-template--16872540356843__main .price-item--regular::text").get()
    )


def test_collection_pages_paginate_twelve_per_page(store: ShopifyStore, shop_url: str) -> None:
    products = store.catalog.products
    pages = [get(f"{shop_url}collections/all?page={n}") for n in (1, 2, 3)]
    hrefs = [p.css("#product-grid .card__heading.h5 a::attr(href)").getall() for p in pages]
    assert [len(h) for h in hrefs] == [12, 12, len(products) - 24]
    assert [h.rsplit("/", 1)[-1] for page in hrefs for h in page] == [p.slug for p in products]
    assert pages[0].css('.pagination a[aria-label="Next page"]::attr(href)').get() == f"/{SITE}/collections/all?page=2"
    beyond = get(f"{shop_url}collections/all?page=9")
    assert beyond.status == 200 and "No products found" in beyond.text
    assert not beyond.css("#product-grid .card-wrapper")


def test_unknown_paths_are_404(shop_url: str) -> None:
    for path in ("nope", "products/no-such-product", "collections/no-such-collection", "pages/nope"):
        assert fetch(shop_url + path)[0] == 404, path
    status, headers, body = fetch(f"{shop_url}products/no-such-product.js")
    assert status == 404 and json.loads(body) == {"errors": "Not Found"}
    assert headers["X-ShopId"]  # Shopify's own 404 page


def test_greek_locale_prefix_serves_the_same_shop(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_ON_SALE)
    response = get(f"{shop_url}el/products/{product.slug}")
    assert response.status == 200
    assert response.css("html::attr(lang)").get() == "el"
    assert response.css('link[rel="canonical"]::attr(href)').get() == f"{shop_url}el/products/{product.slug}"
    assert 'Shopify.locale = "el";' in response.text


# --- the store: catalog API ---------------------------------------------------------------


def test_products_json_pages_and_limits(store: ShopifyStore, shop_url: str) -> None:
    assert len(get_json(f"{shop_url}products.json")["products"]) == min(30, len(store.catalog.products))
    sizes = [len(get_json(f"{shop_url}products.json?limit=7&page={n}")["products"]) for n in range(1, 7)]
    total = len(store.catalog.products)
    assert sizes == [min(7, max(0, total - 7 * n)) for n in range(6)]
    assert get_json(f"{shop_url}products.json?limit=7&page=99") == {"products": []}
    assert len(get_json(f"{shop_url}products.json?limit=1000")["products"]) == total  # capped at 250, not refused
    _, headers, _ = fetch(f"{shop_url}products.json")
    assert headers["Content-Type"].startswith("application/json") and headers["X-ShopId"]


def test_products_json_has_shopifys_shape(store: ShopifyStore, shop_url: str) -> None:
    products = {p["id"]: p for p in get_json(f"{shop_url}products.json?limit=250")["products"]}
    assert set(products) == {p.numeric_id for p in store.catalog.products}
    single = products[product_by_index(store, IDX_ON_SALE).numeric_id]
    assert set(single) >= {"id", "title", "handle", "body_html", "published_at", "created_at", "updated_at", "vendor"}
    assert set(single) >= {"product_type", "tags", "variants", "images", "options"}
    (variant,) = single["variants"]
    assert set(variant) == VARIANT_KEYS
    on_sale = product_by_index(store, IDX_ON_SALE)
    assert variant["title"] == "Default Title" and variant["option1"] == "Default Title"
    assert (variant["price"], variant["compare_at_price"]) == (f"{on_sale.price:.2f}", f"{on_sale.regular_price:.2f}")
    assert single["options"] == [{"name": "Title", "position": 1, "values": ["Default Title"]}]
    with_variants = products[product_by_index(store, IDX_VARIANTS).numeric_id]
    source = product_by_index(store, IDX_VARIANTS).variants
    assert [(v["sku"], v["price"], v["available"]) for v in with_variants["variants"]] == [
        (v.sku, f"{v.price:.2f}", v.availability == "in_stock") for v in source
    ]
    assert with_variants["options"][0]["name"] == "Colour"


def test_collection_products_json_lists_the_collection(store: ShopifyStore, shop_url: str) -> None:
    wool = next(c for c in store.collections.values() if c.handle == "wool")
    got = [p["id"] for p in get_json(f"{shop_url}collections/wool/products.json")["products"]]
    assert got == [p.numeric_id for p in store.catalog.in_category(wool.category)][:30]
    assert fetch(f"{shop_url}collections/nope/products.json")[0] == 404


def test_ajax_and_json_product_endpoints(store: ShopifyStore, shop_url: str) -> None:
    product = product_by_index(store, IDX_VARIANTS)
    ajax = get_json(f"{shop_url}products/{product.slug}.js")
    assert ajax["id"] == product.numeric_id
    assert ajax["price"] == int(min(v.price for v in product.variants) * 100)  # cents
    assert [v["price"] for v in ajax["variants"]] == [int(v.price * 100) for v in product.variants]
    admin = get_json(f"{shop_url}products/{product.slug}.json")["product"]
    assert [v["price"] for v in admin["variants"]] == [f"{v.price:.2f}" for v in product.variants]


# --- the store: sitemaps and robots.txt --------------------------------------------------


def test_sitemaps_list_every_product_collection_and_page(store: ShopifyStore, shop_url: str) -> None:
    locs = sitemap_locs(f"{shop_url}sitemap.xml")
    ids = sorted(p.numeric_id for p in store.catalog.products)
    assert locs[0] == f"{shop_url}sitemap_products_1.xml?from={ids[0]}&to={ids[-1]}"
    assert f"{shop_url}sitemap_collections_1.xml" in locs and f"{shop_url}sitemap_pages_1.xml" in locs
    urls = sitemap_locs(locs[0])
    assert urls[0] == shop_url  # Shopify lists the home page first
    assert sorted(urls[1:]) == sorted(f"{shop_url}products/{p.slug}" for p in store.catalog.products)
    assert f"{shop_url}collections/wool" in sitemap_locs(f"{shop_url}sitemap_collections_1.xml")
    assert f"{shop_url}pages/contact" in sitemap_locs(f"{shop_url}sitemap_pages_1.xml")
    assert fetch(f"{shop_url}sitemap_products_2.xml")[0] == 404
    assert store.sitemap_paths() == ["sitemap.xml"]


def test_robots_txt_has_shopifys_default_rules(demo_root: str, shop_url: str) -> None:
    robots_text = fetch(f"{demo_root}robots.txt")[2].decode()
    robots = Protego.parse(robots_text)
    assert f"Sitemap: {shop_url}sitemap.xml" in robots_text
    for path in ("cart", "checkout", "account/login", "search?q=wool", "collections/all?sort_by=price-ascending"):
        assert not robots.can_fetch(urljoin(shop_url, path), "ecommerce_scraper"), path
    assert not robots.can_fetch(f"{shop_url}trap/do-not-follow", "ecommerce_scraper")
    assert not robots.can_fetch(f"{shop_url}el/collections/all?sort_by=title-ascending", "ecommerce_scraper")
    for path in ("products.json?limit=250&page=2", "products/x", "collections/all?page=2", "sitemap.xml"):
        assert robots.can_fetch(urljoin(shop_url, path), "ecommerce_scraper"), path


def test_truth_sku_is_the_one_dawn_states(store: ShopifyStore) -> None:
    product = product_by_index(store, IDX_VARIANTS)
    truth = store.truth(product, "http://shop/")
    first_available = next(v for v in product.variants if v.availability == "in_stock")
    assert truth["sku"] == first_available.sku and truth["gtin"] is None
    single = product_by_index(store, IDX_ON_SALE)
    assert store.truth(single, "http://shop/")["sku"] == single.sku


def test_product_pages_need_no_catalog_scan(store: ShopifyStore) -> None:
    """Rendering a product page looks products up by slug and position, never by scanning."""
    big = store_for(build_catalog(SITE, 600, 1, 1))
    request = DemoRequest("GET", f"products/{big.catalog.products[450].slug}", {}, {}, b"", "http://h/sittingknitting/")
    calls = 0
    products = big.catalog.products

    class Counting(tuple):
        def __iter__(self) -> Iterator[DemoProduct]:
            nonlocal calls
            calls += 1
            return super().__iter__()

    object.__setattr__(big.catalog, "products", Counting(products))  # build_catalog's cache: put it back
    try:
        assert big.handle(request).status == 200
    finally:
        object.__setattr__(big.catalog, "products", products)
    assert calls == 0
