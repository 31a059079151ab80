"""The normalized product item: field names are the export contract (see DESIGN.md)."""

from __future__ import annotations

import scrapy

#: Export column order for products; also the order of fields in ``Product``.
PRODUCT_FIELDS: tuple[str, ...] = (
    "site",
    "product_id",
    "url",
    "canonical_url",
    "name",
    "brand",
    "sku",
    "gtin",
    "mpn",
    "price",
    "regular_price",
    "currency",
    "availability",
    "category",
    "breadcrumbs",
    "description",
    "main_image",
    "images",
    "variants",
    "attributes",
    "ai",
    "seo_title",
    "meta_description",
    "h1",
    "meta_robots",
    "og_title",
    "og_description",
    "og_image",
    "hreflang",
    "fingerprint",
    "scraped_at",
    "crawl_id",
)

#: Keys of one entry of ``Product.variants``.
VARIANT_FIELDS: tuple[str, ...] = (
    "sku",
    "name",
    "options",
    "price",
    "regular_price",
    "availability",
)

#: The availability enum; ``None`` means the shop does not say.
AVAILABILITY_VALUES: frozenset[str] = frozenset({"in_stock", "out_of_stock", "preorder", "backorder"})


class Product(scrapy.Item):
    """One product of one shop, normalized.

    ``price``/``regular_price`` are :class:`decimal.Decimal` or ``None`` (never 0 for
    "price on request"); ``availability`` is one of :data:`AVAILABILITY_VALUES` or
    ``None``; ``variants`` is a list of dicts with :data:`VARIANT_FIELDS`.
    """

    site = scrapy.Field()
    product_id = scrapy.Field()
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    name = scrapy.Field()
    brand = scrapy.Field()
    sku = scrapy.Field()
    gtin = scrapy.Field()
    mpn = scrapy.Field()
    price = scrapy.Field()
    regular_price = scrapy.Field()
    currency = scrapy.Field()
    availability = scrapy.Field()
    category = scrapy.Field()
    breadcrumbs = scrapy.Field()
    description = scrapy.Field()
    main_image = scrapy.Field()
    images = scrapy.Field()
    variants = scrapy.Field()
    attributes = scrapy.Field()
    ai = scrapy.Field()
    seo_title = scrapy.Field()
    meta_description = scrapy.Field()
    h1 = scrapy.Field()
    meta_robots = scrapy.Field()
    og_title = scrapy.Field()
    og_description = scrapy.Field()
    og_image = scrapy.Field()
    hreflang = scrapy.Field()
    fingerprint = scrapy.Field()
    scraped_at = scrapy.Field()
    crawl_id = scrapy.Field()
