"""OpenCart 3.0 demo store (default theme, SEO URLs on): the ``ili_ili`` shop.

What a browser and a crawler see on a real OpenCart 3.0.x shop:

* ``index.php?route=...`` for every controller, and SEO keywords (the ``seo_url`` table) for
  products, categories, manufacturers and information pages. A SEO path is a sequence of
  keywords: ``nimata/malli`` is category path ``10_11``, ``nimata/malli/<product>`` the
  product reached from that category, ``drops/<product>`` from a manufacturer page, and a
  single keyword resolves alone (``malli`` is category ``11``, the leaf-only canonical that
  OpenCart's category controller emits). Unknown keywords and routes are 404s.
* Listings: ``<path>?page=N`` / ``index.php?route=product/category&path=10_11&page=N``,
  manufacturer and special pages the same way, OpenCart's own pagination markup.
* Product pages: ``#product-product``, the ``ul.list-unstyled`` facts and price list, the
  ``#product`` form with one ``select[name=option[N]]`` whose values carry the price delta
  "(+1,00€)". OpenCart has no per-option SKU; this shop runs an option-SKU extension that
  puts it in each ``<option data-sku>``. Price on request: the theme prints
  "Τιμή κατόπιν επικοινωνίας" where the price would be.
* The Google Sitemap feed ``index.php?route=extension/feed/google_sitemap`` (products with
  their image, categories, manufacturers, information pages), OCSESSID cookie, the
  ``common/cart/info`` fragment. No public catalog API.

Deviation from a stock install, on purpose: a product reached without ``path`` shows the
breadcrumbs of its primary category (stock OpenCart shows only Home > product there; Greek
shops commonly add a breadcrumb extension that fills it in).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ..catalog import CATEGORIES, Catalog, Category, DemoProduct
from ..store import DemoRequest, DemoResponse, Store, format_price

LISTING_LIMIT = 12
FEATURED_COUNT = 8
RELATED_COUNT = 4
TAX_RATE = Decimal("1.24")  # Greek VAT; OpenCart prints the price with tax and "Χωρίς ΦΠΑ" without
PRICE_ON_REQUEST_TEXT = "Τιμή κατόπιν επικοινωνίας"
STOCK_STATUS_TEXT = {
    "in_stock": "Άμεσα Διαθέσιμο",
    "out_of_stock": "Εξαντλημένο",
    "preorder": "Προ-παραγγελία",
    "backorder": "2-3 Ημέρες",
}
GOOGLE_SITEMAP_ROUTE = "extension/feed/google_sitemap"
_LAST_MODIFIED_EPOCH = datetime(2024, 3, 1, 9, 0, 0)


@dataclass(frozen=True)
class Information:
    information_id: int
    keyword: str
    title: str
    text: str


INFORMATION_PAGES: tuple[Information, ...] = (
    Information(
        4, "about_us", "Σχετικά με εμάς", "Το ili ili είναι ένα μικρό κατάστημα νημάτων και εργαλείων πλεκτικής."
    ),
    Information(6, "delivery", "Πληροφορίες Αποστολής", "Αποστολή σε όλη την Ελλάδα σε 1-3 εργάσιμες ημέρες."),
    Information(
        3, "privacy", "Πολιτική Απορρήτου", "Τα προσωπικά σας δεδομένα χρησιμοποιούνται μόνο για την παραγγελία σας."
    ),
    Information(5, "terms", "Όροι Χρήσης", "Οι τιμές περιλαμβάνουν ΦΠΑ 24%."),
)


@dataclass(frozen=True)
class Manufacturer:
    manufacturer_id: int
    name: str
    keyword: str


@dataclass(frozen=True)
class Listing:
    """One page of products with OpenCart's pagination (``url`` holds ``{page}``)."""

    products: list[DemoProduct]
    total: int
    page: int
    url: str  # e.g. "http://host/ili_ili/nimata/malli?page={page}"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // LISTING_LIMIT))

    def page_url(self, page: int) -> str:
        if page == 1:  # OpenCart 3.0.3 drops the page parameter for page 1
            for marker in ("&page={page}", "?page={page}"):
                if marker in self.url:
                    return self.url.replace(marker, "")
        return self.url.replace("{page}", str(page))


