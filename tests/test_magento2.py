"""Magento 2 (Luma) demo store ``triskeli`` over real HTTP, and the Magento 2 adapter on its pages."""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

import pytest
from parsel import Selector
from protego import Protego
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.store import format_price
from demo_shops.stores import store_for
from ecommerce_scraper.platforms import detect_platform
from ecommerce_scraper.platforms.magento2 import PAGE_SIZE, Magento2Platform

from .conftest import TEST_PRODUCTS, fetch

SITE = "triskeli"
CATALOG = build_catalog(SITE, TEST_PRODUCTS)
STORE = store_for(CATALOG)
PRODUCTS_QUERY = """
query($size: Int!, $page: Int) {
  products(search: "", pageSize: $size, currentPage: $page) {
    total_count
    page_info { current_page page_size total_pages }
    items {
      __typename id sku name url_key url_suffix stock_status
      price_range { minimum_price { regular_price { value currency } final_price { value currency } } }
      ... on ConfigurableProduct {
        configurable_options { attribute_code label values { value_index label } }
        variants { attributes { code label value_index } product { sku stock_status
          price_range { minimum_price { regular_price { value } final_price { value } } } } }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def base(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


def html(url: str) -> HtmlResponse:
    status, headers, body = fetch(url)
    return HtmlResponse(url=url, body=body, status=status, headers=headers, encoding="utf-8")


def graphql_get(base: str, query: str, variables: dict[str, Any] | None = None) -> tuple[int, dict, Any]:
    params = {"query": query, **({"variables": json.dumps(variables)} if variables else {})}
    status, headers, body = fetch(f"{base}graphql?{urlencode(params)}")
    return status, headers, json.loads(body)


def graphql_post(base: str, payload: dict[str, Any], content_type: str = "application/json") -> tuple[int, Any]:
    request = UrlRequest(
        f"{base}graphql", data=json.dumps(payload).encode(), headers={"Content-Type": content_type}, method="POST"
    )
    from urllib.error import HTTPError

    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


def dec(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def truth_view(product: dict) -> tuple:
    return (
        product["name"],
        dec(product.get("price")),
        dec(product.get("regular_price")),
        product.get("availability"),
        product.get("sku"),
        sorted(
            (v.get("sku") or "", dec(v.get("price")), dec(v.get("regular_price")), v.get("availability"))
            for v in product.get("variants") or []
        ),
    )


def product_url(base: str, index: int) -> str:
    return base + STORE.product_path(CATALOG.products[index])


# --- store: pages ---------------------------------------------------------------------


def test_home_page_is_a_luma_page_with_menu_cart_cookie_notice_and_hidden_trap(base: str) -> None:
    page = html(base)
    assert page.status == 200
    assert "cms-index-index" in page.css("body::attr(class)").get()
    assert "/static/version1700000000/frontend/Magento/luma/el_GR/requirejs/require.js" in page.text
    menu = page.css("nav.navigation a::attr(href)").getall()
    assert f"{base}nimata.html" in menu and f"{base}nimata/malli.html" in menu
    assert page.css(".minicart-wrapper a.showcart::attr(href)").get() == f"{base}checkout/cart/"
    assert page.css("#notice-cookie-block #btn-cookie-allow")
    trap = page.css(f'a[href="{base}{STORE.trap_path}"]')
    assert trap and "display:none" in trap.attrib["style"]
    assert "Magento_GoogleGtag/js/google-analytics" in page.text
    cookies = " ".join(v for k, v in fetch(base)[1].items() if k.lower() == "set-cookie")
    assert "PHPSESSID=" in cookies


def test_category_pages_paginate_twelve_per_page_with_p_and_product_list_limit(base: str) -> None:
    yarns = next(c for c in CATALOG.products[0].category.path() if c.parent is None)
    expected = [STORE.product_path(p) for p in CATALOG.in_category(yarns)]
    assert len(expected) > 12
    first = html(f"{base}{yarns.slug}.html")
    links = first.css(".products-grid .product-item-link::attr(href)").getall()
    assert links == [base + path for path in expected[:12]]
    assert first.css(".toolbar-amount .toolbar-number::text").getall()[-1] == str(len(expected))
    next_url = first.css(".pages-item-next a::attr(href)").get()
    assert next_url == f"{base}{yarns.slug}.html?p=2"
    second = html(next_url)
    assert second.css(".product-item-link::attr(href)").getall() == [base + p for p in expected[12:24]]
    # Magento clamps a page past the end to the last page.
    beyond = html(f"{base}{yarns.slug}.html?p=99")
    assert beyond.css(".pages .item.current span:last-child::text").get() == str(-(-len(expected) // 12))
    assert not beyond.css(".pages-item-next")
    wide = html(f"{base}{yarns.slug}.html?product_list_limit=24")
    assert len(wide.css(".product-item-link")) == min(24, len(expected))
    assert wide.css("#limiter option[selected]::attr(value)").get() == "24"


def test_product_in_two_categories_is_listed_under_both(base: str) -> None:
    product = CATALOG.products[IDX_TWO_CATEGORIES]
    assert len(product.categories) == 2
    for category in product.categories:
        path = "/".join(c.slug for c in category.path())
        listed = []
        url: str | None = f"{base}{path}.html"
        while url:
            page = html(url)
            listed += page.css(".product-item-link::attr(href)").getall()
            url = page.css(".pages-item-next a::attr(href)").get()
        assert base + STORE.product_path(product) in listed


def test_product_page_luma_markup_prices_stock_and_seo(base: str) -> None:
    product = CATALOG.products[IDX_ON_SALE]
    url = product_url(base, IDX_ON_SALE)
    page = html(url)
    assert page.status == 200
    assert "catalog-product-view" in page.css("body::attr(class)").get()
    assert page.css("body::attr(itemtype)").get() == "http://schema.org/Product"
    assert page.css(".page-title span.base::text").get() == product.name
    assert page.css("#product_addtocart_form input[name=product]::attr(value)").get() == product.product_id
    assert page.css(".product.attribute.sku .value::text").get() == product.sku
    box = page.css(".product-info-main .product-info-price .price-box")
    assert box.attrib["data-product-id"] == product.product_id
    final = box.css('[data-price-type="finalPrice"]::attr(data-price-amount)').get()
    old = box.css('[data-price-type="oldPrice"]::attr(data-price-amount)').get()
    assert Decimal(final) == product.price and Decimal(old) == product.regular_price
    assert format_price(product.price) in box.get() and format_price(product.regular_price) in box.get()
    assert page.css(".product-info-stock-sku .stock.available span::text").get() == "Σε απόθεμα"
    assert page.css('link[rel="canonical"]::attr(href)').get() == url
    assert page.css('meta[name="robots"]::attr(content)').get() == "INDEX,FOLLOW"
    assert page.css('meta[property="og:title"]::attr(content)').get() == product.name
    assert page.css('meta[property="product:price:amount"]::attr(content)').get() == final
    hreflang = dict(
        zip(
            page.css("link[hreflang]::attr(hreflang)").getall(),
            page.css("link[hreflang]::attr(href)").getall(),
            strict=True,
        )
    )
    assert hreflang["el"] == url and hreflang["en"].startswith(url)
    assert page.css('meta[itemprop="price"]::attr(content)').get() == final
    # The related block shows OTHER products with their own prices.
    related_ids = page.css(".block.related .price-box::attr(data-product-id)").getall()
    assert related_ids and product.product_id not in related_ids
    for rid in related_ids:
        other = CATALOG.by_id[rid]
        amount = page.css(f'.block.related [data-price-box="product-id-{rid}"] [data-price-type="finalPrice"]')
        expected = min(v.price for v in other.variants) if other.variants else other.price
        assert Decimal(amount.attrib["data-price-amount"]) == expected


def test_out_of_stock_product_shows_unavailable_and_no_add_to_cart(base: str) -> None:
    page = html(product_url(base, IDX_OUT_OF_STOCK))
    assert page.css(".product-info-main .stock.unavailable span::text").get() == "Εξαντλημένο"
    assert not page.css("#product-addtocart-button")
    assert not page.css("#product-options-wrapper")  # Magento renders options only for salable products


def test_configurable_product_sp_config_matches_the_catalog(base: str) -> None:
    product = CATALOG.products[IDX_VARIANTS]
    page = html(product_url(base, IDX_VARIANTS))
    scripts = [json.loads(s) for s in page.xpath('//script[@type="text/x-magento-init"]/text()').getall()]
    config = next(
        s for s in scripts if "#product_addtocart_form" in s and "configurable" in s["#product_addtocart_form"]
    )
    sp = config["#product_addtocart_form"]["configurable"]["spConfig"]
    assert sp["productId"] == product.product_id
    assert sp["canDisplayShowOutOfStockStatus"] is True
    salable = {child for options in sp["salable"].values() for children in options.values() for child in children}
    (attribute,) = sp["attributes"].values()
    labels = {o["id"]: o["label"] for o in attribute["options"]}
    for variant in product.variants:
        child = str(variant.variant_id)
        assert Decimal(str(sp["optionPrices"][child]["finalPrice"]["amount"])) == variant.price
        assert sp["sku"][child] == variant.sku
        assert labels[sp["index"][child][attribute["id"]]] == next(iter(variant.options.values()))
        assert (child in salable) == (variant.availability == "in_stock")
    # Inline JSON is escaped the way PHP's json_encode does it.
    assert "\\u03a7\\u03c1\\u03ce\\u03bc\\u03b1" in page.text and "<\\/" not in page.text.split("spConfig")[0][-10:]


def test_system_routes_404_and_redirects(base: str) -> None:
    assert fetch(f"{base}checkout/cart/")[0] == 200
    assert fetch(f"{base}customer/account/login/")[0] == 200
    assert fetch(f"{base}no-such-page.html")[0] == 404
    assert fetch(f"{base}{STORE.trap_path}")[0] == 404
    status, _, body = fetch(f"{base}catalogsearch/result/?q=Drops")
    assert status == 200 and "catalogsearch-result-index" in body.decode()
    product = CATALOG.products[0]
    status, _, body = fetch(f"{base}catalog/product/view/id/{product.product_id}")
    assert status == 200
    assert Selector(text=body.decode()).css('link[rel="canonical"]::attr(href)').get() == product_url(base, 0)
    # urllib follows the account redirect to the login page
    with urlopen(f"{base}customer/account/", timeout=10) as response:
        assert response.url == f"{base}customer/account/login/"


# --- store: robots, sitemap -------------------------------------------------------------


def test_robots_announces_sitemap_and_disallows_private_paths_only(demo_root: str, base: str) -> None:
    robots = Protego.parse(fetch(urljoin(demo_root, "/robots.txt"))[2].decode())
    assert f"{base}sitemap.xml" in list(robots.sitemaps)
    for blocked in (
        "checkout/cart/",
        "customer/account/",
        "catalogsearch/result/?q=x",
        "index.php/x",
        STORE.trap_path,
        "nimata.html?SID=abc",
        "nimata.html?product_list_order=price",
    ):
        assert not robots.can_fetch(base + blocked, "ecommerce_scraper"), blocked
    for allowed in ("", "nimata.html?p=2", product_url(base, 0)[len(base) :], "graphql?query=%7Bx%7D", "sitemap.xml"):
        assert robots.can_fetch(base + allowed, "ecommerce_scraper"), allowed


def test_sitemap_lists_every_product_and_category(base: str) -> None:
    status, headers, body = fetch(f"{base}sitemap.xml")
    assert status == 200 and "xml" in headers["Content-Type"]
    sitemap = Selector(text=body.decode(), type="xml")
    sitemap.register_namespace("s", "http://www.sitemaps.org/schemas/sitemap/0.9")
    locs = sitemap.xpath("//s:url/s:loc/text()").getall()
    assert {base + STORE.product_path(p) for p in CATALOG.products} <= set(locs)
    assert f"{base}nimata/malli.html" in locs and base in locs
    assert not any(STORE.trap_path in loc for loc in locs)
    assert len(sitemap.xpath("//s:url")) == 1 + 9 + len(CATALOG.products)


# --- store: GraphQL ---------------------------------------------------------------------


def test_graphql_get_pages_with_page_size_and_current_page(base: str) -> None:
    status, headers, body = graphql_get(base, PRODUCTS_QUERY, {"size": 7, "page": 2})
    assert status == 200 and "errors" not in body
    assert headers["Cache-Control"].startswith("max-age=") and "X-Magento-Cache-Id" in headers
    products = body["data"]["products"]
    assert products["total_count"] == len(CATALOG.products)
    assert products["page_info"] == {"current_page": 2, "page_size": 7, "total_pages": -(-len(CATALOG.products) // 7)}
    assert [i["sku"] for i in products["items"]] == [p.sku for p in CATALOG.products[7:14]]


def test_graphql_post_and_variants_match_the_catalog(base: str) -> None:
    status, body = graphql_post(base, {"query": PRODUCTS_QUERY, "variables": {"size": 50}})
    assert status == 200
    items = {i["id"]: i for i in body["data"]["products"]["items"]}
    product = CATALOG.products[IDX_VARIANTS]
    item = items[product.numeric_id]
    assert item["__typename"] == "ConfigurableProduct" and item["url_suffix"] == ".html"
    assert item["configurable_options"][0]["label"] == next(iter(product.variants[0].options))
    got = {
        v["product"]["sku"]: (
            Decimal(str(v["product"]["price_range"]["minimum_price"]["final_price"]["value"])),
            v["product"]["stock_status"],
            v["attributes"][0]["label"],
        )
        for v in item["variants"]
    }
    assert got == {
        v.sku: (v.price, "IN_STOCK" if v.availability == "in_stock" else "OUT_OF_STOCK", next(iter(v.options.values())))
        for v in product.variants
    }
    simple = next(i for i in items.values() if i["__typename"] == "SimpleProduct")
    assert "configurable_options" not in simple  # the inline fragment applies to configurables only


def test_graphql_money_is_json_numbers(base: str) -> None:
    product = CATALOG.products[0]
    query = (
        '{ products(filter: {sku: {eq: "%s"}}) { items { price_range { minimum_price { final_price { value } } } } } }'
    )
    _, _, raw = fetch(f"{base}graphql?{urlencode({'query': query % product.sku})}")
    number = re.search(rb'"final_price":\{"value":([0-9.]+)\}', raw)
    assert number and Decimal(number.group(1).decode()) == product.price


@pytest.mark.parametrize(
    ("query", "status", "message", "category"),
    [
        ('{ products(search: "") { items { sku', 400, "Syntax Error: Expected Name, found <EOF>.", None),
        (
            '{ products(search: "") { items { sku colour } } }',
            200,
            'Cannot query field "colour" on type "ProductInterface".',
            "graphql",
        ),
        (
            '{ products(search: "") { items { variants { attributes { code } } } } }',
            200,
            'inline fragment on "ConfigurableProduct"',
            "graphql",
        ),
        ('{ products(search: "") { items { price_range } } }', 200, "must have a selection of subfields", "graphql"),
        (
            "{ products(pageSize: 5) { total_count } }",
            200,
            "'search' or 'filter' input argument is required.",
            "graphql-input",
        ),
        (
            '{ products(search: "", pageSize: 5, currentPage: 99) { total_count } }',
            200,
            "currentPage value 99 specified is greater than the",
            "graphql-input",
        ),
        (
            '{ products(filter: {colour: {eq: "1"}}) { total_count } }',
            200,
            'Field "colour" is not defined by type "ProductAttributeFilterInput".',
            "graphql",
        ),
        (
            'query($n: Int!) { products(search: "", pageSize: $n) { total_count } }',
            200,
            'Variable "$n" of required type "Int!" was not provided.',
            "graphql",
        ),
    ],
)
def test_graphql_errors_are_real_error_objects(
    base: str, query: str, status: int, message: str, category: str | None
) -> None:
    got_status, _, body = graphql_get(base, query)
    assert got_status == status
    (error,) = body["errors"]
    assert message in error["message"]
    assert error.get("extensions", {}).get("category") == category
    if category == "graphql-input":  # a resolver error: the field is there, null
        assert body["data"] == {"products": None} and error["path"] == ["products"]
    else:  # the query never ran
        assert "data" not in body
    if status == 400 or "Variable" not in message:
        assert error["locations"][0]["line"] == 1


def test_graphql_post_needs_json_content_type(base: str) -> None:
    status, body = graphql_post(base, {"query": '{ products(search: "") { total_count } }'}, "text/plain")
    assert status == 400 and "application/json" in body["errors"][0]["message"]


def test_graphql_filters_by_category(base: str) -> None:
    category = CATALOG.products[IDX_TWO_CATEGORIES].categories[1]
    query = f'{{ products(filter: {{category_id: {{eq: "{category.id}"}}}}, pageSize: 100) {{ items {{ sku }} }} }}'
    _, _, body = graphql_get(base, query)
    assert [i["sku"] for i in body["data"]["products"]["items"]] == [p.sku for p in CATALOG.in_category(category)]


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
