"""Shopify adapter: on the demo Dawn shop and on hand-written markup of real Shopify themes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scrapy.http import HtmlResponse, TextResponse

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.stores import store_for
from demo_shops.stores.shopify import ShopifyStore
from ecommerce_scraper.platforms.shopify import ShopifyPlatform

from .conftest import TEST_PRODUCTS, fetch
from .test_shopify import SITE, get, product_by_index, product_view, truth_view


@pytest.fixture(scope="module")
def store() -> ShopifyStore:
    built = store_for(build_catalog(SITE, TEST_PRODUCTS, 1, 1))
    assert isinstance(built, ShopifyStore)
    return built


@pytest.fixture(scope="module")
def shop_url(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def platform(shop_url: str) -> ShopifyPlatform:
    return ShopifyPlatform(shop_url, currency="EUR", language="en")


# --- the adapter on the demo shop -----------------------------------------------------------


def test_detect_on_the_demo_home_page(shop_url: str) -> None:
    assert ShopifyPlatform.detect(get(shop_url)) == 100


def test_api_request_asks_for_the_largest_page(platform: ShopifyPlatform, shop_url: str) -> None:
    (request,) = platform.api_requests()
    assert request.url == f"{shop_url}products.json?limit=250&page=1"


def test_parse_api_reports_the_truth(platform: ShopifyPlatform, store: ShopifyStore, shop_url: str) -> None:
    page = platform.parse_api(get(f"{shop_url}products.json?limit=250&page=1"))
    assert [r.url for r in page.next_requests] == [f"{shop_url}products.json?limit=250&page=2"]
    by_id = {p["product_id"]: p for p in page.products}
    assert len(by_id) == len(store.catalog.products)
    for product in store.catalog.products:
        truth = store.truth(product, shop_url)
        got = by_id[truth["product_id"]]
        assert got["url"] == truth["url"] and got["name"] == truth["name"] and got["brand"] == truth["brand"]
        assert got["currency"] == "EUR"
        assert product_view(got) == {k: truth[k] for k in product_view(got)}, product.index
        assert got.get("sku") == (None if product.variants else truth["sku"])
    assert by_id[str(product_by_index(store, IDX_ON_SALE).numeric_id)]["description"].startswith("Soft ")
    empty = platform.parse_api(get(f"{shop_url}products.json?limit=250&page=2"))
    assert empty.products == [] and empty.next_requests == []


def test_parse_api_stops_when_the_shop_ignores_page(platform: ShopifyPlatform, shop_url: str) -> None:
    first = platform.parse_api(get(f"{shop_url}products.json?limit=5&page=1"))
    (second_request,) = first.next_requests
    body = fetch(f"{shop_url}products.json?limit=5&page=1")[2]  # page 1 again, as if page were ignored
    again = TextResponse(url=second_request.url, body=body, request=second_request)
    assert len(platform.parse_api(again).products) == 5
    assert platform.parse_api(again).next_requests == []


def test_parse_api_survives_garbage(platform: ShopifyPlatform, shop_url: str) -> None:
    url = f"{shop_url}products.json?limit=250&page=1"
    for body in (b"<html>Opening soon</html>", b'{"products": "nope"}', b"[1, 2]", b'{"products": [null, {"id": 1}]}'):
        assert platform.parse_api(TextResponse(url=url, body=body)).products == []


@pytest.mark.parametrize("index", [IDX_ON_SALE, IDX_OUT_OF_STOCK, IDX_VARIANTS, IDX_TWO_CATEGORIES])
def test_extract_product_reports_the_truth(
    platform: ShopifyPlatform, store: ShopifyStore, shop_url: str, index: int
) -> None:
    product = product_by_index(store, index)
    response = get(f"{shop_url}products/{product.slug}")
    assert platform.is_product_page(response) is True
    got = platform.extract_product(response)
    assert product_view(got) == truth_view(store, index, shop_url)
    assert got["name"] == product.name and got["brand"] == product.brand and got["currency"] == "EUR"
    assert got["breadcrumbs"] == [c.name_en for c in product.category.path()]
    assert got["attributes"] == product.attributes
    assert got.get("sku") == (None if product.variants else product.sku)


def test_extract_product_on_every_demo_page(platform: ShopifyPlatform, store: ShopifyStore, shop_url: str) -> None:
    for product in store.catalog.products:
        got = platform.extract_product(get(f"{shop_url}products/{product.slug}"))
        assert product_view(got) == truth_view(store, product.index, shop_url), product.index


def test_listing_links_of_a_collection_page(platform: ShopifyPlatform, store: ShopifyStore, shop_url: str) -> None:
    response = get(f"{shop_url}collections/all?page=2")
    links = platform.listing_links(response)
    assert links.products == [f"{shop_url}products/{p.slug}" for p in store.catalog.products[12:24]]
    assert set(links.next_pages) == {f"{shop_url}collections/all?page=1", f"{shop_url}collections/all?page=3"}
    assert f"{shop_url}collections/wool" in links.categories
    assert not any("sort_by" in url or "/products/" in url for url in links.categories)


def test_product_urls_and_pages(platform: ShopifyPlatform, shop_url: str) -> None:
    assert platform.is_product_url(f"{shop_url}products/drops-merino-1")
    assert platform.is_product_url(f"{shop_url}collections/wool/products/drops-merino-1?variant=12")
    assert platform.is_product_url("https://shop.example/el/products/drops-merino-1")
    for url in ("products.json", "products/x.js", "products/x.json", "collections/wool", "", "pages/contact"):
        assert platform.is_product_url(shop_url + url) is False, url
    assert platform.is_product_page(get(f"{shop_url}collections/all")) is False
    assert platform.is_product_page(HtmlResponse(url="http://x/", body=b"<html><p>hi</p></html>")) is None


# --- the adapter on real Shopify markup (hand-written) ---------------------------------------

# Dawn 15 renders no variant JSON for a product without options; ShopifyAnalytics and the
# buy button are what the page has. Prices in the analytics meta are cents.
DAWN_SINGLE = """<!doctype html><html><head>
<meta property="og:type" content="product">
<script>var Shopify = Shopify || {};
Shopify.shop = "woolly-things.myshopify.com";
Shopify.currency = {"active":"GBP","rate":"1.0"};</script>
<script>window.ShopifyAnalytics = window.ShopifyAnalytics || {};
window.ShopifyAnalytics.meta = window.ShopifyAnalytics.meta || {};
window.ShopifyAnalytics.meta.currency = 'GBP';
var meta = {"product":{"id":8123456789012,"gid":"gid:\\/\\/shopify\\/Product\\/8123456789012","vendor":"Rowan",
"type":"Yarn","variants":[{"id":44556677889900,"price":1295,"name":"Felted Tweed; \\"Seafarer\\"",
"public_title":null,"sku":"RW-FT-170"}]},"page":{"pageType":"product","resourceType":"product",
"resourceId":8123456789012}};
for (var attr in meta) { window.ShopifyAnalytics.meta[attr] = meta[attr]; }</script>
<script src="//cdn.shopify.com/shopifycloud/shop-js/client.js"></script>
</head><body>
<div class="product__info-container">
  <div class="product__title"><h1>Felted Tweed "Seafarer"</h1></div>
  <div id="price-template--1__main"><div class="price price--large price--on-sale price--show-badge">
    <div class="price__container">
      <div class="price__regular"><span class="price-item price-item--regular">£12.95 GBP</span></div>
      <div class="price__sale"><span><s class="price-item price-item--regular">£15.50 GBP</s></span>
      <span class="price-item price-item--sale price-item--last">£12.95 GBP</span></div>
    </div>
    <span class="badge price__badge-sale">Sale</span><span class="badge price__badge-sold-out">Sold out</span>
  </div></div>
  <product-form class="product-form"><form method="post" action="/cart/add">
    <input type="hidden" name="id" value="44556677889900">
    <button type="submit" name="add" class="product-form__submit button" disabled><span>Sold out</span></button>
    <input type="hidden" name="product-id" value="8123456789012">
  </form></product-form>
