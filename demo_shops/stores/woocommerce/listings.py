"""Product listings: the home page, shop and category archives, search, pagination, sidebar widgets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from ...catalog import Category, DemoProduct
from ...store import DemoRequest, DemoResponse
from .layout import WordPressLayout
from .model import ORDERBY_OPTIONS, PER_PAGE, SHOP_NAME, SHOP_TAGLINE, product_price_html, trusted_html


class ListingPages(WordPressLayout):
    """The home page, the shop and category archives, search results, pagination and sidebar widgets."""

    # --- HTML pages --------------------------------------------------------------------

    def _home(self, request: DemoRequest) -> DemoResponse:
        if request.arg("wc-ajax"):
            return self._wc_ajax(request)
        post_id = request.arg("p")
        if post_id is not None:  # the ?p=ID shortlink
            product = self.catalog.by_id.get(post_id)
            return self._redirect_to(request, product) if product else self._not_found(request)
        if request.arg("s") is not None:
            return self._search(request, page=1)
        top = [c for c in self._categories if c.parent is None]
        utm = "?utm_source=homepage&utm_medium=banner&utm_campaign=prosfores"
        return self._page(
            request,
            "woocommerce/home.html",
            title=f"{SHOP_NAME} - {SHOP_TAGLINE}",
            description="Νήματα, βελόνες, βελονάκια και αξεσουάρ πλεκτικής με αποστολή σε όλη την Ελλάδα.",
            body_class="home page-template page-template-template-homepage page page-id-7 wp-custom-logo "
            "theme-storefront woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            canonical=request.store_url,
            og_type="website",
            yoast=self._yoast(
                request, request.store_url, f"{SHOP_NAME} - {SHOP_TAGLINE}", "WebPage", [("Αρχική", None)]
            ),
            top_categories=[
                {"name": c.name_el, "url": self._category_url(request, c), "count": self._counts[c.id], "slug": c.slug}
                for c in top
            ],
            newest=[self._loop_item(request, p, n) for n, p in enumerate(self._newest_first[:4])],
            on_sale=[self._loop_item(request, p, n, utm) for n, p in enumerate(self._on_sale)],
        )

    def _redirect_to(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        response = DemoResponse.redirect(self._product_url(request, product), 301)
        response.headers["X-Redirect-By"] = "WordPress"
        return response

    def _ordered(self, key: str, products: list[DemoProduct], orderby: str) -> list[DemoProduct]:
        if orderby not in ("date", "price", "price-desc", "popularity"):
            return products
        cached = self._sorted.get((key, orderby))
        if cached is None:
            if orderby == "date":
                cached = sorted(products, key=lambda p: p.numeric_id, reverse=True)
            elif orderby == "popularity":
                cached = sorted(products, key=lambda p: (p.numeric_id * 7919) % 101)
            else:
                cached = sorted(products, key=lambda p: p.price or Decimal(0), reverse=orderby == "price-desc")
            self._sorted[(key, orderby)] = cached
        return cached

    def _archive(self, request: DemoRequest, category: Category | None, page: int, base: str) -> DemoResponse:
        key = self.category_key(category) if category else "shop"
        orderby = request.arg("orderby") or "menu_order"
        products = self._ordered(key, self._lists.get(key, []), orderby)
        last_page = max(1, -(-len(products) // PER_PAGE))
        if page > last_page:
            return self._not_found(request)
        if page == 1 and request.path != base:
            return self._redirect(request, base)
        chunk = products[(page - 1) * PER_PAGE : page * PER_PAGE]
        name = category.name_el if category else "Κατάστημα"
        crumbs: list[tuple[str, str | None]] = [("Αρχική", request.store_url)]
        if category:
            crumbs += [(c.name_el, self._category_url(request, c)) for c in category.path()[:-1]]
        crumbs.append((name, None))
        base_url = request.store_url + base
        canonical = base_url if page == 1 else f"{base_url}page/{page}/"
        body = (
            f"archive tax-product_cat term-{category.slug} term-{category.id}"
            if category
            else "archive post-type-archive post-type-archive-product"
        )
        subcategories = (
            [
                {"name": c.name_el, "url": self._category_url(request, c), "count": self._counts[c.id], "slug": c.slug}
                for c in self._categories
                if c.parent == category and self._counts.get(c.id)
            ]
            if category and page == 1
            else []
        )
        return self._page(
            request,
            "woocommerce/archive.html",
            title=f"{name}{f' - Σελίδα {page} από {last_page}' if page > 1 else ''} - {SHOP_NAME}",
            description=f"{name}: αγοράστε online στο {SHOP_NAME}.",
            body_class=f"{body} wp-custom-logo theme-storefront woocommerce-shop woocommerce woocommerce-page "
            "woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            canonical=canonical,
            og_type="website",
            yoast=self._yoast(request, canonical, name, "CollectionPage", crumbs),
            heading=name,
            crumbs=crumbs,
            items=[self._loop_item(request, p, n) for n, p in enumerate(chunk)],
            subcategories=subcategories,
            result_count=self._result_count(page, len(chunk), len(products)),
            pagination=self._pagination(request, base_url, page, last_page),
            prev_url=(base_url if page == 2 else f"{base_url}page/{page - 1}/") if page > 1 else None,
            next_url=f"{base_url}page/{page + 1}/" if page < last_page else None,
            orderby=orderby,
            orderby_options=ORDERBY_OPTIONS,
            category_widget_html=self._fragment(
                request, "woocommerce/_category_widget.html", category_widget=self._category_widget
            ),
            sale_widget=self._sale_widget(request),
        )

    def _search(self, request: DemoRequest, page: int | None) -> DemoResponse:
        term = (request.arg("s") or "").strip().casefold()
        if page is None or request.arg("s") is None:
            return self._not_found(request)
        found = [p for p in self._lists["shop"] if term in p.name.casefold()] if term else []
        last_page = max(1, -(-len(found) // PER_PAGE))
        if page > last_page:
            return self._not_found(request)
        chunk = found[(page - 1) * PER_PAGE : page * PER_PAGE]
        heading = f"Αποτελέσματα αναζήτησης: “{request.arg('s')}”"
        return self._page(
            request,
            "woocommerce/archive.html",
            title=f"{heading} - {SHOP_NAME}",
            description="",
            robots="noindex, follow",
            body_class="search search-results wp-custom-logo theme-storefront woocommerce woocommerce-page "
            "woocommerce-no-js storefront-align-wide right-sidebar woocommerce-active",
            og_type="website",
            yoast=trusted_html(""),
            heading=heading,
            crumbs=[("Αρχική", request.store_url), (heading, None)],
            items=[self._loop_item(request, p, n) for n, p in enumerate(chunk)],
            subcategories=[],
            result_count=self._result_count(page, len(chunk), len(found)),
            pagination=self._pagination(request, request.store_url, page, last_page),
            prev_url=None,
            next_url=None,
            orderby=request.arg("orderby") or "menu_order",
            orderby_options=ORDERBY_OPTIONS,
            category_widget_html=self._fragment(
                request, "woocommerce/_category_widget.html", category_widget=self._category_widget
            ),
            sale_widget=self._sale_widget(request),
        )

    @staticmethod
    def _result_count(page: int, shown: int, total: int) -> str:
        if total == 0:
            return ""
        if total <= PER_PAGE:
            return "Εμφάνιση του μοναδικού αποτελέσματος" if total == 1 else f"Προβολή όλων των {total} αποτελεσμάτων"
        first = (page - 1) * PER_PAGE + 1
        return f"Προβολή {first}&ndash;{first + shown - 1} από {total} αποτελέσματα"

    def _pagination(self, request: DemoRequest, base_url: str, page: int, last_page: int) -> list[dict[str, Any]]:
        """``paginate_links()`` items: numbers around the current page, dots, and prev/next arrows."""
        if last_page <= 1:
            return []
        query = {k: v for k, v in request.query.items() if k in ("orderby", "s", "post_type")}
        suffix = f"?{urlencode(query, doseq=True)}" if query else ""

        def link(n: int) -> str:
            return (base_url if n == 1 else f"{base_url}page/{n}/") + suffix

        items: list[dict[str, Any]] = []
        if page > 1:
            items.append({"kind": "prev", "url": link(page - 1), "text": "&larr;"})
        shown = sorted({1, last_page, *range(max(1, page - 2), min(last_page, page + 2) + 1)})
        previous = 0
        for n in shown:
            if n - previous > 1:
                items.append({"kind": "dots", "text": "&hellip;"})
            items.append({"kind": "current" if n == page else "page", "url": link(n), "text": str(n)})
            previous = n
        if page < last_page:
            items.append({"kind": "next", "url": link(page + 1), "text": "&rarr;"})
        return items

    def _category_widget(self, request: DemoRequest) -> list[dict[str, Any]]:
        return [
            {
                "name": c.name_el,
                "url": self._category_url(request, c),
                "count": self._counts[c.id],
                "id": c.id,
                "child": c.parent is not None,
            }
            for c in sorted(
                self._categories, key=lambda c: (c.parent.id if c.parent else c.id, c.parent is not None, c.id)
            )
        ]

    def _sale_widget(self, request: DemoRequest) -> list[dict[str, Any]]:
        # A sidebar "featured offers" widget with tracked links and prices of OTHER products.
        utm = "?utm_source=sidebar&utm_medium=widget&utm_campaign=prosfores"
        return [
            {
                "url": self._product_url(request, p) + utm,
                "name": p.name,
                "thumb": self._image(request, p.images[0], "150x150"),
                "price_html": product_price_html(p),
            }
            for p in self._on_sale[:3]
        ]
