"""The WooCommerce store: its indexes of the catalog and the routing of pretty permalinks to pages,
sitemaps and the REST API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from markupsafe import Markup

from ...catalog import Catalog, Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .listings import ListingPages
from .model import PAGES, WC_PAGES
from .product_page import ProductPage
from .sitemaps import SITEMAP_XSL, YoastSitemaps
from .store_api import StoreApi


class WooCommerceStore(ListingPages, ProductPage, YoastSitemaps, StoreApi):
    platform = "woocommerce"

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self._category_by_path: dict[str, Category] = {}
        self._category_by_slug: dict[str, Category] = {}
        self._lists: dict[str, list[DemoProduct]] = {}  # listing key ("shop" or a category path) -> products
        self._sorted: dict[tuple[str, str], list[DemoProduct]] = {}
        self._position: dict[tuple[str, str], int] = {}  # (category path, product id) -> index in its listing
        self._counts: dict[int, int] = {}
        self._fragments: dict[tuple[str, str], Markup] = {}  # (template, store URL) -> HTML shared by all pages
        categories = {c for p in catalog.products for cat in p.categories for c in cat.path()}
        self._categories = sorted(categories, key=lambda c: c.id)
        for category in self._categories:
            key = self.category_key(category)
            self._category_by_path[key] = category
            self._category_by_slug[category.slug] = category
            members = sorted(catalog.in_category(category), key=self._menu_order)
            self._lists[key] = members
            self._counts[category.id] = len(members)
            for n, product in enumerate(members):
                self._position[(key, product.product_id)] = n
        self._lists["shop"] = sorted(catalog.products, key=self._menu_order)
        self._newest_first = sorted(catalog.products, key=lambda p: p.numeric_id, reverse=True)
        self._on_sale = [p for p in self._lists["shop"] if p.on_sale][:4]

    # --- Store interface ---------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return f"product/{product.slug}/"

    def robots_disallow(self) -> list[str]:
        return ["wp-admin/", *WC_PAGES, "*?add-to-cart=*", self.trap_path]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap_index.xml"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path == "wp-json" or path.startswith("wp-json/"):
            return self._rest(request, path[len("wp-json") :])
        if path == "" and request.arg("rest_route"):
            return self._rest(request, request.arg("rest_route") or "/")
        view = self._route(path)
        if view is None and self._wants_slash(path):  # WordPress's redirect_canonical adds the slash
            return self._redirect(request, path + "/")
        if view is None:
            return self._not_found(request)
        return view(request)

    # --- routing -----------------------------------------------------------------------

    def _route(self, path: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if path == "":
            return self._home
        if path.startswith("product/"):
            slug = path[len("product/") :].rstrip("/")
            product = self.catalog.by_slug.get(slug)
            return partial(self._product, product=product) if product and path.endswith("/") else None
        if path == "shop/" or path.startswith("shop/page/"):
            page = self._page_number(path, "shop/")
            return partial(self._archive, category=None, page=page, base="shop/") if page else None
        if path.startswith("product-category/"):
            return self._category_route(path[len("product-category/") :])
        if path.startswith("page/") and path.endswith("/"):
            page = self._page_number(path, "")
            return partial(self._search, page=page) if page else None
        if path.endswith(".xml") or path.endswith(".xsl"):
            return self._sitemap_route(path)
        if path in PAGES:
            return partial(self._static_page, slug=path)
        if path in WC_PAGES:
            return partial(self._wc_page, slug=path)
        if path.rstrip("/") == self.trap_path:
            return self._trap
        if path.startswith("wp-admin"):
            return lambda request: self._redirect(request, "wp-login.php", status=302)
        if path == "wp-login.php":
            return self._login
        return None

    def _wants_slash(self, path: str) -> bool:
        is_file = "." in path.rsplit("/", 1)[-1]
        return bool(path) and not path.endswith("/") and not is_file and self._route(path + "/") is not None

    @staticmethod
    def _page_number(path: str, base: str) -> int | None:
        rest = path[len(base) :]
        if rest == "":
            return 1
        match = re.fullmatch(r"page/(\d+)/", rest)
        return int(match.group(1)) if match and int(match.group(1)) >= 1 else None

    def _category_route(self, rest: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if not rest.endswith("/"):
            return None
        page = 1
        match = re.fullmatch(r"(.+?)/page/(\d+)/", rest)
        if match:
            rest, page = match.group(1) + "/", int(match.group(2))
        key = rest.rstrip("/")
        category = self._category_by_path.get(key)
        if category is not None and page >= 1:
            return partial(self._archive, category=category, page=page, base=f"product-category/{key}/")
        leaf = self._category_by_slug.get(key.rsplit("/", 1)[-1])
        if leaf is not None and "/" not in key:  # WordPress finds a child term by its slug alone
            target = f"product-category/{self.category_key(leaf)}/"
            return lambda request: self._redirect(request, target)
        return None

    def _sitemap_route(self, path: str) -> Callable[[DemoRequest], DemoResponse] | None:
        if path == "sitemap_index.xml":
            return self._sitemap_index
        if path == "sitemap.xml":
            return lambda request: self._redirect(request, "sitemap_index.xml")
        if path == "main-sitemap.xsl":
            return lambda request: DemoResponse(SITEMAP_XSL, 200, "text/xsl; charset=utf-8")
        if path == "product_cat-sitemap.xml":
            return self._category_sitemap
        if path == "page-sitemap.xml":
            return self._page_sitemap
        match = re.fullmatch(r"product-sitemap(\d*)\.xml", path)
        if match and match.group(1) != "1":
            number = int(match.group(1) or 1)
            if number <= self._product_sitemap_count():
                return partial(self._product_sitemap, number=number)
        return None
