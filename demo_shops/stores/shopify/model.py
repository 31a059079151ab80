"""The Shopify view of a demo product (variants, collections, options), the shop's settings, and the
small formatters its JSON and pages share.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from ...catalog import Category, DemoProduct
from ...store import DemoRequest

SHOP_NAME = "Sitting Knitting"
SHOP_ID = 56473829
MYSHOPIFY_DOMAIN = "sittingknitting.myshopify.com"
THEME_ID = 136254210283
SECTION_ID = "template--16872540356843__main"
GRID_SECTION_ID = "template--16872540258539__product-grid"
RELATED_SECTION_ID = "template--16872540356843__related-products"
NOT_FOUND_TEMPLATE = "shopify/404.html"
PER_PAGE = 12  # Dawn's "products per page" collection setting
API_DEFAULT_LIMIT = 30
API_MAX_LIMIT = 250
SITEMAP_PRODUCTS_PER_FILE = 5000
LOCALES = ("en", "el")  # Shopify Markets: English primary, Greek under /el/
_TZ = timezone(timedelta(hours=2))
CREATED_BASE = datetime(2022, 9, 5, 10, 0, tzinfo=_TZ)
DAY_BASE = datetime(2024, 6, 1, 8, 0, tzinfo=_TZ)

PRODUCT_ROUTE = re.compile(
    r"^(?:collections/(?P<collection>[^/]+)/)?products/(?P<handle>[^/]+?)(?P<ext>\.js|\.json|\.oembed)?$"
)
COLLECTION_ROUTE = re.compile(r"^collections/(?P<handle>[^/]+?)(?P<api>/products\.json)?$")
SITEMAP_PRODUCTS_ROUTE = re.compile(r"^sitemap_products_(?P<n>[1-9][0-9]*)\.xml$")

PAGES = {
    "about-us": ("About us", "Sitting Knitting is a small yarn shop for knitters and crocheters."),
    "contact": ("Contact", "Write to us at hello@sittingknitting.example or visit the shop."),
    "shipping": ("Shipping", "Orders ship within 2 working days; free shipping over €60."),
}
POLICIES = {
    "refund-policy": "Refund policy",
    "privacy-policy": "Privacy policy",
    "terms-of-service": "Terms of service",
    "shipping-policy": "Shipping policy",
}
#: sort_by value -> (key, descending)
SORTS: dict[str, tuple[Callable[[DemoProduct], Any], bool]] = {
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


def to_cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


def money_string(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def ld_number(amount: Decimal) -> str:
    """``variant.price | divided_by: 100.00 | json``: Liquid prints a float (12.5, 14.0)."""
    text = f"{amount:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def iso_timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def script_json(data: Any, escape_slashes: bool = False) -> Markup:
    """JSON safe inside ``<script>``, escaped the way Shopify's ``json`` filter does."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    if escape_slashes:
        text = text.replace("/", "\\/")
    return Markup(text)  # noqa: S704 - JSON with every HTML-special character escaped


def stable_token(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def handleize(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class PageContext:
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


def option_fields(values: Iterable[str]) -> dict[str, str | None]:
    padded = [*values, None, None, None][:3]
    return {"option1": padded[0], "option2": padded[1], "option3": padded[2]}


def options_json(names: list[str], variants: list[ShopifyVariant]) -> list[dict[str, Any]]:
    options = []
    for position, name in enumerate(names, start=1):
        values: list[str] = []
        for variant in variants:
            value = variant.option_values[position - 1]
            if value not in values:
                values.append(value)
        options.append({"name": name, "position": position, "values": values})
    return options


def pagination(page: int, pages: int, prefix: str, query: str) -> dict[str, Any] | None:
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
