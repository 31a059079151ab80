"""A Shopify Online Store 2.0 shop running the Dawn theme (sittingknitting).

What a browser or crawler sees on a real Shopify shop, on one loopback path:

* pages: home, ``collections`` (list), ``collections/<handle>?page=N`` (12 per page, Dawn's
  product grid with collection-scoped card links ``collections/<c>/products/<handle>``),
  ``products/<handle>`` (also reachable inside any collection, canonical ``products/<handle>``,
  ``?variant=ID`` selects a variant), ``cart``, ``search``, ``pages/*``, ``policies/*``;
  every path also exists under the ``el/`` Markets locale prefix (untranslated content).
* the public catalog API: ``products.json?limit=L&page=N`` and
  ``collections/<handle>/products.json`` (limit 30 by default, 250 at most, a page past the
  end is ``{"products": []}``); the AJAX ``products/<handle>.js`` (prices in cents) and
  ``products/<handle>.json`` (``{"product": ...}``, prices as strings); ``cart.js``.
* sitemaps: ``sitemap.xml`` index -> ``sitemap_products_1.xml?from=ID&to=ID`` (the shop's home
  URL first, as Shopify does), ``sitemap_collections_1.xml``, ``sitemap_pages_1.xml``;
  robots.txt has Shopify's default rules.
* response headers ``X-ShopId``, ``powered-by: Shopify``, ``X-Shopify-Stage``, ...
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct
from ..store import DemoRequest, DemoResponse, Store, format_price

SHOP_NAME = "Sitting Knitting"
SHOP_ID = 56473829
MYSHOPIFY_DOMAIN = "sittingknitting.myshopify.com"
THEME_ID = 136254210283
SECTION_ID = "template--16872540356843__main"
GRID_SECTION_ID = "template--16872540258539__product-grid"
RELATED_SECTION_ID = "template--16872540356843__related-products"
_404 = "shopify/404.html"
PER_PAGE = 12  # Dawn's "products per page" collection setting
API_DEFAULT_LIMIT = 30
API_MAX_LIMIT = 250
SITEMAP_PRODUCTS_PER_FILE = 5000
LOCALES = ("en", "el")  # Shopify Markets: English primary, Greek under /el/
_TZ = timezone(timedelta(hours=2))
_CREATED_BASE = datetime(2022, 9, 5, 10, 0, tzinfo=_TZ)
_DAY_BASE = datetime(2024, 6, 1, 8, 0, tzinfo=_TZ)

_PRODUCT_ROUTE = re.compile(
    r"^(?:collections/(?P<collection>[^/]+)/)?products/(?P<handle>[^/]+?)(?P<ext>\.js|\.json|\.oembed)?$"
)
_COLLECTION_ROUTE = re.compile(r"^collections/(?P<handle>[^/]+?)(?P<api>/products\.json)?$")
_SITEMAP_PRODUCTS_ROUTE = re.compile(r"^sitemap_products_(?P<n>[1-9][0-9]*)\.xml$")

_PAGES = {
    "about-us": ("About us", "Sitting Knitting is a small yarn shop for knitters and crocheters."),
    "contact": ("Contact", "Write to us at hello@sittingknitting.example or visit the shop."),
    "shipping": ("Shipping", "Orders ship within 2 working days; free shipping over €60."),
}
_POLICIES = {
    "refund-policy": "Refund policy",
    "privacy-policy": "Privacy policy",
    "terms-of-service": "Terms of service",
    "shipping-policy": "Shipping policy",
}
#: sort_by value -> (key, descending)
_SORTS: dict[str, tuple[Callable[[DemoProduct], Any], bool]] = {
    "price-ascending": (lambda p: (p.price or Decimal(0), p.index), False),
    "price-descending": (lambda p: (p.price or Decimal(0), -p.index), True),
    "title-ascending": (lambda p: (p.name.lower(), p.index), False),
    "title-descending": (lambda p: (p.name.lower(), -p.index), True),
    "created-ascending": (lambda p: p.index, False),
    "created-descending": (lambda p: p.index, True),
}


# --- the Shopify view of a demo product ----------------------------------------------


@dataclass(frozen=True)
class ShopifyVariant:
    id: int
    position: int
    title: str  # option values joined with " / ", or "Default Title"
    option_values: tuple[str, ...]
    sku: str
    price: Decimal
    compare_at_price: Decimal | None  # set only while on sale (compare-at > price)
    available: bool
    barcode: str
    grams: int


@dataclass(frozen=True)
class Collection:
    handle: str
    title: str
    category: Category | None  # None: the automatic "all" collection


def variants_of(product: DemoProduct) -> list[ShopifyVariant]:
    """Shopify always has at least one variant: products without options get "Default Title"."""
    grams = _grams(product)
    if not product.variants:
        return [
            ShopifyVariant(
                id=product.numeric_id * 100 + 1,
                position=1,
                title="Default Title",
                option_values=("Default Title",),
                sku=product.sku,
                price=product.price if product.price is not None else Decimal("0.00"),
                compare_at_price=product.regular_price,
                available=product.availability == "in_stock",
                barcode=product.gtin or "",
                grams=grams,
            )
        ]
    return [
        ShopifyVariant(
            id=v.variant_id,
            position=n,
            title=v.name,
            option_values=tuple(v.options.values()),
            sku=v.sku,
            price=v.price if v.price is not None else Decimal("0.00"),
            compare_at_price=v.regular_price,
            available=v.availability == "in_stock",
            barcode="",  # one barcode per product in the catalog: it can't belong to every variant
            grams=grams,
        )
        for n, v in enumerate(product.variants, start=1)
    ]


def option_names(product: DemoProduct) -> list[str]:
    return list(product.variants[0].options) if product.variants else ["Title"]


def selected_or_first_available(variants: list[ShopifyVariant], variant_id: str | None = None) -> ShopifyVariant:
    """Liquid's ``product.selected_or_first_available_variant``."""
    for variant in variants:
        if variant_id and str(variant.id) == variant_id:
            return variant
    return next((v for v in variants if v.available), variants[0])


