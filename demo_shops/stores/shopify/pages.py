"""The Dawn theme's pages (home, collections, product, search, cart, login, pages, 404), product cards,
the shared chrome, and the catalog API endpoints.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from ...catalog import DemoProduct
from ...store import DemoResponse, Store, format_price
from .model import (
    API_DEFAULT_LIMIT,
    API_MAX_LIMIT,
    GRID_SECTION_ID,
    LOCALES,
    MYSHOPIFY_DOMAIN,
    NOT_FOUND_TEMPLATE,
    PER_PAGE,
    RELATED_SECTION_ID,
    SECTION_ID,
    SHOP_ID,
    SHOP_NAME,
    SORTS,
    THEME_ID,
    Collection,
    PageContext,
    ld_number,
    option_names,
    options_json,
    pagination,
    script_json,
    selected_or_first_available,
    stable_token,
    to_cents,
    variants_of,
)


class DawnPages(Store):
    """The Dawn theme's pages and the catalog endpoints a page handler answers."""

    # --- page handlers ---------------------------------------------------------------

    def _product_route(self, ctx: PageContext, handle: str, collection: str | None, ext: str | None) -> DemoResponse:
        product = self.catalog.by_slug.get(handle)
        if product is None or (collection is not None and collection not in self.collections):
            if ext:
                return DemoResponse.json({"errors": "Not Found"}, status=404)
            return self._not_found(ctx)
        if ext == ".js":
            response = DemoResponse.json(self.ajax_json(ctx, product))
            response.content_type = "text/javascript; charset=utf-8"
            return response
        if ext == ".json":
            return DemoResponse.json(self.admin_style_json(ctx, product))
        if ext == ".oembed":
            return DemoResponse.json(self.oembed_json(ctx, product))
        return self._product_page(ctx, product)

    def _api_products(self, ctx: PageContext, collection: Collection | None = None) -> DemoResponse:
        limit = ctx.request.int_arg("limit", API_DEFAULT_LIMIT)
        limit = API_DEFAULT_LIMIT if limit < 1 else min(limit, API_MAX_LIMIT)
        page = max(1, ctx.request.int_arg("page", 1))
        products = self.members[collection.handle] if collection else self.catalog.products
        chunk = products[(page - 1) * limit : page * limit]
        return DemoResponse.json({"products": [self.storefront_json(ctx, p) for p in chunk]})

    def _product_page(self, ctx: PageContext, product: DemoProduct) -> DemoResponse:
        variants = variants_of(product)
        selected = selected_or_first_available(variants, ctx.request.arg("variant"))
        names = option_names(product)
        path = self.product_path(product)
        has_only_default = not product.variants
        analytics = {
            "product": {
                "id": product.numeric_id,
                "gid": f"gid://shopify/Product/{product.numeric_id}",
                "vendor": product.brand,
                "type": product.category.name_en,
                "variants": [
                    {
                        "id": v.id,
                        "price": to_cents(v.price),
                        "name": product.name if has_only_default else f"{product.name} - {v.title}",
                        "public_title": None if has_only_default else v.title,
                        "sku": v.sku,
                    }
                    for v in variants
                ],
            },
            "page": {"pageType": "product", "resourceType": "product", "resourceId": product.numeric_id},
        }
        related = self.related(product)
        return self._render(
            ctx,
            "shopify/product.html",
            path=path,
            page_type="product",
            analytics_meta=script_json(analytics, escape_slashes=True),
            title=f"{product.name} – {SHOP_NAME}",
            meta_description=product.description[:160],
            meta_robots="index, follow",  # what the shop's SEO app adds; Dawn itself prints none
            og_type="product",
            og_title=product.name,
            og_description=product.description[:160],
            og_image=self.image_url(ctx, product.images[0], product),
            og_price=f"{min(v.price for v in variants):.2f}",
            product=product,
            variants=variants,
            selected=selected,
            options=options_json(names, variants),
            has_only_default=has_only_default,
            variants_json=script_json([self.liquid_variant(product, v) for v in variants]),
            price_varies=len({v.price for v in variants}) > 1,
            breadcrumbs=[(c.name_en, self._handle_of[c.id]) for c in product.category.path()],
            related=[self._card(ctx, p, "", ref=product) for p in related],
            ld_offers=[
                {
                    "sku": v.sku,
                    "gtin13": v.barcode if len(v.barcode) == 13 else None,
                    "availability": "InStock" if v.available else "OutOfStock",
                    "price": Markup(ld_number(v.price)),  # noqa: S704 - a number we formatted
                    "url": f"{ctx.store_url}{path}?variant={v.id}",
                }
                for v in variants
            ],
            image_urls=[self.image_url(ctx, p, product) for p in product.images],
        )

    def _collection(self, ctx: PageContext, collection: Collection) -> DemoResponse:
        products = self.members[collection.handle]
        sort_by = ctx.request.arg("sort_by") or ""
        if sort_by in SORTS:
            key, descending = SORTS[sort_by]
            products = sorted(products, key=key, reverse=descending)
        page = max(1, ctx.request.int_arg("page", 1))
        page_count = max(1, -(-len(products) // PER_PAGE))
        chunk = products[(page - 1) * PER_PAGE : page * PER_PAGE]
        path = f"collections/{collection.handle}"
        query = f"&sort_by={quote(sort_by)}" if sort_by else ""
        return self._render(
            ctx,
            "shopify/collection.html",
            path=path + (f"?page={page}" if page > 1 else ""),
            page_type="collection",
            analytics_meta=script_json({"page": {"pageType": "collection", "resourceType": "collection"}}),
            title=f"{collection.title} – {SHOP_NAME}" + (f" – Page {page}" if page > 1 else ""),
            meta_description=f"{collection.title} at {SHOP_NAME}: yarns, needles and notions.",
            collection=collection,
            count=len(products),
            cards=[self._card(ctx, p, f"collections/{collection.handle}/") for p in chunk],
            page=page,
            pages=pagination(page, page_count, f"{ctx.root}{path}?page=", query),
            sort_by=sort_by,
        )

    def _home(self, ctx: PageContext) -> DemoResponse:
        featured = self.members["all"][:8]
        return self._render(
            ctx,
            "shopify/index.html",
            path="",
            page_type="home",
            analytics_meta=script_json({"page": {"pageType": "home"}}),
            title=SHOP_NAME,
            meta_description=f"{SHOP_NAME}: yarns, knitting needles and crochet hooks, shipped from Athens.",
            cards=[self._card(ctx, p, "") for p in featured],
        )

    def _collection_list(self, ctx: PageContext) -> DemoResponse:
        return self._render(
            ctx,
            "shopify/list-collections.html",
            path="collections",
            page_type="list-collections",
            analytics_meta=script_json({"page": {"pageType": "list-collections"}}),
            title=f"Collections – {SHOP_NAME}",
            meta_description=f"All collections of {SHOP_NAME}.",
            entries=[(c, len(self.members[c.handle])) for c in self.collections.values() if c.category],
        )

    def _search(self, ctx: PageContext) -> DemoResponse:
        terms = (ctx.request.arg("q") or "").strip().lower()
        found = [p for p in self.catalog.products if terms and terms in p.name.lower()][:PER_PAGE]
        return self._render(
            ctx,
            "shopify/search.html",
            path="search",
            page_type="searchresults",
            analytics_meta=script_json({"page": {"pageType": "searchresults"}}),
            title=f"Search: {len(found)} results found for “{terms}” – {SHOP_NAME}"
            if terms
            else f"Search – {SHOP_NAME}",
            meta_robots="noindex",
            terms=terms,
            cards=[self._card(ctx, p, "") for p in found],
        )

    def _cart(self, ctx: PageContext) -> DemoResponse:
        return self._page(ctx, "Your cart", "Your cart is empty.", template="shopify/cart.html", page_type="cart")

    def _cart_js(self, ctx: PageContext) -> DemoResponse:
        return DemoResponse.json(
            {
                "token": stable_token("cart", ctx.request.headers.get("user-agent", "")),
                "note": None,
                "attributes": {},
                "original_total_price": 0,
                "total_price": 0,
                "total_discount": 0,
                "total_weight": 0.0,
                "item_count": 0,
                "items": [],
                "requires_shipping": False,
                "currency": self.catalog.profile.currency,
                "items_subtotal_price": 0,
                "cart_level_discount_applications": [],
            }
        )

    def _login(self, ctx: PageContext) -> DemoResponse:
        return self._page(ctx, "Login", "Sign in to your account.", meta_robots="noindex", page_type="customers/login")

    def _page(
        self,
        ctx: PageContext,
        heading: str,
        text: str,
        template: str = "shopify/page.html",
        meta_robots: str | None = None,
        page_type: str = "page",
    ) -> DemoResponse:
        return self._render(
            ctx,
            template,
            path=ctx.path,
            page_type=page_type,
            analytics_meta=script_json({"page": {"pageType": page_type}}),
            title=f"{heading} – {SHOP_NAME}",
            meta_description=text,
            meta_robots=meta_robots,
            heading=heading,
            text=text,
        )

    def _not_found(self, ctx: PageContext) -> DemoResponse:
        response = self._page(
            ctx, "Page not found", "The page you were looking for does not exist.", NOT_FOUND_TEMPLATE
        )
        response.status = 404
        return response

    def _card(
        self, ctx: PageContext, product: DemoProduct, scope: str, ref: DemoProduct | None = None
    ) -> dict[str, Any]:
        """What Dawn's ``card-product`` snippet needs; ``scope`` prefixes the product URL
        (``collections/<c>/`` inside a collection, as ``card_product.url`` does)."""
        variants = variants_of(product)
        prices = [v.price for v in variants]
        compares = [v.compare_at_price for v in variants if v.compare_at_price is not None]
        url = f"{ctx.root}{scope}products/{product.slug}"
        if ref is not None:  # Shopify's product recommendations add tracking parameters
            url += (
                f"?pr_prod_strat=e5_desc&pr_rec_id={stable_token(ref.product_id, product.product_id)[:9]}"
                f"&pr_rec_pid={product.numeric_id}&pr_ref_pid={ref.numeric_id}&pr_seq=uniform"
            )
        return {
            "product": product,
            "url": url,
            "image": self.image_url(ctx, product.images[0], product),
            "price": min(prices),
            "compare_at_price": min(compares) if compares else None,
            "price_varies": len(set(prices)) > 1,
            "available": any(v.available for v in variants),
        }

    def _render(self, ctx: PageContext, template: str, path: str, **context: Any) -> DemoResponse:
        st: dict[str, Any] = {
            "a": SHOP_ID,
            "offset": 7200,
            "reqid": stable_token("req", ctx.request.path),
            "pageurl": f"sittingknitting.com/{ctx.request.path}",
            "u": stable_token("u", ctx.request.path)[:12],
            "p": context.get("page_type", "page"),
        }
        if product := context.get("product"):
            st.update({"rtyp": "product", "rid": product.numeric_id})
        return self.render(
            template,
            ctx=ctx,
            shop_name=SHOP_NAME,
            shop_id=SHOP_ID,
            myshopify_domain=MYSHOPIFY_DOMAIN,
            theme_id=THEME_ID,
            section_id=SECTION_ID,
            grid_section_id=GRID_SECTION_ID,
            related_section_id=RELATED_SECTION_ID,
            currency=self.catalog.profile.currency,
            checkout_token=stable_token("checkout", self.site),
            st=script_json(st, escape_slashes=True),
            canonical=ctx.locale_url(ctx.locale, path),
            alternates=[(loc, ctx.locale_url(loc, path)) for loc in LOCALES],
            x_default=ctx.locale_url(LOCALES[0], path),
            chrome=self._chrome(ctx),
            money=lambda amount: format_price(amount, "en"),
            money_with_currency=lambda amount: f"{format_price(amount, 'en')} {self.catalog.profile.currency}",
            **{"og_type": "website", "og_title": context.get("title", SHOP_NAME), **context},
        )

    def _chrome(self, ctx: PageContext) -> dict[str, Markup]:
        """Header and footer HTML: the same on every page of a locale, so rendered once."""
        chrome = self._chrome_cache.get(ctx.root)
        if chrome is None:
            context = {"ctx": ctx, "shop_name": SHOP_NAME, "menu": self._menu(ctx)}
            chrome = {
                part: Markup(self.render(f"shopify/_{part}.html", **context).body)  # noqa: S704 - our template
                for part in ("header", "footer_start", "footer_end")
            }
            self._chrome_cache[ctx.root] = chrome
        return chrome

    def _menu(self, ctx: PageContext) -> list[dict[str, Any]]:
        """Dawn's header menu: top-level collections, their subcollections in a dropdown."""
        menu: list[dict[str, Any]] = [
            {"title": "Home", "url": ctx.root, "children": []},
            {"title": "Catalog", "url": f"{ctx.root}collections/all", "children": []},
        ]
        for collection in self.collections.values():
            category = collection.category
            if category is None or category.parent is not None:
                continue
            children = [c for c in self.collections.values() if c.category and c.category.parent == category]
            url = f"{ctx.root}collections/{collection.handle}"
            entries = [{"title": f"All {collection.title.lower()}", "url": url}] if children else []
            entries += [{"title": c.title, "url": f"{ctx.root}collections/{c.handle}"} for c in children]
            menu.append({"title": collection.title, "url": url, "children": entries})
        menu.append({"title": "Contact", "url": f"{ctx.root}pages/contact", "children": []})
        return menu
