"""Shopify: the public storefront catalog API and Online Store 2.0 (Dawn) product pages.

Every Shopify shop serves ``/products.json?limit=250&page=N`` (all published products with
their variants, prices as strings like ``"12.50"``, no currency) unless the merchant blocks it.
Product pages carry the shop's own data in ``ShopifyAnalytics.meta`` (product id, vendor,
variants with prices in cents and SKUs) and, in Dawn and most themes, the variants as JSON
inside ``<variant-selects>``/``<variant-radios>`` (with stock and compare-at prices).
A product without options still has one variant, titled "Default Title": it is reported
as a product without variants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse

from ..extraction.toolkit import (
    Variant,
    absolute_links,
    clean_text,
    html_to_text,
    node_text,
    put,
    roll_up_variants,
)
from ..normalize import map_availability, parse_price
from .base import ApiPage, ListingLinks, PartialProduct, Platform

MoneyReader = Callable[[object], Decimal | None]
API_PAGE_SIZE = 250  # products.json's maximum limit
DEFAULT_TITLE = "Default Title"

#: ``/products/<handle>``, optionally inside a collection or under a Markets locale prefix;
#: handles have no dots, so ``.js``/``.json``/``.oembed`` endpoints don't match.
_PRODUCT_PATH = re.compile(r"/(?:collections/[^/]+/)?products/(?P<handle>[^/.]+)/?$")
_ANALYTICS_META = re.compile(r"var\s+meta\s*=\s*")
_ST_VAR = re.compile(r"var\s+__st\s*=\s*")
_SHOPIFY_CURRENCY = re.compile(r"Shopify\.currency\s*=\s*\{[^}]*?\"active\"\s*:\s*\"([A-Z]{3})\"")
_ANALYTICS_CURRENCY = re.compile(r"ShopifyAnalytics\.meta\.currency\s*=\s*['\"]([A-Z]{3})['\"]")

#: Body markers of a Shopify storefront and how much each one says.
_BODY_MARKERS: tuple[tuple[str, int], ...] = (
    ("Shopify.shop", 50),
    ("ShopifyAnalytics", 40),
    ("shopify-checkout-api-token", 40),
    ("cdn.shopify.com", 30),
    ("shopify-digital-wallet", 30),
    (".myshopify.com", 20),
    ("/cdn/shop/", 20),
    ("window.Shopify", 20),
)
#: Response headers only Shopify's edge sends.
_HEADER_MARKERS: tuple[bytes, ...] = (b"X-ShopId", b"X-Shopify-Stage", b"X-Sorting-Hat-ShopId", b"X-Shopify-Request-Id")

#: Scripts holding JSON of OTHER products: recommendations, quick-add modals, cards.
_NOT_OTHER_PRODUCTS = (
    "[not(ancestor::product-recommendations)][not(ancestor::quick-add-modal)]"
    "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' card-wrapper ')])]"
)


class ShopifyPlatform(Platform):
    name: ClassVar[str] = "shopify"

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        score = 0
        headers = response.headers
        if any(headers.get(name) for name in _HEADER_MARKERS):
            score += 80
        if b"shopify" in (headers.get(b"powered-by") or b"").lower():
            score += 60
        text = _text(response)
        score += sum(weight for marker, weight in _BODY_MARKERS if marker in text)
        return min(score, 100)

    # --- catalog API ------------------------------------------------------------------

    def api_requests(self) -> list[Request]:
        return [self._api_request(1)]

    def _api_request(self, page: int, first_id: object = None) -> Request:
        url = f"{self.base_url}products.json?limit={API_PAGE_SIZE}&page={page}"
        meta = {"shopify_api_page": page, "shopify_previous_first_id": first_id}
        return Request(url, headers={"Accept": "application/json"}, meta=meta)

    def parse_api(self, response: Response) -> ApiPage:
        data = _json_body(response)
        raw_products = data.get("products") if isinstance(data, dict) else None
        if not isinstance(raw_products, list) or not raw_products:
            return ApiPage()  # past the last page (or not the API at all): stop
        products = [p for p in map(self._api_product, raw_products) if p]
        first_id = raw_products[0].get("id") if isinstance(raw_products[0], dict) else None
        meta = _meta(response)
        if first_id is not None and meta.get("shopify_previous_first_id") == first_id:
            # A shop (or a proxy) ignoring ``page`` serves page 1 forever: don't loop.
            return ApiPage(products=products)
        page = meta.get("shopify_api_page") or _page_number(response.url)
        return ApiPage(products=products, next_requests=[self._api_request(int(page) + 1, first_id)])

    def _api_product(self, raw: object) -> PartialProduct | None:
        """One ``products.json`` product as a partial product; None when it has no handle/id."""
        if not isinstance(raw, dict) or not raw.get("handle") or raw.get("id") is None:
            return None
        product: PartialProduct = {
            "product_id": str(raw["id"]),
            "url": f"{self.base_url}products/{raw['handle']}",
            "currency": self.currency,  # products.json states no currency
        }
        put(product, "name", clean_text(raw.get("title")))
        put(product, "brand", clean_text(raw.get("vendor")))
        put(product, "category", clean_text(raw.get("product_type")))
        put(product, "description", html_to_text(raw.get("body_html")))
        images = [img.get("src") for img in raw.get("images") or [] if isinstance(img, dict) and img.get("src")]
        if images:
            product["images"] = [_https(src) for src in images]
            product["main_image"] = product["images"][0]
        names = _option_names(raw.get("options"))
        variants = [self._variant(v, names, self._api_money) for v in raw.get("variants") or [] if isinstance(v, dict)]
        product.update(_variant_summary(variants))
        return product

    # --- product pages ----------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        return bool(_PRODUCT_PATH.search(urlsplit(url).path))

    def is_product_page(self, response: TextResponse) -> bool | None:
        text = _text(response)
        page_type = _analytics_meta(text).get("page", {}).get("pageType") or _st(text).get("p")
        if page_type:
            return page_type == "product"
        if response.xpath('//meta[@property="og:type"]/@content').get() == "product":
            return True
        if response.css('form[action$="/cart/add"] input[name="product-id"]'):
            return True
        return False if "Shopify.shop" in text or "ShopifyAnalytics" in text else None

    def extract_product(self, response: TextResponse) -> PartialProduct:
        try:
            return self._extract_product(response)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            return {}  # a page too broken to read: the other extractors still get their turn

    def _extract_product(self, response: TextResponse) -> PartialProduct:
        text = _text(response)
        if not text:
            return {}
        analytics = _analytics_meta(text).get("product") or {}
        product_json = _page_product_json(response)
        product: PartialProduct = {}
        product_id = (
            analytics.get("id")
            or product_json.get("id")
            or response.css('form[action$="/cart/add"] input[name="product-id"]::attr(value)').get()
            or (_st(text).get("rid") if _st(text).get("rtyp") == "product" else None)
        )
        if product_id:
            product["product_id"] = str(product_id)
        put(product, "name", clean_text(response.css(".product__title h1::text").get() or product_json.get("title")))
        put(product, "brand", clean_text(analytics.get("vendor") or product_json.get("vendor")))
        put(product, "currency", _page_currency(text) or self.currency)
        put(product, "description", node_text(response.css(".product__description")))
        breadcrumbs = _breadcrumbs(response)
        if breadcrumbs:
            product["breadcrumbs"] = breadcrumbs
            product["category"] = breadcrumbs[-1]
        else:
            put(product, "category", clean_text(analytics.get("type") or product_json.get("type")))
        attributes = _attribute_tables(response)
        if attributes:
            product["attributes"] = attributes
        product.update(self._page_variants(response, product_json, analytics))
        return product

    def _page_variants(
        self, response: TextResponse, product_json: dict[str, Any], analytics: dict[str, Any]
    ) -> PartialProduct:
        """Variants from the richest source the page has: the product JSON, the variant
        picker's JSON, else ShopifyAnalytics (no stock there: the buy button tells)."""
        raw = product_json.get("variants") or _picker_variants(response) or analytics.get("variants") or []
        raw = [v for v in raw if isinstance(v, dict)]
        if not raw:
            return {}
        names = _option_names(product_json.get("options")) or _picker_option_names(response)
        variants = [self._variant(v, names, self._cents_money) for v in raw]
        if len(variants) == 1 and variants[0]["availability"] is None:
            variants[0]["availability"] = _buy_button_availability(response)
        if len(variants) == 1 and variants[0]["regular_price"] is None:
            variants[0]["regular_price"] = self._page_compare_at(response, variants[0]["price"])
        return _variant_summary(variants)

    def _page_compare_at(self, response: TextResponse, price: Decimal | None) -> Decimal | None:
        """The struck-through compare-at price of the main price block (Dawn renders the
        ``<s>`` always; only ``price--on-sale`` means it is shown)."""
        block = response.css('.product__info-container [id^="price-"] .price--on-sale')
        text = " ".join(block[:1].css(".price__sale s.price-item--regular ::text").getall()) if block else ""
        return _compare_at(parse_price(text, self.currency).amount if text.strip() else None, price)

    def _variant(self, raw: dict[str, Any], names: list[str], money: MoneyReader) -> dict[str, Any]:
        values = _variant_option_values(raw)
        title = clean_text(raw.get("title") or raw.get("public_title")) or " / ".join(values) or None
        if not values and title and title != DEFAULT_TITLE and len(title.split(" / ")) == len(names):
            values = title.split(" / ")  # ShopifyAnalytics variants only have the joined title
        price = money(raw.get("price"))
        compare_at = money(raw.get("compare_at_price"))
        return {
            "sku": clean_text(raw.get("sku")) or None,
            "name": title,
            "options": {(names[i] if i < len(names) else f"Option {i + 1}"): value for i, value in enumerate(values)},
            "price": price,
            "regular_price": _compare_at(compare_at, price),
            "availability": _flag_availability(raw.get("available")),
            # ShopifyAnalytics gives a default variant neither options nor a title
            "_default": title == DEFAULT_TITLE or values == [DEFAULT_TITLE] or (not values and title is None),
        }

    def _api_money(self, value: object) -> Decimal | None:
        """products.json prices: decimal strings (``"12.50"``)."""
        if value is None or isinstance(value, bool) or value == "":
            return None
        return parse_price(str(value), self.currency).amount

    def _cents_money(self, value: object) -> Decimal | None:
        """Liquid JSON and ShopifyAnalytics prices: integer cents (``1250``)."""
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return parse_price(Decimal(int(value)) / 100, self.currency).amount
        return self._api_money(value)  # a theme printing money strings after all

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        cards = response.css("#product-grid, .product-grid, .collection")
        scope = cards if cards else response
        product_hrefs = scope.css('a[href*="/products/"]::attr(href)').getall()
        products = absolute_links(response, product_hrefs, skip=(), keep=self.is_product_url)
        next_pages = absolute_links(
            response,
            response.css(
                '.pagination a[href]::attr(href), link[rel="next"]::attr(href), a[rel="next"]::attr(href)'
            ).getall(),
            skip=(),
        )
        category_hrefs = [
            href
            for href in response.css('a[href*="/collections/"]::attr(href)').getall()
            if "/products/" not in href and "sort_by" not in href and "filter." not in href
        ]
        categories = absolute_links(response, category_hrefs, skip=())
        current = _strip_fragment(response.url)
        return ListingLinks(
            # One URL per product and per collection, without the tracking and the sorting.
            products=list(dict.fromkeys(map(_product_page_url, products))),
            next_pages=[url for url in next_pages if url != current],
            categories=[url for url in dict.fromkeys(map(_strip_query, categories)) if url != _strip_query(current)],
        )


