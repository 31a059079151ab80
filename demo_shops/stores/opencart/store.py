"""The OpenCart store: routes (``index.php?route=...`` and SEO keywords), URLs as ``url->link()`` writes
them, and the page controllers.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from ...catalog import CATEGORIES, Catalog, Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .layout import OpenCartLayout
from .model import (
    FEATURED_COUNT,
    GOOGLE_SITEMAP_ROUTE,
    INFORMATION_PAGES,
    STOCK_STATUS_TEXT,
    Manufacturer,
    meta_description,
    oc_price,
    seo_keyword,
)


class OpenCartStore(OpenCartLayout):
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
        self._manufacturers = {b: Manufacturer(5 + i, b, seo_keyword(b)) for i, b in enumerate(brands)}
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
        description = meta_description(product.description)
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
