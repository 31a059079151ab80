"""Magento 2 (Luma) demo store ``triskeli`` over real HTTP (the adapter: test_magento2_adapter.py)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urljoin
from urllib.request import Request as UrlRequest
from urllib.request import urlopen

import pytest
from parsel import Selector
from protego import Protego
from scrapy.http import HtmlResponse

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.store import format_price
from demo_shops.stores import store_for

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
