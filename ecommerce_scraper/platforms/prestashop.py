"""PrestaShop: 1.6 (default-bootstrap and the many themes built on it) and 1.7/8 (classic).

PrestaShop has no public catalog API (the webservice needs a key), so products come from the
gsitemap module's sitemaps or the listings. What a product page tells, by version:

* 1.6: ``body#product``, microdata (``#our_price_display[itemprop=price][content]``), the
  ``#buy_block`` form (``id_product``), ``#availability_value`` whose ``label-success`` /
  ``label-warning`` / ``label-danger`` class is the stock state whatever the shop's wording,
  and the ``addJsDef`` globals ``product.js`` prices combinations with:
  ``combinationsFromController`` (per ``id_product_attribute``: ``attributes_values``, price
  impact tax excluded, ``specific_price``, ``quantity``, ``reference``), ``productPriceTaxExcluded``,
  ``taxRate``, ``allowBuyWhenOutOfStock``... A variant's price is computed the way ``product.js``'s
  ``updatePrice()`` does, in Decimal: ``(base + impact) * (1 + taxRate/100)`` (plus ecotax), then
  the specific price's reduction, each rounded half-up to cents as the shop displays it. The globals and the pricing are
  :mod:`~ecommerce_scraper.platforms.prestashop_js`.
* 1.7/8: ``#product-details[data-product]`` (the product's ``embedded_attributes`` as JSON),
  ``.current-price [itemprop=price][content]``, ``#product-availability``; the combinations
  are not embedded (the theme asks the server for each one), so no variants from there.

Quirk worth knowing: 1.6 microdata says InStock for a product that can be ordered while out
of stock; the label class (or ``allowBuyWhenOutOfStock``) tells a backorder apart.
"""

from __future__ import annotations

import json
import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapy.http import TextResponse

from ..extraction.toolkit import Variant, absolute_links, body_attribute, node_text, put, select
from ..normalize import map_availability
from .base import ListingLinks, PartialProduct, Platform
from .prestashop_js import (
    JS_VAR,
    JsGlobals,
    Pricing,
    attribute_group_names,
    combination_variant,
    has_reduction,
    int_of,
    js_money,
    machine_price,
    orderable_out_of_stock,
    shown_price,
)

logger = logging.getLogger(__name__)

# Friendly product URLs: 1.6 ``{category:/}{id}-{rewrite}{-:ean13}.html``, 1.7 ``{id}-{id_product_attribute}-...``.
_PRODUCT_PATH = re.compile(r"/\d+-[^/]+\.html$")
_CATEGORY_PATH = re.compile(r"/\d+-[^/.]+/?$")
_NOT_PRODUCT_PATH = re.compile(
    r"(/content/\d+-|/content/category/|_sitemap\.xml$|/\d+_[^/]+$|/\d+__[^/]+$|\.(jpe?g|png|gif|webp|css|js)$)"
)
_PS_PAGE_NAMES = frozenset(
    {
        "index", "category", "cms", "search", "prices-drop", "new-products", "best-sales", "manufacturer",
        "supplier", "contact", "sitemap", "pagenotfound", "order", "order-opc", "authentication", "my-account",
        "stores", "cart", "password", "history", "identity", "addresses", "address", "products-comparison",
    }
)  # fmt: skip
_GENERATOR = re.compile(r"prestashop", re.I)


