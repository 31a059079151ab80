"""The gsitemap module's XML sitemaps (CDATA locations, CRLF line ends, image entries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...catalog import CATEGORIES
from ...store import DemoResponse, Store
from .model import CMS_PAGES, DATE_BASE, ID_SHOP, SITEMAP_LINKS_PER_FILE, xml_response
from .page import Page


class GsitemapSitemaps(Store):
    """The gsitemap module's sitemaps: ``1_index_sitemap.xml`` and one sitemap per language."""

    _sitemaps: dict[str, list[dict[str, Any]]]  # built by PrestaShopStore.__init__

    def _sitemap_entries(self, store_url: str) -> list[dict[str, Any]]:
        """Built once per host name (the catalog of a store never changes)."""
        if store_url not in self._sitemaps:
            self._sitemaps[store_url] = self._build_sitemap_entries(store_url)
        return self._sitemaps[store_url]

    def _build_sitemap_entries(self, store_url: str) -> list[dict[str, Any]]:
        """Home, then products, categories and CMS pages: gsitemap's ``type_array`` order."""
        entries: list[dict[str, Any]] = [{"loc": store_url, "priority": "1.0", "lastmod": None, "image": None}]
        for product in self.catalog.products:
            entries.append(
                {
                    "loc": store_url + self.product_path(product),
                    "priority": "0.9",
                    "lastmod": self._date_upd(product.numeric_id),
                    "image": {
                        "loc": store_url + self.image_path(product, 1, "large_default"),
                        "title": product.name,
                        "caption": product.description[:350],
                    },
                }
            )
        for category in CATEGORIES:
            entries.append(
                {
                    "loc": store_url + self.category_path(category),
                    "priority": "0.8",
                    "lastmod": self._date_upd(category.id),
                    "image": None,
                }
            )
        for cms in CMS_PAGES:
            entries.append({"loc": store_url + self.cms_path(cms), "priority": "0.7", "lastmod": None, "image": None})
        return entries

    def _date_upd(self, object_id: int) -> str:
        day = DATE_BASE + timedelta(days=self.catalog.day - 1 + object_id % 17)
        return f"{day.isoformat()}T09:{object_id % 60:02d}:00+02:00"

    def _sitemap_index(self, page: Page) -> DemoResponse:
        count = max(1, -(-len(self._sitemap_entries(page.request.store_url)) // SITEMAP_LINKS_PER_FILE))
        lastmod = self._date_upd(0)
        return xml_response(
            self.render(
                "prestashop/sitemap_index.xml",
                sitemaps=[page.url(f"{ID_SHOP}_el_{n}_sitemap.xml") for n in range(count)],
                lastmod=lastmod,
            )
        )

    def _sitemap(self, page: Page, lang: str, index: int) -> DemoResponse:
        entries = self._sitemap_entries(page.request.store_url)
        chunk = entries[index * SITEMAP_LINKS_PER_FILE : (index + 1) * SITEMAP_LINKS_PER_FILE]
        if lang != "el" or not chunk:
            return self._not_found(page)
        body = self.render("prestashop/sitemap.xml", entries=chunk).body
        return xml_response(DemoResponse(str(body).replace("\n", "\r\n")))
