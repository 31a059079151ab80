"""PrestaShop adapter: on the demo shop's pages and on hand-written PrestaShop 1.6 and 1.7 markup."""

from __future__ import annotations

import html
import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse

from demo_shops.catalog import (
    IDX_ON_SALE,
    IDX_OUT_OF_STOCK,
    IDX_VARIANTS,
    build_catalog,
)
from demo_shops.store import DemoRequest
from demo_shops.stores import store_for
from demo_shops.stores.prestashop import PrestaShopStore, php_json
from ecommerce_scraper.platforms.prestashop import PrestaShopPlatform

from .conftest import TEST_PRODUCTS
from .test_prestashop import SITE, page, product_view


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


# --- the adapter on the demo pages ----------------------------------------------------


def test_adapter_reads_every_demo_product_like_the_truth(shop: str, store: PrestaShopStore, platform) -> None:
    for product in store.catalog.products:
        url = shop + store.product_path(product)
        assert platform.is_product_url(url) is True
        response = page(url)
        assert platform.is_product_page(response) is True
        extracted = platform.extract_product(response)
        assert product_view(extracted) == product_view(store.truth(product, shop)), url
    special = {p.index: p for p in store.catalog.products}
    assert special[IDX_OUT_OF_STOCK].availability == "out_of_stock"


def test_adapter_extracts_the_page_fields(shop: str, store: PrestaShopStore, platform: PrestaShopPlatform) -> None:
    product = store.catalog.products[IDX_VARIANTS]
    extracted = platform.extract_product(page(shop + store.product_path(product)))
    # A page of colour variants prints no EAN (a barcode belongs to one colour); a single product does.
    assert extracted["brand"] == product.brand and product.gtin is None and "gtin" not in extracted
    single = store.catalog.products[IDX_ON_SALE]
    assert single.gtin and platform.extract_product(page(shop + store.product_path(single)))["gtin"] == single.gtin
    assert extracted["breadcrumbs"] == [c.name_el for c in product.category.path()]
    assert extracted["category"] == product.category.name_el
    assert extracted["description"] == product.description
    assert extracted["attributes"] == product.attributes
    assert extracted["currency"] == "EUR"
    assert extracted["images"][0] == f"{shop}{product.numeric_id * 10 + 1}-thickbox_default/{product.slug}.jpg"
    # The default combination is the cheapest one, so the page's price is the product's.
    assert extracted["price"] == product.price
    assert [v["options"] for v in extracted["variants"]] == [v.options for v in product.variants]


def test_adapter_backorder_and_more_products_offline() -> None:
    """A bigger catalog has backorders (quantity 0, orders allowed): microdata says InStock, the label doesn't."""
    store = store_for(build_catalog(SITE, 300))
    base = "http://shop.test/knitshop/"
    platform = PrestaShopPlatform(base)
    backorders = 0
    for product in store.catalog.products:
        path = store.product_path(product)
        rendered = store.handle(DemoRequest("GET", path, {}, {}, b"", base))
        response = HtmlResponse(url=base + path, body=rendered.body.encode(), encoding="utf-8")
        extracted = platform.extract_product(response)
        assert product_view(extracted) == product_view(store.truth(product, base)), path
        if product.availability == "backorder":
            backorders += 1
            assert response.css("link[itemprop=availability]::attr(href)").get() == "https://schema.org/InStock"
            assert response.css("#availability_value::text").get() == "Διαθέσιμο κατόπιν παραγγελίας"
    assert backorders >= 2


def test_listing_links_of_a_category_page(shop: str, store: PrestaShopStore, platform: PrestaShopPlatform) -> None:
    yarns = next(c for c in store.categories.values() if c.slug == "nimata")
    links = platform.listing_links(page(f"{shop}10-nimata"))
    assert links is not None
    assert links.products == [shop + store.product_path(p) for p in store.catalog.in_category(yarns)[:12]]
    assert links.next_pages == [f"{shop}10-nimata?p=2"]
    assert set(links.categories) == {f"{shop}{store.category_path(c)}" for c in store.categories.values()}
    assert platform.listing_links(HtmlResponse(url=shop, body=b"<html><body><p>hi</p></body></html>")) is None


