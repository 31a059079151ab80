"""The hand-made demo shop (cityknitting) and the CSS selectors that read it.

The shop has no structured data and no platform adapter: ``config/sites.json``
``sites.cityknitting.selectors`` is all a crawler gets. These tests apply those selectors
with parsel to pages served over HTTP and compare with the catalog's truth.
"""

from __future__ import annotations

import http.client
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.robotparser import RobotFileParser

import pytest
from parsel import Selector

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    DemoProduct,
    build_catalog,
)
from demo_shops.store import DemoRequest
from demo_shops.stores import store_for
from ecommerce_scraper.config import DEFAULT_CONFIG_PATH, Selectors, load_sites
from ecommerce_scraper.normalize import map_availability, parse_price, product_id_from_url

from .conftest import TEST_PRODUCTS, fetch, truth

SITE = "cityknitting"


@pytest.fixture(scope="module")
def selectors() -> Selectors:
    return load_sites(DEFAULT_CONFIG_PATH).sites[SITE].selectors


@pytest.fixture(scope="module")
def store_url(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


@pytest.fixture(scope="module")
def truths(demo_root: str) -> dict[str, dict[str, Any]]:
    """True products by canonical URL."""
    return {t["url"]: t for t in truth(SITE, demo_root)}


@pytest.fixture(scope="module")
def catalog_products() -> dict[str, DemoProduct]:
    return {p.slug: p for p in build_catalog(SITE, TEST_PRODUCTS).products}


def page(url: str) -> Selector:
    status, _, body = fetch(url)
    assert status == 200, url
    return Selector(text=body.decode("utf-8"))


def value(sel: Selector, css: str | None) -> str | None:
    """One field as the spider reads it: ``::text``/``::attr`` as is, else the element's text."""
    assert css, "selector missing from config"
    if "::" in css:
        found = sel.css(css).get()
    else:
        element = sel.css(css)
        found = " ".join(" ".join(element[0].css("::text").getall()).split()) if element else None
    return found.strip() if found is not None else None


def values(sel: Selector, css: str | None) -> list[str]:
    assert css, "selector missing from config"
    return [v.strip() for v in sel.css(css).getall()]


def money(text: str | None) -> str | None:
    if text is None:
        return None
    amount = parse_price(text, "EUR").amount
    return None if amount is None else f"{amount:.2f}"


def extract(sel: Selector, s: Selectors) -> dict[str, Any]:
    """Every truth field the selectors can give, normalized like the truth."""
    attributes = {}
    for row in sel.css(s.attribute_rows):
        cells = [" ".join(" ".join(td.css("::text").getall()).split()) for td in row.css("td, th")]
        attributes[cells[0]] = cells[1]
    return {
        "name": value(sel, s.name),
        "price": money(value(sel, s.price)),
        "regular_price": money(value(sel, s.regular_price)),
        "availability_text": value(sel, s.availability),
        "sku": value(sel, s.sku),
        "brand": value(sel, s.brand),
        "description": value(sel, s.description),
        "category": value(sel, s.category),
        "breadcrumbs": values(sel, s.breadcrumbs),
        "images": values(sel, s.images),
        "attributes": attributes,
        "variants": [
            {
                "sku": value(row, s.variant_sku),
                "name": value(row, s.variant_name),
                "price": money(value(row, s.variant_price)),
                "regular_price": money(value(row, s.variant_regular_price)),
                "availability_text": value(row, s.variant_availability),
            }
            for row in sel.css(s.variant)
        ],
    }


STOCK_WORDS = {"in_stock": "Διαθέσιμο", "out_of_stock": "Εξαντλημένο", "preorder": "Κατόπιν παραγγελίας"}


# --- selectors on real product pages -------------------------------------------------------------


def test_selectors_extract_every_truth_field(
    selectors: Selectors, truths: dict[str, dict[str, Any]], catalog_products: dict[str, DemoProduct]
) -> None:
    assert len(truths) == TEST_PRODUCTS
    for url, expected in truths.items():
        sel = page(url)
        got = extract(sel, selectors)
        product = catalog_products[url.rsplit("/", 1)[1]]
        assert got["name"] == expected["name"], url
        assert got["price"] == expected["price"], url
        assert got["regular_price"] == expected["regular_price"], url
        assert got["availability_text"] == STOCK_WORDS[expected["availability"]], url
        for field in ("sku", "brand", "description", "category", "breadcrumbs", "attributes"):
            assert got[field] == expected[field], (url, field)
        assert got["images"] == [url.split("proion/")[0] + image for image in product.images], url
        fields = ("sku", "name", "price", "regular_price")
        assert [{k: v[k] for k in fields} for v in got["variants"]] == [
            {k: v[k] for k in fields} for v in expected["variants"]
        ], url
        assert [v["availability_text"] for v in got["variants"]] == [
            STOCK_WORDS[v["availability"]] for v in expected["variants"]
        ], url


def test_product_id_comes_from_the_canonical_link(truths: dict[str, dict[str, Any]], store_url: str) -> None:
    for url, expected in truths.items():
        canonical = page(f"{url}?ref=home").css("link[rel=canonical]::attr(href)").get()
        assert canonical == url
        assert product_id_from_url(canonical, store_url) == expected["product_id"]
    assert len({t["product_id"] for t in truths.values()}) == len(truths)


@pytest.mark.parametrize(("word", "availability"), [(w, a) for a, w in STOCK_WORDS.items()], ids=list(STOCK_WORDS))
def test_shop_stock_words_normalize_to_the_truth(word: str, availability: str) -> None:
    assert map_availability(word) == availability


def test_related_products_carousel_cannot_leak_into_the_main_fields(
    selectors: Selectors, truths: dict[str, dict[str, Any]]
) -> None:
    url, expected = next((u, t) for u, t in truths.items() if u.endswith(f"-{IDX_OUT_OF_STOCK}"))
    sel = page(url)
    carousel_prices = sel.css(".sxetika-proionta span.nea-timi::text").getall()
    assert len(carousel_prices) == 4  # the trap is really there: other products, same class names
    assert len(sel.css("span.nea-timi")) > 1
    assert len(sel.css(selectors.price)) == 1
    assert money(sel.css(selectors.price).get()) == expected["price"]
    assert len(sel.css(selectors.name)) == 1
    assert len(sel.css(selectors.availability)) == 1


def test_specials_render_as_the_shop_shows_them(selectors: Selectors, truths: dict[str, dict[str, Any]]) -> None:
    by_index = {int(u.rsplit("-", 1)[1]): (u, t) for u, t in truths.items()}
    url, _ = by_index[IDX_PRICE_ON_REQUEST]
    sel = page(url)
    assert sel.css(selectors.price).get() is None
    assert "Τιμή κατόπιν επικοινωνίας" in sel.css("div.proion-info > div.timi ::text").getall()
    assert not sel.css("form.prosthiki-kalathi")  # no price, no cart: "contact us"

    url, expected = by_index[IDX_ON_SALE]
    sel = page(url)
    assert Decimal(money(sel.css(selectors.regular_price).get())) > Decimal(expected["price"])
    assert sel.css("div.proion-main span.ekptosi::text").get() == "-20%"

    url, _ = by_index[IDX_OUT_OF_STOCK]
    sel = page(url)
    assert value(sel, selectors.availability) == "Εξαντλημένο"
    assert not sel.css("form.prosthiki-kalathi")

    url, expected = by_index[IDX_VARIANTS]
    sel = page(url)
    rows = sel.css(selectors.variant)
    assert len(rows) == len(expected["variants"]) == 4
    assert "Εξαντλημένο" in [value(row, selectors.variant_availability) for row in rows]
    cheapest = min(Decimal(v["price"]) for v in expected["variants"])
    assert money(sel.css(selectors.price).get()) == f"{cheapest:.2f}"
    assert sel.css("div.proion-info > div.timi span.apo::text").get() == "από"


def test_preorder_wording_is_shown_for_preorder_products(selectors: Selectors) -> None:
    catalog = build_catalog(SITE, 200)
    product = next(p for p in catalog.products if p.availability == "preorder")
    store = store_for(catalog)
    response = store.handle(DemoRequest("GET", f"proion/{product.slug}", {}, {}, b"", "http://shop.test/"))
    sel = Selector(text=str(response.body))
    assert value(sel, selectors.availability) == "Κατόπιν παραγγελίας"


def test_product_page_selector_and_no_structured_data(selectors: Selectors, store_url: str) -> None:
    assert selectors.product_page
    home = page(store_url)
    category = page(f"{store_url}katigoria.php?id=10")
    product_url = home.css("div.proionta-home div.proion-box h3 a::attr(href)").get()
    product = page(product_url)
    assert product.css(selectors.product_page)
    assert not home.css(selectors.product_page)
    assert not category.css(selectors.product_page)
    assert not product.css("script[type='application/ld+json'], [itemscope], [itemprop], [typeof]")
    assert not product.css("meta[property^='og:']")
    assert product.css("meta[name=description]::attr(content)").get()
    assert product.css("title::text").get().endswith(" - City Knitting")


# --- listings ---------------------------------------------------------------------------------


def crawl_listings(store_url: str, s: Selectors) -> dict[str, set[str]]:
    """Category URL -> product URLs found by following the configured selectors."""
    home = page(store_url)
    found: dict[str, set[str]] = {}
    for category_url in dict.fromkeys(home.css(s.category_links).getall()):
        products: set[str] = set()
        url: str | None = category_url
        seen_pages = 0
        while url:
            listing = page(url)
            products.update(listing.css(s.product_links).getall())
            url = listing.css(s.next_page).get()
            seen_pages += 1
            assert seen_pages < 20, "pagination does not end"
        found[category_url] = products
    return found


def test_pagination_reaches_every_product(selectors: Selectors, store_url: str, truths: dict[str, Any]) -> None:
    found = crawl_listings(store_url, selectors)
    assert len(found) == 9  # every category of the menu, subcategories included
    assert set().union(*found.values()) == set(truths)
    yarns = page(f"{store_url}katigoria.php?id=10")
    assert yarns.css(f"{selectors.next_page}").get() == f"{store_url}katigoria.php?id=10&selida=2"
    assert yarns.css("ul.selidopoiisi a::text").getall() == ["2", "Επόμενη »"]
    assert len(yarns.css(selectors.product_links)) == 12
    last = page(f"{store_url}katigoria.php?id=10&selida=2")
    assert last.css(selectors.next_page).get() is None
    assert last.css("ul.selidopoiisi a.proigoumeni::text").get() == "« Προηγούμενη"


def test_two_category_product_is_listed_in_both(selectors: Selectors, store_url: str) -> None:
    found = crawl_listings(store_url, selectors)
    product = build_catalog(SITE, TEST_PRODUCTS).products[IDX_TWO_CATEGORIES]
    assert len(product.categories) == 2
    url = f"{store_url}proion/{product.slug}"
    for category in product.categories:
        assert url in found[f"{store_url}katigoria.php?id={category.id}"], category.name_el


def test_empty_category_is_a_page_not_an_error(store_url: str, selectors: Selectors) -> None:
    mohair = page(f"{store_url}katigoria.php?id=13")  # no product of the 30 is mohair
    assert not mohair.css(selectors.product_links)
    assert "Δεν υπάρχουν προϊόντα" in mohair.css("p.alert::text").get()


def test_home_links_carry_tracking_and_legacy_urls(store_url: str) -> None:
    home = page(store_url)
    featured = home.css("div.proionta-home div.proion-box h3 a::attr(href)").getall()
    assert len(featured) == 8
    assert all(link.endswith("?ref=home") for link in featured)
    legacy = home.css("ul.prosfores-list a::attr(href)").getall()
    assert legacy and all(re.fullmatch(re.escape(store_url) + r"proion\.php\?id=\d+", link) for link in legacy)
    assert home.css("div.proionta-home span.nea-timi::text").get().endswith("\u00a0€")


# --- HTTP behaviour -------------------------------------------------------------------------------


def raw_get(url: str) -> tuple[int, str | None]:
    """Status and Location of one request, without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_legacy_product_urls_redirect_permanently(store_url: str) -> None:
    catalog = build_catalog(SITE, TEST_PRODUCTS)
    for product in (catalog.products[0], catalog.products[IDX_VARIANTS], catalog.products[-1]):
        status, location = raw_get(f"{store_url}proion.php?id={product.product_id}")
        assert (status, location) == (301, f"{store_url}proion/{product.slug}")
    assert raw_get(f"{store_url}index.php") == (301, store_url)


@pytest.mark.parametrize(
    "path",
    [
        "proion/no-such-product-999",
        "proion/",
        "proion.php?id=99999",
        "proion.php",
        "katigoria.php?id=999",
        "katigoria.php",
        "katigoria.php?id=10&selida=3",
        "katigoria.php?id=10&selida=0",
        "products/whatever",
        "sitemap.xml",
    ],
)
def test_unknown_pages_are_404(store_url: str, path: str) -> None:
    assert raw_get(store_url + path)[0] == 404


def test_robots_rules(demo_root: str, store_url: str) -> None:
    status, _, body = fetch(f"{demo_root}robots.txt")
    assert status == 200
    text = body.decode()
    for rule in ("admin/", "kalathi.php", "trap/do-not-follow"):
        assert f"Disallow: /{SITE}/{rule}\n" in text
    assert f"/{SITE}/" not in "".join(line for line in text.splitlines() if line.startswith("Sitemap:"))
    robots = RobotFileParser()
    robots.parse(text.splitlines())
    home = page(store_url)
    trap = home.css("a[style*='display:none']::attr(href)").get()
    assert trap == f"{store_url}trap/do-not-follow"
    assert not robots.can_fetch("bot", trap)
    assert not robots.can_fetch("bot", f"{store_url}kalathi.php")
    assert not robots.can_fetch("bot", f"{store_url}admin/login.php")
    for link in home.css("#kentriko-menu a::attr(href), div.proion-box a::attr(href)").getall():
        assert robots.can_fetch("bot", link), link


def test_pagination_of_a_big_catalog_follows_next_to_the_last_page(selectors: Selectors) -> None:
    catalog = build_catalog(SITE, 300)
    store = store_for(catalog)
    root = "http://shop.test/"

    def get(url: str) -> Selector:
        parts = urlsplit(url)
        request = DemoRequest("GET", parts.path.lstrip("/"), parse_qs(parts.query), {}, b"", root)
        response = store.handle(request)
        assert response.status == 200, url
        return Selector(text=str(response.body))

    yarns = next(c for c in catalog.products[0].category.path() if c.parent is None)
    url: str | None = f"{root}katigoria.php?id={yarns.id}"
    links: list[str] = []
    pages = 0
    while url:
        listing = get(url)
        links += listing.css(selectors.product_links).getall()
        url = listing.css(selectors.next_page).get()
        pages += 1
        if pages == 5:  # a middle page shows a window of numbers, not all of them
            numbers = listing.css("ul.selidopoiisi li ::text").getall()
            assert numbers.count("…") == 2
    expected = [f"{root}proion/{p.slug}" for p in catalog.in_category(yarns)]
    assert links == expected
    assert pages == -(-len(expected) // 12) > 5
