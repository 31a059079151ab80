"""Magento 2 (Magento Open Source / Adobe Commerce 2.3-2.4) adapter.

Catalog API: the storefront GraphQL endpoint ``/graphql`` that every Magento 2.3+ shop
exposes to guests (PWA Studio and Hyvä checkout rely on it), read by
:mod:`~ecommerce_scraper.platforms.magento2_graphql`. A shop without it falls back to the
sitemap and listing pages, which this module understands.

Product pages: the Luma markup and its descendants (most themes keep it): the add-to-cart
form carries the entity id, ``price-box`` elements carry ``data-price-amount``, and the
configurable product's ``spConfig`` (inline ``text/x-magento-init`` JSON) lists the
children with their prices. Per-child stock is there only when the shop displays
out-of-stock products (Magento 2.4's ``salable`` map); otherwise Magento leaves
out-of-stock children out of ``spConfig``, which is why GraphQL is the better source.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, ClassVar

from scrapy.http import Response, TextResponse

from ..extraction.toolkit import Variant, absolute_links, body_attribute, node_text, put, select
from ..normalize import map_availability
from .base import ListingLinks, PartialProduct, Platform
from .magento2_graphql import PAGE_SIZE, GraphQLCatalog, as_dict, as_int, as_list, money_of

__all__ = ["PAGE_SIZE", "Magento2Platform"]

logger = logging.getLogger(__name__)

#: Labels of the "More information" table that are really the brand or the barcode.
BRAND_LABELS = frozenset({"brand", "manufacturer", "κατασκευαστής", "μάρκα", "εταιρεία"})
GTIN_LABELS = frozenset({"ean", "gtin", "ean13", "barcode", "upc", "isbn"})

_STATIC_PATH = re.compile(r"/static/(?:version\d+/)?(?:frontend|_cache/merged)/")
#: ``static/version<deploy time>/frontend/<Vendor>/<theme>/<locale>/``: Magento 2's own layout
#: of deployed theme assets (Luma, Hyvä and every custom theme alike).
_THEME_PATH = re.compile(r"/static/version\d+/frontend/[A-Za-z0-9_]+/[A-Za-z0-9_-]+/[a-z]{2}_[A-Z]{2}/")
_MAGENTO_MODULE = re.compile(r"\bMagento_[A-Z][A-Za-z]+/")
_MAGENTO_COOKIES = (
    "mage-cache-sessid",
    "mage-cache-storage",
    "x-magento-vary",
    "mage-messages",
    "private_content_version",
)


class Magento2Platform(GraphQLCatalog, Platform):
    name: ClassVar[str] = "magento2"

    # --- detection ----------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        score = 0
        text = response.text if isinstance(response, TextResponse) else ""
        if "text/x-magento-init" in text:
            score += 50
        if _THEME_PATH.search(text):
            score += 50
        elif _STATIC_PATH.search(text):
            score += 30
        if "customer/section/load" in text:
            score += 20
        if _MAGENTO_MODULE.search(text):
            score += 20
        if "data-mage-init" in text:
            score += 15
        if "requirejs/require.js" in text or "mage/cookies" in text:
            score += 10
        score += cls._header_score(response)
        return min(score, 100)

    @staticmethod
    def _header_score(response: Response) -> int:
        names = [name.decode("latin-1").lower() for name in response.headers]
        score = 50 if any(name.startswith("x-magento-") for name in names) else 0
        cookies = " ".join(c.decode("latin-1").lower() for c in response.headers.getlist("Set-Cookie"))
        if any(f"{name}=" in cookies for name in _MAGENTO_COOKIES):
            score += 40
        elif "form_key=" in cookies:
            score += 10
        return score

    # --- product pages ------------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        return None  # url_key.html is shared by products, categories and CMS pages

    def is_product_page(self, response: TextResponse) -> bool | None:
        classes = _body_classes(response)
        if "catalog-product-view" in classes:
            return True
        if classes and ("text/x-magento-init" in response.text or any(c.startswith("page-layout-") for c in classes)):
            return False
        return None

    def extract_product(self, response: TextResponse) -> PartialProduct:
        if not self.is_product_page(response):
            return {}
        main = select(response, ".product-info-main") or response
        blocks = _magento_init_blocks(response)  # read once: the gallery and the variants both need them
        product: PartialProduct = {}
        product_id = (
            select(response, "#product_addtocart_form input[name=product]::attr(value)").get()
            or main.css("[data-product-id]::attr(data-product-id)").get()
        )
        if product_id:
            product["product_id"] = product_id.strip()
        put(product, "name", node_text(main.css(".page-title span.base")))
        sku = (
            node_text(main.css(".product.attribute.sku .value"))
            or select(response, "#product_addtocart_form::attr(data-product-sku)").get()
        )
        put(product, "sku", (sku or "").strip())
        product.update(self._page_prices(response, main))
        put(product, "availability", _stock(main))
        put(product, "description", node_text(select(response, ".product.attribute.description .value")))
        put(product, "images", _gallery_images(response, blocks))
        crumbs = [node_text(li) for li in select(response, ".breadcrumbs li.item:not(.home):not(.product)")]
        if any(crumbs):
            product["breadcrumbs"] = [c for c in crumbs if c]
            product["category"] = product["breadcrumbs"][-1]
        product.update(_specs(response))
        put(product, "variants", self._page_variants(response, product.get("currency") or self.currency, blocks))
        return product

    def _page_prices(self, response: TextResponse, main: Any) -> PartialProduct:
        box = main.css(".product-info-price .price-box") or main.css(".price-box")
        currency = (
            select(response, 'meta[property="product:price:currency"]::attr(content)').get()
            or main.css('[itemprop="priceCurrency"]::attr(content)').get()
            or self.currency
        ).strip()
        final = (
            box.css('[data-price-type="finalPrice"]::attr(data-price-amount)').get()
            or box.css('[data-price-type="minPrice"]::attr(data-price-amount)').get()
        )
        old = box.css('[data-price-type="oldPrice"]::attr(data-price-amount)').get()
        out: PartialProduct = {}
        price = money_of(final, currency)
        if price is None:
            return out
        out["price"], out["currency"] = price, currency
        regular = money_of(old, currency)
        if regular is not None and regular > price:
            out["regular_price"] = regular
        return out

    def _page_variants(self, response: TextResponse, currency: str, blocks: list[Any]) -> list[Variant]:
        config = _sp_config(response, blocks)
        if not config:
            return []
        attributes = sorted(
            (a for a in as_dict(config.get("attributes")).values() if isinstance(a, dict)),
            key=lambda a: as_int(a.get("position")) or 0,
        )
        option_labels = {
            (str(a.get("id")), str(o.get("id"))): str(o.get("label"))
            for a in attributes
            for o in as_list(a.get("options"))
            if isinstance(o, dict)
        }
        prices = as_dict(config.get("optionPrices"))
        skus = as_dict(config.get("sku")) or as_dict(config.get("skus"))
        in_stock = _salable_children(config)
        variants = []
        for child_id, choice in as_dict(config.get("index")).items():
            if not isinstance(choice, dict):
                continue
            options = {
                str(a.get("label")): option_labels.get((str(a.get("id")), str(choice.get(str(a.get("id"))))), "")
                for a in attributes
            }
            child_prices = as_dict(prices.get(child_id))
            price = money_of(as_dict(child_prices.get("finalPrice")).get("amount"), currency)
            regular = money_of(as_dict(child_prices.get("oldPrice")).get("amount"), currency)
            variant: Variant = {
                "name": " / ".join(options.values()),
                "options": options,
                "price": price,
                "regular_price": regular if regular is not None and price is not None and regular > price else None,
                "availability": ("in_stock" if child_id in in_stock else "out_of_stock")
                if in_stock is not None
                else None,
            }
            if skus.get(child_id):
                variant["sku"] = str(skus[child_id])
            variants.append(variant)
        return variants

    # --- listings -----------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        if not (select(response, ".product-item-link") or select(response, "nav.navigation")):
            return None
        main = select(response, ".column.main") or response
        product_links = main.xpath(
            ".//a[contains(concat(' ', normalize-space(@class), ' '), ' product-item-link ')]"
            "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' related ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' upsell ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' crosssell ')])]/@href"
        ).getall()
        pages = (
            select(response, ".pages-item-next a::attr(href)").getall()
            + select(response, ".pages .items a.page::attr(href)").getall()
        )
        categories = select(response, "nav.navigation a::attr(href)").getall()
        return ListingLinks(
            products=absolute_links(response, product_links),
            next_pages=absolute_links(response, pages),
            categories=absolute_links(response, categories),
        )


# --- helpers ------------------------------------------------------------------------------


def _body_classes(response: TextResponse) -> list[str]:
    return (body_attribute(response, "class") or "").split()


def _stock(main: Any) -> str | None:
    stock = main.css(".product-info-stock-sku .stock") or main.css(".stock")
    if not stock:
        return None
    classes = (stock[0].attrib.get("class") or "").split()
    if "unavailable" in classes:
        return "out_of_stock"
    if "available" in classes:
        return "in_stock"
    return map_availability(node_text(stock[0]))


def _specs(response: TextResponse) -> PartialProduct:
    """The "More information" table: brand and barcode where the shop shows them, the rest as attributes."""
    out: PartialProduct = {}
    attributes: dict[str, str] = {}
    for row in select(response, "#product-attribute-specs-table tr"):
        label, value = node_text(row.css("th")), node_text(row.css("td"))
        if not label or not value:
            continue
        key = label.lower().rstrip(":")
        if key in BRAND_LABELS:
            out["brand"] = value
        elif key in GTIN_LABELS:
            out["gtin"] = value
        else:
            attributes[label] = value
    if attributes:
        out["attributes"] = attributes
    return out


def _magento_init_blocks(response: TextResponse) -> list[Any]:
    blocks = []
    for script in response.xpath('//script[@type="text/x-magento-init"]/text()').getall():
        try:
            blocks.append(json.loads(script))
        except ValueError:
            continue
    return blocks


def _find_key(data: Any, keys: tuple[str, ...]) -> Any:
    """The first value under one of ``keys`` anywhere in nested JSON."""
    stack = [data]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            for key in keys:
                if isinstance(node.get(key), dict):
                    return node[key]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _sp_config(response: TextResponse, blocks: list[Any]) -> dict[str, Any] | None:
    """The configurable product's ``spConfig`` (or the swatch renderer's ``jsonConfig``), from the
    page's ``x-magento-init`` blocks."""
    if "spConfig" not in response.text and "jsonConfig" not in response.text:
        return None
    for block in blocks:
        config = _find_key(block, ("spConfig", "jsonConfig"))
        if isinstance(config, dict) and isinstance(config.get("index"), dict):
            return config
    return None