# --- helpers -----------------------------------------------------------------------------


def _text(response: Response) -> str:
    try:
        return response.text  # type: ignore[attr-defined]
    except AttributeError:  # a binary response has no text
        return ""


def _meta(response: Response) -> dict[str, Any]:
    try:
        return response.meta
    except AttributeError:  # a response built without a request (tests, replays)
        return {}


def _json_body(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        return None


def _page_number(url: str) -> int:
    value = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
    return int(value) if value.isdigit() else 1


def _json_after(text: str, pattern: re.Pattern[str]) -> dict[str, Any]:
    """The JSON object literal right after ``pattern`` in a script (e.g. ``var meta = {...};``)."""
    match = pattern.search(text)
    if not match:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text, match.end())
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _analytics_meta(text: str) -> dict[str, Any]:
    return _json_after(text, _ANALYTICS_META)


def _st(text: str) -> dict[str, Any]:
    return _json_after(text, _ST_VAR)


def _page_currency(text: str) -> str | None:
    match = _SHOPIFY_CURRENCY.search(text) or _ANALYTICS_CURRENCY.search(text)
    return match.group(1) if match else None


def _json_scripts(selector: Selector | TextResponse, xpath: str) -> list[Any]:
    values = []
    for body in selector.xpath(xpath).getall():
        try:
            values.append(json.loads(body))
        except ValueError:
            continue
    return values