class PrestaShopPlatform(Platform):
    name = "prestashop"

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        score = 0
        cookies = b" ".join(response.headers.getlist(b"Set-Cookie"))
        if b"PrestaShop-" in cookies:
            score += 60
        if b"prestashop" in (response.headers.get(b"Powered-By") or b"").lower():
            score += 60
        generator = response.xpath("//meta[@name='generator']/@content").get() or ""
        if _GENERATOR.search(generator):
            score += 60
        text = response.text
        if re.search(r"\bvar\s+prestashop\s*=\s*\{", text):  # 1.7+ front-office global
            score += 60
        if re.search(JS_VAR.format(name="static_token"), text):
            score += 30
        if re.search(JS_VAR.format(name="priceDisplayPrecision"), text) and re.search(
            JS_VAR.format(name="baseDir"), text
        ):
            score += 20
        if re.search(r"/modules/(blockcart|ps_shoppingcart|blocktopmenu|ps_mainmenu)/", text):
            score += 30
        if re.search(r"/themes/(default-bootstrap|classic)/", text):
            score += 30
        elif re.search(r"/themes/[^/\"']+/(js|css|cache|assets)/", text) and "/modules/" in text:
            score += 10
        if select(response, "#product_page_product_id, #add-to-cart-or-refresh input[name=id_product]"):
            score += 20
        elif select(response, "input[name=id_product]"):
            score += 10
        if re.search(r"(?:Powered by|by|από)\s*(?:<[^>]+>\s*)?PrestaShop", text, re.I):
            score += 20
        return min(score, 100)

    # --- URLs and pages ---------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        parts = urlsplit(url)
        path = parts.path
        query = parse_qs(parts.query)
        if path.endswith("index.php") or query.get("controller"):  # friendly URLs off, or a legacy link
            controller = (query.get("controller") or [""])[0].lower()
            return bool(query.get("id_product")) and controller in ("", "product")
        if _PRODUCT_PATH.search(path):
            return True
        if _NOT_PRODUCT_PATH.search(path) or _CATEGORY_PATH.search(path):
            return False
        if url.rstrip("/") + "/" == self.base_url or path.rstrip("/") == urlsplit(self.base_url).path.rstrip("/"):
            return False
        return None

    def is_product_page(self, response: TextResponse) -> bool | None:
        body_id = (body_attribute(response, "id") or "").strip()
        if body_id == "product":
            return True
        if body_id in _PS_PAGE_NAMES or body_id.startswith("module-"):
            return False
        if select(response, "#product_page_product_id, #add-to-cart-or-refresh, #product-details[data-product]"):
            return True
        return None

    # --- product pages ----------------------------------------------------------------

    def extract_product(self, response: TextResponse) -> PartialProduct:
        try:
            return self._extract(response)
        except Exception:  # a theme we have not seen: give the spider the other sources
            logger.exception("prestashop: could not read product page %s", response.url)
            return {}

    def _extract(self, response: TextResponse) -> PartialProduct:
        js = JsGlobals(response)
        embedded = _embedded_attributes(response)  # 1.7+
        product: PartialProduct = {}
        put(product, "product_id", self._product_id(response, js, embedded))
        put(product, "name", node_text(select(response, "h1[itemprop=name]")) or node_text(select(response, "h1")[:1]))
        put(product, "sku", self._sku(response, js, embedded))
        put(product, "brand", self._brand(response))
        put(product, "gtin", _first(response, "[itemprop=gtin13]::attr(content)", "[itemprop=gtin]::attr(content)"))
        currency = self._currency(response, js)
        put(product, "currency", currency)
        show_price = js.get("productShowPrice", embedded.get("show_price", True))
        if show_price not in (False, 0, "0"):
            price, regular = self._prices(response, js, currency or self.currency)
            put(product, "price", price)
            if price is not None and regular is not None and regular > price:
                product["regular_price"] = regular
        put(product, "availability", self._availability(response, js, embedded))
        put(product, "variants", self._variants(response, js, show_price not in (False, 0, "0")))
        crumbs = self._breadcrumbs(response, product.get("name"))
        if crumbs:
            product["breadcrumbs"] = crumbs
            product["category"] = crumbs[-1]
        put(product, "description", self._description(response))
        put(product, "images", self._images(response))
        put(product, "attributes", self._attributes(response))
        return product

    @staticmethod
    def _product_id(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        value = _first(
            response,
            "#product_page_product_id::attr(value)",
            "#buy_block input[name=id_product]::attr(value)",
            "#add-to-cart-or-refresh input[name=id_product]::attr(value)",
        )
        value = (
            value
            or js.get("id_product")
            or embedded.get("id_product")
            or _first(response, "input[name=id_product]::attr(value)")
        )
        text = str(value).strip() if value is not None else ""
        return text if text.isdigit() and text != "0" else None

    @staticmethod
    def _sku(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        # 1.6 leaves the span empty for products with combinations (product.js fills it in).
        sku = _first(response, "#product_reference [itemprop=sku]::attr(content)") or node_text(
            select(response, "#product_reference span, .product-reference span")
        )
        sku = sku or js.get("productReference") or embedded.get("reference")
        text = str(sku).strip() if sku else ""
        return text or None

    @staticmethod
    def _brand(response: TextResponse) -> str | None:
        return (
            node_text(select(response, "#product_manufacturer [itemprop=name]"))
            or _first(response, "[itemprop=brand]::attr(content)", ".product-manufacturer img::attr(alt)")
            or node_text(select(response, "[itemprop=brand] [itemprop=name], .product-manufacturer a"))
            or None
        )

    @staticmethod
    def _currency(response: TextResponse, js: JsGlobals) -> str | None:
        code = _first(
            response,
            ".our_price_display [itemprop=priceCurrency]::attr(content)",
            ".product-prices [itemprop=priceCurrency]::attr(content)",
            "meta[property='product:price:currency']::attr(content)",
        )
        currency = js.get("currency")
        if not code and isinstance(currency, dict):
            code = currency.get("iso_code")
        return str(code).strip().upper() if code else None

    def _prices(self, response: TextResponse, js: JsGlobals, currency: str) -> tuple[Decimal | None, Decimal | None]:
        """(price, regular price), tax included, as the page displays them."""
        price = machine_price(
            _first(
                response,
                "#our_price_display::attr(content)",
                ".current-price [itemprop=price]::attr(content)",
                ".current-price [content]::attr(content)",
                "meta[property='product:price:amount']::attr(content)",
            )
        )
        if price is None:
            price = shown_price(node_text(select(response, "#our_price_display, .current-price > span")), currency)
        if price is None:
            price = js_money(js.get("productPrice"))
        regular = None
        if has_reduction(js):
            regular = js_money(js.get("productPriceWithoutReduction"))
        if regular is None and not select(response, "#old_price.hidden"):
            regular = shown_price(
                node_text(select(response, "#old_price_display .price, .product-discount .regular-price")), currency
            )
        return price, regular

    @staticmethod
    def _availability(response: TextResponse, js: JsGlobals, embedded: dict[str, Any]) -> str | None:
        label = select(response, "#availability_value")
        if label:
            classes = (label.attrib.get("class") or "").split()
            if "label-success" in classes:
                return "in_stock"
            if "label-danger" in classes:
                return "out_of_stock"
            if "label-warning" in classes and js.get("allowBuyWhenOutOfStock") is True:
                return orderable_out_of_stock(js, select(response, "#availability_date_value::text").get())
            return map_availability(node_text(label))
        if embedded:
            quantity = int_of(embedded.get("quantity"))
            if quantity is not None and quantity > 0:
                return "in_stock"
            if quantity is not None:
                return "backorder" if str(embedded.get("allow_oosp")) in ("1", "True", "true") else "out_of_stock"
        return map_availability(node_text(select(response, "#product-availability")))

    def _variants(self, response: TextResponse, js: JsGlobals, show_price: bool) -> list[Variant]:
        combinations = js.get("combinationsFromController")
        if not isinstance(combinations, dict):
            combinations = js.get("combinations")
        if not isinstance(combinations, dict) or not combinations:
            return []
        pricing = Pricing.from_js(js) if show_price else None
        group_names = attribute_group_names(response, js)
        variants = []
        for combination in combinations.values():
            if isinstance(combination, dict):
                variants.append(combination_variant(combination, group_names, pricing, js))
        return variants

    @staticmethod
    def _breadcrumbs(response: TextResponse, name: str | None) -> list[str]:
        items = select(response, ".breadcrumb li")
        if items:  # 1.7: an ordered list, Home first and the product last
            crumbs = [node_text(item.css("[itemprop=name]")) or node_text(item) for item in items][1:]
        else:  # 1.6: the home icon, the category links, the product name as plain text
            links = select(response, ".breadcrumb a:not(.home)")
            crumbs = [node_text(link.css("[itemprop=title]")) or node_text(link) for link in links]
        crumbs = [c for c in crumbs if c]
        if crumbs and name and crumbs[-1] == name:
            crumbs.pop()
        return crumbs

    @staticmethod
    def _description(response: TextResponse) -> str | None:
        for selector in ("section.page-product-box div.rte", ".product-description", "#short_description_content"):
            text = node_text(select(response, selector)[:1])
            if text:
                return text
        return None

    @staticmethod
    def _images(response: TextResponse) -> list[str]:
        urls = (
            select(
                response, "#thumbs_list_frame a::attr(href), .product-images img::attr(data-image-large-src)"
            ).getall()
            or select(response, "#bigpic::attr(src), .product-cover img::attr(src)").getall()
        )
        return absolute_links(response, urls, skip=("javascript:", "#"))

    @staticmethod
    def _attributes(response: TextResponse) -> dict[str, str]:
        attributes: dict[str, str] = {}
        for row in select(response, "table.table-data-sheet tr"):
            cells = row.css("td")
            if len(cells) >= 2 and (name := node_text(cells[0])):
                attributes[name] = node_text(cells[1])
        if not select(response, ".product-features"):  # 1.6: one walk for none, not two
            return attributes
        for name, value in zip(
            select(response, ".product-features dl.data-sheet dt.name"),
            select(response, ".product-features dl.data-sheet dd.value"),
            strict=False,
        ):
            if key := node_text(name):
                attributes[key] = node_text(value)
        return attributes

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        products = _links(
            response,
            "ul.product_list a.product_img_link::attr(href)",
            "ul.product_list .product-name::attr(href)",
            "#js-product-list .product-miniature .product-title a::attr(href)",
            "#js-product-list .product-miniature a.product-thumbnail::attr(href)",
            ".products .product-miniature .product-title a::attr(href)",
        )
        next_pages = _links(
            response,
            "ul.pagination li.pagination_next a::attr(href)",
            "nav.pagination a.next::attr(href)",
            ".pagination a[rel=next]::attr(href)",
        )
        categories = _links(
            response,
            "#block_top_menu a::attr(href)",
            "#categories_block_left a::attr(href)",
            "#subcategories a.subcategory-name::attr(href)",
            "#top-menu a::attr(href)",
            ".block-categories a::attr(href)",
        )
        if not (products or next_pages or categories):
            return None
        categories = [url for url in categories if self.is_product_url(url) is not True]
        return ListingLinks(products=products, next_pages=next_pages, categories=categories)


# --- page helpers ----------------------------------------------------------------------


def _embedded_attributes(response: TextResponse) -> dict[str, Any]:
    raw = select(response, "#product-details::attr(data-product)").get()
    if not raw:
        return {}
    try:
        data = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _first(response: TextResponse, *queries: str) -> str | None:
    for query in queries:
        value = select(response, query).get()
        if value and value.strip():
            return value.strip()
    return None


def _links(response: TextResponse, *queries: str) -> list[str]:
    """The links the queries find, query by query, as absolute URLs (the toolkit's default filter)."""
    return absolute_links(response, (href for query in queries for href in select(response, query).getall()))
