"""Magento 2 (Magento Open Source / Adobe Commerce 2.3-2.4) adapter.

Catalog API: the storefront GraphQL endpoint ``/graphql`` that every Magento 2.3+ shop
exposes to guests (PWA Studio and Hyvä checkout rely on it). The crawl asks
``products(search: "")`` page by page over GET (cacheable, as Magento recommends for
queries). A shop that disabled GraphQL (404), hides it behind a WAF (403) or answers with
an ``errors`` array gets an empty :class:`ApiPage` and a warning in the log; the spider
then falls back to the sitemap and listing pages, which this adapter also understands.

Product pages: the Luma markup and its descendants (most themes keep it): the add-to-cart
form carries the entity id, ``price-box`` elements carry ``data-price-amount``, and the
configurable product's ``spConfig`` (inline ``text/x-magento-init`` JSON) lists the
children with their prices. Per-child stock is there only when the shop displays
out-of-stock products (Magento 2.4's ``salable`` map); otherwise Magento leaves
out-of-stock children out of ``spConfig``, which is why GraphQL is the better source.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import urlencode

from parsel import Selector
from scrapy import Request
from scrapy.http import Response, TextResponse

from ..normalize import map_availability, parse_price
from .base import ApiPage, ListingLinks, PartialProduct, Platform

logger = logging.getLogger(__name__)

#: Products per GraphQL page: large pages mean few requests, and Magento has no hard cap.
PAGE_SIZE = 100

_PRODUCTS_QUERY_TEXT = """
query CatalogPage($pageSize: Int!, $currentPage: Int!) {
  products(search: "", pageSize: $pageSize, currentPage: $currentPage) {
    total_count
    page_info { current_page page_size total_pages }
    items {
      __typename id uid sku name url_key url_suffix stock_status
      description { html }
      categories { name url_path }
      media_gallery { url }
      price_range { minimum_price { ...Price } }
      ... on ConfigurableProduct {
        configurable_options { attribute_code label values { value_index label } }
        variants {
          attributes { code label value_index }
          product { sku stock_status price_range { minimum_price { ...Price } } }
        }
      }
    }
  }
}
fragment Price on ProductPrice {
  regular_price { value currency }
  final_price { value currency }
}
"""
#: Whitespace collapsed: the query travels in the URL of a GET request.
PRODUCTS_QUERY = " ".join(_PRODUCTS_QUERY_TEXT.split())

#: Statuses that reach :meth:`Magento2Platform.parse_api` so it can say why the API is out.
API_ERROR_STATUSES = [400, 401, 403, 404, 405, 500, 502, 503]

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


class Magento2Platform(Platform):
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

    # --- catalog API --------------------------------------------------------------------

    @property
    def graphql_url(self) -> str:
        return self.base_url + "graphql"

    def api_requests(self) -> list[Request]:
        return [self.graphql_request(1)]

    def graphql_request(self, page: int) -> Request:
        variables = json.dumps({"pageSize": PAGE_SIZE, "currentPage": page}, separators=(",", ":"))
        url = f"{self.graphql_url}?{urlencode({'query': PRODUCTS_QUERY, 'variables': variables})}"
        return Request(
            url,
            headers={"Accept": "application/json"},
            meta={"magento2_page": page, "handle_httpstatus_list": API_ERROR_STATUSES},
        )

    def parse_api(self, response: Response) -> ApiPage:
        products = self._graphql_products(response)
        if products is None:
            return ApiPage()
        page = ApiPage()
        items = products.get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and (product := self.api_product(item)):
                page.products.append(product)
        info = _dict(products.get("page_info"))
        meta = response.request.meta if response.request is not None else {}
        current = _int(info.get("current_page")) or meta.get("magento2_page", 1)
        total_pages = _int(info.get("total_pages")) or 0
        if current < total_pages and page.products:
            page.next_requests.append(self.graphql_request(current + 1))
        return page

    def _graphql_products(self, response: Response) -> dict[str, Any] | None:
        """``data.products`` of a GraphQL answer, or None (logged) when there is none."""
        if response.status != 200:
            logger.warning(
                "magento2: GraphQL at %s answered HTTP %s (disabled or blocked?); no catalog API",
                response.url.split("?")[0],
                response.status,
            )
            return None
        try:
            body = json.loads(response.body)
        except ValueError:
            logger.warning("magento2: GraphQL at %s did not answer JSON; no catalog API", response.url.split("?")[0])
            return None
        if not isinstance(body, dict):
            return None
        errors = body.get("errors") or []
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        products = data.get("products") if isinstance(data, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict))
            logger.warning("magento2: GraphQL at %s answered errors: %s", response.url.split("?")[0], messages)
        return products if isinstance(products, dict) else None

    def api_product(self, item: dict[str, Any]) -> PartialProduct:
        """One ``ProductInterface`` item as a partial product ({} without id or URL key)."""
        try:
            return self._api_product(item)
        except (TypeError, AttributeError, ValueError):  # a field of an unexpected shape
            logger.debug("magento2: unreadable GraphQL product %r", item.get("sku"), exc_info=True)
            return {}

    def _api_product(self, item: dict[str, Any]) -> PartialProduct:
        product_id = _entity_id(item)
        url_key = item.get("url_key")
        if not product_id or not url_key:
            return {}
        suffix = item.get("url_suffix", ".html")  # null: the shop has no suffix
        product: PartialProduct = {
            "product_id": product_id,
            "url": self.base_url + str(url_key) + (suffix or ""),
        }
        for key in ("name", "sku"):
            if item.get(key):
                product[key] = str(item[key])
        product.update(self._prices(item.get("price_range")))
        availability = map_availability(item.get("stock_status"))
        if availability:
            product["availability"] = availability
        description = _html_text(_dict(item.get("description")).get("html"))
        if description:
            product["description"] = description
        images = [str(g["url"]) for g in _list(item.get("media_gallery")) if isinstance(g, dict) and g.get("url")]
        if images:
            product["images"] = images
        product.update(_categories(_list(item.get("categories"))))
        variants = self._api_variants(item)
        if variants:
            product["variants"] = variants
        return product

    def _prices(self, price_range: Any) -> PartialProduct:
        """price, regular_price (only when on sale) and currency of a ``PriceRange``."""
        minimum = _dict(_dict(price_range).get("minimum_price"))
        final = _dict(minimum.get("final_price"))
        regular = _dict(minimum.get("regular_price"))
        currency = str(final.get("currency") or self.currency)
        out: PartialProduct = {}
        price = _money(final.get("value"), currency)
        if price is not None:
            out["price"] = price
            out["currency"] = currency
        regular_price = _money(regular.get("value"), currency)
        if price is not None and regular_price is not None and regular_price > price:
            out["regular_price"] = regular_price
        return out

    def _api_variants(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        labels = {
            o.get("attribute_code"): o.get("label") or o.get("attribute_code")
            for o in _list(item.get("configurable_options"))
            if isinstance(o, dict)
        }
        variants = []
        for variant in _list(item.get("variants")):
            variant = _dict(variant)
            child = _dict(variant.get("product"))
            options = {
                str(labels.get(a.get("code")) or a.get("code")): str(a.get("label"))
                for a in _list(variant.get("attributes"))
                if isinstance(a, dict) and a.get("label") is not None
            }
            entry: dict[str, Any] = {"sku": child.get("sku"), "name": " / ".join(options.values()), "options": options}
            prices = self._prices(child.get("price_range"))
            entry["price"] = prices.get("price")
            entry["regular_price"] = prices.get("regular_price")
            entry["availability"] = map_availability(child.get("stock_status"))
            variants.append(entry)
        return variants

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
        main = response.css(".product-info-main") or response
        product: PartialProduct = {}
        product_id = (
            response.css("#product_addtocart_form input[name=product]::attr(value)").get()
            or main.css("[data-product-id]::attr(data-product-id)").get()
        )
        if product_id:
            product["product_id"] = product_id.strip()
        name = _text(main.css(".page-title span.base"))
        if name:
            product["name"] = name
        sku = (
            _text(main.css(".product.attribute.sku .value"))
            or response.css("#product_addtocart_form::attr(data-product-sku)").get()
        )
        if sku:
            product["sku"] = sku.strip()
        product.update(self._page_prices(response, main))
        availability = _stock(main)
        if availability:
            product["availability"] = availability
        description = _text(response.css(".product.attribute.description .value"))
        if description:
            product["description"] = description
        images = _gallery_images(response)
        if images:
            product["images"] = images
        crumbs = [_text(li) for li in response.css(".breadcrumbs li.item:not(.home):not(.product)")]
        if any(crumbs):
            product["breadcrumbs"] = [c for c in crumbs if c]
            product["category"] = product["breadcrumbs"][-1]
        product.update(_specs(response))
        variants = self._page_variants(response, product.get("currency") or self.currency)
        if variants:
            product["variants"] = variants
        return product

    def _page_prices(self, response: TextResponse, main: Any) -> PartialProduct:
        box = main.css(".product-info-price .price-box") or main.css(".price-box")
        currency = (
            response.css('meta[property="product:price:currency"]::attr(content)').get()
            or main.css('[itemprop="priceCurrency"]::attr(content)').get()
            or self.currency
        ).strip()
        final = (
            box.css('[data-price-type="finalPrice"]::attr(data-price-amount)').get()
            or box.css('[data-price-type="minPrice"]::attr(data-price-amount)').get()
        )
        old = box.css('[data-price-type="oldPrice"]::attr(data-price-amount)').get()
        out: PartialProduct = {}
        price = _money(final, currency)
        if price is None:
            return out
        out["price"], out["currency"] = price, currency
        regular = _money(old, currency)
        if regular is not None and regular > price:
            out["regular_price"] = regular
        return out

    def _page_variants(self, response: TextResponse, currency: str) -> list[dict[str, Any]]:
        config = _sp_config(response)
        if not config:
            return []
        attributes = sorted(
            (a for a in _dict(config.get("attributes")).values() if isinstance(a, dict)),
            key=lambda a: _int(a.get("position")) or 0,
        )
        option_labels = {
            (str(a.get("id")), str(o.get("id"))): str(o.get("label"))
            for a in attributes
            for o in _list(a.get("options"))
            if isinstance(o, dict)
        }
        prices = _dict(config.get("optionPrices"))
        skus = _dict(config.get("sku")) or _dict(config.get("skus"))
        in_stock = _salable_children(config)
        variants = []
        for child_id, choice in _dict(config.get("index")).items():
            if not isinstance(choice, dict):
                continue
            options = {
                str(a.get("label")): option_labels.get((str(a.get("id")), str(choice.get(str(a.get("id"))))), "")
                for a in attributes
            }
            child_prices = _dict(prices.get(child_id))
            price = _money(_dict(child_prices.get("finalPrice")).get("amount"), currency)
            regular = _money(_dict(child_prices.get("oldPrice")).get("amount"), currency)
            variant: dict[str, Any] = {
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
        if not (response.css(".product-item-link") or response.css("nav.navigation")):
            return None
        main = response.css(".column.main") or response
        product_links = main.xpath(
            ".//a[contains(concat(' ', normalize-space(@class), ' '), ' product-item-link ')]"
            "[not(ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' related ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' upsell ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' crosssell ')])]/@href"
        ).getall()
        pages = (
            response.css(".pages-item-next a::attr(href)").getall()
            + response.css(".pages .items a.page::attr(href)").getall()
        )
        categories = response.css("nav.navigation a::attr(href)").getall()
        return ListingLinks(
            products=_absolute(response, product_links),
            next_pages=_absolute(response, pages),
            categories=_absolute(response, categories),
        )


# --- helpers ------------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _money(value: Any, currency: str | None) -> Decimal | None:
    """A JSON number or ``data-price-amount`` (``8.9``, ``14``) as Decimal, via str (never float math)."""
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return parse_price(amount, currency).amount


def _entity_id(item: dict[str, Any]) -> str | None:
    """The product's entity id: ``id``, or the base64 ``uid`` where ``id`` is gone."""
    if item.get("id") is not None:
        return str(item["id"])
    uid = item.get("uid")
    if not uid:
        return None
    try:
        decoded = base64.b64decode(str(uid), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return str(uid)
    return decoded if decoded.isdigit() else str(uid)


def _html_text(html: Any) -> str:
    if not html or not isinstance(html, str):
        return ""
    texts = Selector(text=f"<div>{html}</div>").xpath("//body//text()[not(ancestor::script or ancestor::style)]")
    return " ".join(" ".join(texts.getall()).split())


def _categories(categories: list[Any]) -> PartialProduct:
    """Leaf category and its path, from ``categories { name url_path }``.

    A product's category list holds parents too; the leaves are the entries no other
    entry's ``url_path`` extends, and the first leaf is taken as the main one.
    """
    entries = [(str(c.get("url_path") or ""), str(c.get("name") or "")) for c in categories if isinstance(c, dict)]
    entries = [(path, name) for path, name in entries if path and name]
    paths = [path for path, _ in entries]
    leaves = [(p, n) for p, n in entries if not any(other.startswith(p + "/") for other in paths)]
    if not leaves:
        return {}
    leaf_path, leaf_name = leaves[0]
    names = dict(entries)
    parts = leaf_path.split("/")
    crumbs = [names.get("/".join(parts[: i + 1])) for i in range(len(parts))]
    return {"category": leaf_name, "breadcrumbs": [c for c in crumbs if c]}


def _body_classes(response: TextResponse) -> list[str]:
    return (response.xpath("//body/@class").get() or "").split()


def _text(selection: Any) -> str:
    return " ".join(" ".join(selection.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall()).split())


def _stock(main: Any) -> str | None:
    stock = main.css(".product-info-stock-sku .stock") or main.css(".stock")
    if not stock:
        return None
    classes = (stock[0].attrib.get("class") or "").split()
    if "unavailable" in classes:
        return "out_of_stock"
    if "available" in classes:
        return "in_stock"
    return map_availability(_text(stock[0]))


def _specs(response: TextResponse) -> PartialProduct:
    """The "More information" table: brand and barcode where the shop shows them, the rest as attributes."""
    out: PartialProduct = {}
    attributes: dict[str, str] = {}
    for row in response.css("#product-attribute-specs-table tr"):
        label, value = _text(row.css("th")), _text(row.css("td"))
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


def _sp_config(response: TextResponse) -> dict[str, Any] | None:
    """The configurable product's ``spConfig`` (or the swatch renderer's ``jsonConfig``)."""
    if "spConfig" not in response.text and "jsonConfig" not in response.text:
        return None
    for block in _magento_init_blocks(response):
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
    return {str(child) for child in _dict(config.get("index"))}


def _is_true(status: Any) -> bool:
    if isinstance(status, list):
        status = status[0] if status else 0
    return str(status).strip() in ("1", "true", "True")


def _gallery_images(response: TextResponse) -> list[str]:
    images: list[str] = []
    for block in _magento_init_blocks(response):
        gallery = _find_key(block, ("mage/gallery/gallery",))
        if isinstance(gallery, dict):
            images += [
                str(entry.get("full") or entry.get("img"))
                for entry in gallery.get("data") or []
                if isinstance(entry, dict) and (entry.get("full") or entry.get("img"))
            ]
    if not images:
        placeholder = response.css(".gallery-placeholder__image::attr(src)").get()
        images = [placeholder] if placeholder else []
    return list(dict.fromkeys(response.urljoin(url) for url in images))


def _absolute(response: TextResponse, hrefs: list[str]) -> list[str]:
    out = []
    for href in hrefs:
        href = href.strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            out.append(response.urljoin(href))
    return list(dict.fromkeys(out))