</div>
<product-recommendations class="related-products"><ul class="grid product-grid"><li>
  <div class="card-wrapper"><script type="application/json">[{"id":1,"price":100,"available":true}]</script>
  <a href="/products/other?pr_prod_strat=e5_desc&amp;pr_rec_id=1" class="full-unstyled-link">Other</a>
  <span class="price-item price-item--regular">£1.00 GBP</span></div>
</li></ul></product-recommendations>
</body></html>"""

# Debut (the pre-2.0 default theme) embeds ``{{ product | json }}``: options as names, prices in cents.
DEBUT_PRODUCT_JSON = """<html><head><script>var Shopify = Shopify || {};
Shopify.shop = "needles-and-co.myshopify.com";</script></head><body>
<h1 class="product-single__title">Bamboo DPNs</h1>
<script type="application/json" id="ProductJson-product-template">
{"id":6677889900,"title":"Bamboo DPNs","handle":"bamboo-dpns","vendor":"Clover","type":"Needles",
"price":650,"available":true,"options":["Size","Length"],
"variants":[
 {"id":1,"title":"2.5 mm \\/ 15 cm","option1":"2.5 mm","option2":"15 cm","option3":null,"sku":"CL-25-15",
  "available":false,"price":700,"compare_at_price":null},
 {"id":2,"title":"3 mm \\/ 15 cm","option1":"3 mm","option2":"15 cm","option3":null,"sku":"CL-30-15",
  "available":true,"price":650,"compare_at_price":800},
 {"id":3,"title":"3 mm \\/ 20 cm","option1":"3 mm","option2":"20 cm","option3":null,"sku":"CL-30-20",
  "available":true,"price":650,"compare_at_price":650}]}
