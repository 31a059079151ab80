"""The Magento 2 store: its URL rewrites and system routes, robots.txt rules, sitemaps and static assets;
the pages and the GraphQL API come from their own modules.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, ClassVar

from markupsafe import Markup

from ...catalog import CATEGORIES, Catalog, Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .graphql_api import Magento2GraphQL
from .model import (
    SITEMAP_MAX_URLS,
    STATIC_VERSION,
    THEME_PATH,
    URL_SUFFIX,
    OptionRegistry,
    category_url_path,
    configurable_attributes,
    html_escape,
    image_path,
)
from .pages import Magento2Pages


class Magento2Store(Magento2Pages, Magento2GraphQL):
    platform = "magento2"

    #: "Display Out of Stock Products" (Stores > Configuration > Catalog > Inventory).
    show_out_of_stock: ClassVar[bool] = True

    def __init__(self, catalog: Catalog) -> None:
        super().__init__(catalog)
        self.options = OptionRegistry()
        self.position = {p.product_id: n for n, p in enumerate(catalog.products)}
        self.categories = list(CATEGORIES)
        self.category_by_id = {c.id: c for c in CATEGORIES}
        self.category_products: dict[int, list[DemoProduct]] = {c.id: [] for c in CATEGORIES}
        for product in catalog.products:
            ancestors = {a.id for c in product.categories for a in c.path()}
            for category_id in ancestors:
                self.category_products[category_id].append(product)
            for variant in product.variants:
                for attribute in configurable_attributes(product):
                    self.options.option_id(attribute.attribute_id, variant.options[attribute.label])
        # Magento's url_rewrite table: request path -> entity.
        self.rewrites: dict[str, DemoProduct | Category] = {}
        for category in CATEGORIES:
            self.rewrites[category_url_path(category) + URL_SUFFIX] = category
        for product in catalog.products:
            self.rewrites[product.slug + URL_SUFFIX] = product
        self._graphql_products: dict[tuple[str, str], dict[str, Any]] = {}
        self._sitemaps: dict[str, list[str]] = {}
        self._chrome: dict[str, dict[str, Markup]] = {}
        self._tiles: dict[tuple[str, str, str], Markup] = {}

    # --- Store interface ------------------------------------------------------------

    def product_path(self, product: DemoProduct) -> str:
        return product.slug + URL_SUFFIX

    def robots_disallow(self) -> list[str]:
        # Adobe's recommended rules for Magento 2, minus "/*?" (it would hide ?p=N pages
        # and GET GraphQL, which this shop wants crawled), plus the trap.
        return [
            "index.php/",
            "*.php$",
            "catalog/product_compare/",
            "catalog/category/view/",
            "catalog/product/view/",
            "catalogsearch/",
            "checkout/",
            "customer/",
            "review/",
            "sendfriend/",
            "wishlist/",
            "*?SID=",
            "*?*product_list_mode=",
            "*?*product_list_order=",
            "*?*product_list_dir=",
            self.trap_path,
        ]

    def sitemap_paths(self) -> list[str]:
        return ["sitemap.xml"]

    def handle(self, request: DemoRequest) -> DemoResponse:
        path = request.path
        if path in ("graphql", "graphql/"):
            return self.graphql(request)
        if path == "":
            return self.home(request)
        entity = self.rewrites.get(path)
        if isinstance(entity, Category):
            return self.category_page(request, entity)
        if entity is not None:
            return self.product_page(request, entity)
        route = self.system_route(request)
        if route is not None:
            return route
        if path.startswith("static/"):
            return self.static_asset(path)
        if path == "sitemap.xml" or re.fullmatch(r"sitemap-1-\d+\.xml", path):
            return self.sitemap(request, path)
        return self.not_found(request)

    def system_route(self, request: DemoRequest) -> DemoResponse | None:
        """Magento's router: ``module/controller/action/param/value`` paths."""
        path = request.path.rstrip("/")
        if match := re.fullmatch(r"catalog/product/view/id/(\d+)(?:/.*)?", path):
            product = self.catalog.by_id.get(match.group(1))
            return self.product_page(request, product) if product else self.not_found(request)
        if match := re.fullmatch(r"catalog/category/view/id/(\d+)(?:/.*)?", path):
            category = self.category_by_id.get(int(match.group(1)))
            return self.category_page(request, category) if category else self.not_found(request)
        if path in ("checkout/cart", "checkout/cart/index"):
            return self.page(request, "magento2/cart.html", body_class="checkout-cart-index page-layout-1column")
        if path == "checkout":
            return DemoResponse.redirect(request.url("checkout/cart/"), 302)
        if path in ("customer/account", "customer/account/index"):
            return DemoResponse.redirect(request.url("customer/account/login/"), 302)
        if path == "customer/account/login" or path.startswith("customer/account/login/"):
            return self.page(request, "magento2/login.html", body_class="customer-account-login page-layout-1column")
        if path == "customer/account/create":
            return self.page(
                request, "magento2/register.html", body_class="customer-account-create page-layout-1column"
            )
        if path in ("catalogsearch/result", "catalogsearch/result/index"):
            return self.search_page(request)
        if path in ("contact", "privacy-policy-cookie-restriction-mode"):
            return self.page(request, "magento2/cms.html", body_class="cms-page-view page-layout-1column", cms=path)
        return None

    def search(self, text: str) -> list[DemoProduct]:
        words = [w for w in re.split(r"\W+", text.lower()) if w]
        return [p for p in self.catalog.products if any(w in p.name.lower() or w in p.sku.lower() for w in words)]

    # --- sitemap, static ----------------------------------------------------------

    def sitemap(self, request: DemoRequest, path: str) -> DemoResponse:
        files = self._sitemaps.get(request.store_url)
        if files is None:
            files = self._sitemaps[request.store_url] = self.build_sitemaps(request)
        if path == "sitemap.xml":
            return DemoResponse.xml(files[0])
        number = int(path.removeprefix("sitemap-1-").removesuffix(".xml"))
        if len(files) == 1 or not 1 <= number < len(files):
            return self.not_found(request)
        return DemoResponse.xml(files[number])

    def build_sitemaps(self, request: DemoRequest) -> list[str]:
        """``sitemap.xml`` alone, or (past the URL limit) an index and ``sitemap-1-N.xml`` parts."""
        lastmod = (date(2024, 1, 1) + timedelta(days=self.catalog.day - 1)).isoformat() + "T08:00:00+00:00"
        entries = [_sitemap_url(request.store_url, lastmod, "daily", "1.0")]
        entries += [
            _sitemap_url(request.url(category_url_path(c) + URL_SUFFIX), lastmod, "daily", "0.5")
            for c in self.categories
        ]
        for product in self.catalog.products:
            image = request.url(image_path(product.images[0]))
            entries.append(
                _sitemap_url(request.url(self.product_path(product)), lastmod, "daily", "1.0", image, product.name)
            )
        head = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:content="http://www.google.com/schemas/sitemap-content/1.0" '
            'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        )
        parts = [entries[i : i + SITEMAP_MAX_URLS] for i in range(0, len(entries), SITEMAP_MAX_URLS)]
        if len(parts) == 1:
            return [head + "".join(parts[0]) + "</urlset>"]
        index = "".join(
            f"<sitemap><loc>{request.url(f'sitemap-1-{n}.xml')}</loc><lastmod>{lastmod}</lastmod></sitemap>"
            for n in range(1, len(parts) + 1)
        )
        index_xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>'
        )
        return [index_xml] + [head + "".join(part) + "</urlset>" for part in parts]

    def static_asset(self, path: str) -> DemoResponse:
        if not path.startswith(f"static/version{STATIC_VERSION}/{THEME_PATH}/"):
            return DemoResponse.not_found()
        if path.endswith(".js"):
            return DemoResponse("/* Magento 2 static asset */\n", 200, "application/javascript")
        if path.endswith(".css"):
            return DemoResponse("/* Magento 2 static asset */\n", 200, "text/css")
        return DemoResponse.not_found()


def _sitemap_url(
    loc: str, lastmod: str, changefreq: str, priority: str, image: str | None = None, title: str | None = None
) -> str:
    image_xml = (
        f"<image:image><image:loc>{html_escape(image)}</image:loc>"
        f"<image:title>{html_escape(title or '')}</image:title></image:image>"
        if image
        else ""
    )
    return (
        f"<url><loc>{html_escape(loc)}</loc><lastmod>{lastmod}</lastmod><changefreq>{changefreq}</changefreq>"
        f"<priority>{priority}</priority>{image_xml}</url>"
    )
