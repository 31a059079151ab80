"""OpenCart adapter: on the demo shop's pages and on hand-written markup of real OpenCart shops."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from demo_shops.catalog import (
    CATEGORIES,
    Catalog,
    build_catalog,
)
from demo_shops.stores import store_for
from ecommerce_scraper.platforms import detect_platform
from ecommerce_scraper.platforms.opencart import OpenCartPlatform

from .conftest import TEST_PRODUCTS
from .test_opencart import SITE, category_path, get


@pytest.fixture(scope="module")
def store_url(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(SITE, TEST_PRODUCTS)


@pytest.fixture(scope="module")
def platform(store_url: str) -> OpenCartPlatform:
    return OpenCartPlatform(store_url, "EUR", "el")


# --- the adapter on the demo shop -------------------------------------------------------


def test_detects_opencart_on_the_demo_home_page(store_url: str) -> None:
    home = get(store_url)
    assert OpenCartPlatform.detect(home) >= 90
    assert detect_platform(home) == "opencart"


def test_extract_product_matches_the_truth_for_every_product(
    store_url: str, catalog: Catalog, platform: OpenCartPlatform
) -> None:
    store = store_for(catalog)
    for product in catalog.products:
        truth = store.truth(product, store_url)
        page = get(store_url + product.slug)
        assert platform.is_product_page(page) is True
        got = platform.extract_product(page)
        assert got["product_id"] == truth["product_id"]
        assert got["name"] == truth["name"]
        assert got["brand"] == truth["brand"]
        assert got["sku"] == truth["sku"]
        assert got.get("gtin") == truth["gtin"]
        assert got["availability"] == truth["availability"]
        assert got["breadcrumbs"] == truth["breadcrumbs"]
        assert got.get("attributes", {}) == truth["attributes"]
        assert got["description"] == truth["description"]
        assert got["main_image"] == store_url + product.images[0]
        variants = got.get("variants", [])
        assert [_view(v) for v in variants] == [_view(v) for v in truth["variants"]], product.slug
        # The page's price is the base price; the spider takes the cheapest variant's.
        if variants:
            cheapest = min(variants, key=lambda v: v["price"])
            assert (cheapest["price"], cheapest["regular_price"]) == (product.price, product.regular_price)
        else:
            assert got.get("price") == product.price
            assert got.get("regular_price") == product.regular_price
        if product.price is None:
            assert "price" not in got and "currency" not in got
        else:
            assert got["currency"] == "EUR"


def test_listing_links_of_a_category_page(store_url: str, catalog: Catalog, platform: OpenCartPlatform) -> None:
    page = get(store_url + "nimata")
    links = platform.listing_links(page)
    assert links is not None
    yarns = next(c for c in CATEGORIES if c.slug == "nimata")
    assert links.products == [f"{store_url}nimata/{p.slug}" for p in catalog.in_category(yarns)[:12]]
    assert links.next_pages[0] == store_url + "nimata?page=2"
    assert {store_url + category_path(c) for c in CATEGORIES} <= set(links.categories)
    assert not any("sort=" in url or "trap" in url for url in links.categories + links.next_pages)
    assert platform.is_product_page(page) is False
    assert platform.is_product_page(get(store_url)) is False


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example/index.php?route=product/product&product_id=42", True),
        ("https://shop.example/index.php?route=product/product&path=20_27&product_id=42", True),
        ("https://shop.example/index.php?route=product/category&path=20", False),
        ("https://shop.example/index.php?route=product/manufacturer/info&manufacturer_id=8", False),
        ("https://shop.example/index.php?route=information/information&information_id=4", False),
        ("https://shop.example/apple-cinema", None),
        ("https://shop.example/desktops/mac", None),
    ],
)
def test_is_product_url(url: str, expected: bool | None) -> None:
    assert OpenCartPlatform("https://shop.example/").is_product_url(url) is expected


# --- the adapter on real OpenCart markup ------------------------------------------------

# OpenCart 3.0.3 default theme, English, the demo's "Apple Cinema 30"" (abridged): a radio,
# a checkbox and a select option, prices with tax, no per-option SKU, SEO URLs off.
REAL_PRODUCT = """<!DOCTYPE html><html dir="ltr" lang="en"><head><meta charset="UTF-8" />
<title>Apple Cinema 30"</title><base href="https://demo.opencart.com/" />
<link href="catalog/view/theme/default/stylesheet/stylesheet.css" rel="stylesheet">
<link href="https://demo.opencart.com/index.php?route=product/product&amp;product_id=42" rel="canonical" />
</head><body>
<header><div id="cart" class="btn-group btn-block"><button type="button" class="btn btn-inverse">
<span id="cart-total">0 item(s) - $0.00</span></button>
<ul class="dropdown-menu pull-right">
<li><p class="text-center">Your shopping cart is empty!</p></li></ul></div></header>
<div id="product-product" class="container">
  <ul class="breadcrumb">
    <li><a href="https://demo.opencart.com/index.php?route=common/home"><i class="fa fa-home"></i></a></li>
    <li><a href="https://demo.opencart.com/index.php?route=product/category&amp;path=20">Desktops</a></li>
    <li><a href="https://demo.opencart.com/index.php?route=product/product&amp;path=20&amp;product_id=42"
      >Apple Cinema 30&quot;</a></li>
  </ul>
  <div class="row"><div id="content" class="col-sm-12"><div class="row">
    <div class="col-sm-8">
      <ul class="thumbnails">
        <li><a class="thumbnail"
          href="https://demo.opencart.com/image/cache/catalog/demo/apple_cinema_30-500x500.jpg"
          title="Apple Cinema 30&quot;"><img src="catalog/demo/apple_cinema_30-228x228.jpg" /></a></li>
        <li class="image-additional"><a class="thumbnail"
          href="https://demo.opencart.com/image/cache/catalog/demo/canon_logo-500x500.jpg"> <img src="x.jpg" /></a></li>
      </ul>
      <div class="tab-content">
        <div class="tab-pane active" id="tab-description"><p><font face="helvetica,geneva,arial" size="2">
          The 30-inch Apple Cinema HD Display delivers an amazing 2560 x 1600 pixel resolution.</font></p></div>
        <div class="tab-pane" id="tab-specification"><table class="table table-bordered">
          <thead><tr><td colspan="2"><strong>Memory</strong></td></tr></thead>
          <tbody><tr><td>test 1</td><td>16GB</td></tr></tbody>
          <thead><tr><td colspan="2"><strong>Processor</strong></td></tr></thead>
          <tbody><tr><td>No. of Cores</td><td>4</td></tr></tbody></table></div>
      </div>
    </div>
    <div class="col-sm-4">
      <div class="btn-group"><button type="button" class="btn btn-default" onclick="wishlist.add('42');"></button></div>
      <h1>Apple Cinema 30&quot;</h1>
      <ul class="list-unstyled">
        <li>Brand: <a href="https://demo.opencart.com/index.php?route=product/manufacturer/info&amp;manufacturer_id=8">Apple</a></li>
        <li>Product Code: Product 15</li>
        <li>Reward Points: 100</li>
        <li>Availability: In Stock</li>
      </ul>
      <ul class="list-unstyled">
        <li><span style="text-decoration: line-through;">$122.00</span></li>
        <li><h2>$110.00</h2></li>
        <li>Ex Tax: $90.00</li>
        <li><hr></li>
        <li>10 or more $88.00</li>
      </ul>
      <div id="product"><hr><h3>Available Options</h3>
        <div class="form-group required ">
          <label class="control-label">Radio</label>
          <div id="input-option218">
            <div class="radio"><label><input type="radio" name="option[218]" value="5" />
              Small (+$14.40)</label></div>
            <div class="radio"><label><input type="radio" name="option[218]" value="6" />
              Medium (+$28.80)</label></div>
            <div class="radio"><label><input type="radio" name="option[218]" value="7" />
              Large</label></div>
          </div>
        </div>
        <div class="form-group required ">
          <label class="control-label">Checkbox</label>
          <div id="input-option223"><div class="checkbox"><label>
            <input type="checkbox" name="option[223][]" value="8" /> Checkbox 1 (+$12.00)</label></div></div>
        </div>
        <div class="form-group required ">
          <label class="control-label" for="input-option217">Select</label>
          <select name="option[217]" id="input-option217" class="form-control">
            <option value=""> --- Please Select --- </option>
            <option value="4">Red (+$4.80)</option>
            <option value="3">Blue (+$3.60)</option>
          </select>
        </div>
        <div class="form-group">
          <label class="control-label" for="input-quantity">Qty</label>
          <input type="text" name="quantity" value="2" size="2" id="input-quantity" class="form-control" />
          <input type="hidden" name="product_id" value="42" />
          <button type="button" id="button-cart" class="btn btn-primary btn-lg btn-block">Add to Cart</button>
        </div>
      </div>
    </div>
  </div>
  <h3>Related Products</h3>
  <div class="row"><div class="col-xs-6 col-sm-3"><div class="product-thumb transition">
    <div class="caption"><h4><a href="https://demo.opencart.com/index.php?route=product/product&amp;product_id=40">iPhone</a></h4>
    <p class="price">$123.20 <span class="price-tax">Ex Tax: $101.00</span></p></div>
    <div class="button-group"><button type="button" onclick="cart.add('40', '1');">Add to Cart</button></div>
  </div></div></div>
  </div></div>
