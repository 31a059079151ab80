"""A product's JSON shapes: the storefront ``products.json`` entry, the admin-style ``.json``, the AJAX
``.js`` (prices in cents), oEmbed, and the Liquid variant the templates use.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from ...catalog import DemoProduct
from ...store import Store
from .model import (
    CREATED_BASE,
    DAY_BASE,
    SHOP_NAME,
    PageContext,
    ShopifyVariant,
    iso_timestamp,
    money_string,
    option_fields,
    option_names,
    options_json,
    to_cents,
    variants_of,
)


class ProductJson(Store):
    """A product as Shopify's JSON endpoints and Liquid see it (``products.json``, ``.js``, ``.json``, oEmbed)."""

    # --- product JSON shapes ---------------------------------------------------------

    def created_at(self, product: DemoProduct) -> datetime:
        return CREATED_BASE + timedelta(hours=7 * product.index, minutes=product.index % 60)

    def updated_at(self, product: DemoProduct) -> datetime:
        return DAY_BASE + timedelta(days=self.catalog.day - 1, minutes=(product.index * 13) % 600)

    def image_url(self, ctx: PageContext, path: str, product: DemoProduct) -> str:
        """An absolute image URL with Shopify's cache-busting ``?v=`` version."""
        return f"{ctx.store_url}{path}?v={int(self.created_at(product).timestamp())}"

    def tags(self, product: DemoProduct) -> list[str]:
        return sorted({*(c.name_en for c in product.categories), product.brand, product.kind.capitalize()})

    def storefront_json(self, ctx: PageContext, product: DemoProduct) -> dict[str, Any]:
        """One product of ``products.json`` (prices are strings, as Shopify emits them)."""
        variants = variants_of(product)
        created, updated = iso_timestamp(self.created_at(product)), iso_timestamp(self.updated_at(product))
        names = option_names(product)
        images = [
            {
                "id": product.numeric_id * 10 + n,
                "created_at": created,
                "position": n,
                "updated_at": updated,
                "product_id": product.numeric_id,
                "variant_ids": [],
                "src": self.image_url(ctx, path, product),
                "width": 1200,
                "height": 1200,
            }
            for n, path in enumerate(product.images, start=1)
        ]
        return {
            "id": product.numeric_id,
            "title": product.name,
            "handle": product.slug,
            "body_html": f"<p>{html.escape(product.description, quote=False)}</p>",
            "published_at": created,
            "created_at": created,
            "updated_at": updated,
            "vendor": product.brand,
            "product_type": product.category.name_en,
            "tags": self.tags(product),
            "variants": [
                {
                    "id": v.id,
                    "title": v.title,
                    **option_fields(v.option_values),
                    "sku": v.sku,
                    "requires_shipping": True,
                    "taxable": True,
                    "featured_image": None,
                    "available": v.available,
                    "price": money_string(v.price),
                    "grams": v.grams,
                    "compare_at_price": money_string(v.compare_at_price),
                    "position": v.position,
                    "product_id": product.numeric_id,
                    "created_at": created,
                    "updated_at": updated,
                }
                for v in variants
            ],
            "images": images,
            "options": options_json(names, variants),
        }

    def admin_style_json(self, ctx: PageContext, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.json``: the older, Admin-API-like shape, prices as strings."""
        data = self.storefront_json(ctx, product)
        for variant, source in zip(data["variants"], variants_of(product), strict=True):
            variant.pop("available")
            variant.pop("featured_image")
            variant.update(
                {
                    "inventory_policy": "deny",
                    "fulfillment_service": "manual",
                    "inventory_management": "shopify",
                    "barcode": source.barcode,
                    "image_id": None,
                    "weight": source.grams / 1000,
                    "weight_unit": "kg",
                    "price_currency": self.catalog.profile.currency,
                    "compare_at_price_currency": "",
                }
            )
        data["tags"] = ", ".join(data["tags"])
        data["template_suffix"] = ""
        data["published_scope"] = "global"
        data["image"] = data["images"][0] if data["images"] else None
        return {"product": data}

    def ajax_json(self, ctx: PageContext, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.js`` (and Liquid's ``product | json``): prices in cents."""
        variants = variants_of(product)
        prices = [v.price for v in variants]
        compares = [v.compare_at_price for v in variants if v.compare_at_price is not None]
        # Liquid prints protocol-relative image URLs
        images = ["//" + self.image_url(ctx, p, product).split("://", 1)[-1] for p in product.images]
        return {
            "id": product.numeric_id,
            "title": product.name,
            "handle": product.slug,
            "description": f"<p>{html.escape(product.description, quote=False)}</p>",
            "published_at": iso_timestamp(self.created_at(product)),
            "created_at": iso_timestamp(self.created_at(product)),
            "vendor": product.brand,
            "type": product.category.name_en,
            "tags": self.tags(product),
            "price": to_cents(min(prices)),
            "price_min": to_cents(min(prices)),
            "price_max": to_cents(max(prices)),
            "available": any(v.available for v in variants),
            "price_varies": len(set(prices)) > 1,
            "compare_at_price": to_cents(min(compares)) if compares else None,
            "compare_at_price_min": to_cents(min(compares)) if compares else 0,
            "compare_at_price_max": to_cents(max(compares)) if compares else 0,
            "compare_at_price_varies": len(set(compares)) > 1,
            "variants": [self.liquid_variant(product, v) for v in variants],
            "images": images,
            "featured_image": images[0] if images else None,
            "options": options_json(option_names(product), variants),
            "url": f"{ctx.root}products/{product.slug}",
            "requires_selling_plan": False,
            "selling_plan_groups": [],
        }

    def oembed_json(self, ctx: PageContext, product: DemoProduct) -> dict[str, Any]:
        """``products/<handle>.oembed``, linked from every product page's head."""
        return {
            "product_id": product.slug,
            "title": product.name,
            "description": product.description,
            "brand": product.brand,
            "offers": [
                {
                    "title": v.title,
                    "offer_id": v.id,
                    "sku": v.sku,
                    "price": money_string(v.price),
                    "currency_code": self.catalog.profile.currency,
                    "in_stock": v.available,
                }
                for v in variants_of(product)
            ],
            "thumbnail_url": "//" + self.image_url(ctx, product.images[0], product).split("://", 1)[-1],
            "url": f"{ctx.store_url}products/{product.slug}",
            "provider": SHOP_NAME,
            "version": "1.0",
            "type": "link",
        }

    def liquid_variant(self, product: DemoProduct, v: ShopifyVariant) -> dict[str, Any]:
        default = v.title == "Default Title"
        return {
            "id": v.id,
            "title": v.title,
            **option_fields(v.option_values),
            "sku": v.sku,
            "requires_shipping": True,
            "taxable": True,
            "featured_image": None,
            "available": v.available,
            "name": product.name if default else f"{product.name} - {v.title}",
            "public_title": None if default else v.title,
            "options": list(v.option_values),
            "price": to_cents(v.price),
            "weight": v.grams,
            "compare_at_price": to_cents(v.compare_at_price),
            "inventory_management": "shopify",
            "barcode": v.barcode,
            "requires_selling_plan": False,
            "selling_plan_allocations": [],
            "quantity_rule": {"min": 1, "max": None, "increment": 1},
        }
