"""The single product page: price, stock, the variations form, attributes, related products and the
product's JSON-LD offers.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...catalog import DemoProduct
from ...store import DemoRequest, DemoResponse
from .layout import WordPressLayout
from .model import (
    EPOCH,
    RELATED_COUNT,
    SHOP_NAME,
    iso_timestamp,
    modified_at,
    php_json,
    product_price_html,
    product_stock,
    script_json,
    short_description,
    simple_price_html,
    trusted_html,
    variant_stock,
    wp_slug,
)


class ProductPage(WordPressLayout):
    """The single product page: variations form, attributes, related products and its JSON-LD."""

    def _related(self, product: DemoProduct) -> list[DemoProduct]:
        key = self.category_key(product.category)
        members = self._lists.get(key, [])
        if len(members) <= RELATED_COUNT:
            members = self._lists["shop"]
            key = "shop"
        start = self._position.get((key, product.product_id), product.index % max(1, len(members)))
        picked: list[DemoProduct] = []
        for step in range(1, len(members)):
            candidate = members[(start + step) % len(members)]
            if candidate.product_id != product.product_id:
                picked.append(candidate)
            if len(picked) == RELATED_COUNT:
                break
        return picked

    def _product(self, request: DemoRequest, product: DemoProduct) -> DemoResponse:
        url = self._product_url(request, product)
        stock = product_stock(product)
        kind = "variable" if product.variants else "simple"
        crumbs: list[tuple[str, str | None]] = [("Αρχική", request.store_url)]
        crumbs += [(c.name_el, self._category_url(request, c)) for c in product.category.path()]
        crumbs.append((product.name, None))
        short = short_description(product)
        variation_attrs = self._variation_attributes(product)
        images = [
            {"full": self._image(request, path), "thumb": self._image(request, path, "100x100")}
            for path in product.images
        ]
        return self._page(
            request,
            "woocommerce/product.html",
            title=f"{product.name} - {SHOP_NAME}",
            description=product.description[:155],
            canonical=url,
            og_type="product",
            og_image=images[0]["full"],
            modified=iso_timestamp(modified_at(product, self.catalog.day)),
            shortlink_id=product.numeric_id,
            body_class=f"product-template-default single single-product postid-{product.numeric_id} wp-custom-logo "
            "theme-storefront woocommerce woocommerce-page woocommerce-no-js storefront-align-wide right-sidebar "
            "woocommerce-active",
            yoast=self._yoast(request, url, f"{product.name} - {SHOP_NAME}", ["WebPage", "ItemPage"], crumbs),
            product_ld=self._product_ld(request, product, url, crumbs),
            crumbs=crumbs,
            product=product,
            product_classes=self._post_classes(product, stock),
            kind=kind,
            price_html=product_price_html(product),
            short_description=short,
            stock=stock,
            stock_html=trusted_html(stock.html),
            purchasable=product.price is not None,
            max_qty=stock.quantity if stock.quantity is not None else "",
            images=images,
            variation_attrs=variation_attrs,
            variations_json=php_json(self._variations_data(product)) if product.variants else "",
            attribute_rows=self._attribute_rows(product, variation_attrs),
            categories=[(c.name_el, self._category_url(request, c)) for c in product.categories],
            related=[self._loop_item(request, p, n) for n, p in enumerate(self._related(product))],
        )

    @staticmethod
    def _variation_attributes(product: DemoProduct) -> list[dict[str, Any]]:
        """Global attributes (``pa_*`` taxonomies) the variations are made of, with their terms."""
        names: list[str] = []
        for variant in product.variants:
            names += [name for name in variant.options if name not in names]
        return [
            {
                "label": name,
                "taxonomy": f"pa_{wp_slug(name)}",
                "terms": [
                    {"slug": wp_slug(v.options[name]), "name": v.options[name]}
                    for v in product.variants
                    if name in v.options
                ],
            }
            for name in names
        ]

    @staticmethod
    def _attribute_rows(product: DemoProduct, variation_attrs: list[dict[str, Any]]) -> list[dict[str, str]]:
        rows = [
            {
                "key": f"attribute_{attr['taxonomy']}",
                "label": attr["label"],
                "value": ", ".join(t["name"] for t in attr["terms"]),
            }
            for attr in variation_attrs
        ]
        rows += [
            {"key": f"attribute_{wp_slug(name)}", "label": name, "value": value}
            for name, value in product.attributes.items()
        ]
        return rows

    def _variations_data(self, product: DemoProduct) -> list[dict[str, Any]]:
        """``data-product_variations``: ``WC_Product_Variable::get_available_variations()``."""
        data = []
        # WooCommerce prints a variation's own price only when the variations' prices differ.
        show_price = len({(v.price, v.regular_price) for v in product.variants}) > 1
        for variant in product.variants:
            stock = variant_stock(variant)
            regular = variant.regular_price or variant.price
            data.append(
                {
                    "attributes": {f"attribute_pa_{wp_slug(k)}": wp_slug(v) for k, v in variant.options.items()},
                    "availability_html": stock.html,
                    "backorders_allowed": False,
                    "dimensions": {"length": "", "width": "", "height": ""},
                    "dimensions_html": "Μ/Δ",
                    "display_price": variant.price,
                    "display_regular_price": regular,
                    "image": {"title": product.name, "caption": "", "url": "", "alt": product.name},
                    "image_id": 0,
                    "is_downloadable": False,
                    "is_in_stock": stock.is_in_stock,
                    "is_purchasable": variant.price is not None,
                    "is_sold_individually": "no",
                    "is_virtual": False,
                    "max_qty": stock.quantity if stock.quantity is not None else "",
                    "min_qty": 1,
                    "price_html": (
                        f'<span class="price">{simple_price_html(variant.price, variant.regular_price)}</span>'
                        if show_price
                        else ""
                    ),
                    "sku": variant.sku,
                    "variation_description": "",
                    "variation_id": variant.variant_id,
                    "variation_is_active": True,
                    "variation_is_visible": True,
                    "weight": "",
                    "weight_html": "Μ/Δ",
                }
            )
        return data

    def _product_ld(
        self, request: DemoRequest, product: DemoProduct, url: str, crumbs: list[tuple[str, str | None]]
    ) -> Markup:
        """WooCommerce's own structured data block (``WC_Structured_Data``), printed in the footer."""
        breadcrumb = {
            "@context": "https://schema.org/",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "item": {"name": label, "@id": link or url}}
                for n, (label, link) in enumerate(crumbs, start=1)
            ],
        }
        graph: list[dict[str, Any]] = [breadcrumb]
        offer = self._offer(request, product, url)
        if offer is not None:  # without a price WooCommerce prints no Product markup at all
            markup: dict[str, Any] = {
                "@context": "https://schema.org/",
                "@type": "Product",
                "@id": f"{url}#product",
                "name": product.name,
                "url": url,
                "description": short_description(product),
                "image": self._image(request, product.images[0]),
                "sku": product.sku,
            }
            if product.gtin:
                markup["gtin"] = product.gtin
            markup["brand"] = {"@type": "Brand", "name": product.brand}
            markup["offers"] = [offer]
            graph.append(markup)
        return script_json({"@context": "https://schema.org/", "@graph": graph})

    def _offer(self, request: DemoRequest, product: DemoProduct, url: str) -> dict[str, Any] | None:
        if product.price is None:
            return None
        valid_until = f"{EPOCH.year + 2}-12-31"
        offer: dict[str, Any]
        prices = [v.price for v in product.variants if v.price is not None]
        if prices and min(prices) != max(prices):
            offer = {
                "@type": "AggregateOffer",
                "lowPrice": f"{min(prices):.2f}",
                "highPrice": f"{max(prices):.2f}",
                "offerCount": len(product.variants),
            }
        else:
            price = min(prices) if prices else product.price
            regular = product.regular_price
            spec = [
                {
                    "@type": "UnitPriceSpecification",
                    "price": f"{price:.2f}",
                    "priceCurrency": "EUR",
                    "valueAddedTaxIncluded": True,
                    "validThrough": valid_until,
                }
            ]
            if regular is not None:
                spec.append({**spec[0], "price": f"{regular:.2f}", "priceType": "https://schema.org/ListPrice"})
            offer = {"@type": "Offer", "price": f"{price:.2f}", "priceSpecification": spec}
        schema = {"in_stock": "InStock", "out_of_stock": "OutOfStock", "backorder": "BackOrder"}
        offer.update(
            {
                "priceValidUntil": valid_until,
                "availability": f"https://schema.org/{schema.get(product.availability, 'InStock')}",
                "url": url,
                "seller": {"@type": "Organization", "name": SHOP_NAME, "url": request.store_url},
                "priceCurrency": "EUR",
            }
        )
        return offer
