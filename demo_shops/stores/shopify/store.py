"""The Shopify store: collections, robots.txt rules, routing (with the ``el/`` Markets prefix) and
Shopify's response headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from markupsafe import Markup

from ...catalog import CATEGORIES, Catalog, DemoProduct
from ...store import DemoRequest, DemoResponse
from .model import (
    COLLECTION_ROUTE,
    LOCALES,
    PAGES,
    POLICIES,
    PRODUCT_ROUTE,
    SHOP_ID,
    SHOP_NAME,
    SITEMAP_PRODUCTS_ROUTE,
    Collection,
    PageContext,
    handleize,
    selected_or_first_available,
    stable_token,
    variants_of,
)
from .pages import DawnPages
from .product_json import ProductJson
from .sitemaps import ShopifySitemaps


class ShopifyStore(DawnPages, ProductJson, ShopifySitemaps):
    platform: ClassVar[str] = "shopify"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.collections: dict[str, Collection] = {"all": Collection("all", "Products", None)}
        self.collections.update(
            {handleize(c.name_en): Collection(handleize(c.name_en), c.name_en, c) for c in CATEGORIES}
        )
        self._handle_of = {c.category.id: c.handle for c in self.collections.values() if c.category}
        self.members: dict[str, list[DemoProduct]] = {handle: [] for handle in self.collections}
        self._position: dict[str, dict[str, int]] = {handle: {} for handle in self.collections}
        for product in catalog.products:
            for handle in self.collections_of(product, include_all=True):
                self._position[handle][product.product_id] = len(self.members[handle])
                self.members[handle].append(product)
        self._by_id_sorted = sorted(catalog.products, key=lambda p: p.numeric_id)
        self._chrome_cache: dict[str, dict[str, Markup]] = {}

    # --- Store interface -----------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return f"products/{product.slug}"

    def robots_disallow(self) -> list[str]:
        """Shopify's default robots.txt rules (relative to the shop root), plus the trap."""
        return [
            "a/downloads/-/*",
            "admin",
            "cart",
            "orders",
            "checkouts/",
            "checkout",
            f"{SHOP_ID}/checkouts",
            f"{SHOP_ID}/orders",
            "carts",
            "account",
            "collections/*sort_by*",
            "*/collections/*sort_by*",
            "collections/*+*",
            "collections/*%2B*",
            "collections/*%2b*",
            "*/collections/*+*",
            "*/collections/*%2B*",
            "*/collections/*%2b*",
            "*/collections/*filter*&*filter*",
            "blogs/*+*",
            "blogs/*%2B*",
            "blogs/*%2b*",
            "*/blogs/*+*",
            "*/blogs/*%2B*",
            "*/blogs/*%2b*",
            "*?*oseid=*",
            "*preview_theme_id*",
            "*preview_script_id*",
            "policies/",
            "*/policies/",
            "*/*?*ls=*&ls=*",
            "*/*?*ls%3D*%3Fls%3D*",
            "*/*?*ls%3d*%3fls%3d*",
            "search",
            "sf_private_access_tokens",
            "apple-app-site-association",
            ".well-known/shopify/monorail",
            "cdn/wpm/*.js",
            "recommendations/products",
            "*/recommendations/products",
            "products/*/recommendations",
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap.xml"]

    def truth(self, product: DemoProduct, store_url: str) -> dict[str, Any]:
        """Shopify keeps SKUs and barcodes on variants only.

        The product-level SKU a crawler can read is the one Dawn's JSON-LD states: that of
        ``selected_or_first_available_variant``; a barcode exists only on a single-variant product.
        """
        truth = super().truth(product, store_url)
        truth["sku"] = selected_or_first_available(variants_of(product)).sku
        truth["gtin"] = product.gtin if not product.variants else None
        return truth

    # --- routing ---------------------------------------------------------------------

    def handle(self, request: DemoRequest) -> DemoResponse:
        locale, path = self._split_locale(request.path)
        ctx = PageContext(request, locale)
        response = self._route(ctx, path)
        response.headers = {**self._headers(request, response), **response.headers}
        return response

    def _route(self, ctx: PageContext, path: str) -> DemoResponse:
        simple: dict[str, Callable[[PageContext], DemoResponse]] = {
            "": self._home,
            "collections": self._collection_list,
            "products.json": self._api_products,
            "products": lambda c: DemoResponse.redirect(c.root + "collections/all"),
            "sitemap.xml": self._sitemap_index,
            "sitemap_collections_1.xml": self._sitemap_collections,
            "sitemap_pages_1.xml": self._sitemap_pages,
            "cart": self._cart,
            "cart.js": self._cart_js,
            "search": self._search,
            "account": lambda c: DemoResponse.redirect(c.root + "account/login", 302),
            "account/login": self._login,
            self.trap_path: lambda c: self._page(c, "Hidden", "Nothing to see here.", meta_robots="noindex,nofollow"),
        }
        if path in simple:
            return simple[path](ctx)
        if match := PRODUCT_ROUTE.match(path):
            return self._product_route(ctx, match["handle"], match["collection"], match["ext"])
        if match := COLLECTION_ROUTE.match(path):
            collection = self.collections.get(match["handle"])
            if collection is None:
                return self._not_found(ctx)
            return self._api_products(ctx, collection) if match["api"] else self._collection(ctx, collection)
        if match := SITEMAP_PRODUCTS_ROUTE.match(path):
            return self._sitemap_products(ctx, int(match["n"]))
        section, _, handle = path.partition("/")
        if section == "pages" and handle in PAGES:
            return self._page(ctx, *PAGES[handle])
        if section == "policies" and handle in POLICIES:
            return self._page(ctx, POLICIES[handle], f"{POLICIES[handle]} of {SHOP_NAME}.")
        return self._not_found(ctx)

    @staticmethod
    def _split_locale(path: str) -> tuple[str, str]:
        first, _, rest = path.partition("/")
        if first in LOCALES[1:]:
            return first, rest
        return LOCALES[0], path

    def _headers(self, request: DemoRequest, response: DemoResponse) -> dict[str, str]:
        headers = {
            "X-ShopId": str(SHOP_ID),
            "X-Sorting-Hat-ShopId": str(SHOP_ID),
            "X-Shopify-Stage": "production",
            "powered-by": "Shopify",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "X-XSS-Protection": "1; mode=block",
            "X-Request-Id": stable_token(request.path, request.query),
            "Vary": "Accept",
            "Server-Timing": "processing;dur=23, db;dur=4, asn;desc=3329, edge;desc=ATH",
        }
        if response.content_type.startswith("text/html"):
            headers["X-Storefront-Renderer-Rendered"] = "1"
            headers["Content-Language"] = "en"
            headers["Link"] = (
                '<https://cdn.shopify.com>; rel="preconnect", <https://cdn.shopify.com>; rel="preconnect"; crossorigin'
            )
        return headers

    # --- collections and products ----------------------------------------------------

    def collections_of(self, product: DemoProduct, include_all: bool = False) -> list[str]:
        """Handles of the collections a product is in (its categories and their parents)."""
        handles = ["all"] if include_all else []
        for category in product.categories:
            for ancestor in category.path():
                handle = self._handle_of[ancestor.id]
                if handle not in handles:
                    handles.append(handle)
        return handles

    def primary_collection(self, product: DemoProduct) -> str:
        return self._handle_of[product.category.id]

    def related(self, product: DemoProduct, count: int = 4) -> list[DemoProduct]:
        """The "You may also like" products: those after this one in its collection (O(1) lookups)."""
        handle = self.primary_collection(product)
        if len(self.members[handle]) <= count:
            handle = "all"
        members = self.members[handle]
        start = self._position[handle][product.product_id]
        return [members[(start + k) % len(members)] for k in range(1, min(count, len(members) - 1) + 1)]