def _page_product_json(response: TextResponse) -> dict[str, Any]:
    """A theme's ``{{ product | json }}`` script (Debut's ``ProductJson-*``, ``data-product-json``...)."""
    xpath = f'//script[@type="application/json"]{_NOT_OTHER_PRODUCTS}/text()'
    for value in _json_scripts(response, xpath):
        if isinstance(value, dict) and isinstance(value.get("variants"), list) and value.get("id"):
            return value
        if isinstance(value, dict) and isinstance(value.get("product"), dict):
            inner = value["product"]
            if isinstance(inner.get("variants"), list) and inner.get("id"):
                return inner
    return {}


def _picker_variants(response: TextResponse) -> list[Any]:
    """Dawn's ``{{ product.variants | json }}`` inside the variant picker."""
    xpath = (
        f"//*[self::variant-selects or self::variant-radios]{_NOT_OTHER_PRODUCTS}"
        '//script[@type="application/json"][not(@data-selected-variant)]/text()'
    )
    for value in _json_scripts(response, xpath):
        if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
            return value
    return []


def _picker_option_names(response: TextResponse) -> list[str]:
    picker = response.xpath(f"(//*[self::variant-selects or self::variant-radios]){_NOT_OTHER_PRODUCTS}")[:1]
    names = [node_text(n) for n in picker.css("fieldset legend, .form__label")]
    if not names:  # dropdown pickers also name their selects options[<name>]
        names = [n[len("options[") : -1] for n in response.css('select[name^="options["]::attr(name)').getall()]
    return [n for n in names if n]