def _salable_children(config: dict[str, Any]) -> set[str] | None:
    """Children in stock; None when ``spConfig`` doesn't say.

    Magento 2.4 with "Display Out of Stock Products" lists every child and adds a
    ``salable`` map (attribute -> option -> in-stock children); without that setting it
    lists only salable children (so every listed child is in stock). 2.2/2.3 had a
    ``stockStatus`` map instead.
    """
    if config.get("canDisplayShowOutOfStockStatus"):
        salable = config.get("salable")
        if not isinstance(salable, dict):
            return set()
        return {
            str(child)
            for options in salable.values()
            if isinstance(options, dict)
            for children in options.values()
            if isinstance(children, list)
            for child in children
        }
    stock_status = config.get("stockStatus")
    if isinstance(stock_status, dict):
        return {str(child) for child, status in stock_status.items() if _is_true(status)}
    return {str(child) for child in as_dict(config.get("index"))}


def _is_true(status: Any) -> bool:
    if isinstance(status, list):
        status = status[0] if status else 0
    return str(status).strip() in ("1", "true", "True")


def _gallery_images(response: TextResponse, blocks: list[Any]) -> list[str]:
    images: list[str] = []
    for block in blocks:
        gallery = _find_key(block, ("mage/gallery/gallery",))
        if isinstance(gallery, dict):
            images += [
                str(entry.get("full") or entry.get("img"))
                for entry in gallery.get("data") or []
                if isinstance(entry, dict) and (entry.get("full") or entry.get("img"))
            ]
    if not images:
        placeholder = select(response, ".gallery-placeholder__image::attr(src)").get()
        images = [placeholder] if placeholder else []
    return absolute_links(response, images, skip=())
