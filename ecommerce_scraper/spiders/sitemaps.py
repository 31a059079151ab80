"""Discovery through sitemaps: robots.txt's ``Sitemap:`` lines (else ``<base>/sitemap.xml``),
indexes followed to their product sitemaps, read with Scrapy's own ``Sitemap`` and ``gunzip``
within ``SITEMAP_MAX_SIZE``. When no sitemap lists a product, the crawl walks listing pages.

A mixin of :class:`~ecommerce_scraper.spiders.base.CatalogSpider`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from ..normalize import canonicalize_url
from .shop import Shop, product_sitemaps
from .sizes import TooLargeError, dropped_for_size, sitemap_limits, unpack_sitemap


class SitemapDiscovery:
    """Mixin of :class:`~.base.CatalogSpider` (which provides the shops, the requests and the
    page callbacks)."""

    shops: dict[str, Shop]

    def discover_sitemaps(self, shop: Shop) -> Iterator[Request]:
        parts = urlsplit(shop.base_url)
        yield self.data_request(shop, f"{parts.scheme}://{parts.netloc}/robots.txt", self.parse_robots).replace(
            dont_filter=True, errback=self.on_robots_error
        )

    def parse_robots(self, response: Response) -> Iterator[Request]:
        shop = self.shops[response.meta["shop"]]
        sitemaps = []
        if response.status == 200 and isinstance(response, TextResponse):
            sitemaps = [url for url in Protego.parse(response.text).sitemaps if shop.owns(url)]
        if not sitemaps:
            sitemaps = [shop.base_url + "sitemap.xml"]
        for url in sitemaps:
            yield from self.sitemap_request(shop, url)

    def on_robots_error(self, failure: Failure) -> Iterator[Request]:
        shop = self.shops[failure.request.meta["shop"]]  # type: ignore[attr-defined]
        yield from self.sitemap_request(shop, shop.base_url + "sitemap.xml")

    def sitemap_request(self, shop: Shop, url: str) -> Iterator[Request]:
        shop.pending_sitemaps += 1
        request = self.data_request(shop, url, self.parse_sitemap).replace(errback=self.on_sitemap_error)
        # A sitemap may be larger than a page (50 MB by the protocol): its own caps, for the download,
        # a Content-Encoding and a .xml.gz alike.
        request.meta["download_maxsize"], request.meta["download_warnsize"] = sitemap_limits(self.settings)
        yield request

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        shop = self.shops[response.meta["shop"]]
        shop.pending_sitemaps -= 1
        body = self.sitemap_xml(shop, response)
        try:
            sitemap = Sitemap(body) if body else None
        except Exception:  # not XML (an HTML 404 page, say)
            sitemap = None
        if sitemap is not None and sitemap.type == "sitemapindex":
            for url in product_sitemaps([entry["loc"] for entry in sitemap if shop.owns(entry["loc"])]):
                yield from self.sitemap_request(shop, url)
        elif sitemap is not None and sitemap.type == "urlset":
            self.crawler.stats.inc_value("sitemaps/read")
            for entry in sitemap:
                url = entry["loc"]
                if not shop.owns(url) or shop.platform.is_product_url(url) is False:
                    continue
                shop.product_urls_from_sitemaps += 1
                yield self.page_request(shop, canonicalize_url(url), self.parse_page, follow=False)
        yield from self.maybe_start_listing(shop)

    def sitemap_xml(self, shop: Shop, response: Response) -> bytes:
        """The sitemap's XML, a ``.xml.gz`` unpacked within its size cap; empty when it can't be read."""
        max_size, warn_size = sitemap_limits(self.settings)
        max_size = response.meta.get("download_maxsize", max_size)  # as the request was sent
        warn_size = response.meta.get("download_warnsize", warn_size)
        try:
            body = unpack_sitemap(response.body, max_size)
        except TooLargeError:
            self.sitemap_too_large(shop, response.url, max_size)
            return b""
        except (OSError, EOFError, zlib.error) as exc:  # a broken .gz must not stop discovery
            self.crawler.stats.inc_value("sitemaps/unreadable")
            self.logger.warning("%s: sitemap %s is not readable gzip (%s); skipped", shop.name, response.url, exc)
            return b""
        if len(response.body) < warn_size <= len(body):
            message = "%s: sitemap %s unpacks to %d bytes (SITEMAP_WARN_SIZE: %d)"
            self.logger.warning(message, shop.name, response.url, len(body), warn_size)
        return body

    def sitemap_too_large(self, shop: Shop, url: str, limit: int) -> None:
        self.crawler.stats.inc_value("sitemaps/too_large")
        self.logger.warning("%s: sitemap %s is larger than %d bytes (SITEMAP_MAX_SIZE); skipped", shop.name, url, limit)

    def on_sitemap_error(self, failure: Failure) -> Iterator[Request]:
        request = failure.request  # type: ignore[attr-defined]
        shop = self.shops[request.meta["shop"]]
        shop.pending_sitemaps -= 1
        if dropped_for_size(failure):  # Scrapy logged the sizes; this names the sitemap and the setting
            self.sitemap_too_large(shop, request.url, request.meta.get("download_maxsize", 0))
        yield from self.maybe_start_listing(shop)

    def maybe_start_listing(self, shop: Shop) -> Iterator[Request]:
        """When every sitemap is read and none listed a product, crawl listing pages."""
        if shop.pending_sitemaps or shop.product_urls_from_sitemaps or shop.listing_started:
            return
        shop.listing_started = True
        self.logger.info("%s: no usable sitemap; crawling listing pages", shop.name)
        yield self.page_request(shop, shop.base_url, self.parse_page, follow=True).replace(dont_filter=True)
        for path in shop.config.start_paths:
            yield self.page_request(shop, shop.base_url + path.lstrip("/"), self.parse_page, follow=True)
