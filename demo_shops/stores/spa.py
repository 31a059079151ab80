"""A JavaScript-only shop imitating Wix Stores (demo site ``manefa``).

Every HTML page is the same small app shell: ``<div id="SITE_CONTAINER">``, a
``<noscript>`` notice, a viewer model (JSON, like Wix's ``wix-viewer-model``) and the
``static/app.js`` bundle. The bundle reads the store's internal JSON API and renders
everything in the browser: menus, product grids, product pages, and the SEO head
(title, meta description, canonical, robots, Open Graph, hreflang, JSON-LD). A plain HTTP
crawler sees no product at all; a browser-driven one waits for
``#SITE_CONTAINER[data-rendered="true"]``.

URLs follow Wix: ``shop`` (``?page=N``), ``category/<slug>``, ``product-page/<slug>``,
``en/...`` for the English alternates. The API (shapes after the Wix Stores catalog API)::

    _api/products?page=N[&category=<slug>]   {"products": [...], "metadata": {...}, "totalResults": N}
    _api/product/<slug>                      {"product": {...}}
    _api/categories                          {"collections": [...]}

Sitemaps are server-side, as on Wix: ``sitemap.xml`` indexes
``store-products-sitemap.xml``, ``store-categories-sitemap.xml`` and ``pages-sitemap.xml``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any, ClassVar

from markupsafe import escape

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct, DemoVariant
from ..store import DemoRequest, DemoResponse, Store, format_price

SHOP_NAME = "Manefa"
PAGE_SIZE = 12
RELATED_COUNT = 4
#: The id Wix gives every store's built-in "All Products" collection.
ALL_PRODUCTS_COLLECTION_ID = "00000000-000000-000000-000000000001"
#: Option names the storefront shows as colour swatches (Wix's ``optionType: "color"``).
_COLOUR_OPTIONS = frozenset({"Χρώμα", "Colour", "Color"})
_SLUG_ROUTE = re.compile(r"^(category|product-page)/([^/]+)$")
_API_PRODUCT = re.compile(r"^_api/product/([^/]+)$")
_SITEMAPS = ("store-products-sitemap.xml", "store-categories-sitemap.xml", "pages-sitemap.xml")


@cache
def _app_bundle() -> str:
    """The storefront bundle, read once (it is served on every page view)."""
    return (files("demo_shops") / "templates" / "spa" / "app.js").read_text(encoding="utf-8")


def _wix_id(kind: str, site: str, own_id: object) -> str:
    """A stable UUID-shaped id, as Wix gives products and variants."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wix-demo:{site}:{kind}:{own_id}"))


def _money(amount: Decimal | None) -> str | None:
    """Prices in the API are decimal strings: exact, unlike the floats Wix itself sends."""
    return None if amount is None else f"{amount:.2f}"