def test_listing_walk_from_the_home_page_reaches_every_product(
    shop: str, store: PrestaShopStore, platform: PrestaShopPlatform
) -> None:
    """The spider's fallback route (no sitemap): home, menu categories, pagination."""
    queue, visited, products = [shop], set(), set()
    while queue:
        url = queue.pop()
        if url in visited:
            continue
        visited.add(url)
        links = platform.listing_links(page(url))
        assert links is not None, url
        products.update(links.products)
        queue += [u for u in links.next_pages + links.categories if u.startswith(shop)]
    assert len(visited) < 40
    ids = {urlsplit(u).path.rsplit("/", 1)[1].split("-", 1)[0] for u in products}
    assert ids == {p.product_id for p in store.catalog.products}
    assert all(platform.is_product_url(u) for u in products)


def test_not_product_pages(shop: str, platform: PrestaShopPlatform) -> None:
    assert platform.is_product_page(page(f"{shop}11-malli")) is False
    assert platform.is_product_page(page(f"{shop}content/1-apostoli")) is False
    assert platform.is_product_page(page(f"{shop}nothing-here")) is False  # pagenotfound


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.gr/malli/5-drops-merino-5200000000054.html", True),
        ("https://shop.gr/men/1-1-hummingbird-printed-t-shirt.html", True),  # 1.7 {id}-{id_product_attribute}
        ("https://shop.gr/index.php?id_product=5&controller=product", True),
        ("https://shop.gr/index.php?controller=product&id_product=5&id_lang=1", True),
        ("https://shop.gr/index.php?id_category=3&controller=category", False),
        ("https://shop.gr/11-malli", False),
        ("https://shop.gr/content/1-apostoli", False),
        ("https://shop.gr/1_el_0_sitemap.xml", False),
        ("https://shop.gr/", False),
        ("https://shop.gr/blog/some-article", None),
    ],
)
def test_is_product_url(url: str, expected: bool | None) -> None:
    assert PrestaShopPlatform("https://shop.gr/").is_product_url(url) is expected


# --- the adapter on hand-written real-platform markup -------------------------------------

# A PrestaShop 1.6.1 product page as a Portuguese shop (23% VAT) serves it, trimmed: a size
# select, a product-level 10% specific price, one combination out of stock with orders allowed.
_PS16_SPECIFIC = {
    "id_specific_price": "4",
    "id_product": "8",
    "id_product_attribute": "0",
    "price": "-1.000000",
    "reduction": "0.100000",
    "reduction_tax": "1",
    "reduction_type": "percentage",
}
_PS16_COMBINATION = {"ecotax": 0, "weight": 0, "unit_impact": 0, "minimal_quantity": "1", "date_formatted": "",
                     "id_image": -1}  # fmt: skip
_PS16_COMBINATIONS = json.dumps(
    {
        "31": {"attributes_values": {"1": "S"}, "attributes": [1], "price": 0, "specific_price": _PS16_SPECIFIC,
               "quantity": 12, "reference": "CAM-8-S", "available_date": "", "list": "'1'", **_PS16_COMBINATION},
        "32": {"attributes_values": {"1": "M"}, "attributes": [2], "price": 4.065041, "specific_price": _PS16_SPECIFIC,
               "quantity": 0, "reference": "CAM-8-M", "available_date": "0000-00-00", "list": "'2'",
               **_PS16_COMBINATION},
    },
    separators=(",", ":"),
)  # fmt: skip
PS16_PAGE = (
    """<!DOCTYPE HTML><html lang="pt"><head><meta charset="utf-8" /><title>Camisola - Loja</title>
<meta name="generator" content="PrestaShop" /></head>
<body id="product" class="product product-8 product-camisola category-3 category-mulher lang_pt">
<div class="breadcrumb clearfix"><a class="home" href="https://loja.pt/" title="Voltar"><i class="icon-home"></i></a>
<span class="navigation-pipe">&gt;</span><span class="navigation_page">
<span itemscope itemtype="http://data-vocabulary.org/Breadcrumb">
<a itemprop="url" href="https://loja.pt/3-mulher" title="Mulher"><span itemprop="title">Mulher</span></a></span>
<span class="navigation-pipe">></span>Camisola</span></div>
<div itemscope itemtype="https://schema.org/Product"><div class="primary_block row">
<div class="pb-center-column col-xs-12 col-sm-4"><h1 itemprop="name">Camisola</h1>
<p id="product_reference"><label>Referência: </label>
<span class="editable" itemprop="sku" content="CAM-8"></span></p>
<p id="availability_statut"><span id="availability_value" class="label label-success">Em stock</span></p></div>
<div class="pb-right-column col-xs-12 col-sm-4 col-md-3">
<form id="buy_block" action="https://loja.pt/carrinho" method="post">
<p class="hidden"><input type="hidden" name="token" value="e2d4" />
<input type="hidden" name="id_product" value="8" id="product_page_product_id" /></p>
<div class="content_prices clearfix"><div>
<p class="our_price_display" itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<link itemprop="availability" href="https://schema.org/InStock"/>
<span id="our_price_display" class="price" itemprop="price" content="18">18,00 €</span>
 IVA incluído<meta itemprop="priceCurrency" content="EUR" /></p>
<p id="reduction_percent"><span id="reduction_percent_display">-10%</span></p>
<p id="old_price"><span id="old_price_display"><span class="price">20,00 €</span></span></p></div></div>
<div id="attributes"><fieldset class="attribute_fieldset">
<label class="attribute_label" for="group_1">Tamanho :&nbsp;</label>
<div class="attribute_list"><select name="group_1" id="group_1" class="form-control attribute_select no-print">
<option value="1" selected="selected" title="S">S</option><option value="2" title="M">M</option>
</select></div></fieldset></div>
</form></div></div></div>
<script type="text/javascript">
var allowBuyWhenOutOfStock = true;
var combinationsFromController = """
    + _PS16_COMBINATIONS
    + """;
var currentDate = '2024-05-02 10:11:12';
var id_product = 8;
var productBasePriceTaxExcl = 16.260163;
var productPrice = 18;
var productPriceTaxExcluded = 16.260163;
var productPriceWithoutReduction = 20.000001;
var productReference = 'CAM-8';
var productShowPrice = true;
var reduction_percent = 10;
var static_token = 'e2d4';
var taxRate = 23;
</script>
<script type="text/javascript" src="https://loja.pt/themes/default-bootstrap/js/product.js"></script>
</body></html>"""
)


