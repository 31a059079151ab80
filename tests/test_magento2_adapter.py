"""Magento 2 adapter: on the demo Luma shop (GraphQL and pages) and on hand-written real Magento markup."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from demo_shops.catalog import IDX_ON_SALE
from ecommerce_scraper.platforms import detect_platform
from ecommerce_scraper.platforms.magento2 import PAGE_SIZE, Magento2Platform

from .conftest import fetch
from .test_magento2 import CATALOG, PRODUCTS_QUERY, SITE, STORE, graphql_get, html, product_url, truth_view


@pytest.fixture(scope="module")
def base(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


# --- adapter ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform(base: str) -> Magento2Platform:
    return Magento2Platform(base, "EUR", "el")


@pytest.fixture(scope="module")
def api_products(platform: Magento2Platform) -> tuple[list[dict], int]:
    """Every product the adapter reads off the GraphQL API, following its own next requests."""
    requests, products, pages = platform.api_requests(), [], 0
    while requests:
        request = requests.pop()
        status, headers, body = fetch(request.url)
        page = platform.parse_api(
            TextResponse(url=request.url, body=body, status=status, headers=headers, request=request)
        )
        products += page.products
        requests += page.next_requests
        pages += 1
    return products, pages


def test_detect_magento_from_markup_and_from_headers(base: str) -> None:
    home = html(base)
    assert Magento2Platform.detect(home) >= 90
    assert detect_platform(home) == "magento2"
    plain = HtmlResponse(url="https://shop.example/", body=b"<html><body><p>Hi</p></body></html>", encoding="utf-8")
    assert Magento2Platform.detect(plain) == 0
    behind_varnish = HtmlResponse(
        url="https://shop.example/",
        body=b"<html><body></body></html>",
        headers={"X-Magento-Cache-Debug": "HIT", "Set-Cookie": "X-Magento-Vary=abc; path=/"},
        encoding="utf-8",
    )
    assert Magento2Platform.detect(behind_varnish) >= 50
    hyva = HtmlResponse(
        url="https://shop.example/",
        body=b'<html><head><link rel="stylesheet" href="https://shop.example/static/version1712345678/frontend/Hyva/'
        b'default/el_GR/css/styles.css"></head><body><script>window.Magento_PageCache = 1;</script></body></html>',
        encoding="utf-8",
    )
    assert Magento2Platform.detect(hyva) >= 50


def test_api_request_is_a_get_of_page_one(platform: Magento2Platform, base: str) -> None:
    (request,) = platform.api_requests()
    parts = urlsplit(request.url)
    assert request.method == "GET" and request.url.startswith(f"{base}graphql?")
    params = parse_qs(parts.query)
    assert json.loads(params["variables"][0]) == {"pageSize": PAGE_SIZE, "currentPage": 1}
    assert "... on ConfigurableProduct" in params["query"][0]
    assert request.meta["magento2_page"] == 1 and 404 in request.meta["handle_httpstatus_list"]


def test_parse_api_reports_the_whole_catalog(api_products: tuple[list[dict], int], base: str) -> None:
    products, _ = api_products
    truth = {t["product_id"]: t for t in (STORE.truth(p, base) for p in CATALOG.products)}
    got = {p["product_id"]: p for p in products}
    assert set(got) == set(truth)
    for product_id, expected in truth.items():
        product = got[product_id]
        assert truth_view(product) == truth_view(expected), product_id
        assert product["url"] == expected["url"]
        assert product["currency"] == "EUR"
        assert product["description"] == expected["description"]
        assert (product["category"], product["breadcrumbs"]) == (expected["category"], expected["breadcrumbs"])
        for variant, true_variant in zip(
            sorted(product.get("variants") or [], key=lambda v: v["sku"]),
            sorted(expected["variants"], key=lambda v: v["sku"]),
            strict=True,
        ):
            assert (variant["name"], variant["options"]) == (true_variant["name"], true_variant["options"])
    assert all(isinstance(p["price"], Decimal) for p in products)


def test_parse_api_follows_total_pages(platform: Magento2Platform, base: str) -> None:
    # Small pages through the demo, to see the adapter chain them (PAGE_SIZE covers 30 at once).
    _, _, body = graphql_get(base, PRODUCTS_QUERY.replace("$size: Int!", "$size: Int = 10"), {"page": 1})
    raw = json.dumps(body).encode()
    response = TextResponse(
        url=f"{base}graphql", body=raw, request=Request(f"{base}graphql", meta={"magento2_page": 1})
    )
    page = platform.parse_api(response)
    assert len(page.products) == 10
    (next_request,) = page.next_requests
    assert json.loads(parse_qs(urlsplit(next_request.url).query)["variables"][0])["currentPage"] == 2
    last = json.loads(raw)
    last["data"]["products"]["page_info"]["current_page"] = 3
    page = platform.parse_api(TextResponse(url=f"{base}graphql", body=json.dumps(last).encode()))
    assert not page.next_requests


def test_parse_api_when_graphql_is_disabled_or_broken(platform: Magento2Platform, base: str, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="ecommerce_scraper.platforms.magento2")
    not_found = TextResponse(url=f"{base}graphql?query=x", status=404, body=b"<html>404</html>")
    assert platform.parse_api(not_found).products == []
    assert "HTTP 404" in caplog.text
    errors = {"errors": [{"message": "GraphQL is disabled.", "extensions": {"category": "graphql"}}]}
    page = platform.parse_api(TextResponse(url=f"{base}graphql", body=json.dumps(errors).encode()))
    assert page.products == [] and page.next_requests == []
    assert "GraphQL is disabled." in caplog.text
    garbage = platform.parse_api(TextResponse(url=f"{base}graphql", body=b"<!doctype html><p>maintenance</p>"))
    assert garbage.products == []


def test_extract_product_from_demo_pages_matches_the_truth(platform: Magento2Platform, base: str) -> None:
    for product in CATALOG.products[:12]:
        expected = STORE.truth(product, base)
        page = html(expected["url"])
        assert platform.is_product_page(page) is True
        data = platform.extract_product(page)
        assert data["product_id"] == product.product_id
        assert (data["name"], data["sku"], data["availability"]) == (product.name, product.sku, product.availability)
        assert (data["price"], data.get("regular_price")) == (product.price, product.regular_price)
        assert (data["brand"], data.get("gtin"), data.get("attributes", {})) == (
            product.brand,
            product.gtin,
            product.attributes,
        )
        assert data["breadcrumbs"] == expected["breadcrumbs"] and data["description"] == product.description
        assert data["images"][0].startswith(f"{base}media/catalog/product/")
        if product.variants and product.availability == "in_stock":
            assert truth_view({**data, "name": product.name})[5] == truth_view(expected)[5]


def test_extract_product_ignores_related_products_prices(platform: Magento2Platform, base: str) -> None:
    index = next(i for i, p in enumerate(CATALOG.products) if not p.variants and not p.on_sale)
    data = platform.extract_product(html(product_url(base, index)))
    assert data["price"] == CATALOG.products[index].price and "regular_price" not in data


def test_is_product_page_and_listing_links(platform: Magento2Platform, base: str) -> None:
    category = html(f"{base}nimata.html")
    assert platform.is_product_page(category) is False
    links = platform.listing_links(category)
    assert links is not None and len(links.products) == 12
    assert links.next_pages[0] == f"{base}nimata.html?p=2"
    assert f"{base}velones/kyklikes-velones.html" in links.categories
    product_page = html(product_url(base, IDX_ON_SALE))
    assert platform.listing_links(product_page).products == []  # related items are not a listing
    assert platform.is_product_url(product_url(base, 0)) is None
    plain = HtmlResponse(url="https://x.example/", body=b"<html><body><p>x</p></body></html>", encoding="utf-8")
    assert platform.is_product_page(plain) is None and platform.listing_links(plain) is None


# --- adapter on hand-written markup of real Magento shops ---------------------------------

# A Magento 2.3 Luma configurable page without "Display Out of Stock Products": the
# out-of-stock child (id 1203) is simply absent from spConfig; prices carry tax display.
REAL_SP_CONFIG = {
    "attributes": {
        "93": {
            "id": "93",
            "code": "color",
            "label": "Color",
            "options": [
                {"id": "50", "label": "Blue", "products": ["1201"]},
                {"id": "58", "label": "Red", "products": ["1202"]},
            ],
            "position": "0",
        }
    },
    "optionPrices": {
        "1201": {"oldPrice": {"amount": 24}, "basePrice": {"amount": 19.35}, "finalPrice": {"amount": 24}},
        "1202": {"oldPrice": {"amount": 30}, "basePrice": {"amount": 21.77}, "finalPrice": {"amount": 27}},
    },
    "productId": "1200",
    "index": {"1201": {"93": "50"}, "1202": {"93": "58"}},
}
REAL_CONFIGURABLE = """<!doctype html><html><head>
<meta property="product:price:amount" content="24"/><meta property="product:price:currency" content="EUR"/>
</head><body class="catalog-product-view product-wool-scarf page-product-configurable page-layout-1column">
<div class="product-info-main"><div class="page-title-wrapper product"><h1 class="page-title">
<span class="base" data-ui-id="page-title-wrapper" itemprop="name">Wool Scarf</span></h1></div>
<div class="product-info-price"><div class="price-box price-final_price" data-role="priceBox" data-product-id="1200">
<span class="normal-price"><span class="price-container price-final_price tax weee">
<span class="price-label">As low as</span>
<span id="product-price-1200" data-price-amount="24" data-price-type="finalPrice"
 class="price-wrapper price-including-tax"><span class="price">24,00 €</span></span>
