"""The PrestaShop store: the catalog as PrestaShop keeps it, friendly URLs, dispatch, legacy
``index.php`` redirects and the pages.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from ...catalog import CATEGORIES, Catalog, Category, DemoProduct, DemoVariant
from ...store import DemoRequest, DemoResponse
from .model import (
    CATEGORY_PATH,
    CMS_BY_ID,
    CMS_PAGES,
    CMS_PATH,
    DATE_BASE,
    FEATURED_COUNT,
    ID_SHOP,
    IMAGE_PATH,
    IMAGE_TYPES,
    PAGE_CONTROLLERS,
    PER_PAGE,
    PER_PAGE_CHOICES,
    PIXEL,
    PRODUCT_PATH,
    SHOP_NAME,
    SIMPLE_PAGES,
    SITEMAP_PATH,
    TAX_FACTOR,
    CmsPage,
    PsCombination,
    PsProduct,
    attribute_group_of,
    micro,
    reduction_of,
    regular_price_of,
)
from .page import Page
from .sitemaps import GsitemapSitemaps


class PrestaShopStore(GsitemapSitemaps):
    platform = "prestashop"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.categories: dict[int, Category] = {c.id: c for c in CATEGORIES}
        self.top_categories = [c for c in CATEGORIES if c.parent is None]
        self.children: dict[int, list[Category]] = {c.id: [] for c in CATEGORIES}
        for category in CATEGORIES:
            if category.parent:
                self.children[category.parent.id].append(category)
        # Listing membership (a product sits in its categories and their parents), built once.
        self.category_products: dict[int, list[DemoProduct]] = {c.id: [] for c in CATEGORIES}
        for product in catalog.products:
            member_of = {c.id for own in product.categories for c in own.path()}
            for category_id in member_of:
                self.category_products[category_id].append(product)
        self.category_position: dict[int, dict[str, int]] = {
            category_id: {p.product_id: n for n, p in enumerate(products)}
            for category_id, products in self.category_products.items()
        }
        self.on_sale = [p for p in catalog.products if p.on_sale]
        self.newest = sorted(catalog.products, key=lambda p: -p.numeric_id)[: PER_PAGE * 2]
        self.attribute_ids = self._attribute_ids(catalog)
        self.static_token = hashlib.md5(f"{catalog.site}-{catalog.seed}".encode()).hexdigest()  # noqa: S324
        self.cookie_name = "PrestaShop-" + hashlib.md5(f"{catalog.site}cookie".encode()).hexdigest()  # noqa: S324
        self._sitemaps: dict[str, list[dict[str, Any]]] = {}
        self._ps_products: dict[str, PsProduct] = {}
        self._global_js: dict[tuple[str, str, str], list[str]] = {}
        self._chrome: dict[str, dict[str, Markup]] = {}

    # --- model ------------------------------------------------------------------------

    @staticmethod
    def _attribute_ids(catalog: Catalog) -> dict[tuple[int, str], int]:
        """``id_attribute`` of every option value, numbered group by group in a natural order."""
        values: dict[int, set[str]] = {}
        for product in catalog.products:
            for variant in product.variants:
                for name, value in variant.options.items():
                    values.setdefault(attribute_group_of(name)[0], set()).add(value)

        def natural(value: str) -> tuple[Decimal, str]:
            number = re.search(r"\d+(?:,\d+)?", value)
            return (Decimal(number.group().replace(",", ".")) if number else Decimal(0), value)

        ids: dict[tuple[int, str], int] = {}
        for group_id in sorted(values):
            for value in sorted(values[group_id], key=natural):
                ids[(group_id, value)] = len(ids) + 1
        return ids

    def ps_product(self, product: DemoProduct) -> PsProduct:
        """Memoized: listings and carousels ask for the same products over and over."""
        cached = self._ps_products.get(product.product_id)
        if cached is None:
            cached = self._ps_products[product.product_id] = self._build_ps_product(product)
        return cached

    def _build_ps_product(self, product: DemoProduct) -> PsProduct:
        if product.price is None:  # price on request: show_price = 0, price 0
            return PsProduct(product, False, Decimal(0), None, product.stock_qty, False, None, (), None)
        default_variant = min(product.variants, key=lambda v: (v.price, v.variant_id)) if product.variants else None
        regular = regular_price_of(default_variant) if default_variant else (product.regular_price or product.price)
        base_excl = micro(regular / TAX_FACTOR)
        combinations = tuple(self._combination(product, v, base_excl) for v in product.variants)
        default = next((c for c in combinations if c.variant is default_variant), None)
        reduction = default.reduction if default else reduction_of(regular, product.price)
        orderable_out_of_stock = product.availability in ("backorder", "preorder") and not combinations
        quantity = sum(c.quantity for c in combinations) if combinations else product.stock_qty
        if orderable_out_of_stock or product.availability == "out_of_stock":
            quantity = 0
        available_date = None
        if product.availability == "preorder":
            available_date = DATE_BASE + timedelta(days=self.catalog.day + 20)
        return PsProduct(
            product, True, base_excl, reduction, quantity, orderable_out_of_stock, available_date, combinations, default
        )

    def _combination(self, product: DemoProduct, variant: DemoVariant, base_excl: Decimal) -> PsCombination:
        """The impact makes ``base + impact`` the variant's own price excl. tax, 6 decimals."""
        regular = regular_price_of(variant)
        groups = tuple(
            (attribute_group_of(name)[0], name, self.attribute_ids[(attribute_group_of(name)[0], value)], value)
            for name, value in variant.options.items()
        )
        in_stock = variant.availability != "out_of_stock" and product.availability != "out_of_stock"
        return PsCombination(
            variant,
            variant.variant_id,
            micro(regular / TAX_FACTOR) - base_excl,
            2 + variant.variant_id % 9 if in_stock else 0,
            reduction_of(regular, variant.price) if variant.price is not None else None,
            groups,
        )

    # --- URLs -------------------------------------------------------------------------

    def product_path(self, product: DemoProduct, category: Category | None = None) -> str:
        rewrite = product.slug + (f"-{product.gtin}" if product.gtin else "")
        return f"{(category or product.category).slug}/{product.numeric_id}-{rewrite}.html"

    @staticmethod
    def category_path(category: Category) -> str:
        return f"{category.id}-{category.slug}"

    @staticmethod
    def cms_path(page: CmsPage) -> str:
        return f"content/{page.id_cms}-{page.rewrite}"

    @staticmethod
    def image_path(product: DemoProduct, n: int, image_type: str) -> str:
        return f"{product.numeric_id * 10 + n}-{image_type}/{product.slug}.jpg"

    def robots_disallow(self) -> list[str]:
        """What PrestaShop's generated robots.txt disallows (one language: no ``el/`` prefix).

        Not ``*p=``: listing pages stay crawlable, as in the generated file.
        """
        private = ["orderby=", "orderway=", "tag=", "id_currency=", "search_query=", "back=", "n="]
        controllers = [
            "addresses", "address", "authentication", "cart", "discount", "footer", "get-file", "header",
            "history", "identity", "images.inc", "init", "my-account", "order", "order-opc", "order-slip",
            "order-detail", "order-follow", "order-return", "order-confirmation", "pagination", "password",
            "pdf-invoice", "pdf-order-return", "pdf-order-slip", "product-sort", "search", "statistics",
            "attachment", "guest-tracking",
        ]  # fmt: skip
        directories = ["classes/", "config/", "download/", "mails/", "modules/", "translations/", "tools/"]
        files = [
            "address", "addresses", "login", "cart", "discount", "order-history", "identity", "my-account",
            "order-follow", "credit-slip", "order", "search", "guest-tracking", "password-recovery", "quick-order",
        ]  # fmt: skip
        return [
            *(f"*{rule}" for rule in private),
            *(f"*controller={name}" for name in controllers),
            *(f"*{directory}" for directory in directories),
            *files,
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return [f"{ID_SHOP}_index_sitemap.xml"]

    # --- dispatch ---------------------------------------------------------------------

    def handle(self, request: DemoRequest) -> DemoResponse:
        path, lang = request.path, "el"
        if path.startswith("en/"):
            path, lang = path[3:], "en"
        page = Page(self, request, path, lang)
        response = self._route(page)
        if response.content_type.startswith("text/html"):
            response.headers.update(self._headers(request))
        return response

    def _route(self, page: Page) -> DemoResponse:
        path = page.path
        if path in ("", "index.php"):
            return self._home(page) if path == "" else self._legacy(page)
        if path == f"{ID_SHOP}_index_sitemap.xml":
            return self._sitemap_index(page)
        if match := SITEMAP_PATH.fullmatch(path):
            return self._sitemap(page, match.group("lang"), int(match.group("index")))
        if match := IMAGE_PATH.fullmatch(path):
            return self._image(match.group("type"))
        if match := PRODUCT_PATH.fullmatch(path):
            return self._product(page, int(match.group("id")), match.group("category"), match.group("rewrite"))
        if match := CATEGORY_PATH.fullmatch(path):
            return self._category(page, int(match.group("id")), match.group("rewrite"))
        if match := CMS_PATH.fullmatch(path):
            return self._cms(page, int(match.group("id")), match.group("rewrite"))
        if path in ("prices-drop", "new-products"):
            return self._special_listing(page, path)
        if path == "search":
            return self._search(page)
        if path == "sitemap":
            return self._html_sitemap(page)
        if path in SIMPLE_PAGES:
            return self._simple(page, path)
        if path == self.trap_path:
            return page.render("page.html", page_name="trap", title="Trap", text="A polite crawler never gets here.")
        return self._not_found(page)

    def _headers(self, request: DemoRequest) -> dict[str, str]:
        cookie_path = urlsplit(request.store_url).path
        token = hashlib.sha1(f"{self.cookie_name}{request.path}".encode()).hexdigest()  # noqa: S324
        return {
            "Powered-By": "PrestaShop",
            "P3P": 'CP="IDC DSP COR CURa ADMa OUR IND PHY ONL COM STA"',
            "X-Powered-By": "PHP/5.6.40",
            "Set-Cookie": f"{self.cookie_name}=def502{token}; Max-Age=1728000; path={cookie_path}; HttpOnly",
        }

    def _legacy(self, page: Page) -> DemoResponse:
        """``index.php?controller=...``: 301 to the friendly URL, as canonical redirection does."""
        request = page.request
        controller = (request.arg("controller") or "index").lower()
        target: str | None = None
        if controller == "product":
            product = self.catalog.by_id.get(request.arg("id_product") or "")
            target = self.product_path(product) if product else None
        elif controller == "category":
            category = self.categories.get(request.int_arg("id_category", 0))
            target = self.category_path(category) if category else None
            if category and request.int_arg("p", 1) > 1:
                target += f"?p={request.int_arg('p', 1)}"
        elif controller == "cms":
            cms = CMS_BY_ID.get(request.int_arg("id_cms", 0))
            target = self.cms_path(cms) if cms else None
        elif controller in PAGE_CONTROLLERS:
            target = PAGE_CONTROLLERS[controller]
        if target is None:
            return self._not_found(page)
        return DemoResponse.redirect(page.url(target))

    # --- pages ------------------------------------------------------------------------

    def _home(self, page: Page) -> DemoResponse:
        featured = self.catalog.products[:FEATURED_COUNT]
        return page.render(
            "home.html",
            page_name="index",
            meta_title=SHOP_NAME,
            meta_description="Νήματα, βελόνες και αξεσουάρ πλεκτικής με αποστολή σε όλη την Ελλάδα.",
            canonical=page.url(""),
            featured=[page.list_item(p) for p in featured],
        )

    def _category(self, page: Page, category_id: int, rewrite: str) -> DemoResponse:
        category = self.categories.get(category_id)
        if category is None:
            return self._not_found(page, "Η κατηγορία δεν είναι διαθέσιμη.")
        if rewrite != category.slug:
            return DemoResponse.redirect(page.url(self.category_path(category), **page.query_args("p", "n")))
        products = self.category_products[category.id]
        return self._listing(
            page,
            self.category_path(category),
            products,
            page_name="category",
            heading=category.name_el,
            category=category,
            subcategories=self.children[category.id],
            breadcrumbs=page.category_crumbs(category),
            left_column=True,
        )

    def _special_listing(self, page: Page, path: str) -> DemoResponse:
        products = self.on_sale if path == "prices-drop" else self.newest
        heading = "Προσφορές" if path == "prices-drop" else "Νέα προϊόντα"
        return self._listing(page, path, products, page_name=path, heading=heading, breadcrumbs=[(heading, None)])

    def _listing(
        self, page: Page, path: str, products: list[DemoProduct], page_name: str, heading: str, **context: Any
    ) -> DemoResponse:
        per_page = page.request.int_arg("n", PER_PAGE)
        per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE
        pages = max(1, -(-len(products) // per_page))
        current = page.request.int_arg("p", 1)
        if current < 1 or current > pages:  # FrontController::pagination() sends these back to page 1
            return DemoResponse.redirect(page.url(path, **page.query_args("n")), status=302)
        shown = products[(current - 1) * per_page : current * per_page]
        category = context.get("category")
        extra = {"n": per_page} if per_page != PER_PAGE else {}
        canonical = page.url(path, **({"p": current} if current > 1 else {}))
        return page.render(
            "category.html",
            page_name=page_name,
            meta_title=f"{heading}{f' (σελίδα {current})' if current > 1 else ''} - {SHOP_NAME}",
            meta_description=f"{heading}: {len(products)} προϊόντα στο {SHOP_NAME}.",
            canonical=canonical,
            heading=heading,
            total=len(products),
            first=(current - 1) * per_page + 1 if shown else 0,
            last=(current - 1) * per_page + len(shown),
            products=[page.list_item(p, category) for p in shown],
            pagination=page.pagination(path, current, pages, extra),
            **context,
        )

    def _product(self, page: Page, product_id: int, category_slug: str, rewrite: str) -> DemoResponse:
        product = self.catalog.by_id.get(str(product_id))
        if product is None:
            return self._not_found(page, "Αυτό το προϊόν δεν είναι διαθέσιμο.")
        own_slugs = {c.slug for c in product.categories}
        if category_slug not in own_slugs or rewrite not in (product.slug, f"{product.slug}-{product.gtin}"):
            return DemoResponse.redirect(page.url(self.product_path(product)))
        return page.render_product(product, prices_hidden=page.request.prices_hidden)

    def _cms(self, page: Page, cms_id: int, rewrite: str) -> DemoResponse:
        cms = CMS_BY_ID.get(cms_id)
        if cms is None:
            return self._not_found(page)
        if rewrite != cms.rewrite:
            return DemoResponse.redirect(page.url(self.cms_path(cms)))
        return page.render(
            "page.html",
            page_name="cms",
            meta_title=f"{cms.title} - {SHOP_NAME}",
            canonical=page.url(self.cms_path(cms)),
            title=cms.title,
            text=cms.text,
            breadcrumbs=[(cms.title, None)],
        )

    def _simple(self, page: Page, path: str) -> DemoResponse:
        page_name, title, text, robots = SIMPLE_PAGES[path]
        return page.render(
            "page.html",
            page_name=page_name,
            meta_title=f"{title} - {SHOP_NAME}",
            meta_robots=robots,
            canonical=page.url(path),
            title=title,
            text=text,
            breadcrumbs=[(title, None)],
        )

    def _search(self, page: Page) -> DemoResponse:
        query = (page.request.arg("search_query") or "").strip().lower()
        found = [p for p in self.catalog.products if query and query in p.name.lower()][:PER_PAGE]
        return page.render(
            "category.html",
            page_name="search",
            meta_title=f"Αναζήτηση - {SHOP_NAME}",
            meta_robots="noindex,nofollow",
            heading="Αναζήτηση",
            total=len(found),
            first=1 if found else 0,
            last=len(found),
            products=[page.list_item(p) for p in found],
            pagination=None,
            breadcrumbs=[("Αναζήτηση", None)],
        )

    def _html_sitemap(self, page: Page) -> DemoResponse:
        return page.render(
            "sitemap.html",
            page_name="sitemap",
            meta_title=f"Χάρτης ιστότοπου - {SHOP_NAME}",
            canonical=page.url("sitemap"),
            cms_pages=[(c.title, page.url(self.cms_path(c))) for c in CMS_PAGES],
            breadcrumbs=[("Χάρτης ιστότοπου", None)],
        )

    def _not_found(self, page: Page, message: str = "Η σελίδα που ζητήσατε δεν βρέθηκε.") -> DemoResponse:
        response = page.render(
            "page.html",
            page_name="pagenotfound",
            meta_title=f"404 - {SHOP_NAME}",
            meta_robots="noindex,nofollow",
            title="Η σελίδα δεν είναι διαθέσιμη",
            text=message,
        )
        response.status = 404
        return response

    @staticmethod
    def _image(image_type: str) -> DemoResponse:
        if image_type not in IMAGE_TYPES:
            return DemoResponse.not_found()
        return DemoResponse(PIXEL, 200, "image/gif")
