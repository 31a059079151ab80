"""WooCommerce: the demo store (over real HTTP) and the adapter (on its pages and on real markup)."""

from __future__ import annotations

import http.client
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from protego import Protego
from scrapy.http import HtmlResponse, Response, TextResponse

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.store import DemoRequest
from demo_shops.stores import store_for
from ecommerce_scraper.platforms import detect_platform
from ecommerce_scraper.platforms.woocommerce import WooCommercePlatform
from tests.conftest import TEST_PRODUCTS, fetch

SITE = "atmosphere"


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(SITE, TEST_PRODUCTS, 1, 1)


@pytest.fixture(scope="module")
def base(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def store(catalog):
    return store_for(catalog)


@pytest.fixture(scope="module")
def platform(base: str) -> WooCommercePlatform:
    return WooCommercePlatform(base, currency="EUR", language="el")


def raw_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects (urllib follows them)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def html_response(url: str) -> HtmlResponse:
    status, headers, body = fetch(url)
    assert status == 200, url
    return HtmlResponse(url=url, body=body, encoding="utf-8", headers=headers, status=status)


def api_response(url: str) -> TextResponse:
    status, headers, body = fetch(url)
    return TextResponse(url=url, body=body, encoding="utf-8", headers=headers, status=status)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- store: pages and URLs ------------------------------------------------------------


def test_home_page_has_woocommerce_markers(base: str) -> None:
    status, headers, body = fetch(base)
    text = body.decode()
    assert status == 200
    assert '<meta name="generator" content="WooCommerce 9.4.2" />' in text
    assert "/wp-content/plugins/woocommerce/assets/" in text
    assert 'rel="https://api.w.org/"' in headers["Link"]
    assert "woocommerce-no-js" in text and "wc_add_to_cart_params" in text
    assert f'href="{base}product-category/nimata/malli/"' in text  # nested category in the menu
    assert 'id="cookie-notice"' in text
    assert f'href="{base}trap/do-not-follow/"' in text  # hidden link a polite crawler never follows


def test_product_page_markup(base: str, catalog) -> None:
    product = catalog.products[IDX_ON_SALE]
    status, headers, body = fetch(f"{base}product/{product.slug}/")
    text = body.decode()
    assert status == 200
    assert f"single-product postid-{product.numeric_id} " in text
    assert f'<link rel="canonical" href="{base}product/{product.slug}/" />' in text
    assert f'<button type="submit" name="add-to-cart" value="{product.numeric_id}"' in text
    assert f'<span class="sku">{product.sku}</span>' in text
    assert '<del aria-hidden="true"><span class="woocommerce-Price-amount amount"><bdi>10,70&nbsp;' in text
    assert '<ins aria-hidden="true"><span class="woocommerce-Price-amount amount"><bdi>8,56&nbsp;' in text
    assert 'class="related products"' in text and 'class="yoast-schema-graph"' in text
    assert f"<{base}?p={product.numeric_id}>; rel=shortlink" in headers["Link"]
    assert 'hreflang="en"' in text


def test_product_without_trailing_slash_redirects(base: str, catalog) -> None:
    slug = catalog.products[0].slug
    status, headers, _ = raw_get(f"{base}product/{slug}?utm_source=x")
    assert status == 301
    assert headers["Location"] == f"{base}product/{slug}/?utm_source=x"
    assert headers["X-Redirect-By"] == "WordPress"
    # Tracking parameters don't change the page: the canonical stays clean.
    page = html_response(f"{base}product/{slug}/?utm_source=newsletter")
    assert page.css('link[rel="canonical"]::attr(href)').get() == f"{base}product/{slug}/"


def test_unknown_paths_are_404(base: str) -> None:
    for path in ("product/no-such-yarn/", "product-category/nope/", "shop/page/99/", "xyz/", "product-sitemap2.xml"):
        assert fetch(base + path)[0] == 404, path
    status, _, body = fetch(base + "wp-json/wp/v9/nothing")
    assert status == 404 and json.loads(body)["code"] == "rest_no_route"


def test_shop_pagination_covers_every_product_once(base: str, catalog, platform: WooCommercePlatform) -> None:
    seen: list[str] = []
    url: str | None = f"{base}shop/"
    pages = 0
    while url:
        links = platform.listing_links(html_response(url))
        assert links is not None
        seen += links.products
        url = links.next_pages[0] if links.next_pages else None
        pages += 1
    assert pages == 3  # 30 products, 12 per page
    assert sorted(seen) == sorted(f"{base}product/{p.slug}/" for p in catalog.products)
    status, headers, _ = raw_get(f"{base}shop/page/1/")
    assert status == 301 and headers["Location"] == f"{base}shop/"


def test_nested_categories_and_two_category_product(base: str, catalog, platform: WooCommercePlatform) -> None:
    status, headers, _ = raw_get(f"{base}product-category/malli/")
    assert status == 301 and headers["Location"] == f"{base}product-category/nimata/malli/"
    wool = platform.listing_links(html_response(f"{base}product-category/nimata/malli/"))
    assert wool is not None
    expected = [p for p in catalog.products if any(c.slug == "malli" for c in p.categories)]
    assert 0 < len(wool.products) == min(12, len(expected))
    two = catalog.products[IDX_TWO_CATEGORIES]
    url = f"{base}product/{two.slug}/"
    for category in two.categories:
        path = "/".join(c.slug for c in category.path())
        found: list[str] = []
        next_url: str | None = f"{base}product-category/{path}/"
        while next_url:
            links = platform.listing_links(html_response(next_url))
            assert links is not None
            found += links.products
            next_url = links.next_pages[0] if links.next_pages else None
        assert url in found, path


def test_listing_has_add_to_cart_and_tracked_links(base: str) -> None:
    page = html_response(f"{base}shop/")
    carts = page.css("a.add_to_cart_button::attr(href)").getall()
    assert any("?add-to-cart=" in href for href in carts)
    assert any("utm_source=sidebar" in href for href in page.css("ul.product_list_widget a::attr(href)").getall())
    robots = Protego.parse(fetch(f"{base.rsplit('/', 2)[0]}/robots.txt")[2].decode())
    cart_url = page.urljoin(next(href for href in carts if "add-to-cart=" in href))
    assert not robots.can_fetch(cart_url, "*")
    assert not robots.can_fetch(f"{base}trap/do-not-follow/", "*")
    assert not robots.can_fetch(f"{base}wp-admin/", "*")
    assert robots.can_fetch(f"{base}product/x/", "*") and robots.can_fetch(f"{base}shop/page/2/", "*")
    assert f"{base}sitemap_index.xml" in list(robots.sitemaps)


def test_sitemaps(base: str, catalog) -> None:
    index = fetch(f"{base}sitemap_index.xml")[2].decode()
    assert f"<loc>{base}product-sitemap.xml</loc>" in index
    assert f"<loc>{base}product_cat-sitemap.xml</loc>" in index and f"<loc>{base}page-sitemap.xml</loc>" in index
    products = fetch(f"{base}product-sitemap.xml")[2].decode()
    for product in catalog.products:
        assert f"<loc>{base}product/{product.slug}/</loc>" in products
    assert f"<loc>{base}shop/</loc>" in products  # Yoast lists the archive first
    categories = fetch(f"{base}product_cat-sitemap.xml")[2].decode()
    assert f"<loc>{base}product-category/nimata/malli/</loc>" in categories
    status, headers, _ = raw_get(f"{base}sitemap.xml")
    assert status == 301 and headers["Location"] == f"{base}sitemap_index.xml"


def test_product_sitemaps_split_at_1000_urls() -> None:
    store = store_for(build_catalog(SITE, 1001, 1, 1))
    request = DemoRequest("GET", "sitemap_index.xml", {}, {}, b"", "http://shop.test/")
    index = str(store.handle(request).body)
    assert "product-sitemap2.xml" in index and "product-sitemap3.xml" not in index
    second = store.handle(DemoRequest("GET", "product-sitemap2.xml", {}, {}, b"", "http://shop.test/"))
    assert second.status == 200 and str(second.body).count("<url>") == 1
    assert store.handle(DemoRequest("GET", "product-sitemap3.xml", {}, {}, b"", "http://shop.test/")).status == 404


# --- store: Store API -----------------------------------------------------------------


def test_store_api_paging_and_headers(base: str, catalog) -> None:
    status, headers, body = fetch(f"{base}wp-json/wc/store/v1/products")
    assert status == 200 and len(json.loads(body)) == 10  # default per_page
    assert headers["X-WP-Total"] == str(len(catalog.products)) and headers["X-WP-TotalPages"] == "3"
    assert 'rel="next"' in headers["Link"]
    status, headers, body = fetch(f"{base}wp-json/wc/store/v1/products?page=4&per_page=10")
    assert status == 200 and json.loads(body) == [] and headers["X-WP-TotalPages"] == "3"
    status, _, body = fetch(f"{base}wp-json/wc/store/v1/products?per_page=101")
    assert status == 400 and json.loads(body)["code"] == "rest_invalid_param"
    ids = set()
    for page in (1, 2):
        ids |= {p["id"] for p in json.loads(fetch(f"{base}wp-json/wc/store/v1/products?page={page}&per_page=20")[2])}
    assert ids == {p.numeric_id for p in catalog.products}
    root = json.loads(fetch(f"{base}wp-json/")[2])
    assert "wc/store/v1" in root["namespaces"]


def test_store_api_product_shape(base: str, catalog) -> None:
    on_request = catalog.products[IDX_PRICE_ON_REQUEST]
    data = json.loads(fetch(f"{base}wp-json/wc/store/v1/products/{on_request.numeric_id}")[2])
    # What WooCommerce really answers for an empty price: "0", no price HTML, not purchasable.
    assert data["prices"]["price"] == "0" and data["price_html"] == "" and data["is_purchasable"] is False
    assert data["permalink"] == f"{base}product/{on_request.slug}/"
    sale = catalog.products[IDX_ON_SALE]
    data = json.loads(fetch(f"{base}wp-json/wc/store/v1/products/{sale.numeric_id}")[2])
    assert data["on_sale"] is True
    assert data["prices"]["price"] == str(int(sale.price * 100))
    assert data["prices"]["regular_price"] == str(int(sale.regular_price * 100))
    assert data["prices"]["currency_minor_unit"] == 2 and data["prices"]["currency_code"] == "EUR"
    variable = catalog.products[IDX_VARIANTS]
    data = json.loads(fetch(f"{base}wp-json/wc/store/v1/products/{variable.numeric_id}")[2])
    assert data["type"] == "variable" and len(data["variations"]) == len(variable.variants)
    assert data["variations"][0]["attributes"][0]["name"] == "Χρώμα"
    assert data["prices"]["price_range"] is not None
    out = catalog.products[IDX_OUT_OF_STOCK]
    data = json.loads(fetch(f"{base}wp-json/wc/store/v1/products/{out.numeric_id}")[2])
    assert data["is_in_stock"] is False and data["stock_availability"]["class"] == "out-of-stock"


# --- adapter --------------------------------------------------------------------------


def test_detect(base: str) -> None:
    home = html_response(base)
    assert WooCommercePlatform.detect(home) >= 90
    assert detect_platform(home) == "woocommerce"
    plain = HtmlResponse(url="http://x.test/", body=b"<html><body class='home'><p>Hi</p></body></html>")
    assert WooCommercePlatform.detect(plain) == 0
    # A real WooCommerce page seen through a page cache that strips the generator tag.
    cached = HtmlResponse(
        url="http://x.test/",
        body=b'<html><head><link rel="stylesheet" href="https://x.test/wp-content/plugins/woocommerce/assets/'
        b'css/woocommerce.css?ver=8.9.1"></head><body class="home woocommerce-js"></body></html>',
    )
    assert WooCommercePlatform.detect(cached) >= 85


def test_parse_api_walks_every_page(base: str, catalog, store, platform: WooCommercePlatform) -> None:
    requests = platform.api_requests()
    assert requests[0].url == f"{base}wp-json/wc/store/v1/products?page=1&per_page=100"
    products = []
    url: str | None = f"{base}wp-json/wc/store/v1/products?page=1&per_page=12"
    pages = 0
    while url:
        page = platform.parse_api(api_response(url))
        products += page.products
        url = page.next_requests[0].url if page.next_requests else None
        pages += 1
    assert pages == 3
    truth = {t["product_id"]: t for t in (store.truth(p, base) for p in catalog.products)}
    assert sorted(p["product_id"] for p in products) == sorted(truth)
    for product in products:
        expected = truth[product["product_id"]]
        assert product["url"] == expected["url"]
        assert product["name"] == expected["name"]  # HTML entities of the API undone
        assert product["sku"] == expected["sku"]
        assert money(product.get("price")) == expected["price"]
        assert money(product.get("regular_price")) == expected["regular_price"]
        assert product["availability"] == expected["availability"]
        assert product["currency"] == "EUR"
        assert product["description"] == expected["description"]
        assert product.get("attributes", {}) == expected["attributes"]


def test_parse_api_without_paging_headers_and_malformed(platform: WooCommercePlatform) -> None:
    item = {"id": 7, "permalink": "https://shop.test/product/a/", "name": "A &amp; B", "prices": {"price": "1050"}}
    url = "https://shop.test/wp-json/wc/store/v1/products?page=2&per_page=2"
    full = TextResponse(url=url, body=json.dumps([item, {**item, "id": 8}]).encode(), encoding="utf-8")
    page = platform.parse_api(full)
    assert [p["name"] for p in page.products] == ["A & B", "A & B"]
    assert page.products[0]["price"] == Decimal("10.50") and page.products[0]["product_id"] == "7"
    assert page.next_requests[0].url == "https://shop.test/wp-json/wc/store/v1/products?page=3&per_page=2"
    short = TextResponse(url=url, body=json.dumps([item]).encode(), encoding="utf-8")
    assert platform.parse_api(short).next_requests == []
    for body in (b"<html>oops</html>", b'{"code":"rest_no_route"}', b"[{}]"):
        page = platform.parse_api(TextResponse(url=url, body=body, encoding="utf-8"))
        assert page.products == [] and page.next_requests == []


def test_extract_product_matches_truth_on_every_page(base: str, catalog, store, platform: WooCommercePlatform) -> None:
    for product in catalog.products:
        expected = store.truth(product, base)
        page = html_response(expected["url"])
        assert platform.is_product_page(page) is True
        got = platform.extract_product(page)
        assert got["product_id"] == expected["product_id"]
        assert got["name"] == expected["name"]
        assert got["sku"] == expected["sku"]
        assert money(got.get("price")) == expected["price"]
        assert money(got.get("regular_price")) == expected["regular_price"]
        if product.index != IDX_PRICE_ON_REQUEST:  # WooCommerce shows no stock for what can't be bought
            assert got["availability"] == expected["availability"], product.index
        assert got["description"] == expected["description"]
        assert got.get("attributes", {}) == expected["attributes"]
        assert got["breadcrumbs"] == expected["breadcrumbs"] and got["category"] == expected["category"]
        variants = [
            {**v, "price": money(v["price"]), "regular_price": money(v["regular_price"])}
            for v in got.get("variants", [])
        ]
        assert variants == expected["variants"]
    variable = platform.extract_product(html_response(f"{base}product/{catalog.products[IDX_VARIANTS].slug}/"))
    assert variable["variants"][0]["options"] == {"Χρώμα": catalog.products[IDX_VARIANTS].variants[0].name}


def test_listing_pages_are_not_product_pages(base: str, platform: WooCommercePlatform) -> None:
    shop = html_response(f"{base}shop/")
    assert platform.is_product_page(shop) is False
    links = platform.listing_links(shop)
    assert links is not None
    assert len(links.products) == 12 and not any("add-to-cart" in u for u in links.products)
    assert links.next_pages == [f"{base}shop/page/2/"]
    assert f"{base}product-category/nimata/malli/" in links.categories
    category = platform.listing_links(html_response(f"{base}product-category/nimata/"))
    assert category is not None
    # Subcategory tiles sit in ul.products too, but they are categories, not products.
    assert f"{base}product-category/nimata/malli/" not in category.products
    assert all("/product/" in u for u in category.products)


def test_is_product_url(platform: WooCommercePlatform) -> None:
    assert platform.is_product_url("https://shop.test/product/merino-4/") is True
    assert platform.is_product_url("https://shop.test/product/merino-4/?utm_source=x") is True
    assert platform.is_product_url("https://shop.test/shop/") is False
    assert platform.is_product_url("https://shop.test/product-category/nimata/malli/") is False
    assert platform.is_product_url("https://shop.test/sxetika-me-emas/") is None


# Trimmed from a real Storefront product page (WooCommerce 8.x), not from the demo store.
REAL_SIMPLE = """<html><head><link rel='shortlink' href='https://yarns.example/?p=2211' /></head>
<body class="product-template-default single single-product postid-2211 theme-storefront woocommerce woocommerce-page">
<nav class="woocommerce-breadcrumb"><a href="https://yarns.example">Home</a>&nbsp;&#47;&nbsp;<a
 href="https://yarns.example/product-category/yarn/">Yarn</a>&nbsp;&#47;&nbsp;Alpaca &#8211; Soft</nav>
<div id="product-2211" class="product type-product post-2211 status-publish first onbackorder product_cat-yarn sale
 product-type-simple">
<div class="summary entry-summary"><h1 class="product_title entry-title">Alpaca &#8211; Soft</h1>
<p class="price"><del aria-hidden="true"><span class="woocommerce-Price-amount amount"><bdi><span
 class="woocommerce-Price-currencySymbol">&euro;</span>1,250.00</bdi></span></del> <span class="screen-reader-text">
Original price was: &euro;1,250.00.</span><ins aria-hidden="true"><span class="woocommerce-Price-amount amount">
<bdi><span class="woocommerce-Price-currencySymbol">&euro;</span>999.00</bdi></span></ins></p>
<p class="stock available-on-backorder">Available on backorder</p>
<form class="cart" action="https://yarns.example/product/alpaca-soft/" method="post" enctype='multipart/form-data'>
<button type="submit" name="add-to-cart" value="2211" class="single_add_to_cart_button button alt">Add to cart</button>
</form><div class="product_meta"><span class="sku_wrapper">SKU: <span class="sku">ALP-1</span></span></div></div>
<section class="related products"><ul class="products"><li class="product"><span class="price"><span
 class="woocommerce-Price-amount amount"><bdi>&euro;5.00</bdi></span></span></li></ul></section></div></body></html>"""

REAL_VARIABLE = """<html><body class="single-product postid-90 woocommerce">
<div class="summary entry-summary"><h1 class="product_title entry-title">Sock Yarn</h1>
<form class="variations_form cart" data-product_id="90" data-product_variations="[{&quot;attributes&quot;:
{&quot;attribute_pa_colour&quot;:&quot;sea-blue&quot;,&quot;attribute_weight&quot;:&quot;&quot;},&quot;availability_html&quot;:
&quot;&lt;p class=\\&quot;stock out-of-stock\\&quot;&gt;Out of stock&lt;\\/p&gt;&quot;,&quot;display_price&quot;:12.5,
&quot;display_regular_price&quot;:12.5,&quot;is_in_stock&quot;:false,&quot;sku&quot;:&quot;SY-BL&quot;,
&quot;variation_id&quot;:91},{&quot;attributes&quot;:{&quot;attribute_pa_colour&quot;:&quot;red&quot;,
&quot;attribute_weight&quot;:&quot;&quot;},&quot;availability_html&quot;:&quot;&quot;,&quot;display_price&quot;:9,
&quot;display_regular_price&quot;:11.9,&quot;is_in_stock&quot;:true,&quot;sku&quot;:&quot;&quot;,&quot;variation_id&quot;:92}]">
<table class="variations"><tr><th class="label"><label for="pa_colour">Colour</label></th><td class="value">
<select id="pa_colour" name="attribute_pa_colour" data-attribute_name="attribute_pa_colour">
<option value="">Choose an option</option><option value="sea-blue">Sea Blue</option><option value="red">Red</option>
</select></td></tr></table><input type="hidden" name="add-to-cart" value="90" /></form>
<div class="product_meta"><span class="sku_wrapper">SKU: <span class="sku">N/A</span></span></div></div>
<table class="woocommerce-product-attributes shop_attributes">
<tr class="woocommerce-product-attributes-item woocommerce-product-attributes-item--attribute_pa_colour">
<th class="woocommerce-product-attributes-item__label">Colour</th><td><p>Sea Blue, Red</p></td></tr>
<tr class="woocommerce-product-attributes-item woocommerce-product-attributes-item--weight">
<th class="woocommerce-product-attributes-item__label">Weight</th><td>0.1 kg</td></tr></table></body></html>"""


def test_extract_product_on_real_markup(platform: WooCommercePlatform) -> None:
    simple = HtmlResponse(url="https://yarns.example/product/alpaca-soft/", body=REAL_SIMPLE.encode(), encoding="utf-8")
    got = platform.extract_product(simple)
    assert got["product_id"] == "2211" and got["name"] == "Alpaca – Soft" and got["sku"] == "ALP-1"
    assert got["price"] == Decimal("999.00") and got["regular_price"] == Decimal("1250.00")  # not the related 5.00
    assert got["availability"] == "backorder"
    assert got["breadcrumbs"] == ["Yarn"]
    variable = HtmlResponse(url="https://yarns.example/product/sock/", body=REAL_VARIABLE.encode(), encoding="utf-8")
    got = platform.extract_product(variable)
    assert got["product_id"] == "90" and "sku" not in got  # "N/A" is no SKU
    assert got["variants"] == [
        {
            "sku": "SY-BL",
            "name": "Sea Blue",
            "options": {"Colour": "Sea Blue"},
            "price": Decimal("12.50"),
            "regular_price": None,
            "availability": "out_of_stock",
        },
        {
            "sku": None,
            "name": "Red",
            "options": {"Colour": "Red"},
            "price": Decimal("9.00"),
            "regular_price": Decimal("11.90"),
            "availability": "in_stock",
        },
    ]
    assert got["price"] == Decimal("9.00") and got["regular_price"] == Decimal("11.90")
    assert got["availability"] == "in_stock"
    assert got["attributes"] == {"Weight": "0.1 kg"}  # the colour belongs to the variants


def test_a_variation_label_found_by_an_id_with_quotes(platform: WooCommercePlatform) -> None:
    # A label of its own, found by the select's id, whatever the id holds; the row's <th> says otherwise.
    odd = REAL_VARIABLE.replace('<th class="label"><label for="pa_colour">Colour</label></th>', "<th>Other</th>")
    odd = odd.replace('<td class="value">', '<td class="value"><label for="p&quot;a\'c">Colour</label>', 1)
    odd = odd.replace('<select id="pa_colour"', '<select id="p&quot;a\'c"')
    response = HtmlResponse(url="https://yarns.example/product/sock/", body=odd.encode(), encoding="utf-8")
    assert [v["options"] for v in platform.extract_product(response)["variants"]] == [
        {"Colour": "Sea Blue"},
        {"Colour": "Red"},
    ]


def test_extract_product_is_defensive(platform: WooCommercePlatform) -> None:
    broken = HtmlResponse(
        url="https://yarns.example/product/x/",
        body=b'<body class="single-product"><form class="variations_form" data-product_variations="[{oops"></form>'
        b'<p class="price"><span class="amount">garbage</span></p></body>',
        encoding="utf-8",
    )
    got = platform.extract_product(broken)
    assert "variants" not in got and "price" not in got
    assert platform.extract_product(HtmlResponse(url="https://x.test/", body=b"", encoding="utf-8")) == {}
    assert platform.listing_links(HtmlResponse(url="https://x.test/", body=b"<p>nothing</p>", encoding="utf-8")) is None
    binary = Response(url="https://x.test/logo.png", body=b"\x89PNG\x00")
    assert WooCommercePlatform.detect(binary) == 0 and platform.extract_product(binary) == {}
    assert platform.is_product_page(binary) is None and platform.listing_links(binary) is None


def test_backorder_from_api_and_page() -> None:
    catalog = build_catalog(SITE, 200, 1, 1)
    product = next(p for p in catalog.products if p.availability == "backorder")
    store = store_for(catalog)
    root = "http://shop.test/atmosphere/"
    adapter = WooCommercePlatform(root)

    def get(path: str, **query: str) -> str:
        request = DemoRequest("GET", path, {k: [v] for k, v in query.items()}, {}, b"", root)
        response = store.handle(request)
        assert response.status == 200, path
        return str(response.body)

    api_url = f"{root}wp-json/wc/store/v1/products/{product.numeric_id}"
    item = json.loads(get(f"wp-json/wc/store/v1/products/{product.numeric_id}"))
    assert item["is_on_backorder"] is True and item["stock_availability"]["class"] == "available-on-backorder"
    listing = TextResponse(url=api_url, body=json.dumps([item]).encode(), encoding="utf-8")
    assert adapter.parse_api(listing).products[0]["availability"] == "backorder"
    page_url = root + store.product_path(product)
    page = HtmlResponse(url=page_url, body=get(store.product_path(product)).encode(), encoding="utf-8")
    assert adapter.extract_product(page)["availability"] == "backorder"