<span data-price-amount="19.35" data-price-type="basePrice" class="price-wrapper price-excluding-tax">
<span class="price">19,35 €</span></span>
</span></span></div>
<div class="product-info-stock-sku"><div class="stock available" title="Availability"><span>In stock</span></div>
<div class="product attribute sku"><strong class="type">SKU</strong>
<div class="value" itemprop="sku">WS-01</div></div></div></div>
<form data-product-sku="WS-01" action="https://shop.example/checkout/cart/add/uenc/x/product/1200/" method="post"
 id="product_addtocart_form">
<input type="hidden" name="product" value="1200" />
<script type="text/x-magento-init">
{"#product_addtocart_form":{"configurable":{"spConfig":SP_CONFIG,"gallerySwitchStrategy":"replace"}}}
</script>
</form></div></body></html>""".replace("SP_CONFIG", json.dumps(REAL_SP_CONFIG))


def test_extract_product_from_real_configurable_markup() -> None:
    page = HtmlResponse(url="https://shop.example/wool-scarf.html", body=REAL_CONFIGURABLE.encode(), encoding="utf-8")
    platform = Magento2Platform("https://shop.example/")
    assert Magento2Platform.detect(page) >= 50
    data = platform.extract_product(page)
    assert (data["product_id"], data["name"], data["sku"]) == ("1200", "Wool Scarf", "WS-01")
    assert data["price"] == Decimal("24.00") and "regular_price" not in data  # incl. tax, not the basePrice
    assert data["availability"] == "in_stock"
    assert data["variants"] == [
        {
            "name": "Blue",
            "options": {"Color": "Blue"},
            "price": Decimal("24.00"),
            "regular_price": None,
            "availability": "in_stock",
        },
        {
            "name": "Red",
            "options": {"Color": "Red"},
            "price": Decimal("27.00"),
            "regular_price": Decimal("30.00"),
            "availability": "in_stock",
        },
    ]


def test_extract_product_reads_swatch_json_config_with_salable_map() -> None:
    config = {
        "attributes": {
            "144": {
                "id": "144",
                "code": "size",
                "label": "Size",
                "position": "0",
                "options": [
                    {"id": "1", "label": "S", "products": ["11"]},
                    {"id": "2", "label": "M", "products": ["12"]},
                ],
            }
        },
        "optionPrices": {
            "11": {"oldPrice": {"amount": 10}, "finalPrice": {"amount": 10}},
            "12": {"oldPrice": {"amount": 10}, "finalPrice": {"amount": 10}},
        },
        "index": {"11": {"144": "1"}, "12": {"144": "2"}},
        "salable": {"144": {"1": ["11"]}},
        "canDisplayShowOutOfStockStatus": True,
    }
    body = (
        '<html><body class="catalog-product-view page-layout-1column"><div class="product-info-main">'
        '<div class="price-box"><span data-price-amount="10" data-price-type="finalPrice"></span></div></div>'
        '<div class="swatch-opt" data-role="swatch-options"></div><script type="text/x-magento-init">'
        + json.dumps({"[data-role=swatch-options]": {"Magento_Swatches/js/swatch-renderer": {"jsonConfig": config}}})
        + "</script></body></html>"
    )
    data = Magento2Platform("https://shop.example/").extract_product(
        HtmlResponse(url="https://shop.example/tee.html", body=body.encode(), encoding="utf-8")
    )
    assert [(v["options"], v["availability"]) for v in data["variants"]] == [
        ({"Size": "S"}, "in_stock"),
        ({"Size": "M"}, "out_of_stock"),
    ]


def test_adapter_never_raises_on_malformed_pages() -> None:
    platform = Magento2Platform("https://shop.example/")
    broken = (
        '<html><body class="catalog-product-view"><div class="product-info-main"><div class="price-box">'
        '<span data-price-amount="n/a" data-price-type="finalPrice"></span></div></div>'
        '<script type="text/x-magento-init">{"#product_addtocart_form": {"configurable": {"spConfig": '
        "</script></body></html>"
    )
    data = platform.extract_product(
        HtmlResponse(url="https://shop.example/x.html", body=broken.encode(), encoding="utf-8")
    )
    assert "price" not in data and "variants" not in data
    weird = {
        "data": {
            "products": {
                "items": [
                    {
                        "id": None,
                        "uid": "MTIz",
                        "url_key": "a",
                        "url_suffix": None,
                        "price_range": {"minimum_price": {"final_price": {"value": "x"}}},
                    },
                    "not a product",
                    {"name": "no id"},
                ],
                "page_info": "nope",
            }
        }
    }
    page = platform.parse_api(TextResponse(url="https://shop.example/graphql", body=json.dumps(weird).encode()))
    assert page.products == [{"product_id": "123", "url": "https://shop.example/a"}]
