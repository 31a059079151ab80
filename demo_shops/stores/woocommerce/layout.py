"""The WordPress/Storefront frame around every page (URLs, headers, menu, Yoast SEO head), product loop
items, and the pages with no shop content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from markupsafe import Markup

from ...catalog import Category, DemoProduct
from ...store import DemoRequest, DemoResponse, Store
from .model import (
    COLUMNS,
    PAGES,
    SHOP_NAME,
    SHOP_TAGLINE,
    STOREFRONT_VERSION,
    WC_PAGES,
    WC_VERSION,
    WP_VERSION,
    YOAST_VERSION,
    Stock,
    product_price_html,
    product_stock,
    script_json,
    trusted_html,
)


class WordPressLayout(Store):
    """What every page shares: URLs, headers, the menu, the Storefront frame, Yoast SEO; and the pages
    with no products (WordPress pages, cart/checkout/account, login, 404)."""

    # Built by WooCommerceStore.__init__.
    _category_by_path: dict[str, Category]
    _category_by_slug: dict[str, Category]
    _lists: dict[str, list[DemoProduct]]
    _sorted: dict[tuple[str, str], list[DemoProduct]]
    _position: dict[tuple[str, str], int]
    _counts: dict[int, int]
    _fragments: dict[tuple[str, str], Markup]
    _categories: list[Category]
    _newest_first: list[DemoProduct]
    _on_sale: list[DemoProduct]

    # --- helpers -----------------------------------------------------------------------

    @staticmethod
    def category_key(category: Category) -> str:
        return "/".join(c.slug for c in category.path())

    @staticmethod
    def _menu_order(product: DemoProduct) -> tuple[str, int]:
        # WooCommerce's default sorting: menu_order (all 0 here), then title.
        return (product.name.casefold(), product.numeric_id)

    def _redirect(self, request: DemoRequest, path: str, status: int = 301) -> DemoResponse:
        query = urlencode(request.query, doseq=True)
        target = request.store_url + path + (f"?{query}" if query and "?" not in path else "")
        response = DemoResponse.redirect(target, status)
        response.headers["X-Redirect-By"] = "WordPress"
        return response

    def _root_path(self, request: DemoRequest) -> str:
        return urlsplit(request.store_url).path

    def _headers(self, request: DemoRequest, shortlink_id: int | None = None) -> dict[str, str]:
        links = [f'<{request.store_url}wp-json/>; rel="https://api.w.org/"']
        if shortlink_id is not None:
            links.append(f"<{request.store_url}?p={shortlink_id}>; rel=shortlink")
        return {"Link": ", ".join(links), "X-Powered-By": "PHP/8.2.26", "Vary": "Accept-Encoding"}

    def _menu(self, request: DemoRequest) -> list[dict[str, Any]]:
        top = [c for c in self._categories if c.parent is None]
        return [
            {
                "name": c.name_el,
                "url": self._category_url(request, c),
                "id": c.id,
                "children": [
                    {"name": s.name_el, "url": self._category_url(request, s), "id": s.id}
                    for s in self._categories
                    if s.parent == c
                ],
            }
            for c in top
        ]

    def _category_url(self, request: DemoRequest, category: Category) -> str:
        return f"{request.store_url}product-category/{self.category_key(category)}/"

    def _product_url(self, request: DemoRequest, product: DemoProduct) -> str:
        return request.store_url + self.product_path(product)

    def _image(self, request: DemoRequest, path: str, size: str = "") -> str:
        stem, _, ext = path.rpartition(".")
        return request.store_url + (f"{stem}-{size}.{ext}" if size else path)

    def _loop_item(self, request: DemoRequest, product: DemoProduct, n: int, utm: str = "") -> dict[str, Any]:
        """One ``li.product`` of a Storefront loop, with its add-to-cart button."""
        stock = product_stock(product)
        purchasable = product.price is not None
        kind = "variable" if product.variants else "simple"
        url = self._product_url(request, product)
        if kind == "variable":
            button = {
                "href": url,
                "classes": "button wp-element-button product_type_variable add_to_cart_button",
                "text": "Επιλογή επιλογών",
                "label": f"Επιλέξτε επιλογές για “{product.name}”",
            }
        elif purchasable and stock.is_in_stock:
            # add_query_arg() on the current request URI: the listing itself plus ?add-to-cart=ID
            button = {
                "href": f"{self._root_path(request)}{request.path}?add-to-cart={product.numeric_id}",
                "classes": "button wp-element-button product_type_simple add_to_cart_button ajax_add_to_cart",
                "text": "Προσθήκη στο καλάθι",
                "label": f"Προσθήκη στο καλάθι: “{product.name}”",
            }
        else:
            button = {
                "href": url,
                "classes": "button wp-element-button product_type_simple",
                "text": "Διαβάστε περισσότερα",
                "label": f"Διαβάστε περισσότερα για “{product.name}”",
            }
        position = " first" if n % COLUMNS == 0 else " last" if n % COLUMNS == COLUMNS - 1 else ""
        return {
            "id": product.numeric_id,
            "sku": product.sku,
            "name": product.name,
            "url": url + utm,
            "thumb": self._image(request, product.images[0], "324x324"),
            "price_html": product_price_html(product),
            "on_sale": product.on_sale,
            "classes": f"{self._post_classes(product, stock)}{position}",
            "button": button,
        }

    def _post_classes(self, product: DemoProduct, stock: Stock) -> str:
        kind = "variable" if product.variants else "simple"
        cats = " ".join(f"product_cat-{c.slug}" for c in product.categories)
        sale = " sale" if product.on_sale else ""
        purchasable = " purchasable" if product.price is not None else ""
        return (
            f"product type-product post-{product.numeric_id} status-publish {stock.status} {cats} "
            f"has-post-thumbnail{sale} shipping-taxable{purchasable} product-type-{kind}"
        )

    def _page(self, request: DemoRequest, template: str, status: int = 200, **context: Any) -> DemoResponse:
        context.setdefault("canonical", request.url(request.path))
        context.setdefault("robots", "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1")
        context.setdefault("hreflang", self._hreflang(context["canonical"]))
        context.setdefault("notice", self._cart_notice(request))
        response = self.render(
            template,
            store_url=request.store_url,
            shop_name=SHOP_NAME,
            tagline=SHOP_TAGLINE,
            wc_version=WC_VERSION,
            wp_version=WP_VERSION,
            storefront_version=STOREFRONT_VERSION,
            yoast_version=YOAST_VERSION,
            menu_html=self._fragment(request, "woocommerce/_menu.html", menu=self._menu),
            root_path=self._root_path(request),
            **context,
        )
        response.status = status
        response.headers.update(self._headers(request, context.get("shortlink_id")))
        return response

    def _fragment(self, request: DemoRequest, template: str, **builders: Callable[[DemoRequest], Any]) -> Markup:
        """A piece of HTML every page of the store repeats (menu, widgets), rendered once per store URL."""
        key = (template, request.store_url)
        cached = self._fragments.get(key)
        if cached is None:
            if len(self._fragments) > 64:  # store URLs come from Host headers: keep the cache bounded
                self._fragments.clear()
            context = {name: build(request) for name, build in builders.items()}
            body = self.render(template, store_url=request.store_url, **context).body
            cached = self._fragments[key] = trusted_html(body if isinstance(body, str) else body.decode())
        return cached

    @staticmethod
    def _hreflang(url: str) -> list[tuple[str, str]]:
        # WPML with the language as a parameter: ?lang=en serves the English version.
        return [("el", url), ("en", f"{url}?lang=en"), ("x-default", url)]

    def _cart_notice(self, request: DemoRequest) -> str:
        added = request.arg("add-to-cart")
        product = self.catalog.by_id.get(added or "")
        return f"Το «{product.name}» προστέθηκε στο καλάθι σας." if product else ""

    def _website_graph(self, request: DemoRequest) -> list[dict[str, Any]]:
        home = request.store_url
        return [
            {
                "@type": "WebSite",
                "@id": f"{home}#website",
                "url": home,
                "name": SHOP_NAME,
                "description": SHOP_TAGLINE,
                "publisher": {"@id": f"{home}#organization"},
                "potentialAction": [
                    {
                        "@type": "SearchAction",
                        "target": {"@type": "EntryPoint", "urlTemplate": f"{home}?s={{search_term_string}}"},
                        "query-input": {
                            "@type": "PropertyValueSpecification",
                            "valueRequired": True,
                            "valueName": "search_term_string",
                        },
                    }
                ],
                "inLanguage": "el",
            },
            {
                "@type": "Organization",
                "@id": f"{home}#organization",
                "name": SHOP_NAME,
                "url": home,
                "logo": {"@type": "ImageObject", "@id": f"{home}#/schema/logo/image/", "url": f"{home}media/logo.png"},
                "sameAs": [
                    "https://www.facebook.com/atmosphere.knitting",
                    "https://www.instagram.com/atmosphere.knitting",
                ],
            },
        ]

    def _yoast(
        self, request: DemoRequest, url: str, name: str, kind: Any, crumbs: list[tuple[str, str | None]]
    ) -> Markup:
        page = {
            "@type": kind,
            "@id": url,
            "url": url,
            "name": name,
            "isPartOf": {"@id": f"{request.store_url}#website"},
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "el",
            "potentialAction": [{"@type": "ReadAction", "target": [url]}],
        }
        items = []
        for n, (label, link) in enumerate(crumbs, start=1):
            item: dict[str, Any] = {"@type": "ListItem", "position": n, "name": label}
            if link:
                item["item"] = link
            items.append(item)
        breadcrumb = {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": items}
        graph = {"@context": "https://schema.org", "@graph": [page, breadcrumb, *self._website_graph(request)]}
        return script_json(graph)

    def _static_page(self, request: DemoRequest, slug: str) -> DemoResponse:
        title, body = PAGES[slug]
        url = request.store_url + slug
        return self._page(
            request,
            "woocommerce/page.html",
            title=f"{title} - {SHOP_NAME}",
            description=body[:155],
            body_class="page-template-default page wp-custom-logo theme-storefront woocommerce-no-js "
            "storefront-align-wide right-sidebar woocommerce-active",
            og_type="article",
            yoast=self._yoast(request, url, title, "WebPage", [("Αρχική", request.store_url), (title, None)]),
            heading=title,
            content=body,
        )

    def _wc_page(self, request: DemoRequest, slug: str) -> DemoResponse:
        title = WC_PAGES[slug]
        return self._page(
            request,
            "woocommerce/page.html",
            title=f"{title} - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            body_class=f"page-template-default page woocommerce-{slug.rstrip('/')} woocommerce-page theme-storefront "
            "woocommerce-no-js woocommerce-active",
            og_type="article",
            yoast=trusted_html(""),
            heading=title,
            content="Το καλάθι σας είναι άδειο." if slug == "cart/" else "Συνδεθείτε για να συνεχίσετε.",
        )

    def _trap(self, request: DemoRequest) -> DemoResponse:
        links = "".join(f'<a href="{request.store_url}{self.trap_path}/{n}/">{n}</a> ' for n in range(1, 6))
        return DemoResponse(f"<html><body><p>Nothing to see here.</p>{links}</body></html>")

    def _login(self, request: DemoRequest) -> DemoResponse:
        return DemoResponse(
            '<html><head><meta name="robots" content="noindex, nofollow"><title>Σύνδεση</title></head>'
            '<body class="login">'
            '<form name="loginform" id="loginform" method="post"><input type="text" name="log" id="user_login">'
            '<input type="password" name="pwd" id="user_pass"></form></body></html>'
        )

    def _wc_ajax(self, request: DemoRequest) -> DemoResponse:
        empty = '<div class="widget_shopping_cart_content"><p class="woocommerce-mini-cart__empty-message">'
        empty += "Δεν υπάρχουν προϊόντα στο καλάθι.</p></div>"
        return DemoResponse.json({"fragments": {"div.widget_shopping_cart_content": empty}, "cart_hash": ""})

    def _not_found(self, request: DemoRequest) -> DemoResponse:
        return self._page(
            request,
            "woocommerce/404.html",
            status=404,
            title=f"Η σελίδα δεν βρέθηκε - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            canonical="",
            hreflang=[],
            body_class="error404 wp-custom-logo theme-storefront woocommerce-no-js storefront-align-wide right-sidebar "
            "woocommerce-active",
            og_type="website",
            yoast=trusted_html(""),
        )
