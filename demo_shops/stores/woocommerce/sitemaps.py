"""Yoast SEO sitemaps: the index, product sitemaps of 1,000 entries, categories, pages, and the XSL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...store import DemoRequest, DemoResponse
from .layout import WordPressLayout
from .model import EPOCH, PAGES, SITEMAP_ENTRIES, iso_timestamp, modified_at


class YoastSitemaps(WordPressLayout):
    """Yoast SEO's sitemap index and its product, category and page sitemaps."""

    # --- sitemaps (Yoast) --------------------------------------------------------------

    def _product_sitemap_count(self) -> int:
        return max(1, -(-len(self.catalog.products) // SITEMAP_ENTRIES))

    def _xml(self, request: DemoRequest, template: str, **context: Any) -> DemoResponse:
        response = self.render(template, store_url=request.store_url, **context)
        response.content_type = "text/xml; charset=UTF-8"
        response.headers["X-Robots-Tag"] = "noindex, follow"
        return response

    def _sitemap_index(self, request: DemoRequest) -> DemoResponse:
        day_stamp = iso_timestamp(EPOCH + timedelta(days=120 + self.catalog.day))
        names = [
            "page-sitemap.xml",
            *(
                "product-sitemap.xml" if n == 1 else f"product-sitemap{n}.xml"
                for n in range(1, self._product_sitemap_count() + 1)
            ),
            "product_cat-sitemap.xml",
        ]
        return self._xml(
            request, "woocommerce/sitemap_index.xml", sitemaps=[(request.store_url + n, day_stamp) for n in names]
        )

    def _product_sitemap(self, request: DemoRequest, number: int) -> DemoResponse:
        chunk = self.catalog.products[(number - 1) * SITEMAP_ENTRIES : number * SITEMAP_ENTRIES]
        urls: list[dict[str, Any]] = []
        if number == 1:  # Yoast lists the post type archive first
            urls.append(
                {
                    "loc": request.store_url + "shop/",
                    "lastmod": iso_timestamp(EPOCH + timedelta(days=120)),
                    "images": [],
                }
            )
        urls += [
            {
                "loc": self._product_url(request, p),
                "lastmod": iso_timestamp(modified_at(p, self.catalog.day)),
                "images": [self._image(request, path) for path in p.images],
            }
            for p in chunk
        ]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)

    def _category_sitemap(self, request: DemoRequest) -> DemoResponse:
        stamp = iso_timestamp(EPOCH + timedelta(days=100 + self.catalog.day))
        urls = [
            {"loc": self._category_url(request, c), "lastmod": stamp, "images": []}
            for c in self._categories
            if self._counts.get(c.id)
        ]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)

    def _page_sitemap(self, request: DemoRequest) -> DemoResponse:
        stamp = iso_timestamp(EPOCH + timedelta(days=30))
        urls = [{"loc": request.store_url + slug, "lastmod": stamp, "images": []} for slug in ("", "shop/", *PAGES)]
        return self._xml(request, "woocommerce/urlset.xml", urls=urls)


SITEMAP_XSL = """<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9">
<xsl:output method="html" encoding="UTF-8" indent="yes"/>
<xsl:template match="/"><html><head><title>XML Sitemap</title></head><body>
<xsl:for-each select="//sitemap:loc"><p><xsl:value-of select="."/></p></xsl:for-each>
</body></html></xsl:template>
</xsl:stylesheet>
"""