def _grams(product: DemoProduct) -> int:
    weight = product.attributes.get("Weight") or product.attributes.get("Βάρος") or ""
    digits = re.match(r"\d+", weight)
    return int(digits.group()) if digits else 100


def _cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def _money_string(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _ld_number(amount: Decimal) -> str:
    """``variant.price | divided_by: 100.00 | json``: Liquid prints a float (12.5, 14.0)."""
    text = f"{amount:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _script_json(data: Any, escape_slashes: bool = False) -> Markup:
    """JSON safe inside ``<script>``, escaped the way Shopify's ``json`` filter does."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if escape_slashes:
        text = text.replace("/", "\\/")
    return Markup(text)  # noqa: S704 - JSON with every HTML-special character escaped


def _token(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def _handle(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- the store -------------------------------------------------------------------------


class ShopifyStore(Store):
    platform: ClassVar[str] = "shopify"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.collections: dict[str, Collection] = {"all": Collection("all", "Products", None)}
        self.collections.update({_handle(c.name_en): Collection(_handle(c.name_en), c.name_en, c) for c in CATEGORIES})
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
        ctx = _Context(request, locale)
        response = self._route(ctx, path)
        response.headers = {**self._headers(request, response), **response.headers}
        return response

    def _route(self, ctx: _Context, path: str) -> DemoResponse:
        simple: dict[str, Callable[[_Context], DemoResponse]] = {
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
        if match := _PRODUCT_ROUTE.match(path):
            return self._product_route(ctx, match["handle"], match["collection"], match["ext"])
        if match := _COLLECTION_ROUTE.match(path):
            collection = self.collections.get(match["handle"])
            if collection is None:
                return self._not_found(ctx)
            return self._api_products(ctx, collection) if match["api"] else self._collection(ctx, collection)
        if match := _SITEMAP_PRODUCTS_ROUTE.match(path):
            return self._sitemap_products(ctx, int(match["n"]))
        section, _, handle = path.partition("/")
        if section == "pages" and handle in _PAGES:
            return self._page(ctx, *_PAGES[handle])
        if section == "policies" and handle in _POLICIES:
            return self._page(ctx, _POLICIES[handle], f"{_POLICIES[handle]} of {SHOP_NAME}.")
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
            "X-Request-Id": _token(request.path, request.query),
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

    # --- product JSON shapes ---------------------------------------------------------

    def created_at(self, product: DemoProduct) -> datetime:
        return _CREATED_BASE + timedelta(hours=7 * product.index, minutes=product.index % 60)

    def updated_at(self, product: DemoProduct) -> datetime:
        return _DAY_BASE + timedelta(days=self.catalog.day - 1, minutes=(product.index * 13) % 600)

    def image_url(self, ctx: _Context, path: str, product: DemoProduct) -> str:
        """An absolute image URL with Shopify's cache-busting ``?v=`` version."""
        return f"{ctx.store_url}{path}?v={int(self.created_at(product).timestamp())}"

    def tags(self, product: DemoProduct) -> list[str]:
        return sorted({*(c.name_en for c in product.categories), product.brand, product.kind.capitalize()})

    def storefront_json(self, ctx: _Context, product: DemoProduct) -> dict[str, Any]:
        """One product of ``products.json`` (prices are strings, as Shopify emits them)."""
        variants = variants_of(product)
        created, updated = _iso(self.created_at(product)), _iso(self.updated_at(product))
        names = option_names(product)
        images = [
            {
                "id": product.numeric_id * 10 + n,
                "created_at": created,
                "position": n,
                "updated_at": updated,
                "product_id": product.numeric_id,
                "variant_ids": [],
                "src": self.image_url(ctx, path, product),
                "width": 1200,
                "height": 1200,
            }
            for n, path in enumerate(product.images, start=1)
        ]
        return {
            "id": product.numeric_id,
            "title": product.name,
            "handle": product.slug,
            "body_html": f"<p>{html.escape(product.description, quote=False)}</p>",
            "published_at": created,
            "created_at": created,
            "updated_at": updated,
            "vendor": product.brand,
            "product_type": product.category.name_en,
            "tags": self.tags(product),
            "variants": [
                {
                    "id": v.id,
                    "title": v.title,
                    **_option_fields(v.option_values),
                    "sku": v.sku,
                    "requires_shipping": True,
                    "taxable": True,
                    "featured_image": None,
                    "available": v.available,
                    "price": _money_string(v.price),
                    "grams": v.grams,
                    "compare_at_price": _money_string(v.compare_at_price),
                    "position": v.position,
                    "product_id": product.numeric_id,
                    "created_at": created,
                    "updated_at": updated,
                }
                for v in variants
            ],
            "images": images,
            "options": _options(names, variants),
        }

    def admin_style_json(self, ctx: _Context, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.json``: the older, Admin-API-like shape, prices as strings."""
        data = self.storefront_json(ctx, product)
        for variant, source in zip(data["variants"], variants_of(product), strict=True):
            variant.pop("available")
            variant.pop("featured_image")
            variant.update(
                {
                    "inventory_policy": "deny",
                    "fulfillment_service": "manual",
                    "inventory_management": "shopify",
                    "barcode": source.barcode,
                    "image_id": None,
                    "weight": source.grams / 1000,
                    "weight_unit": "kg",
                    "price_currency": self.catalog.profile.currency,
                    "compare_at_price_currency": "",
                }
            )
        data["tags"] = ", ".join(data["tags"])
        data["template_suffix"] = ""
        data["published_scope"] = "global"
        data["image"] = data["images"][0] if data["images"] else None
        return {"product": data}

    def ajax_json(self, ctx: _Context, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.js`` (and Liquid's ``product | json``): prices in cents."""
        variants = variants_of(product)
        prices = [v.price for v in variants]
        compares = [v.compare_at_price for v in variants if v.compare_at_price is not None]
        # Liquid prints protocol-relative image URLs
        images = ["//" + self.image_url(ctx, p, product).split("://", 1)[-1] for p in product.images]
        return {
            "id": product.numeric_id,
            "title": product.name,
            "handle": product.slug,
            "description": f"<p>{html.escape(product.description, quote=False)}</p>",
            "published_at": _iso(self.created_at(product)),
            "created_at": _iso(self.created_at(product)),
            "vendor": product.brand,
            "type": product.category.name_en,
            "tags": self.tags(product),
            "price": _cents(min(prices)),
            "price_min": _cents(min(prices)),
            "price_max": _cents(max(prices)),
            "available": any(v.available for v in variants),
            "price_varies": len(set(prices)) > 1,
            "compare_at_price": _cents(min(compares)) if compares else None,
            "compare_at_price_min": _cents(min(compares)) if compares else 0,
            "compare_at_price_max": _cents(max(compares)) if compares else 0,
            "compare_at_price_varies": len(set(compares)) > 1,
            "variants": [self.liquid_variant(product, v) for v in variants],
            "images": images,
            "featured_image": images[0] if images else None,
            "options": _options(option_names(product), variants),
            "url": f"{ctx.root}products/{product.slug}",
            "requires_selling_plan": False,
            "selling_plan_groups": [],
        }

    def oembed_json(self, ctx: _Context, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.oembed``, linked from every product page's head."""
        return {
            "product_id": product.slug,
            "title": product.name,
            "description": product.description,
            "brand": product.brand,
            "offers": [
                {
                    "title": v.title,
                    "offer_id": v.id,
                    "sku": v.sku,
                    "price": _money_string(v.price),
                    "currency_code": self.catalog.profile.currency,
                    "in_stock": v.available,
                }
                for v in variants_of(product)
            ],
            "thumbnail_url": "//" + self.image_url(ctx, product.images[0], product).split("://", 1)[-1],
            "url": f"{ctx.store_url}products/{product.slug}",
            "provider": SHOP_NAME,
            "version": "1.0",
            "type": "link",
        }

    def liquid_variant(self, product: DemoProduct, v: ShopifyVariant) -> dict[str, Any]:
        default = v.title == "Default Title"
        return {
            "id": v.id,
            "title": v.title,
            **_option_fields(v.option_values),
            "sku": v.sku,
            "requires_shipping": True,
            "taxable": True,
            "featured_image": None,
            "available": v.available,
            "name": product.name if default else f"{product.name} - {v.title}",
            "public_title": None if default else v.title,
            "options": list(v.option_values),
            "price": _cents(v.price),
            "weight": v.grams,
            "compare_at_price": _cents(v.compare_at_price),
            "inventory_management": "shopify",
            "barcode": v.barcode,
            "requires_selling_plan": False,
            "selling_plan_allocations": [],
            "quantity_rule": {"min": 1, "max": None, "increment": 1},
        }

    # --- page handlers ---------------------------------------------------------------

    def _product_route(self, ctx: _Context, handle: str, collection: str | None, ext: str | None) -> DemoResponse:
        product = self.catalog.by_slug.get(handle)
        if product is None or (collection is not None and collection not in self.collections):
            if ext:
                return DemoResponse.json({"errors": "Not Found"}, status=404)
            return self._not_found(ctx)
        if ext == ".js":
            response = DemoResponse.json(self.ajax_json(ctx, product))
            response.content_type = "text/javascript; charset=utf-8"
            return response
        if ext == ".json":
            return DemoResponse.json(self.admin_style_json(ctx, product))
        if ext == ".oembed":
            return DemoResponse.json(self.oembed_json(ctx, product))
        return self._product_page(ctx, product)

    def _api_products(self, ctx: _Context, collection: Collection | None = None) -> DemoResponse:
        limit = ctx.request.int_arg("limit", API_DEFAULT_LIMIT)
        limit = API_DEFAULT_LIMIT if limit < 1 else min(limit, API_MAX_LIMIT)
        page = max(1, ctx.request.int_arg("page", 1))
        products = self.members[collection.handle] if collection else self.catalog.products
        chunk = products[(page - 1) * limit : page * limit]
        return DemoResponse.json({"products": [self.storefront_json(ctx, p) for p in chunk]})

    def _product_page(self, ctx: _Context, product: DemoProduct) -> DemoResponse:
        variants = variants_of(product)
        selected = selected_or_first_available(variants, ctx.request.arg("variant"))
        names = option_names(product)
        path = self.product_path(product)
        has_only_default = not product.variants
        analytics = {
            "product": {
                "id": product.numeric_id,
                "gid": f"gid://shopify/Product/{product.numeric_id}",
                "vendor": product.brand,
                "type": product.category.name_en,
                "variants": [
                    {
                        "id": v.id,
                        "price": _cents(v.price),
                        "name": product.name if has_only_default else f"{product.name} - {v.title}",
                        "public_title": None if has_only_default else v.title,
                        "sku": v.sku,
                    }
                    for v in variants
                ],
            },
            "page": {"pageType": "product", "resourceType": "product", "resourceId": product.numeric_id},
        }
        related = self.related(product)
        return self._render(
            ctx,
            "shopify/product.html",
            path=path,
            page_type="product",
            analytics_meta=_script_json(analytics, escape_slashes=True),
            title=f"{product.name} – {SHOP_NAME}",
            meta_description=product.description[:160],
            meta_robots="index, follow",  # what the shop's SEO app adds; Dawn itself prints none
            og_type="product",
            og_title=product.name,
            og_description=product.description[:160],
            og_image=self.image_url(ctx, product.images[0], product),
            og_price=f"{min(v.price for v in variants):.2f}",
            product=product,
            variants=variants,
            selected=selected,
            options=_options(names, variants),
            has_only_default=has_only_default,
            variants_json=_script_json([self.liquid_variant(product, v) for v in variants]),
            price_varies=len({v.price for v in variants}) > 1,
            breadcrumbs=[(c.name_en, self._handle_of[c.id]) for c in product.category.path()],
            related=[self._card(ctx, p, "", ref=product) for p in related],
            ld_offers=[
                {
                    "sku": v.sku,
                    "gtin13": v.barcode if len(v.barcode) == 13 else None,
                    "availability": "InStock" if v.available else "OutOfStock",
                    "price": Markup(_ld_number(v.price)),  # noqa: S704 - a number we formatted
                    "url": f"{ctx.store_url}{path}?variant={v.id}",
                }
                for v in variants
            ],
            image_urls=[self.image_url(ctx, p, product) for p in product.images],
        )

    def _collection(self, ctx: _Context, collection: Collection) -> DemoResponse:
        products = self.members[collection.handle]
        sort_by = ctx.request.arg("sort_by") or ""
        if sort_by in _SORTS:
            key, descending = _SORTS[sort_by]
            products = sorted(products, key=key, reverse=descending)
        page = max(1, ctx.request.int_arg("page", 1))
        page_count = max(1, -(-len(products) // PER_PAGE))
        chunk = products[(page - 1) * PER_PAGE : page * PER_PAGE]
        path = f"collections/{collection.handle}"
        query = f"&sort_by={quote(sort_by)}" if sort_by else ""
        return self._render(
            ctx,
            "shopify/collection.html",
            path=path + (f"?page={page}" if page > 1 else ""),
            page_type="collection",
            analytics_meta=_script_json({"page": {"pageType": "collection", "resourceType": "collection"}}),
            title=f"{collection.title} – {SHOP_NAME}" + (f" – Page {page}" if page > 1 else ""),
            meta_description=f"{collection.title} at {SHOP_NAME}: yarns, needles and notions.",
            collection=collection,
            count=len(products),
            cards=[self._card(ctx, p, f"collections/{collection.handle}/") for p in chunk],
            page=page,
            pages=_pagination(page, page_count, f"{ctx.root}{path}?page=", query),
            sort_by=sort_by,
        )

    def _home(self, ctx: _Context) -> DemoResponse:
        featured = self.members["all"][:8]
        return self._render(
            ctx,
            "shopify/index.html",
            path="",
            page_type="home",
            analytics_meta=_script_json({"page": {"pageType": "home"}}),
            title=SHOP_NAME,
            meta_description=f"{SHOP_NAME}: yarns, knitting needles and crochet hooks, shipped from Athens.",
            cards=[self._card(ctx, p, "") for p in featured],
        )

    def _collection_list(self, ctx: _Context) -> DemoResponse:
        return self._render(
            ctx,
            "shopify/list-collections.html",
            path="collections",
            page_type="list-collections",
            analytics_meta=_script_json({"page": {"pageType": "list-collections"}}),
            title=f"Collections – {SHOP_NAME}",
            meta_description=f"All collections of {SHOP_NAME}.",
            entries=[(c, len(self.members[c.handle])) for c in self.collections.values() if c.category],
        )

    def _search(self, ctx: _Context) -> DemoResponse:
        terms = (ctx.request.arg("q") or "").strip().lower()
        found = [p for p in self.catalog.products if terms and terms in p.name.lower()][:PER_PAGE]
        return self._render(
            ctx,
            "shopify/search.html",
            path="search",
            page_type="searchresults",
            analytics_meta=_script_json({"page": {"pageType": "searchresults"}}),
            title=f"Search: {len(found)} results found for “{terms}” – {SHOP_NAME}"
            if terms
            else f"Search – {SHOP_NAME}",
            meta_robots="noindex",
            terms=terms,
            cards=[self._card(ctx, p, "") for p in found],
        )

    def _cart(self, ctx: _Context) -> DemoResponse:
        return self._page(ctx, "Your cart", "Your cart is empty.", template="shopify/cart.html", page_type="cart")

    def _cart_js(self, ctx: _Context) -> DemoResponse:
        return DemoResponse.json(
            {
                "token": _token("cart", ctx.request.headers.get("user-agent", "")),
                "note": None,
                "attributes": {},
                "original_total_price": 0,
                "total_price": 0,
                "total_discount": 0,
                "total_weight": 0.0,
                "item_count": 0,
                "items": [],
                "requires_shipping": False,
                "currency": self.catalog.profile.currency,
                "items_subtotal_price": 0,
                "cart_level_discount_applications": [],
            }
        )

    def _login(self, ctx: _Context) -> DemoResponse:
        return self._page(ctx, "Login", "Sign in to your account.", meta_robots="noindex", page_type="customers/login")

    def _page(
        self,
        ctx: _Context,
        heading: str,
        text: str,
        template: str = "shopify/page.html",
        meta_robots: str | None = None,
        page_type: str = "page",
    ) -> DemoResponse:
        return self._render(
            ctx,
            template,
            path=ctx.path,
            page_type=page_type,
            analytics_meta=_script_json({"page": {"pageType": page_type}}),
            title=f"{heading} – {SHOP_NAME}",
            meta_description=text,
            meta_robots=meta_robots,
            heading=heading,
            text=text,
        )

    def _not_found(self, ctx: _Context) -> DemoResponse:
        response = self._page(ctx, "Page not found", "The page you were looking for does not exist.", _404)
        response.status = 404
        return response

    def _card(self, ctx: _Context, product: DemoProduct, scope: str, ref: DemoProduct | None = None) -> dict[str, Any]:
        """What Dawn's ``card-product`` snippet needs; ``scope`` prefixes the product URL
        (``collections/<c>/`` inside a collection, as ``card_product.url`` does)."""
        variants = variants_of(product)
        prices = [v.price for v in variants]
        compares = [v.compare_at_price for v in variants if v.compare_at_price is not None]
        url = f"{ctx.root}{scope}products/{product.slug}"
        if ref is not None:  # Shopify's product recommendations add tracking parameters
            url += (
                f"?pr_prod_strat=e5_desc&pr_rec_id={_token(ref.product_id, product.product_id)[:9]}"
                f"&pr_rec_pid={product.numeric_id}&pr_ref_pid={ref.numeric_id}&pr_seq=uniform"
            )
        return {
            "product": product,
            "url": url,
            "image": self.image_url(ctx, product.images[0], product),
            "price": min(prices),
            "compare_at_price": min(compares) if compares else None,
            "price_varies": len(set(prices)) > 1,
            "available": any(v.available for v in variants),
        }

    def _render(self, ctx: _Context, template: str, path: str, **context: Any) -> DemoResponse:
        st: dict[str, Any] = {
            "a": SHOP_ID,
            "offset": 7200,
            "reqid": _token("req", ctx.request.path),
            "pageurl": f"sittingknitting.com/{ctx.request.path}",
            "u": _token("u", ctx.request.path)[:12],
            "p": context.get("page_type", "page"),
        }
        if product := context.get("product"):
            st.update({"rtyp": "product", "rid": product.numeric_id})
        return self.render(
            template,
            ctx=ctx,
            shop_name=SHOP_NAME,
            shop_id=SHOP_ID,
            myshopify_domain=MYSHOPIFY_DOMAIN,
            theme_id=THEME_ID,
            section_id=SECTION_ID,
            grid_section_id=GRID_SECTION_ID,
            related_section_id=RELATED_SECTION_ID,
            currency=self.catalog.profile.currency,
            checkout_token=_token("checkout", self.site),
            st=_script_json(st, escape_slashes=True),
            canonical=ctx.locale_url(ctx.locale, path),
            alternates=[(loc, ctx.locale_url(loc, path)) for loc in LOCALES],
            x_default=ctx.locale_url(LOCALES[0], path),
            chrome=self._chrome(ctx),
            money=lambda amount: format_price(amount, "en"),
            money_with_currency=lambda amount: f"{format_price(amount, 'en')} {self.catalog.profile.currency}",
            **{"og_type": "website", "og_title": context.get("title", SHOP_NAME), **context},
        )

    def _chrome(self, ctx: _Context) -> dict[str, Markup]:
        """Header and footer HTML: the same on every page of a locale, so rendered once."""
        chrome = self._chrome_cache.get(ctx.root)
        if chrome is None:
            context = {"ctx": ctx, "shop_name": SHOP_NAME, "menu": self._menu(ctx)}
            chrome = {
                part: Markup(self.render(f"shopify/_{part}.html", **context).body)  # noqa: S704 - our template
                for part in ("header", "footer_start", "footer_end")
            }
            self._chrome_cache[ctx.root] = chrome
        return chrome

    def _menu(self, ctx: _Context) -> list[dict[str, Any]]:
        """Dawn's header menu: top-level collections, their subcollections in a dropdown."""
        menu: list[dict[str, Any]] = [
            {"title": "Home", "url": ctx.root, "children": []},
            {"title": "Catalog", "url": f"{ctx.root}collections/all", "children": []},
        ]
        for collection in self.collections.values():
            category = collection.category
            if category is None or category.parent is not None:
                continue
            children = [c for c in self.collections.values() if c.category and c.category.parent == category]
            url = f"{ctx.root}collections/{collection.handle}"
            entries = [{"title": f"All {collection.title.lower()}", "url": url}] if children else []
            entries += [{"title": c.title, "url": f"{ctx.root}collections/{c.handle}"} for c in children]
            menu.append({"title": collection.title, "url": url, "children": entries})
        menu.append({"title": "Contact", "url": f"{ctx.root}pages/contact", "children": []})
        return menu

    # --- sitemaps --------------------------------------------------------------------

    def _sitemap_index(self, ctx: _Context) -> DemoResponse:
        chunks = self._sitemap_chunks()
        entries = [
            f"{ctx.store_url}sitemap_products_{n}.xml?from={chunk[0].numeric_id}&to={chunk[-1].numeric_id}"
            for n, chunk in enumerate(chunks, start=1)
        ]
        entries += [f"{ctx.store_url}sitemap_pages_1.xml", f"{ctx.store_url}sitemap_collections_1.xml"]
        return self._xml("shopify/sitemap_index.xml", entries=entries)

    def _sitemap_chunks(self) -> list[list[DemoProduct]]:
        products = self._by_id_sorted
        return [
            products[start : start + SITEMAP_PRODUCTS_PER_FILE]
            for start in range(0, len(products), SITEMAP_PRODUCTS_PER_FILE)
        ]

    def _sitemap_products(self, ctx: _Context, number: int) -> DemoResponse:
        chunks = self._sitemap_chunks()
        if number > len(chunks):
            return self._not_found(ctx)
        low, high = ctx.request.int_arg("from", 0), ctx.request.int_arg("to", 0) or 10**20
        urls = [{"loc": ctx.store_url, "changefreq": "daily"}]
        for product in chunks[number - 1]:
            if not low <= product.numeric_id <= high:
                continue
            path = self.product_path(product)
            urls.append(
                {
                    "loc": f"{ctx.store_url}{path}",
                    "lastmod": _iso(self.updated_at(product)),
                    "changefreq": "daily",
                    "alternates": [(loc, ctx.locale_url(loc, path)) for loc in LOCALES],
                    "image": self.image_url(ctx, product.images[0], product),
                    "image_title": product.name,
                }
            )
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _sitemap_collections(self, ctx: _Context) -> DemoResponse:
        urls = [
            {"loc": f"{ctx.store_url}collections/{c.handle}", "lastmod": _iso(_DAY_BASE), "changefreq": "daily"}
            for c in self.collections.values()
        ]
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _sitemap_pages(self, ctx: _Context) -> DemoResponse:
        urls = [
            {"loc": f"{ctx.store_url}pages/{handle}", "lastmod": _iso(_CREATED_BASE), "changefreq": "weekly"}
            for handle in _PAGES
        ]
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _xml(self, template: str, **context: Any) -> DemoResponse:
        rendered = self.render(template, **context)
        return DemoResponse.xml(rendered.body if isinstance(rendered.body, str) else rendered.body.decode())


class _Context:
    """Per-request URL helpers: Shopify prints root-relative links (``/products/x``)."""

    def __init__(self, request: DemoRequest, locale: str) -> None:
        self.request = request
        self.locale = locale
        self.path = request.path if locale == LOCALES[0] else request.path.partition("/")[2]
        self.store_url = request.store_url  # absolute, ends with "/"
        self.store_root = urlsplit(request.store_url).path  # "/<site>/"
        self.root = self.store_root + ("" if locale == LOCALES[0] else f"{locale}/")

    def locale_url(self, locale: str, path: str) -> str:
        return self.store_url + ("" if locale == LOCALES[0] else f"{locale}/") + path


def _option_fields(values: Iterable[str]) -> dict[str, str | None]:
    padded = [*values, None, None, None][:3]
    return {"option1": padded[0], "option2": padded[1], "option3": padded[2]}


def _options(names: list[str], variants: list[ShopifyVariant]) -> list[dict[str, Any]]:
    options = []
    for position, name in enumerate(names, start=1):
        values: list[str] = []
        for variant in variants:
            value = variant.option_values[position - 1]
            if value not in values:
                values.append(value)
        options.append({"name": name, "position": position, "values": values})
    return options


def _pagination(page: int, pages: int, prefix: str, query: str) -> dict[str, Any] | None:
    """Liquid's ``paginate`` parts: every page when few, else a window with ellipses."""
    if pages <= 1:
        return None
    if pages <= 7:
        numbers: list[int | None] = list(range(1, pages + 1))
    else:
        centre = min(max(page, 1), pages)
        window = [n for n in range(centre - 2, centre + 3) if 1 < n < pages] or [min(2, pages - 1)]
        numbers = [1, *([None] if window[0] > 2 else []), *window, *([None] if window[-1] < pages - 1 else []), pages]
    return {
        "previous": f"{prefix}{page - 1}{query}" if page > 1 else None,
        "next": f"{prefix}{page + 1}{query}" if page < pages else None,
        "parts": [{"number": n, "url": f"{prefix}{n}{query}" if n else None, "current": n == page} for n in numbers],
    }
