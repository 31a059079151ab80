"""Magento 2's storefront GraphQL catalog, and reading the JSON Magento writes.

The crawl asks ``products(search: "")`` page by page over GET (cacheable, as Magento
recommends for queries). A shop that disabled GraphQL (404), hides it behind a WAF (403) or
answers with an ``errors`` array gets an empty :class:`ApiPage` and a warning in the log; the
spider then falls back to the sitemap and listing pages (:mod:`~ecommerce_scraper.platforms.magento2`).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response

from ..extraction.toolkit import PartialProduct, Variant, html_to_text, put
from ..normalize import map_availability, parse_price
from .base import ApiPage

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

#: Statuses that reach :meth:`GraphQLCatalog.parse_api` so it can say why the API is out.
API_ERROR_STATUSES = [400, 401, 403, 404, 405, 500, 502, 503]


class GraphQLCatalog:
    """The catalog API half of :class:`~ecommerce_scraper.platforms.magento2.Magento2Platform`."""

    base_url: str
    currency: str

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
        info = as_dict(products.get("page_info"))
        meta = response.request.meta if response.request is not None else {}
        current = as_int(info.get("current_page")) or meta.get("magento2_page", 1)
        total_pages = as_int(info.get("total_pages")) or 0
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
        put(product, "availability", map_availability(item.get("stock_status")))
        put(product, "description", html_to_text(as_dict(item.get("description")).get("html")))
        images = [str(g["url"]) for g in as_list(item.get("media_gallery")) if isinstance(g, dict) and g.get("url")]
        put(product, "images", images)
        product.update(_categories(as_list(item.get("categories"))))
        put(product, "variants", self._api_variants(item))
        return product

    def _prices(self, price_range: Any) -> PartialProduct:
        """price, regular_price (only when on sale) and currency of a ``PriceRange``."""
        minimum = as_dict(as_dict(price_range).get("minimum_price"))
        final = as_dict(minimum.get("final_price"))
        regular = as_dict(minimum.get("regular_price"))
        currency = str(final.get("currency") or self.currency)
        out: PartialProduct = {}
        price = money_of(final.get("value"), currency)
        if price is not None:
            out["price"] = price
            out["currency"] = currency
        regular_price = money_of(regular.get("value"), currency)
        if price is not None and regular_price is not None and regular_price > price:
            out["regular_price"] = regular_price
        return out

    def _api_variants(self, item: dict[str, Any]) -> list[Variant]:
        labels = {
            o.get("attribute_code"): o.get("label") or o.get("attribute_code")
            for o in as_list(item.get("configurable_options"))
            if isinstance(o, dict)
        }
        variants = []
        for variant in as_list(item.get("variants")):
            variant = as_dict(variant)
            child = as_dict(variant.get("product"))
            options = {
                str(labels.get(a.get("code")) or a.get("code")): str(a.get("label"))
                for a in as_list(variant.get("attributes"))
                if isinstance(a, dict) and a.get("label") is not None
            }
            entry: Variant = {"sku": child.get("sku"), "name": " / ".join(options.values()), "options": options}
            prices = self._prices(child.get("price_range"))
            entry["price"] = prices.get("price")
            entry["regular_price"] = prices.get("regular_price")
            entry["availability"] = map_availability(child.get("stock_status"))
            variants.append(entry)
        return variants


# --- JSON helpers -------------------------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``{}``: Magento's JSON is read without trusting its shape."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else ``[]``."""
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    """``value`` as an int, ``None`` when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def money_of(value: Any, currency: str | None) -> Decimal | None:
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
