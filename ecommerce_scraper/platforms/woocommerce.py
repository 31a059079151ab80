"""WooCommerce (WordPress) adapter: detection, the public Store API, product and listing pages.

Written against real WooCommerce shops: the Store API (``/wp-json/wc/store/v1/products``,
public and unauthenticated since WooCommerce 6.x) gives every product with its price in
minor units; product pages give what the API lacks (variation SKUs, prices and stock in
``form.variations_form[data-product_variations]``). Markup follows WooCommerce's own
templates, which every classic theme (Storefront, Astra, Flatsome, ...) keeps.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector, SelectorList
from scrapy import Request
from scrapy.exceptions import NotSupported
from scrapy.http import Response, TextResponse
from w3lib.url import add_or_replace_parameter

from ..extraction.toolkit import (
    Variant,
    absolute_links,
    body_attribute,
    cheapest_variant,
    clean_text,
    html_to_text,
    node_text,
    put,
    select,
    variants_availability,
)
from ..normalize import map_availability, parse_price
from .base import ApiPage, ListingLinks, PartialProduct, Platform

STORE_API_PRODUCTS = "wp-json/wc/store/v1/products"
API_PER_PAGE = 100  # the Store API's maximum

#: WooCommerce's own stock codes: ``stock_status`` values and the ``p.stock`` CSS classes.
_STOCK_CODES: dict[str, str] = {
    "instock": "in_stock",
    "in-stock": "in_stock",
    "outofstock": "out_of_stock",
    "out-of-stock": "out_of_stock",
    "onbackorder": "backorder",
    "available-on-backorder": "backorder",
}
#: What WooCommerce prints for a variable product without a SKU ("N/A" in its translations).
_NO_SKU = {"n/a", "μ/δ", "δ/υ", "n.a.", "-", ""}
#: What a malformed or non-text page can raise while we read it: we then return what we have.
_PAGE_ERRORS = (AttributeError, ValueError, TypeError, KeyError, NotSupported)


@lru_cache(maxsize=256)
def _stock_classes(availability_html: str) -> str | None:
    """The class of a variation's stock line. Variations repeat the same few lines ("In stock",
    "Out of stock"): each is parsed once, not once per variation."""
    return Selector(text=availability_html).css("p.stock::attr(class)").get()


def _stock_code(value: str | None) -> str | None:
    """An availability enum from WooCommerce stock classes/codes, else from its wording."""
    if not value:
        return None
    for token in value.split():
        if token in _STOCK_CODES:
            return _STOCK_CODES[token]
    return map_availability(value)


def _minor_to_decimal(value: Any, minor_unit: int) -> Decimal | None:
    try:
        return Decimal(int(str(value))).scaleb(-minor_unit)
    except (ValueError, TypeError, InvalidOperation):
        return None


class WooCommercePlatform(Platform):
    name: ClassVar[str] = "woocommerce"

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        signals: list[int] = []
        try:
            generator = " ".join(select(response, 'meta[name="generator"]::attr(content)').getall())
            text = response.text
            body_class = body_attribute(response, "class") or ""
        except _PAGE_ERRORS:  # not an HTML response
            return 0
        if "WooCommerce" in generator:
            signals.append(95)
        if "/wp-content/plugins/woocommerce/" in text:
            signals.append(85)
        if re.search(r"\bwoocommerce(-page|-no-js|-js|-active)?\b", body_class):
            signals.append(70)
        if "wc-ajax=" in text or "wc_add_to_cart_params" in text or "woocommerce_params" in text:
            signals.append(60)
        links = b", ".join(response.headers.getlist(b"Link")).decode("latin-1")
        if "api.w.org" in links or 'rel="https://api.w.org/"' in text:
            signals.append(20)  # WordPress: a WooCommerce shop is very likely, not certain
        if not signals:
            return 0
        return min(100, max(signals) + 5 * (len(signals) - 1))

    # --- Store API --------------------------------------------------------------------

    def api_requests(self) -> list[Request]:
        url = f"{self.base_url}{STORE_API_PRODUCTS}?page=1&per_page={API_PER_PAGE}"
        return [Request(url, headers={"Accept": "application/json"}, meta={"wc_store_api_page": 1})]

    def parse_api(self, response: Response) -> ApiPage:
        try:
            data = json.loads(response.body.decode(getattr(response, "encoding", None) or "utf-8"))
        except (ValueError, UnicodeDecodeError):
            return ApiPage()
        if not isinstance(data, list):
            return ApiPage()  # an error object ({"code": ..., "message": ...})
        products = [p for p in (self._api_product(item) for item in data if isinstance(item, dict)) if p]
        return ApiPage(products=products, next_requests=self._next_api_request(response, len(data)))

    def _next_api_request(self, response: Response, count: int) -> list[Request]:
        query = dict(parse_qsl(urlsplit(response.url).query))
        try:
            page = int(query.get("page") or 1)
            per_page = int(query.get("per_page") or 10)
        except ValueError:
            return []
        total_pages_header = response.headers.get(b"X-WP-TotalPages")
        if total_pages_header is not None:
            try:
                has_next = page < int(total_pages_header)
            except ValueError:
                has_next = count >= per_page
        else:  # a cache or proxy dropped the header: go on while pages come back full
            has_next = count >= per_page
        if not has_next or count == 0:
            return []
        url = add_or_replace_parameter(response.url, "page", str(page + 1))
        return [Request(url, headers={"Accept": "application/json"}, meta={"wc_store_api_page": page + 1})]

    def _api_product(self, item: dict[str, Any]) -> PartialProduct:
        url = item.get("permalink")
        product_id = item.get("id")
        if not url or product_id is None or item.get("type") == "variation":
            return {}
        product: PartialProduct = {"product_id": str(product_id), "url": url}
        name = html.unescape(clean_text(str(item.get("name") or "")))
        if name:
            product["name"] = name
        if item.get("sku"):
            product["sku"] = html.unescape(str(item["sku"]))
        product.update(self._api_prices(item))
        availability = self._api_availability(item)
        if availability:
            product["availability"] = availability
        # One line per block of the description.
        description = html_to_text(item.get("description"), "\n") or html_to_text(item.get("short_description"), "\n")
        put(product, "description", description)
        categories = [c for c in item.get("categories") or [] if isinstance(c, dict) and c.get("name")]
        if len(categories) == 1:  # with several, the API can't tell which one is the primary
            product["category"] = html.unescape(categories[0]["name"])
        brands = [b for b in item.get("brands") or [] if isinstance(b, dict) and b.get("name")]
        if brands:
            product["brand"] = html.unescape(brands[0]["name"])
        images = [img["src"] for img in item.get("images") or [] if isinstance(img, dict) and img.get("src")]
        if images:
            product["images"] = images
            product["main_image"] = images[0]
        attributes = {
            html.unescape(a["name"]): ", ".join(html.unescape(str(t.get("name", ""))) for t in a.get("terms") or [])
            for a in item.get("attributes") or []
            if isinstance(a, dict) and a.get("name") and not a.get("has_variations")
        }
        if attributes:
            product["attributes"] = attributes
        return product

    def _api_prices(self, item: dict[str, Any]) -> PartialProduct:
        prices = item.get("prices")
        if not isinstance(prices, dict):
            return {}
        try:
            minor_unit = int(prices.get("currency_minor_unit", 2))
        except (TypeError, ValueError):
            minor_unit = 2
        out: PartialProduct = {}
        if prices.get("currency_code"):
            out["currency"] = prices["currency_code"]
        price = _minor_to_decimal(prices.get("price"), minor_unit)
        # An empty WooCommerce price comes out as "0" with no price HTML and not purchasable:
        # that is "price on request", not a free product.
        if price is None or (price == 0 and (not item.get("price_html") or item.get("is_purchasable") is False)):
            return out
        out["price"] = parse_price(price, out.get("currency") or self.currency).amount
        regular = _minor_to_decimal(prices.get("regular_price"), minor_unit)
        if item.get("on_sale") and regular is not None and regular > price:
            out["regular_price"] = parse_price(regular, out.get("currency") or self.currency).amount
        return out

    @staticmethod
    def _api_availability(item: dict[str, Any]) -> str | None:
        if item.get("is_on_backorder"):
            return "backorder"
        stock = item.get("stock_availability")
        from_class = _stock_code(stock.get("class")) if isinstance(stock, dict) else None
        if from_class:
            return from_class
        if isinstance(item.get("is_in_stock"), bool):
            return "in_stock" if item["is_in_stock"] else "out_of_stock"
        return None

    # --- product pages ----------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        path = urlsplit(url).path
        if re.search(r"/product/[^/]+/?$", path):
            return True
        if re.search(r"/(product-category|product-tag|product_cat|wp-content|wp-json|wp-admin|feed)/", path):
            return False
        if re.search(r"/shop/(page/\d+/?)?$", path) or path.endswith(".xml"):
            return False
        return None

    def is_product_page(self, response: TextResponse) -> bool | None:
        try:
            body_class = (body_attribute(response, "class") or "").split()
        except _PAGE_ERRORS:
            return None
        if "single-product" in body_class or select(response, "h1.product_title, div.summary.entry-summary"):
            return True
        if {"woocommerce", "woocommerce-page", "woocommerce-no-js", "woocommerce-js"} & set(body_class):
            return False
        return None

    def extract_product(self, response: TextResponse) -> PartialProduct:
        try:
            return self._extract_product(response)
        except _PAGE_ERRORS:
            return {}

    def _extract_product(self, response: TextResponse) -> PartialProduct:
        product: PartialProduct = {}
        put(product, "product_id", self._page_product_id(response))
        put(product, "name", node_text(select(response, "h1.product_title")))
        summary = select(response, "div.summary") or select(response, "div.product")
        sku = clean_text(summary.css(".product_meta .sku::text").get())
        if sku.lower() not in _NO_SKU:
            product["sku"] = sku
        variants = self._variants(response)
        put(product, "variants", variants)
        product.update(self._page_price(summary, variants))
        put(product, "availability", self._page_availability(summary, variants))
        # The tab starts with its own heading ("Description"): everything after it is the text.
        blocks = (
            select(response, "#tab-description").xpath("./*[not(self::h2 and not(preceding-sibling::h2))]").getall()
        )
        put(product, "description", html_to_text("".join(blocks), "\n"))
        put(product, "attributes", self._attributes(response))
        crumbs = [node_text(a) for a in select(response, "nav.woocommerce-breadcrumb a")]
        crumbs = [c for c in crumbs[1:] if c]  # the first link is the home page
        if crumbs:
            product["breadcrumbs"] = crumbs
            product["category"] = crumbs[-1]
        images = self._images(response)
        if images:
            product["images"] = images
            product["main_image"] = images[0]
        return product

    @staticmethod
    def _page_product_id(response: TextResponse) -> str | None:
        candidates = [
            select(response, "form.variations_form::attr(data-product_id)").get(),
            select(response, 'form.cart [name="add-to-cart"]::attr(value)').get(),
        ]
        body_class = body_attribute(response, "class") or ""
        match = re.search(r"\bpostid-(\d+)\b", body_class)
        candidates.append(match.group(1) if match else None)
        candidates.append(select(response, 'div.product[id^="product-"]::attr(id)').re_first(r"product-(\d+)"))
        candidates.append(select(response, 'link[rel="shortlink"]::attr(href)').re_first(r"[?&]p=(\d+)"))
        return next((c.strip() for c in candidates if c and c.strip().isdigit()), None)

    def _page_price(self, summary: SelectorList, variants: list[Variant]) -> PartialProduct:
        cheapest = cheapest_variant(variants)
        if cheapest is not None:  # a variable product costs what its cheapest variation costs
            out: PartialProduct = {"price": cheapest["price"], "currency": self.currency}
            put(out, "regular_price", cheapest.get("regular_price"))
            return out
        price_box = summary.css("p.price")[:1]
        # On sale: the <ins> price; a range ("4,50 € – 6,00 €"): its first, lowest amount.
        current = price_box.css("ins .amount") or price_box.css(".amount")
        if not current:
            return {}  # an empty price: "price on request"
        price = parse_price(node_text(current[0]), self.currency)
        if price.amount is None:
            return {}
        out = {"price": price.amount, "currency": price.currency or self.currency}
        struck = price_box.css("del .amount")
        if struck:
            regular = parse_price(node_text(struck[0]), self.currency).amount
            if regular is not None and regular > price.amount:
                out["regular_price"] = regular
        return out

    @staticmethod
    def _page_availability(summary: SelectorList, variants: list[Variant]) -> str | None:
        stock = summary.css("p.stock")[:1]
        if stock:
            found = _stock_code(stock.attrib.get("class")) or map_availability(clean_text(stock.css("::text").get()))
            if found:
                return found
        if found := variants_availability(variants):
            return found
        if summary.css('form.cart [name="add-to-cart"]'):
            return "in_stock"  # unmanaged stock: no stock line, but it can be bought
        return None

    def _variants(self, response: TextResponse) -> list[Variant]:
        form = select(response, "form.variations_form")[:1]
        raw = form.attrib.get("data-product_variations") if form else None
        if not raw or raw == "false":  # "false": too many variations, WooCommerce loads them by AJAX
            return []
        try:
            data = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return []
        if not isinstance(data, list):
            return []
        labels, values = self._option_labels(response, form)
        variants = []
        for entry in data:
            if isinstance(entry, dict):
                variants.append(self._variant(entry, labels, values))
        return variants

    @staticmethod
    def _option_labels(response: TextResponse, form: SelectorList) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
        """Human names of ``attribute_pa_*`` keys and of their term slugs, from the form and the table."""
        labels: dict[str, str] = {}
        values: dict[tuple[str, str], str] = {}
        for dropdown in form.css("table.variations select"):
            key = dropdown.attrib.get("data-attribute_name") or dropdown.attrib.get("name") or ""
            select_id = dropdown.attrib.get("id", "")
            # The id as an XPath variable, not in a selector's text: any id is one query (a quote in
            # it would make the selector invalid).
            label = form.xpath(".//label[@for=$select_id]//text()", select_id=select_id).getall() if select_id else []
            if not label:
                label = dropdown.xpath("ancestor::tr[1]/th//text()").getall()
            if clean_text(" ".join(label)):
                labels[key] = clean_text(" ".join(label))
            for option in dropdown.css("option"):
                slug = option.attrib.get("value", "")
                if slug:
                    values[(key, slug)] = node_text(option)
        for row in select(response, "table.woocommerce-product-attributes tr"):
            match = re.search(r"--(attribute_[^\s\"]+)", row.attrib.get("class", ""))
            label = node_text(row.css("th"))
            if match and label:
                labels.setdefault(match.group(1), label)
        return labels, values

    def _variant(self, entry: dict[str, Any], labels: dict[str, str], values: dict[tuple[str, str], str]) -> Variant:
        options: dict[str, str] = {}
        for key, slug in (entry.get("attributes") or {}).items():
            if not slug:
                continue  # "any" value for this attribute
            label = labels.get(key) or key.removeprefix("attribute_").removeprefix("pa_").replace("-", " ").title()
            options[label] = values.get((key, slug)) or str(slug)
        price = self._variant_price(entry.get("display_price"))
        regular = self._variant_price(entry.get("display_regular_price"))
        availability = _stock_code(_stock_classes(str(entry.get("availability_html") or "<p></p>")))
        if availability is None and isinstance(entry.get("is_in_stock"), bool):
            availability = "in_stock" if entry["is_in_stock"] else "out_of_stock"
        sku = entry.get("sku")
        return {
            "sku": html.unescape(str(sku)) if sku else None,
            "name": " / ".join(options.values()) or None,
            "options": options,
            "price": price,
            "regular_price": regular if regular is not None and price is not None and regular > price else None,
            "availability": availability,
        }

    def _variant_price(self, value: Any) -> Decimal | None:
        if value is None or value == "" or isinstance(value, bool):
            return None
        return parse_price(value if isinstance(value, (int, Decimal)) else str(value), self.currency).amount

    def _attributes(self, response: TextResponse) -> dict[str, str]:
        """The attribute table, without the attributes the variations are made of."""
        variation_keys = set(select(response, "table.variations select::attr(data-attribute_name)").getall())
        variation_keys |= set(select(response, "table.variations select::attr(name)").getall())
        attributes: dict[str, str] = {}
        for row in select(response, "table.woocommerce-product-attributes tr"):
            match = re.search(r"--(attribute_[^\s\"]+)", row.attrib.get("class", ""))
            if match and match.group(1) in variation_keys:
                continue
            label = node_text(row.css("th"))
            value = node_text(row.css("td"))
            if label and value:
                attributes[label] = value
        return attributes

    @staticmethod
    def _images(response: TextResponse) -> list[str]:
        sources = (
            image.css("img::attr(data-large_image)").get()
            or image.css("a::attr(href)").get()
            or image.css("img::attr(src)").get()
            for image in select(response, ".woocommerce-product-gallery__image")
        )
        return absolute_links(response, sources, skip=())

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        try:
            return self._listing_links(response)
        except _PAGE_ERRORS:
            return None

    def _listing_links(self, response: TextResponse) -> ListingLinks | None:
        product_hrefs = select(
            response,
            "ul.products li.product:not(.product-category) a.woocommerce-LoopProduct-link::attr(href), "
            "ul.products li.product:not(.product-category) > a:first-child::attr(href), "
            "li.wc-block-grid__product a.wc-block-grid__product-link::attr(href), "
            "li.wc-block-product .wp-block-post-title a::attr(href)",
        ).getall()
        next_hrefs = select(
            response,
            "a.next.page-numbers::attr(href), link[rel=next]::attr(href), a.wp-block-query-pagination-next::attr(href)",
        ).getall()
        category_hrefs = select(
            response,
            "li.product-category a::attr(href), ul.product-categories a::attr(href), "
            ".menu-item-object-product_cat > a::attr(href), a[href*='/product-category/']::attr(href)",
        ).getall()
        links = ListingLinks(
            products=absolute_links(response, product_hrefs, skip=("#",), keep=lambda url: "add-to-cart=" not in url),
            next_pages=absolute_links(response, next_hrefs, skip=("#",)),
            categories=absolute_links(response, category_hrefs, skip=("#",)),
        )
        if not (links.products or links.next_pages or links.categories):
            return None
        return links