def oc_price(amount: Decimal | None) -> str:
    """OpenCart's Euro format on Greek shops: ``1.234,50€`` (symbol right, no space)."""
    return format_price(amount, "el").replace("\u00a0", "")


def _meta_description(text: str, limit: int = 155) -> str:
    """What a shop owner types into OpenCart's meta description: the first words of the text."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(".,;:") + "..."


def _keyword(name: str) -> str:
    return "-".join("".join(ch if ch.isascii() and ch.isalnum() else " " for ch in name.lower()).split())


class OpenCartStore(Store):
    platform = "opencart"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self._categories = {c.id: c for c in CATEGORIES}
        self._children: dict[int, list[Category]] = {c.id: [] for c in CATEGORIES}
        for category in CATEGORIES:
            if category.parent is not None:
                self._children[category.parent.id].append(category)
        self._top_categories = [c for c in CATEGORIES if c.parent is None]
        # Listings include subcategories' products, as shops assign products to every level.
        self._in_category: dict[int, list[DemoProduct]] = {c.id: [] for c in CATEGORIES}
        for product in catalog.products:
            for category_id in {a.id for c in product.categories for a in c.path()}:
                self._in_category[category_id].append(product)
        self._position = {p.product_id: i for i, p in enumerate(catalog.products)}
        brands = sorted({p.brand for p in catalog.products})
        self._manufacturers = {b: Manufacturer(5 + i, b, _keyword(b)) for i, b in enumerate(brands)}
        self._manufacturer_by_id = {m.manufacturer_id: m for m in self._manufacturers.values()}
        self._by_brand: dict[str, list[DemoProduct]] = {b: [] for b in brands}
        for product in catalog.products:
            self._by_brand[product.brand].append(product)
        self._specials = [p for p in catalog.products if p.on_sale]
        self._information = {i.information_id: i for i in INFORMATION_PAGES}
        self._chrome_cache: dict[str, dict[str, Markup]] = {}
        # OpenCart's seo_url table: keyword -> (query key, value)
        self._keywords: dict[str, tuple[str, str]] = {}
        self._keywords.update({c.slug: ("path", str(c.id)) for c in CATEGORIES})
        self._keywords.update(
            {m.keyword: ("manufacturer_id", str(m.manufacturer_id)) for m in self._manufacturers.values()}
        )
        self._keywords.update({i.keyword: ("information_id", str(i.information_id)) for i in INFORMATION_PAGES})
        self._keywords.update({p.slug: ("product_id", p.product_id) for p in catalog.products})
        self._routes: dict[str, Callable[[DemoRequest, dict[str, str]], DemoResponse]] = {
            "common/home": self._home,
            "product/category": self._category,
            "product/product": self._product,
            "product/product/review": self._reviews,
            "product/manufacturer": self._manufacturer_list,
            "product/manufacturer/info": self._manufacturer_info,
            "product/special": self._special,
            "product/compare": self._simple("Σύγκριση Προϊόντων", "Δεν έχετε επιλέξει προϊόντα για σύγκριση."),
            "information/information": self._information_page,
            "information/contact": self._simple("Επικοινωνία", "Τηλέφωνο: 210 0000000 - Email: info@ili-ili.example"),
            "information/sitemap": self._html_sitemap,
            GOOGLE_SITEMAP_ROUTE: self._google_sitemap,
            "common/cart/info": self._cart_info,
            "checkout/cart": self._simple("Καλάθι Αγορών", "Το καλάθι αγορών σας είναι άδειο!"),
            "checkout/checkout": self._simple("Ολοκλήρωση Παραγγελίας", "Το καλάθι αγορών σας είναι άδειο!"),
        }

    # --- Store interface --------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return product.slug

    def robots_disallow(self) -> list[str]:
        return [
            "index.php?route=checkout/",
            "index.php?route=account/",
            "index.php?route=product/search",
            "*&sort=",
            "*?sort=",
            "*&limit=",
            "*?limit=",
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return [f"index.php?route={GOOGLE_SITEMAP_ROUTE}"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path == self.trap_path:
            return self._page(request, "page.html", status=200, heading="Σελίδα", text="", title="Σελίδα")
        if path.startswith("catalog/view/"):
            return self._asset(path)
        if path in ("", "index.php"):
            route = request.arg("route") or "common/home"
            args = {k: v[0] for k, v in request.query.items() if v}
            return self._dispatch(route, request, args)
        return self._seo(request)

    # --- routing ----------------------------------------------------------------------

    def _dispatch(self, route: str, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        handler = self._routes.get(route)
        if handler is not None:
            return handler(request, args)
        if route.startswith("account/"):
            return self._simple("Σύνδεση Λογαριασμού", "Συνδεθείτε με το email και τον κωδικό σας.")(request, args)
        return self._not_found(request)

    def _seo(self, request: DemoRequest) -> DemoResponse:
        """OpenCart's ``startup/seo_url``: every part of the path must be a known keyword."""
        parts = request.path.split("/")
        if parts and parts[-1] == "":
            parts.pop()
        if parts and parts[0] == "en":  # the English alternate (hreflang) shares the keywords
            parts.pop(0)
        args = {k: v[0] for k, v in request.query.items() if v}
        category_ids: list[str] = []
        for part in parts:
            found = self._keywords.get(part)
            if found is None:
                return self._not_found(request)
            key, value = found
            if key == "path":
                category_ids.append(value)
            else:
                args[key] = value
        if category_ids:
            args["path"] = "_".join(category_ids)
        for key, route in (
            ("product_id", "product/product"),
            ("path", "product/category"),
            ("manufacturer_id", "product/manufacturer/info"),
            ("information_id", "information/information"),
        ):
            if key in args:
                return self._dispatch(route, request, args)
        return self._not_found(request)

    # --- URLs as OpenCart's url->link() writes them with SEO URLs on ---------------------

    def _category_by_text(self, text: str) -> Category | None:
        try:
            return self._categories.get(int(text))
        except ValueError:
            return None

    def category_url(self, store_url: str, category: Category) -> str:
        return store_url + "/".join(c.slug for c in category.path())

    def product_url(self, store_url: str, product: DemoProduct, prefix: str = "") -> str:
        return f"{store_url}{prefix}{product.slug}"

    # --- pages ------------------------------------------------------------------------

    def _home(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        featured = [self._card(request.store_url, p) for p in self.catalog.products[:FEATURED_COUNT]]
        return self._page(
            request,
            "home.html",
            title="ili ili - Νήματα και είδη πλεκτικής",
            description="Νήματα, βελόνες και αξεσουάρ πλεκτικής με αποστολή σε όλη την Ελλάδα.",
            canonical=request.store_url,
            featured=featured,
            manufacturers=list(self._manufacturers.values()),
        )

    def _category(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        path = args.get("path", "")
        ids = [self._category_by_text(part) for part in path.split("_")]
        if not ids or ids[-1] is None:
            return self._not_found(request, "Η κατηγορία δεν βρέθηκε!")
        category = ids[-1]
        trail = [c for c in ids if c is not None]
        store_url = request.store_url
        seo_path = "/".join(c.slug for c in trail)
        listing = self._listing(request, self._in_category[category.id], f"{store_url}{seo_path}?page={{page}}")
        prefix = f"{seo_path}/"
        leaf_canonical = store_url + category.slug  # OpenCart links the canonical with path=<leaf id> only
        return self._listing_page(
            request,
            listing,
            body_id="product-category",
            heading=category.name_el,
            title=f"{category.name_el} - ili ili",
            description=f"{category.name_el}: μεγάλη ποικιλία στο ili ili.",
            canonical=leaf_canonical if listing.page == 1 else f"{leaf_canonical}?page={listing.page}",
            breadcrumbs=[
                (c.name_el, store_url + "/".join(x.slug for x in trail[: i + 1])) for i, c in enumerate(trail)
            ],
            refine=[
                (f"{c.name_el} ({len(self._in_category[c.id])})", f"{store_url}{seo_path}/{c.slug}")
                for c in self._children[category.id]
            ],
            cards=[self._card(store_url, p, prefix) for p in listing.products],
            active_category=trail[0].id,
        )

    def _manufacturer_info(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        try:
            manufacturer = self._manufacturer_by_id.get(int(args.get("manufacturer_id", "")))
        except ValueError:
            manufacturer = None
        if manufacturer is None:
            return self._not_found(request, "Ο κατασκευαστής δεν βρέθηκε!")
        store_url = request.store_url
        listing = self._listing(
            request, self._by_brand[manufacturer.name], f"{store_url}{manufacturer.keyword}?page={{page}}"
        )
        return self._listing_page(
            request,
            listing,
            body_id="product-manufacturer",
            heading=manufacturer.name,
            title=manufacturer.name,
            description="",
            canonical=listing.page_url(listing.page),
            breadcrumbs=[
                ("Κατασκευαστές", f"{store_url}index.php?route=product/manufacturer"),
                (manufacturer.name, store_url + manufacturer.keyword),
            ],
            refine=[],
            cards=[self._card(store_url, p, f"{manufacturer.keyword}/") for p in listing.products],
            active_category=None,
        )

    def _special(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        store_url = request.store_url
        listing = self._listing(request, self._specials, f"{store_url}index.php?route=product/special&page={{page}}")
        return self._listing_page(
            request,
            listing,
            body_id="product-special",
            heading="Προσφορές",
            title="Προσφορές",
            description="",
            canonical=listing.page_url(listing.page),
            breadcrumbs=[("Προσφορές", f"{store_url}index.php?route=product/special")],
            refine=[],
            cards=[self._card(store_url, p) for p in listing.products],
            active_category=None,
        )

    def _manufacturer_list(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        return self._page(
            request,
            "manufacturers.html",
            title="Βρείτε τον αγαπημένο σας κατασκευαστή",
            manufacturers=list(self._manufacturers.values()),
        )

    def _information_page(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        try:
            info = self._information.get(int(args.get("information_id", "")))
        except ValueError:
            info = None
        if info is None:
            return self._not_found(request)
        return self._page(
            request,
            "page.html",
            title=info.title,
            heading=info.title,
            text=info.text,
            canonical=request.store_url + info.keyword,
            breadcrumbs=[(info.title, request.store_url + info.keyword)],
        )

    def _html_sitemap(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        return self._page(request, "html_sitemap.html", title="Χάρτης Ιστοσελίδας")

    def _simple(self, heading: str, text: str) -> Callable[[DemoRequest, dict[str, str]], DemoResponse]:
        def render(request: DemoRequest, args: dict[str, str]) -> DemoResponse:
            return self._page(request, "page.html", title=heading, heading=heading, text=text, robots="noindex")

        return render

    def _not_found(self, request: DemoRequest, heading: str = "Η σελίδα που ζητήσατε δεν βρέθηκε!") -> DemoResponse:
        return self._page(
            request,
            "page.html",
            status=404,
            title=heading,
            heading=heading,
            text="Η σελίδα που ζητήσατε δεν βρέθηκε. Παρακαλούμε επικοινωνήστε μαζί μας αν το πρόβλημα επιμένει.",
            robots="noindex",
        )

    def _product(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        product = self.catalog.by_id.get(args.get("product_id", ""))
        if product is None:
            return self._not_found(request, "Το προϊόν δεν βρέθηκε!")
        store_url = request.store_url
        canonical = self.product_url(store_url, product)
        description = _meta_description(product.description)
        return self._page(
            request,
            "product.html",
            title=f"{product.name} - ili ili",
            description=description,
            canonical=canonical,
            og={
                "type": "product",
                "title": product.name,
                "description": description,
                "image": store_url + product.images[0],
                "url": canonical,
            },
            hreflang_path=product.slug,
            breadcrumbs=[*self._product_breadcrumbs(store_url, product, args), (product.name, canonical)],
            product=product,
            manufacturer=self._manufacturers[product.brand],
            stock_text=STOCK_STATUS_TEXT[product.availability],
            prices=self._prices(product),
            option=self._option(product),
            related=[self._card(store_url, p) for p in self._related(product)],
        )

    def _reviews(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        return DemoResponse("<p>Δεν υπάρχουν αξιολογήσεις για αυτό το προϊόν.</p>\n")

    def _cart_info(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        return self.render("opencart/cart_info.html", money=oc_price, store_url=request.store_url)

    def _google_sitemap(self, request: DemoRequest, args: dict[str, str]) -> DemoResponse:
        store_url = request.store_url
        response = self.render(
            "opencart/google_sitemap.xml",
            products=[
                (self.product_url(store_url, p), self._last_modified(p), store_url + p.images[0], p.name)
                for p in self.catalog.products
            ],
            categories=[self.category_url(store_url, c) for c in self._categories_depth_first()],
            manufacturers=[store_url + m.keyword for m in self._manufacturers.values()],
            information=[store_url + i.keyword for i in INFORMATION_PAGES],
        )
        response.content_type = "application/xml"  # what OpenCart's feed sends, no charset
        return response

    def _asset(self, path: str) -> DemoResponse:
        if path.endswith(".css"):
            return DemoResponse("body{font-family:'Open Sans',sans-serif}\n", 200, "text/css")
        if path.endswith(".js"):
            return DemoResponse("/* OpenCart */\n", 200, "application/javascript")
        return DemoResponse.not_found()

    # --- building blocks --------------------------------------------------------------

    def _listing(self, request: DemoRequest, products: list[DemoProduct], url: str) -> Listing:
        page = max(1, request.int_arg("page", 1))
        start = (page - 1) * LISTING_LIMIT
        return Listing(products[start : start + LISTING_LIMIT], len(products), page, url)

    def _listing_page(self, request: DemoRequest, listing: Listing, **context: Any) -> DemoResponse:
        start = (listing.page - 1) * LISTING_LIMIT
        context["results"] = (
            f"Εμφάνιση {start + 1 if listing.total else 0} έως {min(start + LISTING_LIMIT, listing.total)} "
            f"από {listing.total} ({listing.pages} Σελίδες)"
        )
        context["prev_url"] = listing.page_url(listing.page - 1) if listing.page > 1 else None
        context["next_url"] = listing.page_url(listing.page + 1) if listing.page < listing.pages else None
        sort_base = listing.page_url(1) + ("&" if "?" in listing.page_url(1) else "?")
        context["sorts"] = [
            ("Προεπιλογή", f"{sort_base}sort=p.sort_order&order=ASC"),
            ("Όνομα (Α - Ω)", f"{sort_base}sort=pd.name&order=ASC"),
            ("Τιμή (Χαμηλή > Υψηλή)", f"{sort_base}sort=p.price&order=ASC"),
            ("Τιμή (Υψηλή > Χαμηλή)", f"{sort_base}sort=p.price&order=DESC"),
        ]
        context["limits"] = [(n, f"{sort_base}limit={n}") for n in (LISTING_LIMIT, 25, 50, 75, 100)]
        return self._page(request, "category.html", listing=listing, pagination=self._pagination(listing), **context)

    @staticmethod
    def _pagination(listing: Listing) -> list[tuple[str, str | None, bool]]:
        """OpenCart's ``Pagination::render`` as (text, href, active) items; empty for one page."""
        if listing.pages <= 1:
            return []
        items: list[tuple[str, str | None, bool]] = []
        page, pages = listing.page, listing.pages
        if page > 1:
            items += [("|<", listing.page_url(1), False), ("<", listing.page_url(page - 1), False)]
        start, end = max(1, page - 4), min(pages, page + 3)
        if end - start < 7:  # OpenCart shows a window of 8 numbered links
            end = min(pages, start + 7)
            start = max(1, end - 7)
        for n in range(start, end + 1):
            items.append((str(n), None if n == page else listing.page_url(n), n == page))
        if page < pages:
            items += [(">", listing.page_url(page + 1), False), (">|", listing.page_url(pages), False)]
        return items

    def _card(self, store_url: str, product: DemoProduct, prefix: str = "") -> dict[str, Any]:
        """A ``product-thumb`` as OpenCart's listings and modules show it."""
        prices = self._prices(product)
        return {
            "product_id": product.product_id,
            "name": product.name,
            "href": self.product_url(store_url, product, prefix),
            "thumb": store_url + product.images[0],
            "description": product.description[:100] + "..",
            **prices,
        }

    @staticmethod
    def _prices(product: DemoProduct) -> dict[str, str | None]:
        """OpenCart's price/special/tax strings. With options the product price is the base
        that the option deltas add to: the cheapest option, which is the catalog's price."""
        if product.price is None:
            return {"price": PRICE_ON_REQUEST_TEXT, "special": None, "tax": None, "on_request": True}
        shown = product.price
        return {
            "price": oc_price(product.regular_price if product.on_sale else product.price),
            "special": oc_price(product.price) if product.on_sale else None,
            "tax": oc_price((shown / TAX_RATE).quantize(Decimal("0.01"))),
            "on_request": False,
        }

    def _option(self, product: DemoProduct) -> dict[str, Any] | None:
        """The product's one select option: values with their delta over the product price."""
        if not product.variants or product.price is None:
            return None
        label = next(iter(product.variants[0].options))
        values = []
        for variant in product.variants:
            delta = (variant.price or product.price) - product.price
            values.append(
                {
                    "product_option_value_id": variant.variant_id,
                    "name": variant.options[label],
                    "delta": f"{'+' if delta > 0 else '-'}{oc_price(abs(delta))}" if delta else None,
                    "sku": variant.sku,
                }
            )
        return {"product_option_id": 200 + product.numeric_id, "label": label, "values": values}

    def _product_breadcrumbs(self, store_url: str, product: DemoProduct, args: dict[str, str]) -> list[tuple[str, str]]:
        if "path" in args:
            trail = [c for c in (self._category_by_text(p) for p in args["path"].split("_")) if c is not None]
        elif "manufacturer_id" in args:
            manufacturer = self._manufacturers[product.brand]
            return [
                ("Κατασκευαστές", f"{store_url}index.php?route=product/manufacturer"),
                (manufacturer.name, store_url + manufacturer.keyword),
            ]
        else:
            trail = product.category.path()
        return [(c.name_el, store_url + "/".join(x.slug for x in trail[: i + 1])) for i, c in enumerate(trail)]

    def _related(self, product: DemoProduct) -> list[DemoProduct]:
        """Neighbours in catalog order: constant work per page, whatever the catalog size."""
        products = self.catalog.products
        here = self._position[product.product_id]
        count = min(RELATED_COUNT, len(products) - 1)
        return [products[(here + offset) % len(products)] for offset in range(1, count + 1)]

    def _categories_depth_first(self) -> list[Category]:
        out: list[Category] = []
        for top in self._top_categories:
            out += [top, *self._children[top.id]]
        return out

    def _last_modified(self, product: DemoProduct) -> str:
        when = _LAST_MODIFIED_EPOCH + timedelta(days=self.catalog.day - 1, minutes=product.index * 7 % 1440)
        return when.strftime("%Y-%m-%dT%H:%M:%S+02:00")

    def _menu(self, store_url: str) -> list[dict[str, Any]]:
        return [
            {
                "id": top.id,
                "name": top.name_el,
                "href": self.category_url(store_url, top),
                "children": [
                    (f"{c.name_el} ({len(self._in_category[c.id])})", self.category_url(store_url, c))
                    for c in self._children[top.id]
                ],
            }
            for top in self._top_categories
        ]

    def _chrome(self, store_url: str) -> dict[str, Markup]:
        """Header (top bar, cart, menu) and footer: the same on every page, rendered once per
        store URL so a page costs only its own content."""
        chrome = self._chrome_cache.get(store_url)
        if chrome is None:
            context = {
                "store_url": store_url,
                "menu": self._menu(store_url),
                "information": INFORMATION_PAGES,
                "money": oc_price,
                "trap_path": self.trap_path,
            }
            chrome = {
                part: Markup(self.render(f"opencart/_{part}.html", **context).body)  # noqa: S704 - our own template
                for part in ("header", "footer")
            }
            if len(self._chrome_cache) < 16:  # the Host header decides store_url: keep the cache bounded
                self._chrome_cache[store_url] = chrome
        return chrome

    def _page(self, request: DemoRequest, template: str, status: int = 200, **context: Any) -> DemoResponse:
        store_url = request.store_url
        context.setdefault("canonical", None)
        context.setdefault("description", "")
        context.setdefault("breadcrumbs", [])
        context.setdefault("robots", "index, follow")
        context.setdefault("og", None)
        context.setdefault("hreflang_path", None)
        context.setdefault("active_category", None)
        response = self.render(
            f"opencart/{template}",
            store_url=store_url,
            chrome=self._chrome(store_url),
            menu=self._menu(store_url),
            information=INFORMATION_PAGES,
            money=oc_price,
            **context,
        )
        response.status = status
        # PHP's session cookie, as every OpenCart page sets it for a new visitor
        response.headers["Set-Cookie"] = f"OCSESSID={secrets.token_hex(13)}; path=/"
        response.headers["X-Powered-By"] = "PHP/7.4.33"
        return response
