"""Discovery helpers of the shop spiders."""

from __future__ import annotations

import pytest

from ecommerce_scraper.spiders.shop import product_sitemaps


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (  # Yoast (WooCommerce)
            [
                "https://s/post-sitemap.xml",
                "https://s/product-sitemap.xml",
                "https://s/product_cat-sitemap.xml",
                "https://s/product_tag-sitemap.xml",
            ],
            ["https://s/product-sitemap.xml"],
        ),
        (  # Shopify
            ["https://s/sitemap_products_1.xml?from=1&to=9", "https://s/sitemap_pages_1.xml"],
            ["https://s/sitemap_products_1.xml?from=1&to=9"],
        ),
        (  # Wix
            ["https://s/store-products-sitemap.xml", "https://s/store-categories-sitemap.xml"],
            ["https://s/store-products-sitemap.xml"],
        ),
        (  # nothing named for products: read them all
            ["https://s/sitemap-1.xml", "https://s/sitemap-2.xml"],
            ["https://s/sitemap-1.xml", "https://s/sitemap-2.xml"],
        ),
        (["https://s/products/sitemap-1.xml"], ["https://s/products/sitemap-1.xml"]),
    ],
)
def test_product_sitemaps_are_preferred(index: list[str], expected: list[str]) -> None:
    assert product_sitemaps(index) == expected
