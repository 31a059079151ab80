"""The WordPress REST API (``wp-json``, ``?rest_route=``): its index and the WooCommerce Store API's
products and categories, with WordPress's paging headers and error bodies.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ...catalog import Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .layout import WordPressLayout
from .model import (
    API_DEFAULT_PER_PAGE,
    API_MAX_PER_PAGE,
    LOW_STOCK_AMOUNT,
    NO_ROUTE,
    SHOP_NAME,
    SHOP_TAGLINE,
    minor_units,
    product_price_html,
    product_stock,
    short_description,
    wp_slug,
)


class StoreApi(WordPressLayout):
    """The REST API under ``wp-json``: the index, the Store API's products and categories, REST errors."""

    # --- REST API (wp-json) ------------------------------------------------------------

    def _rest(self, request: DemoRequest, route: str) -> DemoResponse:
        route = "/" + route.strip("/")
        if route == "/":
            return self._rest_json(request, self._rest_index(request))
        match = re.fullmatch(r"/wc/store(?:/v1)?(/.*)?", route)
        if match:
            return self._store_api(request, match.group(1) or "/")
        if route.startswith(("/wc/v1", "/wc/v2", "/wc/v3")):
            return self._rest_error(
                request, "woocommerce_rest_cannot_view", "Λυπούμαστε, δεν μπορείτε να δείτε αυτόν τον πόρο.", 401
            )
        return self._rest_error(request, "rest_no_route", NO_ROUTE, 404)

    def _rest_index(self, request: DemoRequest) -> dict[str, Any]:
        namespaces = [
            "oembed/1.0",
            "yoast/v1",
            "wc/store",
            "wc/store/v1",
            "wc/v1",
            "wc/v2",
            "wc/v3",
            "wc-analytics",
            "wp/v2",
            "wp-site-health/v1",
        ]
        base = request.store_url + "wp-json/"
        return {
            "name": SHOP_NAME,
            "description": SHOP_TAGLINE,
            "url": request.store_url.rstrip("/"),
            "home": request.store_url.rstrip("/"),
            "gmt_offset": "2",
            "timezone_string": "Europe/Athens",
            "namespaces": namespaces,
            "authentication": {},
            "routes": {
                "/wc/store/v1/products": {
                    "namespace": "wc/store/v1",
                    "methods": ["GET"],
                    "_links": {"self": [{"href": base + "wc/store/v1/products"}]},
                },
                "/wc/store/v1/products/categories": {
                    "namespace": "wc/store/v1",
                    "methods": ["GET"],
                    "_links": {"self": [{"href": base + "wc/store/v1/products/categories"}]},
                },
            },
            "site_logo": 0,
            "site_icon": 0,
            "_links": {"help": [{"href": "https://developer.wordpress.org/rest-api/"}]},
        }

    def _rest_json(self, request: DemoRequest, data: Any, status: int = 200, **headers: str) -> DemoResponse:
        body = json.dumps(data, separators=(",", ":")).replace("/", "\\/")  # PHP's escaped slashes and \uXXXX
        base_headers = {
            "X-Robots-Tag": "noindex",
            "Link": f'<{request.store_url}wp-json/>; rel="https://api.w.org/"',
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Expose-Headers": "X-WP-Total, X-WP-TotalPages, Link",
            "Access-Control-Allow-Headers": "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
            "Allow": "GET",
        }
        base_headers.update(headers)
        return DemoResponse(body, status, "application/json; charset=UTF-8", base_headers)

    def _rest_error(self, request: DemoRequest, code: str, message: str, status: int, **data: Any) -> DemoResponse:
        return self._rest_json(request, {"code": code, "message": message, "data": {"status": status, **data}}, status)

    def _store_api(self, request: DemoRequest, route: str) -> DemoResponse:
        if route == "/":
            return self._rest_json(request, {"namespace": "wc/store/v1", "routes": {}})
        if route == "/products":
            return self._api_products(request)
        if route == "/products/categories":
            return self._rest_json(request, [self._api_category(request, c) for c in self._categories])
        match = re.fullmatch(r"/products/(\d+)", route)
        if match:
            product = self.catalog.by_id.get(match.group(1))
            if product is None:
                return self._rest_error(request, "woocommerce_rest_product_invalid_id", "Μη έγκυρο ID προϊόντος.", 404)
            return self._rest_json(request, self._api_product(request, product))
        return self._rest_error(request, "rest_no_route", NO_ROUTE, 404)

    def _api_int(self, request: DemoRequest, name: str, default: int, low: int, high: int | None) -> int | str:
        """A validated integer parameter, or the WordPress error message for it."""
        raw = request.arg(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?\d+", raw):
            return f"{name} is not of type integer."
        value = int(raw)
        if value < low or (high is not None and value > high):
            if high is None:
                return f"{name} must be greater than or equal to {low}"
            return f"{name} must be between {low} (inclusive) and {high} (inclusive)"
        return value

    def _api_products(self, request: DemoRequest) -> DemoResponse:
        page = self._api_int(request, "page", 1, 1, None)
        per_page = self._api_int(request, "per_page", API_DEFAULT_PER_PAGE, 1, API_MAX_PER_PAGE)
        for name, value in (("page", page), ("per_page", per_page)):
            if isinstance(value, str):
                return self._rest_error(
                    request, "rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: value}
                )
        assert isinstance(page, int) and isinstance(per_page, int)
        products = self._api_listing(request)
        total = len(products)
        total_pages = -(-total // per_page)
        chunk = products[(page - 1) * per_page : page * per_page]
        links = []
        base = request.store_url + "wp-json/wc/store/v1/products"
        query = {k: v[0] for k, v in request.query.items() if k != "page"}
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, max(total_pages, 1))})}>; rel="prev"')
        if page < total_pages:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(total_pages)}
        response = self._rest_json(request, [self._api_product(request, p) for p in chunk], **headers)
        if links:
            response.headers["Link"] += ", " + ", ".join(links)
        return response

    def _api_listing(self, request: DemoRequest) -> list[DemoProduct]:
        products = self._newest_first  # the Store API's default: orderby=date, order=desc
        category = request.arg("category")
        if category:
            found = self._category_by_slug.get(category) or next(
                (c for c in self._categories if str(c.id) == category), None
            )
            products = [p for p in products if found and found in {c for cat in p.categories for c in cat.path()}]
        orderby, order = request.arg("orderby") or "date", (request.arg("order") or "desc").lower()
        if orderby in ("price", "title", "id"):
            keys: dict[str, Callable[[DemoProduct], Any]] = {
                "price": lambda p: p.price or Decimal(0),
                "title": lambda p: p.name.casefold(),
                "id": lambda p: p.numeric_id,
            }
            products = sorted(products, key=keys[orderby], reverse=order == "desc")
        elif order == "asc":
            products = products[::-1]
        return products

    def _api_category(self, request: DemoRequest, category: Category) -> dict[str, Any]:
        return {
            "id": category.id,
            "name": category.name_el,
            "slug": category.slug,
            "description": "",
            "parent": category.parent.id if category.parent else 0,
            "count": self._counts.get(category.id, 0),
            "image": None,
            "review_count": 0,
            "permalink": self._category_url(request, category),
        }

    def _api_prices(self, product: DemoProduct) -> dict[str, Any]:
        """``prepare_product_price_response``: minor units; variable products give their cheapest variation."""
        prices = [v.price for v in product.variants if v.price is not None]
        if prices:
            price = min(prices)
            regular = min((v.regular_price or v.price) for v in product.variants if v.price is not None)
            price_range = (
                {"min_amount": minor_units(min(prices)), "max_amount": minor_units(max(prices))}
                if min(prices) != max(prices)
                else None
            )
        else:
            price, regular, price_range = product.price, product.regular_price or product.price, None
        return {
            "price": minor_units(price),
            "regular_price": minor_units(regular),
            "sale_price": minor_units(price),
            "price_range": price_range,
            "currency_code": "EUR",
            "currency_symbol": "€",
            "currency_minor_unit": 2,
            "currency_decimal_separator": ",",
            "currency_thousand_separator": ".",
            "currency_prefix": "",
            "currency_suffix": " €",
        }

    def _api_product(self, request: DemoRequest, product: DemoProduct) -> dict[str, Any]:
        """One product of the Store API (``ProductSchema::get_item_response``)."""
        stock = product_stock(product)
        url = self._product_url(request, product)
        variation_attrs = self._variation_attributes(product)
        purchasable = product.price is not None
        kind = "variable" if product.variants else "simple"
        if kind == "variable":
            add_text, add_url = "Επιλογή επιλογών", url
        elif purchasable and stock.is_in_stock:
            add_text, add_url = "Προσθήκη στο καλάθι", f"?add-to-cart={product.numeric_id}"
        else:
            add_text, add_url = "Διαβάστε περισσότερα", url
        low_stock = stock.quantity if stock.quantity is not None and stock.quantity <= LOW_STOCK_AMOUNT else None
        return {
            "id": product.numeric_id,
            "name": html.escape(product.name, quote=False),  # wp_kses_post turns & into &amp;
            "slug": product.slug,
            "parent": 0,
            "type": kind,
            "variation": "",
            "permalink": url,
            "sku": product.sku,
            "short_description": f"<p>{html.escape(short_description(product), quote=False)}</p>\n",
            "description": f"<p>{html.escape(product.description, quote=False)}</p>\n",
            "on_sale": product.on_sale,
            "prices": self._api_prices(product),
            "price_html": str(product_price_html(product)),
            "average_rating": "0",
            "review_count": 0,
            "images": [
                {
                    "id": product.numeric_id * 10 + n,
                    "src": self._image(request, path),
                    "thumbnail": self._image(request, path, "324x324"),
                    "srcset": f"{self._image(request, path)} 800w, {self._image(request, path, '324x324')} 324w",
                    "sizes": "(max-width: 800px) 100vw, 800px",
                    "name": path.rsplit("/", 1)[-1],
                    "alt": "",
                }
                for n, path in enumerate(product.images, start=1)
            ],
            "categories": [
                {"id": c.id, "name": c.name_el, "slug": c.slug, "link": self._category_url(request, c)}
                for c in sorted(product.categories, key=lambda c: c.name_el)
            ],
            "tags": [],
            "attributes": [
                {
                    "id": n,
                    "name": attr["label"],
                    "taxonomy": attr["taxonomy"],
                    "has_variations": True,
                    "terms": [
                        {"id": 100 + i, "name": t["name"], "slug": t["slug"], "default": False}
                        for i, t in enumerate(attr["terms"])
                    ],
                }
                for n, attr in enumerate(variation_attrs, start=1)
            ]
            + [
                {
                    "id": 0,
                    "name": name,
                    "taxonomy": None,
                    "has_variations": False,
                    "terms": [{"id": 0, "name": value, "slug": value}],
                }
                for name, value in product.attributes.items()
            ],
            "variations": [
                {
                    "id": v.variant_id,
                    "attributes": [{"name": k, "value": wp_slug(value)} for k, value in v.options.items()],
                }
                for v in product.variants
            ],
            "grouped_products": [],
            "has_options": kind == "variable",
            "is_purchasable": purchasable,
            "is_in_stock": stock.is_in_stock,
            "is_on_backorder": stock.availability == "backorder",
            "low_stock_remaining": low_stock,
            "stock_availability": {"text": stock.text, "class": stock.css_class},
            "sold_individually": False,
            "add_to_cart": {
                "text": add_text,
                "description": f"Προσθήκη στο καλάθι: “{html.escape(product.name, quote=False)}”",
                "url": add_url,
                "single_text": "Προσθήκη στο καλάθι",
                "minimum": 1,
                "maximum": stock.quantity if stock.quantity is not None else 9999,
                "multiple_of": 1,
            },
            "extensions": {},
        }
