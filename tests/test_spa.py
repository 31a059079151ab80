"""The JavaScript-only demo shop (manefa, Wix Stores-like): shell, JSON API, sitemaps, rendered pages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from parsel import Selector

from demo_shops.catalog import (
    CATEGORIES,
    IDX_ON_SALE,
    IDX_PRICE_ON_REQUEST,
    IDX_TWO_CATEGORIES,
    IDX_VARIANTS,
    Catalog,
    DemoProduct,
    build_catalog,
)
from demo_shops.store import format_price
from demo_shops.stores.spa import PAGE_SIZE, SHOP_NAME, SpaStore

from .conftest import TEST_PRODUCTS, chromium_path, fetch, require_service

SITE = "manefa"
SCHEMA = "https://schema.org/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(SITE, TEST_PRODUCTS)


@pytest.fixture(scope="module")
def store(catalog: Catalog) -> SpaStore:
    return SpaStore(catalog)


@pytest.fixture(scope="module")
def base(demo_root: str) -> str:
    return f"{demo_root}{SITE}/"


def product_at(catalog: Catalog, index: int) -> DemoProduct:
    return next(p for p in catalog.products if p.index == index)


def get_json(url: str) -> tuple[int, Any]:
    status, _, body = fetch(url)
    return status, json.loads(body)


def sitemap_locs(url: str) -> list[str]:
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["Content-Type"].startswith("application/xml")
    selector = Selector(text=body.decode(), type="xml")
    selector.remove_namespaces()
    return selector.xpath("/*/*/loc/text()").getall()


# --- the shell: nothing for a plain HTTP crawler ---------------------------------------


def test_every_page_is_the_same_empty_shell(base: str, catalog: Catalog) -> None:
    product = product_at(catalog, IDX_ON_SALE)
    bodies = []
    for path in ("", "shop", "shop?page=2", f"category/{product.category.slug}", f"product-page/{product.slug}"):
        status, headers, body = fetch(base + path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/html")
        bodies.append(body.decode())
    assert len(set(bodies)) == 1
    shell = bodies[0]
    page = Selector(text=shell)
    assert page.css("title::text").get() == SHOP_NAME
    assert page.css("#SITE_CONTAINER").get() == '<div id="SITE_CONTAINER"></div>'
    assert page.css("noscript::text").get() == "Παρακαλώ ενεργοποιήστε τη JavaScript"
    assert page.css("script[src]::attr(src)").getall() == [f"{base}static/app.js"]
    # What a crawler without JavaScript would need is absent.
    for absent in (product.name, product.sku, format_price(product.price), "ld+json", "product-page/", "og:title"):
        assert absent not in shell
    assert len(page.css("a")) == 0
    assert len(shell) < 4000


def test_unknown_pages_are_404(base: str, catalog: Catalog) -> None:
    pages = len(catalog.products) // PAGE_SIZE + 2
    for path in ("product-page/no-such-yarn", "category/no-such-category", "nothing/here", f"shop?page={pages}"):
        status, _, body = fetch(base + path)
        assert status == 404, path
        assert b'id="SITE_CONTAINER"' in body  # the app renders the "not found" message
    assert get_json(base + "_api/product/no-such-yarn")[0] == 404
    assert get_json(base + "_api/products?category=no-such-category")[0] == 404


def test_english_alternates_are_served(base: str, catalog: Catalog) -> None:
    product = product_at(catalog, IDX_ON_SALE)
    status, _, body = fetch(f"{base}en/product-page/{product.slug}")
    assert status == 200
    assert b'<html lang="en">' in body
    assert fetch(f"{base}en/product-page/no-such-yarn")[0] == 404


def test_bundle_is_served_and_holds_the_trap_link(base: str, store: SpaStore) -> None:
    status, headers, body = fetch(base + "static/app.js")
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    bundle = body.decode()
    assert 'setAttribute("data-rendered", "true")' in bundle
    assert f'"{store.trap_path}"' in bundle
    assert store.trap_path not in fetch(base)[2].decode()


# --- the JSON API ----------------------------------------------------------------------


def test_products_api_paginates_the_whole_catalog(base: str, catalog: Catalog, store: SpaStore) -> None:
    seen: list[str] = []
    page = 1
    while True:
        status, data = get_json(f"{base}_api/products?page={page}")
        assert status == 200
        assert data["totalResults"] == len(catalog.products)
        assert data["metadata"] == {"items": len(data["products"]), "offset": (page - 1) * PAGE_SIZE}
        if not data["products"]:
            break
        assert len(data["products"]) <= PAGE_SIZE
        seen += [p["slug"] for p in data["products"]]
        page += 1
    assert seen == [p.slug for p in catalog.products]
    assert page - 1 == data["pagination"]["totalPages"] == -(-len(catalog.products) // PAGE_SIZE)
    first = get_json(f"{base}_api/products?page=1")[1]["products"][0]
    product = catalog.products[0]
    assert first["id"] == store.product_id(product, base)
    assert first["productPageUrl"] == {"base": base, "path": f"product-page/{product.slug}"}


def test_category_api_lists_a_product_under_both_its_categories(base: str, catalog: Catalog) -> None:
    product = product_at(catalog, IDX_TWO_CATEGORIES)
    assert len(product.categories) == 2
    for category in product.categories:
        status, data = get_json(f"{base}_api/products?category={category.slug}")
        assert status == 200
        assert data["totalResults"] == len(catalog.in_category(category))
        slugs = [p["slug"] for p in data["products"]]
        assert slugs == [p.slug for p in catalog.in_category(category)][:PAGE_SIZE]
        assert product.slug in slugs
    collections = {c["slug"]: c for c in get_json(base + "_api/categories")[1]["collections"]}
    assert collections["all-products"]["numberOfProducts"] == len(catalog.products)
    assert collections["malli"]["parentSlug"] == "nimata"
    yarns = next(c for c in CATEGORIES if c.slug == "nimata")
    assert collections["nimata"]["numberOfProducts"] == len(catalog.in_category(yarns))


def test_product_api_prices_are_exact_and_wix_shaped(base: str, catalog: Catalog, store: SpaStore) -> None:
    sale = product_at(catalog, IDX_ON_SALE)
    data = get_json(f"{base}_api/product/{sale.slug}")[1]["product"]
    assert data["id"] == store.product_id(sale, base)
    assert data["priceData"] == {
        "currency": "EUR",
        "price": f"{sale.regular_price:.2f}",
        "discountedPrice": f"{sale.price:.2f}",
        "formatted": {"price": format_price(sale.regular_price), "discountedPrice": format_price(sale.price)},
    }
    assert data["ribbon"] == "Προσφορά"
    assert {s["title"]: s["description"] for s in data["additionalInfoSections"]} == {
        name: f"<p>{value}</p>" for name, value in sale.attributes.items()
    }
    related = [p["slug"] for p in data["relatedProducts"]]
    assert related and sale.slug not in related

    on_request = get_json(f"{base}_api/product/{product_at(catalog, IDX_PRICE_ON_REQUEST).slug}")[1]["product"]
    assert on_request["priceData"]["price"] is None
    assert on_request["priceData"]["discountedPrice"] is None


def test_product_api_variants_match_the_catalog(base: str, catalog: Catalog) -> None:
    product = product_at(catalog, IDX_VARIANTS)
    data = get_json(f"{base}_api/product/{product.slug}")[1]["product"]
    assert data["manageVariants"] is True
    got = [
        (
            v["variant"]["sku"],
            v["choices"],
            Decimal(v["variant"]["priceData"]["discountedPrice"]),
            v["stock"]["inStock"],
        )
        for v in data["variants"]
    ]
    want = [(v.sku, v.options, v.price, v.availability == "in_stock") for v in product.variants]
    assert got == want
    assert any(not in_stock for *_, in_stock in got)  # the catalog's out-of-stock variant
    (option,) = data["productOptions"]
    assert option["optionType"] == "color"
    assert [c["value"] for c in option["choices"]] == [next(iter(v.options.values())) for v in product.variants]
    assert data["stock"]["inventoryStatus"] == "PARTIALLY_OUT_OF_STOCK"


def test_truth_product_id_is_the_wix_uuid(base: str, catalog: Catalog, store: SpaStore) -> None:
    product = product_at(catalog, IDX_ON_SALE)
    truth = store.truth(product, base)
    assert uuid.UUID(truth["product_id"]).version == 5
    assert truth["product_id"] == get_json(f"{base}_api/product/{product.slug}")[1]["product"]["id"]
    assert truth["url"] == f"{base}product-page/{product.slug}"
    assert len({store.product_id(p, base) for p in catalog.products}) == len(catalog.products)


# --- sitemaps and robots ---------------------------------------------------------------


def test_robots_announces_the_sitemap_index_and_hides_the_trap(demo_root: str, base: str, store: SpaStore) -> None:
    robots = fetch(demo_root + "robots.txt")[2].decode().splitlines()
    assert f"Sitemap: {base}sitemap.xml" in robots
    assert f"Disallow: /{SITE}/{store.trap_path}" in robots
    assert f"Disallow: /{SITE}/*?lightbox=" in robots
    assert store.sitemap_paths() == ["sitemap.xml"]


def test_sitemaps_list_every_product_category_and_page(base: str, catalog: Catalog) -> None:
    assert sitemap_locs(base + "sitemap.xml") == [
        base + "store-products-sitemap.xml",
        base + "store-categories-sitemap.xml",
        base + "pages-sitemap.xml",
    ]
    assert sitemap_locs(base + "store-products-sitemap.xml") == [
        f"{base}product-page/{p.slug}" for p in catalog.products
    ]
    categories = sitemap_locs(base + "store-categories-sitemap.xml")
    assert f"{base}category/malli" in categories
    assert all(fetch(url)[0] == 200 for url in categories)
    assert sitemap_locs(base + "pages-sitemap.xml") == [base, base + "shop"]


# --- in a browser ----------------------------------------------------------------------


@dataclass
class Rendered:
    status: int
    html: str
    errors: list[str]
    page: Any  # playwright Page, still open for interaction

    @property
    def selector(self) -> Selector:
        return Selector(text=self.html)

    def json_ld(self, type_: str) -> dict[str, Any]:
        blocks = [json.loads(b) for b in self.selector.css('script[type="application/ld+json"]::text').getall()]
        (block,) = [b for b in blocks if b.get("@type") == type_]
        return block


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_service(chromium_path() is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def render(browser: Any) -> Iterator[Any]:
    context = browser.new_context()

    def _render(url: str) -> Rendered:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector('#SITE_CONTAINER[data-rendered="true"]', timeout=10_000)
        return Rendered(response.status, page.content(), errors, page)

    yield _render
    context.close()


@pytest.mark.browser
def test_rendered_sale_product(render: Any, base: str, catalog: Catalog, store: SpaStore) -> None:
    product = product_at(catalog, IDX_ON_SALE)
    url = f"{base}product-page/{product.slug}"
    rendered = render(url)
    page = rendered.selector
    assert rendered.status == 200
    assert rendered.errors == []
    assert page.css("h1::text").get() == product.name
    assert page.css('[data-hook="formatted-primary-price"]::text').get() == format_price(product.price)
    assert page.css('del[data-hook="formatted-secondary-price"]::text').get() == format_price(product.regular_price)
    assert page.css('[data-hook="product-stock"]::text').get() == "Σε απόθεμα"
    assert page.css('[data-hook="info-section-table"] th::text').getall() == list(product.attributes)
    # Related products show OTHER products' prices: a trap for page-wide price regexes.
    related = page.css('[data-hook="related-products"] [data-hook="product-item-name"]::text').getall()
    assert related and product.name not in related
    assert page.css('[data-hook="related-products"] [data-hook="product-item-price-to-pay"]::text').get()

    data = rendered.json_ld("Product")
    assert data["productID"] == store.product_id(product, base) == store.truth(product, base)["product_id"]
    assert (data["name"], data["sku"], data["brand"]["name"], data["gtin13"]) == (
        product.name,
        product.sku,
        product.brand,
        product.gtin,
    )
    assert data["description"] == product.description
    assert data["image"][0] == base + product.images[0]
    assert data["offers"]["price"] == f"{product.price:.2f}"
    assert data["offers"]["priceCurrency"] == "EUR"
    assert data["offers"]["availability"] == SCHEMA + "InStock"
    assert data["offers"]["priceSpecification"] == {
        "@type": "UnitPriceSpecification",
        "priceType": SCHEMA + "StrikethroughPrice",
        "price": f"{product.regular_price:.2f}",
        "priceCurrency": "EUR",
    }
    breadcrumbs = [item["name"] for item in rendered.json_ld("BreadcrumbList")["itemListElement"]]
    assert breadcrumbs[1:-1] == [c.name("el") for c in product.category.path()]

    # The SEO head exists only after rendering.
    assert page.css("title::text").get() == f"{product.name} | {SHOP_NAME}"
    assert page.css('link[rel="canonical"]::attr(href)').get() == url
    assert page.css('meta[name="robots"]::attr(content)').get() == "index, follow"
    assert page.css('meta[property="og:title"]::attr(content)').get() == f"{product.name} | {SHOP_NAME}"
    assert page.css('meta[property="og:image"]::attr(content)').get() == base + product.images[0]
    assert product.description.startswith(page.css('meta[name="description"]::attr(content)').get().rstrip("…"))
    hreflang = {link.attrib["hreflang"]: link.attrib["href"] for link in page.css('link[rel="alternate"][hreflang]')}
    assert hreflang == {"el": url, "en": f"{base}en/product-page/{product.slug}", "x-default": url}
    trap = rendered.page.locator(f'a[href="{base}{store.trap_path}"]')
    assert trap.count() == 1 and not trap.is_visible()
    assert rendered.page.locator("#consent-banner").is_visible()


@pytest.mark.browser
def test_rendered_variant_product(render: Any, base: str, catalog: Catalog, store: SpaStore) -> None:
    product = product_at(catalog, IDX_VARIANTS)
    rendered = render(f"{base}product-page/{product.slug}")
    assert rendered.errors == []
    page = rendered.selector
    assert page.css("h1::text").get() == product.name
    assert page.css('[data-hook="formatted-primary-price"]::text').get() == format_price(product.price)
    data = rendered.json_ld("ProductGroup")
    assert data["productGroupID"] == store.product_id(product, base)
    assert data["sku"] == product.sku
    assert data["variesBy"] == [SCHEMA + "color"]
    got = [
        (v["sku"], v["name"], v["color"], v["offers"]["price"], v["offers"]["availability"]) for v in data["hasVariant"]
    ]
    want = [
        (
            v.sku,
            v.name,
            next(iter(v.options.values())),
            f"{v.price:.2f}",
            SCHEMA + ("InStock" if v.availability == "in_stock" else "OutOfStock"),
        )
        for v in product.variants
    ]
    assert got == want
    assert data["hasVariant"][0]["additionalProperty"] == [
        {"@type": "PropertyValue", "name": name, "value": value} for name, value in product.variants[0].options.items()
    ]

    # Choosing the out-of-stock variant updates price, stock and SKU in place.
    sold_out = next(v for v in product.variants if v.availability == "out_of_stock")
    rendered.page.select_option('[data-hook="dropdown-option"]', next(iter(sold_out.options.values())))
    assert rendered.page.inner_text('[data-hook="product-stock"]') == "Εξαντλήθηκε"
    assert rendered.page.inner_text('[data-hook="formatted-primary-price"]') == format_price(sold_out.price)
    assert rendered.page.inner_text('[data-hook="sku-value"]') == sold_out.sku
    assert rendered.page.locator('[data-hook="add-to-cart"]').is_disabled()


@pytest.mark.browser
def test_rendered_price_on_request(render: Any, base: str, catalog: Catalog) -> None:
    product = product_at(catalog, IDX_PRICE_ON_REQUEST)
    rendered = render(f"{base}product-page/{product.slug}")
    assert rendered.errors == []
    page = rendered.selector
    assert page.css('[data-hook="price-on-request"]::text').get() == "Τιμή κατόπιν επικοινωνίας"
    assert not page.css('[data-hook="formatted-primary-price"]')
    offer = rendered.json_ld("Product")["offers"]
    assert "price" not in offer
    assert offer["availability"] == SCHEMA + "InStock"


@pytest.mark.browser
def test_rendered_listing_links_products_and_pages(render: Any, base: str, catalog: Catalog) -> None:
    rendered = render(f"{base}shop?page=2")
    assert rendered.errors == []
    page = rendered.selector
    links = page.css('[data-hook="product-list-wrapper"] a[data-hook="product-item-product-details-link"]::attr(href)')
    expected = catalog.products[PAGE_SIZE : 2 * PAGE_SIZE]
    assert links.getall() == [f"{base}product-page/{p.slug}" for p in expected]
    prices = page.css('[data-hook="product-list-wrapper"] [data-hook="product-item-product-details"]')
    assert [" ".join(t.strip() for t in p.css("::text").getall() if t.strip()) for p in prices] == [
        (f"{format_price(p.regular_price)} " if p.on_sale else "") + format_price(p.price)
        if p.price is not None
        else "Τιμή κατόπιν επικοινωνίας"
        for p in expected
    ]
    pagination = page.css('[data-hook="pagination"] a::attr(href)').getall()
    assert f"{base}shop" in pagination and f"{base}shop?page=3" in pagination
    assert page.css('link[rel="canonical"]::attr(href)').get() == f"{base}shop?page=2"
    assert page.css("h1::text").get() == "Κατάστημα"
    assert not page.css('script[type="application/ld+json"]')  # a listing describes no product
    menu = page.css("#SITE_HEADER_MENU a::attr(href)").getall()
    assert f"{base}category/malli" in menu


@pytest.mark.browser
def test_rendered_missing_product_is_noindex(render: Any, base: str) -> None:
    rendered = render(f"{base}product-page/no-such-yarn")
    assert rendered.status == 404
    assert rendered.selector.css('meta[name="robots"]::attr(content)').get() == "noindex"
    assert rendered.selector.css("h1::text").get() == "Η σελίδα δεν βρέθηκε"
