"""Shopify's sitemaps: the index, products in chunks of 5,000 (the home URL first), collections, pages."""

from __future__ import annotations

from typing import Any

from ...catalog import DemoProduct
from ...store import DemoResponse, Store
from .model import CREATED_BASE, DAY_BASE, LOCALES, PAGES, SITEMAP_PRODUCTS_PER_FILE, PageContext, iso_timestamp


class ShopifySitemaps(Store):
    """``sitemap.xml`` and its product, collection and page sitemaps."""

    # --- sitemaps --------------------------------------------------------------------

    def _sitemap_index(self, ctx: PageContext) -> DemoResponse:
        chunks = self._sitemap_chunks()
        entries = [
            f"{ctx.store_url}sitemap_products_{n}.xml?from={chunk[0].numeric_id}&to={chunk[-1].numeric_id}"
            for n, chunk in enumerate(chunks, start=1)
        ]
        entries += [f"{ctx.store_url}sitemap_pages_1.xml", f"{ctx.store_url}sitemap_collections_1.xml"]
        return self._xml("shopify/sitemap_index.xml", entries=entries)

    def _sitemap_chunks(self) -> list[list[DemoProduct]]:
        products = self._by_id_sorted
        return [
            products[start : start + SITEMAP_PRODUCTS_PER_FILE]
            for start in range(0, len(products), SITEMAP_PRODUCTS_PER_FILE)
        ]

    def _sitemap_products(self, ctx: PageContext, number: int) -> DemoResponse:
        chunks = self._sitemap_chunks()
        if number > len(chunks):
            return self._not_found(ctx)
        low, high = ctx.request.int_arg("from", 0), ctx.request.int_arg("to", 0) or 10**20
        urls = [{"loc": ctx.store_url, "changefreq": "daily"}]
        for product in chunks[number - 1]:
            if not low <= product.numeric_id <= high:
                continue
            path = self.product_path(product)
            urls.append(
                {
                    "loc": f"{ctx.store_url}{path}",
                    "lastmod": iso_timestamp(self.updated_at(product)),
                    "changefreq": "daily",
                    "alternates": [(loc, ctx.locale_url(loc, path)) for loc in LOCALES],
                    "image": self.image_url(ctx, product.images[0], product),
                    "image_title": product.name,
                }
            )
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _sitemap_collections(self, ctx: PageContext) -> DemoResponse:
        urls = [
            {"loc": f"{ctx.store_url}collections/{c.handle}", "lastmod": iso_timestamp(DAY_BASE), "changefreq": "daily"}
            for c in self.collections.values()
        ]
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _sitemap_pages(self, ctx: PageContext) -> DemoResponse:
        urls = [
            {"loc": f"{ctx.store_url}pages/{handle}", "lastmod": iso_timestamp(CREATED_BASE), "changefreq": "weekly"}
            for handle in PAGES
        ]
        return self._xml("shopify/sitemap_urls.xml", urls=urls)

    def _xml(self, template: str, **context: Any) -> DemoResponse:
        rendered = self.render(template, **context)
        return DemoResponse.xml(rendered.body if isinstance(rendered.body, str) else rendered.body.decode())