</div>
<footer><p>Powered By <a href="http://www.opencart.com">OpenCart</a><br /> Your Store &copy; 2024</p></footer>
<script type="text/javascript"><!--
$('#review').load('index.php?route=product/product/review&product_id=42');
//--></script>
</body></html>"""


def _real(
    html: str, url: str = "https://demo.opencart.com/index.php?route=product/product&product_id=42"
) -> HtmlResponse:
    return HtmlResponse(url=url, body=html.encode(), encoding="utf-8")


def test_extract_product_from_real_opencart_markup() -> None:
    platform = OpenCartPlatform("https://demo.opencart.com/", "USD", "en")
    page = _real(REAL_PRODUCT)
    assert OpenCartPlatform.detect(page) >= 90
    assert platform.is_product_page(page) is True
    got = platform.extract_product(page)
    assert got["product_id"] == "42"
    assert got["name"] == 'Apple Cinema 30"'
    assert (got["brand"], got["sku"], got["availability"]) == ("Apple", "Product 15", "in_stock")
    assert (got["price"], got["regular_price"], got["currency"]) == (Decimal("110.00"), Decimal("122.00"), "USD")
    assert got["breadcrumbs"] == ["Desktops"]
    assert got["attributes"] == {"test 1": "16GB", "No. of Cores": "4"}
    assert got["description"].startswith("The 30-inch Apple Cinema HD Display")
    assert got["images"][0] == "https://demo.opencart.com/image/cache/catalog/demo/apple_cinema_30-500x500.jpg"
    # The first priced option (the radio) gives the variants; checkboxes never do.
    assert [(v["name"], v["options"], v["price"], v["regular_price"], v["sku"]) for v in got["variants"]] == [
        ("Small", {"Radio": "Small"}, Decimal("124.40"), Decimal("136.40"), None),
        ("Medium", {"Radio": "Medium"}, Decimal("138.80"), Decimal("150.80"), None),
        ("Large", {"Radio": "Large"}, Decimal("110.00"), Decimal("122.00"), None),
    ]


def test_option_sku_in_text_zero_price_and_product_id_fallbacks() -> None:
    platform = OpenCartPlatform("https://shop.example/")
    html = (
        REAL_PRODUCT.replace("<h2>$110.00</h2>", "<h2>0,00€</h2>")
        .replace('<li><span style="text-decoration: line-through;">$122.00</span></li>', "")
        .replace('<input type="hidden" name="product_id" value="42" />', "")
        .replace("Red (+$4.80)", "Red (Κωδ.: AC-RED) (+4,80€)")
        .replace('name="option[218]"', 'name="extra[218]"')
    )
    got = platform.extract_product(_real(html, "https://shop.example/apple-cinema"))
    assert got["product_id"] == "42"  # from the reviews URL the page loads
    assert "price" not in got and "regular_price" not in got  # 0,00 is "no price", not free
    assert [(v["name"], v["sku"], v["price"]) for v in got["variants"]] == [
        ("Red", "AC-RED", None),
        ("Blue", None, None),
    ]


def test_listing_links_on_real_category_markup() -> None:
    html = """<html><head><base href="https://shop.example/" /></head><body>
    <nav id="menu" class="navbar"><ul class="nav navbar-nav">
      <li class="dropdown"><a href="https://shop.example/desktops" class="dropdown-toggle">Desktops</a>
        <div class="dropdown-menu"><ul class="list-unstyled">
          <li><a href="https://shop.example/desktops/mac">Mac (1)</a></li></ul>
        <a href="https://shop.example/desktops" class="see-all">Show All Desktops</a></div></li></ul></nav>
    <div id="product-category" class="container"><div class="row"><div id="content" class="col-sm-9">
      <h2>Desktops</h2>
      <h3>Refine Search</h3>
      <div class="row"><div class="col-sm-3">
        <ul><li><a href="https://shop.example/desktops/pc">PC (0)</a></li></ul></div></div>
      <div class="row"><div class="product-layout product-list col-xs-12"><div class="product-thumb">
        <div class="image"><a href="https://shop.example/desktops/apple-cinema"><img src="a.jpg" /></a></div>
        <div><div class="caption"><h4><a href="https://shop.example/desktops/apple-cinema">Apple Cinema 30"</a></h4>
        <p class="price"><span class="price-new">$110.00</span> <span class="price-old">$122.00</span></p></div></div>
      </div></div></div>
      <div class="row"><div class="col-sm-6 text-left"><ul class="pagination">
        <li class="active"><span>1</span></li><li><a href="https://shop.example/desktops?page=2">2</a></li>
        <li><a href="https://shop.example/desktops?page=2">&gt;</a></li><li><a href="https://shop.example/desktops?page=2">&gt;|</a></li>
      </ul></div><div class="col-sm-6 text-right">Showing 1 to 1 of 2 (2 Pages)</div></div>
    </div></div></div></body></html>"""
    platform = OpenCartPlatform("https://shop.example/")
    page = _real(html, "https://shop.example/desktops")
    assert platform.is_product_page(page) is False
    links = platform.listing_links(page)
    assert links is not None
    assert links.products == ["https://shop.example/desktops/apple-cinema"]
    assert links.next_pages == ["https://shop.example/desktops?page=2"]
    assert links.categories == [
        "https://shop.example/desktops",
        "https://shop.example/desktops/mac",
        "https://shop.example/desktops/pc",
    ]


def test_other_platforms_and_broken_pages() -> None:
    shopify = _real(
        '<html><head><script src="//cdn.shopify.com/s/files/1/theme.js"></script></head><body>'
        "<h1>Hat</h1></body></html>",
        "https://shop.example/products/hat",
    )
    assert OpenCartPlatform.detect(shopify) == 0
    platform = OpenCartPlatform("https://shop.example/")
    assert platform.is_product_page(shopify) is None
    truncated = _real(
        '<div id="product-product"><h1>Half a page</h1><ul class="list-unstyled">'
        "<li>Κωδικός Προϊόντος: AB-1</li><li>Διαθεσιμότητα:",
        "https://x/half-a-page",
    )
    assert platform.extract_product(truncated) == {"name": "Half a page", "sku": "AB-1"}
    garbage = HtmlResponse(
        url="https://x/", body=b"\x00\xff<select name='option[1]'><option value=1>(+)", encoding="utf-8"
    )
    assert platform.extract_product(garbage) == {}


def _view(variant: dict[str, Any]) -> tuple[Any, ...]:
    def money(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return (
        variant["sku"],
        variant["name"],
        variant["options"],
        money(variant["price"]),
        money(variant["regular_price"]),
        variant["availability"],
    )


def test_an_option_label_found_by_an_id_with_both_quotes() -> None:
    platform = OpenCartPlatform("https://shop.example/")
    odd_id = "input-o'p&quot;217"  # the id is input-o'p"217: no XPath string literal can hold it
    html = (
        REAL_PRODUCT.replace('name="option[218]"', 'name="extra[218]"')
        # the form group's first label is another one: only the label found by the id says "Select"
        .replace(
            '<label class="control-label" for="input-option217">', '<label>Other</label><label for="input-option217">'
        )
        .replace("input-option217", odd_id)
    )
    got = platform.extract_product(_real(html, "https://shop.example/apple-cinema"))
    assert [v["options"] for v in got["variants"]] == [{"Select": "Red"}, {"Select": "Blue"}]