def test_adapter_on_real_prestashop_16_markup() -> None:
    response = HtmlResponse(url="https://loja.pt/mulher/8-camisola.html", body=PS16_PAGE.encode(), encoding="utf-8")
    platform = PrestaShopPlatform("https://loja.pt/")
    assert PrestaShopPlatform.detect(response) >= 90
    assert platform.is_product_page(response) is True
    extracted = platform.extract_product(response)
    assert extracted["product_id"] == "8" and extracted["name"] == "Camisola" and extracted["sku"] == "CAM-8"
    assert (extracted["price"], extracted["regular_price"]) == (Decimal("18.00"), Decimal("20.00"))
    assert extracted["availability"] == "in_stock" and extracted["breadcrumbs"] == ["Mulher"]
    # M: (16.260163 + 4.065041) * 1.23 = 25.0000009 -> 25.00, minus 10% -> 22.50; no stock, orders allowed.
    assert extracted["variants"] == [
        {"sku": "CAM-8-S", "name": "S", "options": {"Tamanho": "S"}, "price": Decimal("18.00"),
         "regular_price": Decimal("20.00"), "availability": "in_stock"},
        {"sku": "CAM-8-M", "name": "M", "options": {"Tamanho": "M"}, "price": Decimal("22.50"),
         "regular_price": Decimal("25.00"), "availability": "backorder"},
    ]  # fmt: skip


def test_adapter_amount_reduction_and_broken_json() -> None:
    amount = PS16_PAGE.replace('"reduction":"0.100000"', '"reduction":"2.000000"').replace(
        '"reduction_type":"percentage"', '"reduction_type":"amount"'
    )
    response = HtmlResponse(url="https://loja.pt/mulher/8-camisola.html", body=amount.encode(), encoding="utf-8")
    variants = PrestaShopPlatform("https://loja.pt/").extract_product(response)["variants"]
    assert [(v["price"], v["regular_price"]) for v in variants] == [
        (Decimal("18.00"), Decimal("20.00")),
        (Decimal("23.00"), Decimal("25.00")),
    ]
    broken = PS16_PAGE.replace('var combinationsFromController = {"31"', "var combinationsFromController = {31")
    response = HtmlResponse(url="https://loja.pt/mulher/8-camisola.html", body=broken.encode(), encoding="utf-8")
    extracted = PrestaShopPlatform("https://loja.pt/").extract_product(response)
    assert "variants" not in extracted and extracted["price"] == Decimal("18.00")
    empty = HtmlResponse(url="https://loja.pt/x.html", body=b"<html><body></body></html>", encoding="utf-8")
    assert PrestaShopPlatform("https://loja.pt/").extract_product(empty) == {}


