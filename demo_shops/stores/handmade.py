"""A hand-made shop: a small Greek web agency's custom PHP site with no structured data.

What it imitates (www.cityknitting.gr style): ``katigoria.php?id=<cat>&selida=N`` listings,
friendly product URLs ``proion/<slug>`` (mod_rewrite) with the old ``proion.php?id=<id>``
answering 301 to them, Greeklish class names (``timi``, ``nea-timi``, ``palia-timi``,
``diathesimotita``), a Bootstrap 3 layout, a Google Analytics snippet, a cookie banner, and
nothing a crawler could lean on except ``<link rel="canonical">``, the title and the meta
description: no JSON-LD, no microdata, no OpenGraph, no sitemap. The only way to read it is
CSS selectors (``config/sites.json`` ``sites.cityknitting.selectors``) or heuristics.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct
from ..store import DemoRequest, DemoResponse, Store

PER_PAGE = 12
FEATURED_COUNT = 8
OFFERS_COUNT = 4
RELATED_COUNT = 4

#: Stock wording of the shop, per availability value of the catalog.
STOCK_TEXT: dict[str, tuple[str, str]] = {
    # availability -> (label, css class)
    "in_stock": ("Διαθέσιμο", "se-apothema"),
    "out_of_stock": ("Εξαντλημένο", "exantlimeno"),
    "preorder": ("Κατόπιν παραγγελίας", "kata-paraggelia"),
}

#: Static pages of the footer: path -> (title, body text).
INFO_PAGES: dict[str, tuple[str, str]] = {
    "epikoinonia.php": (
        "Επικοινωνία",
        "City Knitting, Ερμού 100, 10563 Αθήνα. Τηλ. 210 1234567. Ωράριο: Δευτέρα-Σάββατο 9:00-21:00.",
    ),
    "tropoi-pliromis.php": (
        "Τρόποι πληρωμής",
        "Δεχόμαστε πιστωτικές/χρεωστικές κάρτες, PayPal, τραπεζική κατάθεση και αντικαταβολή.",
    ),
    "apostoles.php": (
        "Αποστολές",
        "Αποστέλλουμε με ACS σε όλη την Ελλάδα σε 1-3 εργάσιμες ημέρες.",
    ),
    "oroi-xrisis.php": ("Όροι χρήσης", "Οι παρόντες όροι διέπουν τη χρήση του ηλεκτρονικού καταστήματος."),
}

_STATIC_FILES: dict[str, tuple[str, str]] = {
    "css/style.css": ("text/css; charset=utf-8", ".palia-timi{text-decoration:line-through;color:#999}\n"),
    "js/main.js": (
        "application/javascript; charset=utf-8",
        "$(function(){$('#cookie-ok').on('click',function(){document.cookie='cookies_ok=1;path=/';"
        "$('#cookie-banner').hide();});});\n",
    ),
}


@dataclass(frozen=True)
class PriceView:
    """How a price block reads: ``από`` for a range of variant prices, old price when on sale."""

    price: Decimal | None
    regular_price: Decimal | None
    starts_from: bool
    discount_pct: int | None


@dataclass(frozen=True)
class MenuEntry:
    category: Category
    children: tuple[Category, ...]


class HandmadeStore(Store):
    platform: ClassVar[str] = "handmade"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        products = catalog.products
        self._position = {p.slug: n for n, p in enumerate(products)}
        # Listings are precomputed once so a listing page costs O(page), not O(catalog).
        self._listings: dict[int, list[DemoProduct]] = {c.id: catalog.in_category(c) for c in CATEGORIES}
        self._categories = {c.id: c for c in CATEGORIES}
        self._menu = tuple(
            MenuEntry(c, tuple(child for child in CATEGORIES if child.parent == c))
            for c in CATEGORIES
            if c.parent is None
        )
        self._featured = products[:FEATURED_COUNT]
        self._offers = [p for p in products if p.on_sale][:OFFERS_COUNT]

    # --- Store interface ----------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return f"proion/{product.slug}"

    def product_id(self, product: DemoProduct, store_url: str) -> str:
        # The shop prints no id a crawler could rely on: the id is the canonical URL's path
        # relative to the shop root (the rule the README documents; spelled out here, not
        # computed with crawler code, so a change to that code shows up as a test failure).
        return self.product_path(product)

    def robots_disallow(self) -> list[str]:
        return ["admin/", "kalathi.php", self.trap_path]

    def sitemap_paths(self) -> list[str]:
        return []

    def truth(self, product: DemoProduct, store_url: str) -> dict[str, Any]:
        truth = super().truth(product, store_url)
        truth["gtin"] = None  # the shop never prints barcodes
        return truth

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path == "":
            return self._home(request)
        if path == "index.php":
            return DemoResponse.redirect(request.url(""))
        if path == "katigoria.php":
            return self._category(request)
        if path == "proion.php":
            return self._legacy_product(request)
        if path.startswith("proion/"):
            return self._product(request, path.removeprefix("proion/"))
        if path in INFO_PAGES:
            title, text = INFO_PAGES[path]
            return self._page(request, "handmade/page.html", title=title, text=text)
        if path == "kalathi.php":
            return self._page(request, "handmade/page.html", title="Καλάθι αγορών", text="Το καλάθι σας είναι άδειο.")
        if path == "admin" or path.startswith("admin/"):
            return self._page(request, "handmade/page.html", title="Διαχείριση", text="Απαιτείται σύνδεση.")
        if path == self.trap_path:
            return self._page(request, "handmade/page.html", title="-", text="Δεν θα έπρεπε να βρίσκεστε εδώ.")
        if path in _STATIC_FILES:
            content_type, body = _STATIC_FILES[path]
            return DemoResponse(body, 200, content_type)
        return self._not_found(request)

    # --- pages ----------------------------------------------------------------------------

    def _home(self, request: DemoRequest) -> DemoResponse:
        return self._page(request, "handmade/home.html", featured=self._featured, offers=self._offers)

    def _category(self, request: DemoRequest) -> DemoResponse:
        category = self._categories.get(request.int_arg("id", 0))
        if category is None:
            return self._not_found(request)
        listing = self._listings[category.id]
        pages = max(1, -(-len(listing) // PER_PAGE))
        page = request.int_arg("selida", 1)
        if not 1 <= page <= pages:
            return self._not_found(request)
        return self._page(
            request,
            "handmade/category.html",
            category=category,
            subcategories=[c for c in CATEGORIES if c.parent == category],
            products=listing[(page - 1) * PER_PAGE : page * PER_PAGE],
            total=len(listing),
            page=page,
            pages=pages,
            page_numbers=page_numbers(page, pages),
        )

    def _legacy_product(self, request: DemoRequest) -> DemoResponse:
        """The URL scheme before the friendly URLs: still linked from old pages, answers 301."""
        product = self.catalog.by_id.get(request.arg("id") or "")
        if product is None:
            return self._not_found(request)
        return DemoResponse.redirect(request.url(self.product_path(product)))

    def _product(self, request: DemoRequest, slug: str) -> DemoResponse:
        product = self.catalog.by_slug.get(slug)
        if product is None:
            return self._not_found(request)
        return self._page(
            request,
            "handmade/product.html",
            p=product,
            canonical=request.url(self.product_path(product)),
            breadcrumbs=product.category.path(),
            related=self._related(product),
            stock=STOCK_TEXT[product.availability],
            meta_description=_meta_description(product.description),
        )

    def _not_found(self, request: DemoRequest) -> DemoResponse:
        response = self._page(request, "handmade/404.html")
        response.status = 404
        return response

    def _page(self, request: DemoRequest, template: str, **context: Any) -> DemoResponse:
        return self.render(
            template,
            base=request.store_url,
            menu=self._menu,
            product_url=lambda p, ref=None: request.url(self.product_path(p), **({"ref": ref} if ref else {})),
            category_url=lambda c, page=None: request.url(
                "katigoria.php", id=c.id, **({"selida": page} if page else {})
            ),
            price_view=price_view,
            stock_text=STOCK_TEXT,
            **context,
        )

    def _related(self, product: DemoProduct) -> list[DemoProduct]:
        """The next few products of the catalog (wrapping): cheap, and always other products."""
        products = self.catalog.products
        start = self._position[product.slug]
        count = min(RELATED_COUNT, len(products) - 1)
        return [products[(start + n) % len(products)] for n in range(1, count + 1)]


def price_view(product: DemoProduct) -> PriceView:
    """The price block of a product; with variants the catalog price is the cheapest one's."""
    starts_from = len({v.price for v in product.variants}) > 1
    discount = None
    if product.price is not None and product.regular_price:
        ratio = (Decimal(1) - product.price / product.regular_price) * 100
        discount = int(ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return PriceView(product.price, product.regular_price, starts_from, discount)


def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links as the shop prints them: first, last, a window around the current one; None is a gap."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    numbers: list[int | None] = []
    previous = 0
    for n in shown:
        if n - previous > 1:
            numbers.append(None)
        numbers.append(n)
        previous = n
    return numbers


def _meta_description(description: str, limit: int = 155) -> str:
    if len(description) <= limit:
        return description
    return description[:limit].rsplit(" ", 1)[0] + "..."