class SpaStore(Store):
    platform: ClassVar[str] = "spa"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        # Listing and related-product lookups must not scan the catalog on each request.
        self._by_category: dict[str, list[DemoProduct]] = {c.slug: catalog.in_category(c) for c in CATEGORIES}
        self._categories: dict[str, Category] = {c.slug: c for c in CATEGORIES}
        self._primary_position: dict[str, int] = {}
        for category in CATEGORIES:
            for position, product in enumerate(self._by_category[category.slug]):
                if product.category is category:
                    self._primary_position[product.slug] = position
        self._lastmod = (date(2025, 1, 1) + timedelta(days=catalog.day - 1)).isoformat()

    # --- Store interface -------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return f"product-page/{product.slug}"

    def product_id(self, product: DemoProduct, store_url: str) -> str:
        """Wix product ids are UUIDs; the rendered JSON-LD shows it as productID/productGroupID."""
        return _wix_id("product", self.site, product.product_id)

    def robots_disallow(self) -> list[str]:
        # Wix's stock robots.txt keeps crawlers out of lightbox overlays and partial renders.
        return ["*?lightbox=", "_partials", self.trap_path]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap.xml"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if request.method not in ("GET", "HEAD"):
            return DemoResponse.not_found()
        if path == "static/app.js":
            # Like Wix's static bundles: cached, so a browser crawling many pages fetches it once.
            headers = {**self._headers(path), "Cache-Control": "public, max-age=86400"}
            return DemoResponse(_app_bundle(), 200, "application/javascript; charset=utf-8", headers)
        if path.startswith("_api/"):
            return self._api(request)
        if path == "sitemap.xml":
            return self._sitemap_index(request)
        if path in _SITEMAPS:
            return self._sitemap(request, path)
        if path == self.trap_path:
            return DemoResponse("<html><body><p>Nothing here.</p></body></html>", 200)
        return self._page(request)

    # --- HTML: the app shell ---------------------------------------------------------

    def _page(self, request: DemoRequest) -> DemoResponse:
        """The shell, with a 404 status where the route names nothing (the JS renders the message)."""
        path = request.path
        language = self.catalog.language
        if path == "en" or path.startswith("en/"):
            path, language = path[3:], "en"
        found = self._route_exists(path, request)
        response = self._shell(request, language)
        response.status = 200 if found else 404
        return response

    def _route_exists(self, path: str, request: DemoRequest) -> bool:
        if path == "":
            return True
        if path == "shop":
            return 1 <= request.int_arg("page", 1) <= self._page_count(len(self.catalog.products))
        match = _SLUG_ROUTE.match(path)
        if match is None:
            return False
        kind, slug = match.groups()
        if kind == "product-page":
            return slug in self.catalog.by_slug
        products = self._by_category.get(slug)
        return products is not None and 1 <= request.int_arg("page", 1) <= self._page_count(len(products))

    def _shell(self, request: DemoRequest, language: str) -> DemoResponse:
        viewer_model = {
            "site": {
                "externalBaseUrl": request.store_url,
                "siteDisplayName": SHOP_NAME,
                "language": self.catalog.language,
                "currency": self.catalog.profile.currency,
            },
            "language": {"userLanguage": language, "siteLanguage": self.catalog.language, "languages": ["el", "en"]},
            "api": {"base": request.store_url + "_api/"},
        }
        # JSON inside <script> is raw text: only "</" could end it early.
        model_json = json.dumps(viewer_model, ensure_ascii=False).replace("</", "<\\/")
        response = self.render(
            "spa/shell.html",
            shop_name=SHOP_NAME,
            html_language=language,
            viewer_model=model_json,
            bundle_url=request.store_url + "static/app.js",
        )
        response.headers.update(self._headers(request.path))
        return response

    @staticmethod
    def _headers(path: str) -> dict[str, str]:
        request_id = hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()[:24]
        return {"x-wix-request-id": request_id, "Cache-Control": "no-cache"}

    # --- JSON API --------------------------------------------------------------------

    def _api(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        headers = self._headers(path)
        if path == "_api/products":
            return self._api_products(request, headers)
        if path == "_api/categories":
            return DemoResponse.json({"collections": self._collections()}, headers=headers)
        match = _API_PRODUCT.match(path)
        product = self.catalog.by_slug.get(match.group(1)) if match else None
        if product is None:
            return DemoResponse.json({"message": "Product not found", "details": {}}, 404, headers)
        return DemoResponse.json({"product": self._product_json(product, request.store_url)}, headers=headers)

    def _api_products(self, request: DemoRequest, headers: dict[str, str]) -> DemoResponse:
        category_slug = request.arg("category")
        if category_slug:
            if category_slug not in self._by_category:
                return DemoResponse.json({"message": "Collection not found", "details": {}}, 404, headers)
            products: list[DemoProduct] | tuple[DemoProduct, ...] = self._by_category[category_slug]
        else:
            products = self.catalog.products
        page = max(1, request.int_arg("page", 1))
        offset = (page - 1) * PAGE_SIZE
        chunk = products[offset : offset + PAGE_SIZE]
        body = {
            "products": [self._summary_json(p, request.store_url) for p in chunk],
            "metadata": {"items": len(chunk), "offset": offset},
            "totalResults": len(products),
            "pagination": {"page": page, "pageSize": PAGE_SIZE, "totalPages": self._page_count(len(products))},
        }
        return DemoResponse.json(body, headers=headers)

    @staticmethod
    def _page_count(total: int) -> int:
        return max(1, -(-total // PAGE_SIZE))

    def _collections(self) -> list[dict[str, Any]]:
        language = self.catalog.language
        collections: list[dict[str, Any]] = [
            {
                "id": ALL_PRODUCTS_COLLECTION_ID,
                "name": "Όλα τα προϊόντα" if language == "el" else "All Products",
                "slug": "all-products",
                "numberOfProducts": len(self.catalog.products),
                "parentSlug": None,
            }
        ]
        for category in CATEGORIES:
            collections.append(
                {
                    "id": _wix_id("collection", self.site, category.id),
                    "name": category.name(language),
                    "slug": category.slug,
                    "numberOfProducts": len(self._by_category[category.slug]),
                    "parentSlug": category.parent.slug if category.parent else None,
                }
            )
        return collections

    def _price_data(self, price: Decimal | None, regular_price: Decimal | None) -> dict[str, Any]:
        """Wix's ``priceData``: ``price`` is the list price, ``discountedPrice`` what one pays."""
        list_price = regular_price if regular_price is not None else price
        language = self.catalog.language
        return {
            "currency": self.catalog.profile.currency,
            "price": _money(list_price),
            "discountedPrice": _money(price),
            "formatted": {
                "price": format_price(list_price, language),
                "discountedPrice": format_price(price, language),
            },
        }

    def _stock_json(self, product: DemoProduct) -> dict[str, Any]:
        in_stock = product.availability == "in_stock"
        status = "IN_STOCK" if in_stock else "OUT_OF_STOCK"
        if in_stock and any(v.availability == "out_of_stock" for v in product.variants):
            status = "PARTIALLY_OUT_OF_STOCK"
        return {"trackInventory": False, "inStock": in_stock, "inventoryStatus": status}

    def _image_json(self, path: str, store_url: str) -> dict[str, Any]:
        return {"image": {"url": store_url + path, "width": 1000, "height": 1000}, "mediaType": "image"}

    def _summary_json(self, product: DemoProduct, store_url: str) -> dict[str, Any]:
        """A product as grids and related-product sliders show it."""
        return {
            "id": self.product_id(product, store_url),
            "name": product.name,
            "slug": product.slug,
            "productType": "physical",
            "productPageUrl": {"base": store_url, "path": self.product_path(product)},
            "priceData": self._price_data(product.price, product.regular_price),
            "stock": self._stock_json(product),
            "ribbon": ("Προσφορά" if self.catalog.language == "el" else "Sale") if product.on_sale else "",
            "media": {"mainMedia": self._image_json(product.images[0], store_url)},
            "hasOptions": bool(product.variants),
        }

    def _product_json(self, product: DemoProduct, store_url: str) -> dict[str, Any]:
        """Everything the product page needs, in one response."""
        language = self.catalog.language
        data = self._summary_json(product, store_url)
        data.update(
            {
                "sku": product.sku,
                "gtin": product.gtin,
                "brand": product.brand,
                "description": f"<p>{escape(product.description)}</p>",
                "media": {
                    "mainMedia": self._image_json(product.images[0], store_url),
                    "items": [self._image_json(path, store_url) for path in product.images],
                },
                "additionalInfoSections": [
                    {"title": name, "description": f"<p>{escape(value)}</p>"}
                    for name, value in product.attributes.items()
                ],
                "categories": [
                    {"name": c.name(language), "slug": c.slug, "url": f"{store_url}category/{c.slug}"}
                    for c in product.category.path()
                ],
                "collectionIds": [_wix_id("collection", self.site, c.id) for c in product.categories],
                "manageVariants": bool(product.variants),
                "productOptions": self._options_json(product.variants),
                "variants": [self._variant_json(v) for v in product.variants],
                "seoData": {
                    "tags": [
                        {"type": "title", "children": f"{product.name} | {SHOP_NAME}"},
                        {"type": "meta", "props": {"name": "description", "content": _snippet(product.description)}},
                    ]
                },
                "relatedProducts": [self._summary_json(p, store_url) for p in self._related(product)],
            }
        )
        return data

    def _options_json(self, variants: tuple[DemoVariant, ...]) -> list[dict[str, Any]]:
        choices: dict[str, dict[str, bool]] = {}  # option name -> choice -> in stock
        for variant in variants:
            for name, value in variant.options.items():
                in_stock = variant.availability == "in_stock"
                option = choices.setdefault(name, {})
                option[value] = option.get(value, False) or in_stock
        return [
            {
                "optionType": "color" if name in _COLOUR_OPTIONS else "drop_down",
                "name": name,
                "choices": [
                    {"value": value, "description": value, "inStock": in_stock, "visible": True}
                    for value, in_stock in option.items()
                ],
            }
            for name, option in choices.items()
        ]

    def _variant_json(self, variant: DemoVariant) -> dict[str, Any]:
        return {
            "id": _wix_id("variant", self.site, variant.variant_id),
            "choices": variant.options,
            "variant": {
                "priceData": self._price_data(variant.price, variant.regular_price),
                "sku": variant.sku,
                "visible": True,
            },
            "stock": {"trackQuantity": False, "inStock": variant.availability == "in_stock"},
        }

    def _related(self, product: DemoProduct) -> list[DemoProduct]:
        """The next few products of the same primary category (wrapping around)."""
        siblings = self._by_category[product.category.slug]
        start = self._primary_position.get(product.slug, 0)
        related = []
        for step in range(1, len(siblings)):
            other = siblings[(start + step) % len(siblings)]
            if other.slug != product.slug:
                related.append(other)
            if len(related) == RELATED_COUNT:
                break
        return related

    # --- sitemaps --------------------------------------------------------------------

    def _sitemap_index(self, request: DemoRequest) -> DemoResponse:
        return self._xml("spa/sitemap_index.xml", sitemaps=[request.store_url + name for name in _SITEMAPS])

    def _sitemap(self, request: DemoRequest, name: str) -> DemoResponse:
        store_url = request.store_url
        entries: list[dict[str, Any]]
        if name == "store-products-sitemap.xml":
            entries = [
                {
                    "loc": store_url + self.product_path(p),
                    "image": store_url + p.images[0],
                    "image_title": p.name,
                }
                for p in self.catalog.products
            ]
        elif name == "store-categories-sitemap.xml":
            entries = [{"loc": f"{store_url}category/{c.slug}"} for c in CATEGORIES if self._by_category[c.slug]]
        else:
            entries = [{"loc": store_url}, {"loc": store_url + "shop"}]
        return self._xml("spa/urlset.xml", entries=entries)

    def _xml(self, template: str, **context: Any) -> DemoResponse:
        rendered = self.render(template, lastmod=self._lastmod, **context)
        return DemoResponse(rendered.body, 200, "application/xml; charset=utf-8")


def _snippet(text: str, limit: int = 160) -> str:
    """A meta description: the text cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