def _option_names(options: object) -> list[str]:
    """``options`` as products.json/.js give it ([{name, position, values}]) or as Liquid's
    ``product | json`` does (["Colour"])."""
    if not isinstance(options, list):
        return []
    names = []
    for option in options:
        name = option.get("name") if isinstance(option, dict) else option
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def _variant_option_values(raw: dict[str, Any]) -> list[str]:
    values = [raw.get(f"option{n}") for n in (1, 2, 3)]
    if not any(values) and isinstance(raw.get("options"), list):
        values = raw["options"]
    return [str(v) for v in values if v not in (None, "")]


def _compare_at(compare_at: Decimal | None, price: Decimal | None) -> Decimal | None:
    """Shopify shows a compare-at price (a sale) only when it is above the price."""
    return compare_at if compare_at is not None and price is not None and compare_at > price else None


def _flag_availability(flag: object) -> str | None:
    """Shopify's ``available`` is a boolean (purchasable or not), not wording to interpret."""
    if flag is True:
        return "in_stock"
    if flag is False:
        return "out_of_stock"
    return None


def _buy_button_availability(response: TextResponse) -> str | None:
    button = response.css('product-form button[name="add"], form[action$="/cart/add"] button[name="add"]')[:1]
    if not button:
        return None
    if button.attrib.get("disabled") is not None:
        return "out_of_stock"
    return map_availability(node_text(button)) or "in_stock"


def _variant_summary(variants: list[dict[str, Any]]) -> PartialProduct:
    """Product fields from its variants (:func:`~ecommerce_scraper.extraction.toolkit.roll_up_variants`);
    a lone "Default Title" variant is the product itself."""
    if not variants:
        return {}
    summary: PartialProduct = {}
    if len(variants) == 1 and variants[0]["_default"]:
        only = variants[0]
        for key in ("sku", "price", "regular_price", "availability"):
            put(summary, key, only[key])
        return summary
    kept: list[Variant] = [{k: v for k, v in variant.items() if not k.startswith("_")} for variant in variants]
    summary.update(roll_up_variants(kept))
    summary["variants"] = kept
    return summary


def _breadcrumbs(response: TextResponse) -> list[str]:
    """Theme breadcrumbs (not in stock Dawn, common in others): links after "Home"."""
    nav = response.css('nav.breadcrumb, nav.breadcrumbs, .breadcrumb, [aria-label="breadcrumbs"]')[:1]
    names = [node_text(a) for a in nav.css("a")]
    hrefs = nav.css("a::attr(href)").getall()
    return [n for n, href in zip(names, hrefs, strict=False) if n and "/collections/" in href]


def _attribute_tables(response: TextResponse) -> dict[str, str]:
    """Label/value rows of tables in the product's collapsible tabs or description."""
    attributes: dict[str, str] = {}
    for row in response.css(".product__accordion table tr, .product__description table tr"):
        cells = [node_text(c) for c in row.css("th, td")]
        if len(cells) == 2 and cells[0] and cells[1]:
            attributes[cells[0].rstrip(":")] = cells[1]
    return attributes


def _product_page_url(url: str) -> str:
    """``/collections/<c>/products/<h>?tracking`` -> ``/products/<h>``: one URL per product,
    the page Shopify itself calls canonical."""
    parts = urlsplit(url)
    path = re.sub(r"/collections/[^/]+/products/", "/products/", parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _https(src: str) -> str:
    """A protocol-relative CDN URL (``//cdn.shopify.com/...``) made absolute."""
    return f"https:{src}" if src.startswith("//") else src