# PrestaShop 1.7 classic theme, trimmed: no combinations in the page, the selected one as JSON.
_PS17_EMBEDDED = {"id_product": "2", "id_product_attribute": "9", "reference": "demo_3", "quantity": 0,
                  "allow_oosp": 0, "show_price": True, "name": "Pull"}  # fmt: skip
PS17_PAGE = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Pull - Boutique</title>
<link rel="stylesheet" href="https://boutique.fr/themes/classic/assets/css/theme.css">
<script type="text/javascript">var prestashop = {{"cart":{{"products":[]}},"currency":{{"iso_code":"EUR"}}}};</script>
</head><body id="product" class="lang-fr country-fr currency-eur layout-full-width page-product">
<nav data-depth="3" class="breadcrumb"><ol itemscope itemtype="http://schema.org/BreadcrumbList">
<li itemprop="itemListElement" itemscope itemtype="http://schema.org/ListItem">
<a itemprop="item" href="https://boutique.fr/"><span itemprop="name">Accueil</span></a></li>
<li itemprop="itemListElement" itemscope itemtype="http://schema.org/ListItem">
<a itemprop="item" href="https://boutique.fr/3-femmes"><span itemprop="name">Femmes</span></a></li>
<li itemprop="itemListElement" itemscope itemtype="http://schema.org/ListItem">
<a itemprop="item" href="https://boutique.fr/femmes/2-9-pull.html"><span itemprop="name">Pull</span></a></li>
</ol></nav>
<h1 class="h1" itemprop="name">Pull</h1>
<div class="product-prices"><div class="product-discount"><span class="regular-price">35,90&nbsp;€</span></div>
<div class="product-price h5 has-discount" itemprop="offers" itemscope itemtype="https://schema.org/Offer">
<link itemprop="availability" href="https://schema.org/InStock"/><meta itemprop="priceCurrency" content="EUR">
<div class="current-price"><span itemprop="price" content="28.72">28,72&nbsp;€</span>
<span class="discount discount-percentage">-20%</span></div></div></div>
<form action="https://boutique.fr/panier" method="post" id="add-to-cart-or-refresh">
<input type="hidden" name="token" value="ab12">
<input type="hidden" name="id_product" value="2" id="product_page_product_id"></form>
<span id="product-availability"><i class="material-icons product-available">&#xE5CA;</i>En stock</span>
<div class="tab-pane fade" id="product-details" data-product="{html.escape(json.dumps(_PS17_EMBEDDED))}"></div>
</body></html>"""


def test_adapter_on_real_prestashop_17_markup() -> None:
    response = HtmlResponse(url="https://boutique.fr/femmes/2-9-pull.html", body=PS17_PAGE.encode(), encoding="utf-8")
    platform = PrestaShopPlatform("https://boutique.fr/")
    assert PrestaShopPlatform.detect(response) >= 50
    assert platform.is_product_page(response) is True
    extracted = platform.extract_product(response)
    assert extracted["product_id"] == "2" and extracted["sku"] == "demo_3" and extracted["name"] == "Pull"
    assert (extracted["price"], extracted["regular_price"]) == (Decimal("28.72"), Decimal("35.90"))
    assert extracted["availability"] == "out_of_stock"  # the selected combination: quantity 0, no backorders
    assert extracted["breadcrumbs"] == ["Femmes"] and "variants" not in extracted


def test_detect_ignores_other_platforms() -> None:
    woo = b"""<html><head><meta name="generator" content="WooCommerce 8.5"><link rel="stylesheet"
        href="/wp-content/plugins/woocommerce/assets/css/woocommerce.css"></head><body class="woocommerce">
        <form class="cart"><input type="hidden" name="add-to-cart" value="12"></form></body></html>"""
    drupal = b"""<html><head><meta name="generator" content="Drupal 10"><script src="/themes/olivero/js/menu.js">
        </script><script src="/modules/contrib/search/x.js"></script></head><body></body></html>"""
    for body in (woo, drupal):
        assert PrestaShopPlatform.detect(HtmlResponse(url="https://x.test/", body=body, encoding="utf-8")) < 50


def test_php_json_encodes_like_php() -> None:
    encoded = php_json({"name": "Μπλε 02", "url": "a/b", "price": Decimal("0.403226"), "zero": Decimal("0.000000"),
                        "none": None, "list": [], "flag": False})  # fmt: skip
    assert encoded == (
        '{"name":"\\u039c\\u03c0\\u03bb\\u03b5 02","url":"a\\/b","price":0.403226,"zero":0,'
        '"none":null,"list":[],"flag":false}'
    )