</script></body></html>"""


def test_extract_product_from_dawn_analytics_and_buy_button() -> None:
    platform = ShopifyPlatform("https://woolly-things.example/", currency="EUR", language="en")
    response = HtmlResponse(url="https://woolly-things.example/products/felted-tweed", body=DAWN_SINGLE.encode())
    assert ShopifyPlatform.detect(response) >= 50
    assert platform.is_product_page(response) is True
    got = platform.extract_product(response)
    assert got["product_id"] == "8123456789012"
    assert got["name"] == 'Felted Tweed "Seafarer"' and got["brand"] == "Rowan"
    assert (got["price"], got["regular_price"]) == (Decimal("12.95"), Decimal("15.50"))
    assert got["availability"] == "out_of_stock" and got["sku"] == "RW-FT-170"
    assert got["currency"] == "GBP"  # the page says so, whatever the configuration
    assert "variants" not in got  # a lone default variant is the product itself


def test_extract_product_from_a_debut_product_json() -> None:
    platform = ShopifyPlatform("https://needles.example/", currency="EUR", language="en")
    got = platform.extract_product(
        HtmlResponse(url="https://needles.example/products/bamboo-dpns", body=DEBUT_PRODUCT_JSON.encode())
    )
    assert got["product_id"] == "6677889900" and got["brand"] == "Clover"
    assert [(v["sku"], v["options"], v["price"], v["regular_price"], v["availability"]) for v in got["variants"]] == [
        ("CL-25-15", {"Size": "2.5 mm", "Length": "15 cm"}, Decimal("7.00"), None, "out_of_stock"),
        ("CL-30-15", {"Size": "3 mm", "Length": "15 cm"}, Decimal("6.50"), Decimal("8.00"), "in_stock"),
        ("CL-30-20", {"Size": "3 mm", "Length": "20 cm"}, Decimal("6.50"), None, "in_stock"),  # compare-at == price
    ]
    assert (got["price"], got["regular_price"], got["availability"]) == (Decimal("6.50"), Decimal("8.00"), "in_stock")
    assert got["variants"][0]["name"] == "2.5 mm / 15 cm"


def test_detect_by_headers_alone_and_not_on_other_shops() -> None:
    bare = HtmlResponse(url="https://a.example/", body=b"<html><body>shop</body></html>", headers={"X-ShopId": "123"})
    assert ShopifyPlatform.detect(bare) >= 50
    woo = HtmlResponse(
        url="https://b.example/",
        body=b'<html><head><meta name="generator" content="WooCommerce 8.2.1"></head>'
        b'<body class="woocommerce"><a href="/product/x/">x</a></body></html>',
    )
    assert ShopifyPlatform.detect(woo) == 0


def test_adapter_never_raises_on_broken_pages() -> None:
    platform = ShopifyPlatform("https://x.example/", currency="EUR")
    broken = (
        b"",
        b"<html><script>var meta = {broken</script></html>",
        b'<html><variant-selects><script type="application/json">[{"id": 1, "price": "abc"}</script></variant-selects>',
        b'<html><script>var meta = {"product": {"id": 5, "variants": [null, 3, {"price": true}]}};</script></html>',
    )
    for body in broken:
        response = HtmlResponse(url="https://x.example/products/y", body=body, encoding="utf-8")
        assert isinstance(platform.extract_product(response), dict)
        assert isinstance(platform.listing_links(response).products, list)
    meta_only = platform.extract_product(HtmlResponse(url="https://x.example/products/y", body=broken[3]))
    assert meta_only["product_id"] == "5"
