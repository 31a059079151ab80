"""The building blocks of OpenCart's default theme pages: listings and pagination, product cards,
prices and options, breadcrumbs, menu, header/footer chrome, and the page frame with its OCSESSID cookie.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ...catalog import Category, DemoProduct
from ...store import DemoRequest, DemoResponse, Store
from .model import (
    INFORMATION_PAGES,
    LAST_MODIFIED_EPOCH,
    LISTING_LIMIT,
    PRICE_ON_REQUEST_TEXT,
    RELATED_COUNT,
    TAX_RATE,
    Listing,
    oc_price,
)


class OpenCartLayout(Store):
    """The default theme's building blocks: listings and pagination, product cards, prices and options,
    breadcrumbs, the menu and the page frame."""

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
        when = LAST_MODIFIED_EPOCH + timedelta(days=self.catalog.day - 1, minutes=product.index * 7 % 1440)
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
