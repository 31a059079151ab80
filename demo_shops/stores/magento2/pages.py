"""The Luma theme's HTML pages: the chrome every page shares, listings, product tiles and product pages
(with the configurable product's ``spConfig``).
"""

from __future__ import annotations

import hashlib
import math
from decimal import Decimal
from typing import Any, ClassVar

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ...catalog import Category, DemoProduct, DemoVariant
from ...store import DemoRequest, DemoResponse, Store, format_price
from .model import (
    PAGE_SIZES,
    STATIC_VERSION,
    THEME_PATH,
    URL_SUFFIX,
    OptionRegistry,
    cached_image_path,
    category_url_path,
    configurable_attributes,
    encode_uid,
    image_path,
    magento_json,
    price_number,
    price_range,
)

#: Templates of this store. Its own environment: no file checks per page, and the macros
#: module is built once (``{% import %}`` would rebuild it on every render).
TEMPLATES = Environment(
    loader=PackageLoader("demo_shops", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)
MACROS = TEMPLATES.get_template("magento2/_macros.html").module
CHROME = TEMPLATES.get_template("magento2/_chrome.html").module


class Magento2Pages(Store):
    """The Luma pages: chrome, home, category and search listings, product tiles and product pages."""

    # Built by Magento2Store.__init__.
    options: OptionRegistry
    position: dict[str, int]
    categories: list[Category]
    category_by_id: dict[int, Category]
    category_products: dict[int, list[DemoProduct]]
    show_out_of_stock: ClassVar[bool]
    _chrome: dict[str, dict[str, Markup]]
    _tiles: dict[tuple[str, str, str], Markup]

    def page(self, request: DemoRequest, template: str, status: int = 200, **context: Any) -> DemoResponse:
        context.setdefault("robots", "INDEX,FOLLOW")
        response = self.render(
            template,
            store_url=request.store_url,
            static=self.static_url(request),
            chrome=self.chrome(request, context.get("query") or ""),
            url=request.url,
            num=price_number,
            form_key=self.form_key(request),
            **context,
        )
        response.status = status
        response.headers.update(self.page_headers(request))
        return response

    def static_url(self, request: DemoRequest) -> str:
        return f"{request.store_url}static/version{STATIC_VERSION}/{THEME_PATH}/"

    def chrome(self, request: DemoRequest, query: str = "") -> dict[str, Markup]:
        """Head assets, header with menu, footer: the same on every page, rendered once per host
        (the search results page alone shows its query in the header's search box)."""
        cached = self._chrome.get(request.store_url) if not query else None
        if cached is None:
            static = self.static_url(request)
            cached = {
                "head": CHROME.head(static),
                "top": CHROME.top(request.store_url, static, self.menu(), self.catalog.language, query),
                "bottom": CHROME.bottom(request.store_url, self.trap_path),
            }
            if not query:
                self._chrome[request.store_url] = cached
        return cached

    def page_headers(self, request: DemoRequest) -> dict[str, str]:
        session = hashlib.sha1(request.store_url.encode(), usedforsecurity=False).hexdigest()[:26]
        # Two Set-Cookie lines; the header dict is case-sensitive, HTTP isn't.
        return {
            "Set-Cookie": f"PHPSESSID={session}; Max-Age=3600; path=/; HttpOnly; SameSite=Lax",
            "set-cookie": f"form_key={self.form_key(request)}; Max-Age=3600; path=/; SameSite=Lax",
            "X-Frame-Options": "SAMEORIGIN",
            "X-Content-Type-Options": "nosniff",
            "X-XSS-Protection": "1; mode=block",
            "Cache-Control": "max-age=0, must-revalidate, no-cache, no-store",
            "Pragma": "no-cache",
            "Vary": "Accept-Encoding",
        }

    def form_key(self, request: DemoRequest) -> str:
        return hashlib.sha1(b"form_key" + request.store_url.encode(), usedforsecurity=False).hexdigest()[:16]

    def menu(self) -> list[tuple[Category, list[Category]]]:
        top = [c for c in self.categories if c.parent is None]
        return [(c, [s for s in self.categories if s.parent == c]) for c in top]

    def not_found(self, request: DemoRequest) -> DemoResponse:
        return self.page(
            request,
            "magento2/404.html",
            status=404,
            body_class="cms-no-route cms-noroute-index page-layout-2columns-right",
            robots="NOINDEX,NOFOLLOW",
        )

    def home(self, request: DemoRequest) -> DemoResponse:
        featured = list(self.catalog.products[:8])
        return self.page(
            request,
            "magento2/home.html",
            body_class="cms-home cms-index-index page-layout-1column",
            products=[self.tile(request, p) for p in featured],
            canonical=request.store_url,
        )

    def category_page(self, request: DemoRequest, category: Category) -> DemoResponse:
        products = self.category_products[category.id]
        layered = [(c, len(self.category_products[c.id])) for c in self.categories if c.parent == category]
        selected = self.category_by_id.get(request.int_arg("cat", 0))
        if selected is not None and selected.parent == category:
            products = self.category_products[selected.id]
        url_path = category_url_path(category)
        return self.listing(
            request,
            products,
            template="magento2/category.html",
            base_path=url_path + URL_SUFFIX,
            body_class=(
                f"page-with-filter page-products categorypath-{url_path.replace('/', '-')} category-{category.slug} "
                "catalog-category-view page-layout-2columns-left"
            ),
            category=category,
            layered=layered,
            title=category.name(self.catalog.language),
            canonical=request.url(url_path + URL_SUFFIX),
        )

    def search_page(self, request: DemoRequest) -> DemoResponse:
        query = (request.arg("q") or "").strip()
        if not query:
            return DemoResponse.redirect(request.store_url, 302)
        products = self.search(query)
        return self.listing(
            request,
            products,
            template="magento2/search.html",
            base_path="catalogsearch/result/",
            body_class="page-products page-with-filter catalogsearch-result-index page-layout-2columns-left",
            title=f"Αποτελέσματα αναζήτησης για: '{query}'",
            query=query,
            robots="NOINDEX,FOLLOW",
        )

    def listing(
        self,
        request: DemoRequest,
        products: list[DemoProduct],
        *,
        template: str,
        base_path: str,
        **context: Any,
    ) -> DemoResponse:
        limit = request.int_arg("product_list_limit", PAGE_SIZES[0])
        if limit not in PAGE_SIZES:
            limit = PAGE_SIZES[0]
        order = request.arg("product_list_order") or "position"
        direction = request.arg("product_list_dir") or "asc"
        ordered = self.sort(products, order, direction)
        last_page = max(1, math.ceil(len(ordered) / limit))
        # Magento's collection clamps an out-of-range page to the last one.
        current = min(max(1, request.int_arg("p", 1)), last_page)
        page_items = ordered[(current - 1) * limit : current * limit]
        kept = {k: v[0] for k, v in request.query.items() if k != "p" and v}

        def page_url(page: int) -> str:
            query = {**kept, **({"p": page} if page > 1 else {})}
            return request.url(base_path, **query)

        first_page = max(1, min(current - 2, last_page - 4))
        pages = [(n, page_url(n)) for n in range(first_page, min(last_page, first_page + 4) + 1)]
        return self.page(
            request,
            template,
            products=[self.tile(request, p) for p in page_items],
            total=len(ordered),
            first=(current - 1) * limit + 1 if page_items else 0,
            last=(current - 1) * limit + len(page_items),
            current=current,
            last_page=last_page,
            pages=pages,
            previous_url=page_url(current - 1) if current > 1 else None,
            next_url=page_url(current + 1) if current < last_page else None,
            limit=limit,
            order=order,
            **context,
        )

    def sort(self, products: list[DemoProduct], order: str, direction: str) -> list[DemoProduct]:
        reverse = direction == "desc"
        if order == "name":
            return sorted(products, key=lambda p: p.name.lower(), reverse=reverse)
        if order == "price":
            return sorted(products, key=lambda p: (price_range(p)[1], self.position[p.product_id]), reverse=reverse)
        return list(reversed(products)) if reverse else list(products)

    def tile(self, request: DemoRequest, product: DemoProduct, kind: str = "grid") -> Markup:
        """A product tile's HTML, rendered once per host: listings show the same tiles again and again."""
        key = (request.store_url, product.product_id, kind)
        cached = self._tiles.get(key)
        if cached is None:
            item = self.listing_item(request, product)
            if kind == "related":
                cached = MACROS.related_item(item)
            else:
                cached = MACROS.product_item(item, request.store_url, self.form_key(request))
            self._tiles[key] = cached
        return cached

    def render(self, template: str, **context: Any) -> DemoResponse:
        """:meth:`Store.render` on this module's environment (templates never reload here)."""
        context.setdefault("site", self.site)
        context.setdefault("language", self.catalog.language)
        context.setdefault("trap_path", self.trap_path)
        context.setdefault("m", MACROS)
        return DemoResponse(TEMPLATES.get_template(template).render(**context))

    def listing_item(self, request: DemoRequest, product: DemoProduct) -> dict[str, Any]:
        """What a product tile (grid item, related product, widget) shows."""
        min_regular, min_final, _, _ = price_range(product)
        return {
            "id": product.product_id,
            "name": product.name,
            "sku": product.sku,
            "url": request.url(self.product_path(product)),
            "image": request.url(cached_image_path(product.images[0])),
            "configurable": bool(product.variants),
            "final": self.money(min_final),
            "regular": self.money(min_regular) if min_regular > min_final else None,
            "in_stock": product.availability == "in_stock",
        }

    def money(self, amount: Decimal) -> dict[str, str]:
        """A price as the price box prints it: ``data-price-amount`` and the formatted text."""
        return {"num": price_number(amount), "text": format_price(amount, self.catalog.language)}

    def product_page(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        language = self.catalog.language
        url = request.url(self.product_path(product))
        min_regular, min_final, _, _ = price_range(product)
        count = len(self.catalog.products)
        position = self.position[product.product_id]
        neighbours = {self.catalog.products[(position + k) % count].product_id: k for k in (1, 2, 3, 5)}
        related = [self.catalog.by_id[i] for i in neighbours if i != product.product_id]
        attributes = {"Κατασκευαστής" if language == "el" else "Manufacturer": product.brand}
        attributes.update(product.attributes)
        if product.gtin:
            attributes["EAN"] = product.gtin
        images = [request.url(image_path(i)) for i in product.images]
        salable = product.availability == "in_stock"
        sp_config = self.sp_config(product, request) if product.variants and salable else None
        description = product.description
        return self.page(
            request,
            "magento2/product.html",
            body_class=(
                f"catalog-product-view product-{product.slug} "
                f"{'page-product-configurable ' if product.variants else ''}page-layout-1column"
            ),
            product=product,
            page_title=product.name,
            meta_description=description[:255],
            canonical=url,
            og_image=images[0],
            hreflang=[("el", url), ("en", f"{url}?___store=en"), ("x-default", url)],
            final=min_final,
            regular=min_regular if min_regular > min_final else None,
            item=self.listing_item(request, product),
            salable=salable,
            sp_config=magento_json(sp_config, escape=True) if sp_config else None,
            super_attributes=self.super_attributes(product) if sp_config else [],
            gallery=magento_json(self.gallery(product, request), escape=True),
            images=images,
            attributes=attributes,
            breadcrumbs=[
                (c.name(language), request.url(category_url_path(c) + URL_SUFFIX)) for c in product.category.path()
            ],
            related=[self.tile(request, p, "related") for p in related],
            add_to_cart_url=request.url(
                f"checkout/cart/add/uenc/{encode_uid(url).rstrip('=')},/product/{product.product_id}/"
            ),
        )

    def super_attributes(self, product: DemoProduct) -> list[dict[str, Any]]:
        return [{"id": a.attribute_id, "label": a.label} for a in configurable_attributes(product)]

    def gallery(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        data = [
            {
                "thumb": request.url(cached_image_path(i)),
                "img": request.url(cached_image_path(i)),
                "full": request.url(image_path(i)),
                "caption": product.name,
                "position": str(n + 1),
                "isMain": n == 0,
                "type": "image",
                "videoUrl": None,
            }
            for n, i in enumerate(product.images)
        ]
        return {
            "[data-gallery-role=gallery-placeholder]": {
                "mage/gallery/gallery": {
                    "mixins": ["magnifier/magnify"],
                    "magnifierOpts": {"fullscreenzoom": "20", "top": "", "left": "", "width": "", "height": ""},
                    "data": data,
                    "options": {"nav": "thumbs", "loop": True, "keyboard": True, "arrows": True},
                    "fullscreen": {"nav": "thumbs", "loop": True},
                    "breakpoints": {"mobile": {"conditions": {"max-width": "767px"}, "options": {"nav": "dots"}}},
                }
            }
        }

    def sp_config(self, product: DemoProduct, request: DemoRequest) -> dict[str, Any]:
        """``Magento\\ConfigurableProduct\\Block\\Product\\View\\Type\\Configurable::getJsonConfig``."""
        children = [v for v in product.variants if self.show_out_of_stock or v.availability == "in_stock"]
        attributes: dict[str, Any] = {}
        index: dict[str, dict[str, str]] = {}
        salable: dict[str, dict[str, list[str]]] = {}
        for position, attribute in enumerate(configurable_attributes(product)):
            options: dict[str, dict[str, Any]] = {}
            for child in children:
                label = child.options[attribute.label]
                option_id = str(self.options.option_id(attribute.attribute_id, label))
                option = options.setdefault(option_id, {"id": option_id, "label": label, "products": []})
                option["products"].append(str(child.variant_id))
                index.setdefault(str(child.variant_id), {})[str(attribute.attribute_id)] = option_id
                if child.availability == "in_stock":
                    salable.setdefault(str(attribute.attribute_id), {}).setdefault(option_id, []).append(
                        str(child.variant_id)
                    )
            attributes[str(attribute.attribute_id)] = {
                "id": str(attribute.attribute_id),
                "code": attribute.code,
                "label": attribute.label,
                "options": list(options.values()),
                "position": str(position),
            }
        min_regular, min_final, _, _ = price_range(product)
        config: dict[str, Any] = {
            "attributes": attributes,
            "template": "<%- data.price %>\u00a0€",
            "currencyFormat": "%s\u00a0€",
            "optionPrices": {str(c.variant_id): self.option_prices(c) for c in children},
            "priceFormat": {
                "pattern": "%s\u00a0€",
                "precision": 2,
                "requiredPrecision": 2,
                "decimalSymbol": ",",
                "groupSymbol": ".",
                "groupLength": 3,
                "integerRequired": False,
            },
            "prices": {
                "baseOldPrice": {"amount": min_regular},
                "oldPrice": {"amount": min_regular},
                "basePrice": {"amount": min_final},
                "finalPrice": {"amount": min_final},
            },
            "productId": product.product_id,
            "chooseText": "Επιλέξτε μια επιλογή...",
            "images": [],
            "index": index,
            "salable": salable if self.show_out_of_stock else [],
            "canDisplayShowOutOfStockStatus": self.show_out_of_stock,
            "sku": {str(c.variant_id): c.sku for c in children},
        }
        return {
            "#product_addtocart_form": {"configurable": {"spConfig": config, "gallerySwitchStrategy": "replace"}},
            "*": {"Magento_Swatches/js/configurable-customer-data": {}},
        }

    def option_prices(self, variant: DemoVariant) -> dict[str, Any]:
        final = variant.price or Decimal(0)
        regular = variant.regular_price or final
        return {
            "baseOldPrice": {"amount": regular},
            "oldPrice": {"amount": regular},
            "basePrice": {"amount": final},
            "finalPrice": {"amount": final},
            "tierPrices": [],
            "msrpPrice": {"amount": None},
        }
