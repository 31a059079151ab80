"""The crawl every shop spider shares: platform detection, discovery routes, extraction.

Discovery, best route first:
1. the platform's public catalog API (Shopify ``products.json``, WooCommerce Store API,
   Magento GraphQL), then each product page for its SEO fields (``fetch_product_pages``);
2. sitemaps announced in robots.txt (indexes followed), else ``<base>/sitemap.xml``;
3. listing pages: the home page, categories and pagination.
A route that fails or finds nothing falls back to the next one.

Extraction merges, field by field: API JSON > the platform adapter's page data >
JSON-LD/microdata/OpenGraph > configured CSS selectors > heuristics (only for pages with no
structured data and no selectors).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import ValidationError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from ..config import ConfigError, SiteConfig, load_sites
from ..extraction import css, heuristic
from ..extraction.merge import finalize, merge_partials
from ..extraction.seo import extract_seo
from ..extraction.structured import extract_structured, has_product
from ..extraction.toolkit import clean_text
from ..items import VARIANT_FIELDS, Product
from ..jobs import new_crawl_id
from ..normalize import canonicalize_url, product_id_from_url
from ..platforms import detect_platform
from .failures import original_url
from .outcomes import PageOutcomes
from .params import ShopParams
from .shop import Shop, looks_like_app_shell, looks_truncated
from .sitemaps import SitemapDiscovery

logger = logging.getLogger(__name__)

# What shops call the first breadcrumb, the home page: not a category.
HOME_CRUMBS = frozenset({"home", "αρχική", "αρχικη", "startseite", "accueil", "inicio", "home page", "shop"})


class CatalogSpider(SitemapDiscovery, PageOutcomes, Spider):
    """Shared machinery; :class:`ShopSpider` and the generic spider say which shops to crawl.

    The checks a crawl needs before its first request (database, AI settings, proxies, job
    folder) are the project add-on's (``addon.py``), not the spider's.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.check_unseen_products, signal=signals.spider_idle)
        return spider

    #: Whether pages may be switched to the browser when they look like a JavaScript app.
    detect_javascript: bool = True
    max_truncation_retries: int = 2

    #: Send requests through the rotating proxies (ecommerce_scraper.middlewares.proxies).
    use_proxies: bool = False
    #: Where proxies are asked for, when the crawl must not start without them (the add-on checks).
    proxies_wanted_by: str | None = None
    #: Whether the crawl walks whole catalogs, so that a known product it did not meet is
    #: fetched once more before the crawl closes (a crawl of given pages only does not).
    walks_catalogs: bool = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shops: dict[str, Shop] = {}
        self.seen_product_ids: set[tuple[str, str]] = set()
        self._crawl_id = new_crawl_id()  # when no CRAWL_ID is set (the add-on sets it from the job)
        # Kept in the job folder by Scrapy's SpiderState (JOBDIR), restored when the crawl resumes.
        self.state: dict[str, Any] = {}
        self.failed_urls: set[str] = set()  # product pages that failed or are gone (logged once each)
        self.unseen_checked = False

    @property
    def crawl_id(self) -> str:
        """The job's crawl id (``CRAWL_ID``): a resumed crawl goes on under its first id."""
        crawler = getattr(self, "crawler", None)
        return (crawler.settings.get("CRAWL_ID") if crawler is not None else None) or self._crawl_id

    # --- requests -----------------------------------------------------------------------

    def page_request(self, shop: Shop, url: str, callback: Any, **cb_kwargs: Any) -> Request:
        """A request for an HTML page, rendered in the browser when the shop needs it."""
        meta: dict[str, Any] = {"shop": shop.base_url}
        if shop.javascript:
            from scrapy_playwright.page import PageMethod

            wait = (
                PageMethod("wait_for_selector", shop.config.wait_for, timeout=20_000)
                if shop.config.wait_for
                else PageMethod("wait_for_load_state", "networkidle")
            )
            meta.update(playwright=True, playwright_page_methods=[wait])
        return Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs, meta=meta)

    def data_request(self, shop: Shop, url: str, callback: Any, **cb_kwargs: Any) -> Request:
        """A request for robots.txt, a sitemap or API JSON: never through the browser."""
        return Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs, meta={"shop": shop.base_url})

    def start_shop(self, shop: Shop) -> Request:
        self.register(shop)
        self.logger.info("crawling %s from %s", shop.name, shop.base_url)
        request = self.page_request(shop, shop.base_url, self.parse_home)
        return request.replace(dont_filter=True)

    def register(self, shop: Shop) -> Shop:
        """Crawl ``shop``; a resumed crawl knows its platform before the first page comes back
        (pages still queued from before the stop are parsed as they were then)."""
        learnt = self.state.get("shops", {}).get(shop.base_url)
        if learnt:
            shop.recall(learnt)
        self.shops[shop.base_url] = shop
        self.crawler.stats.set_value(f"shop/{shop.name}/base_url", shop.base_url)
        return shop

    def remember(self, shop: Shop) -> None:
        self.state.setdefault("shops", {})[shop.base_url] = shop.learnt()

    # --- discovery ----------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Any]:
        shop = self.shops[response.meta["shop"]]
        if not isinstance(response, TextResponse):
            self.logger.error("%s: home page %s is not text", shop.name, response.url)
            return
        if not shop.javascript and self.detect_javascript and looks_like_app_shell(response):
            self.logger.info("%s: the home page is a JavaScript app; rendering pages in Chromium", shop.name)
            shop.javascript = True
            self.remember(shop)
            yield self.page_request(shop, response.url, self.parse_home).replace(dont_filter=True)
            return
        if shop.config.platform == "auto":
            shop.use_platform(detect_platform(response))
            self.remember(shop)
        self.crawler.stats.set_value(f"shop/{shop.name}/platform", shop.platform.name)
        self.logger.info("%s: platform %s", shop.name, shop.platform.name)
        # What the last crawl could not check goes first (the platform is known by now).
        yield from self.known_product_requests(shop, "unverified", priority=10)
        api = shop.platform.api_requests()
        if api:
            for request in api:
                yield request.replace(
                    callback=self.parse_api,
                    errback=self.on_api_error,
                    meta={**request.meta, "shop": shop.base_url, "api_first_page": True},
                )
            return
        yield from self.discover_sitemaps(shop)

    def parse_api(self, response: Response) -> Iterator[Any]:
        shop = self.shops[response.meta["shop"]]
        try:
            page = shop.platform.parse_api(response)
        except Exception:  # a changed or broken API must not end the crawl: fall back
            self.logger.exception("%s: could not read catalog API page %s", shop.name, response.url)
            page = None
        if page is None or (not page.products and response.meta.get("api_first_page")):
            self.logger.warning("%s: catalog API gave no products at %s; using sitemaps", shop.name, response.url)
            yield from self.discover_sitemaps(shop)
            return
        self.crawler.stats.inc_value("catalog_api/pages")
        for partial in page.products:
            url = partial.get("url")
            if shop.config.fetch_product_pages and url:
                yield self.page_request(shop, url, self.parse_page, follow=False, api_product=partial)
            else:
                yield from self.emit(shop, partial, None)
        for request in page.next_requests:
            yield request.replace(
                callback=self.parse_api, errback=self.on_api_error, meta={**request.meta, "shop": shop.base_url}
            )

    def on_api_error(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        shop = self.shops[request.meta["shop"]]
        self.crawler.stats.inc_value("catalog_api/errors")
        self.logger.warning("%s: catalog API request %s failed (%s)", shop.name, request.url, failure.getErrorMessage())
        if request.meta.get("api_first_page"):
            yield from self.discover_sitemaps(shop)

    def follow_links(self, shop: Shop, response: TextResponse) -> Iterator[Request]:
        links = shop.platform.listing_links(response)
        if links is not None:
            products, others = links.products, links.next_pages + links.categories
        elif (configured := css.listing_links(response, shop.config.selectors)) is not None:
            products, next_pages, categories = configured
            others = next_pages + categories
        else:
            products, others = [], heuristic.listing_links(response, shop.base_url)
        for url in products:
            if shop.owns(url):
                yield self.page_request(shop, canonicalize_url(url), self.parse_page, follow=False)
        for url in others:
            if shop.owns(url):
                yield self.page_request(shop, canonicalize_url(url), self.parse_page, follow=True)

    # --- pages --------------------------------------------------------------------------

    def parse_page(self, response: Response, follow: bool = True, api_product: dict | None = None) -> Iterator[Any]:
        shop = self.shops[response.meta["shop"]]
        if not isinstance(response, TextResponse):
            return
        if looks_truncated(response) and not response.meta.get("playwright"):
            yield from self.retry_truncated(shop, response, api_product)
            return
        if api_product is not None or self.is_product_page(shop, response):
            yield from self.emit(shop, api_product, response)
            checking = response.meta.get("checking_product")
            if checking is not None and response.meta.get("emitted_product_id") not in (None, checking):
                # The known product's page now shows another product: it is gone under that id.
                self.report_page(shop, response.request, "gone", "now another product")
        elif not shop.javascript and self.detect_javascript and looks_like_app_shell(response):
            self.logger.info("%s: %s needs JavaScript; rendering it in Chromium", shop.name, response.url)
            shop.javascript = True
            self.remember(shop)
            yield self.page_request(shop, response.url, self.parse_page, follow=follow).replace(dont_filter=True)
        elif follow:
            self.crawler.stats.inc_value("pages/listing")
            yield from self.follow_links(shop, response)
        else:
            self.crawler.stats.inc_value("pages/not_product")
            self.logger.debug("%s: no product on %s", shop.name, response.url)
            if response.meta.get("checking_product") is not None:
                moved = response.url != original_url(response.request)
                cause = "redirected to a page with no product" if moved else "no product on its page"
                self.report_page(shop, response.request, "gone", cause)

    def retry_truncated(self, shop: Shop, response: TextResponse, api_product: dict | None) -> Iterator[Any]:
        tries = response.meta.get("truncation_retries", 0)
        if tries < self.max_truncation_retries:
            self.crawler.stats.inc_value("pages/truncated_retried")
            yield response.request.replace(dont_filter=True, meta={**response.meta, "truncation_retries": tries + 1})
            return
        self.crawler.stats.inc_value("pages/truncated_dropped")
        self.logger.error("%s: %s stays truncated after %d tries; not extracting it", shop.name, response.url, tries)
        if api_product is not None:
            yield from self.emit(shop, api_product, None)

    def is_product_page(self, shop: Shop, response: TextResponse) -> bool:
        for verdict in (
            shop.platform.is_product_page(response),
            css.is_product_page(response, shop.config.selectors),
        ):
            if verdict is not None:
                return verdict
        return has_product(response) or heuristic.is_product_page(response)

    def extract(self, shop: Shop, response: TextResponse, api_product: dict | None) -> dict[str, Any]:
        currency = shop.config.currency
        try:
            platform_data = shop.platform.extract_product(response)
        except Exception:  # an adapter bug on one odd page must not lose the others
            self.logger.exception("%s: platform extraction failed on %s", shop.name, response.url)
            platform_data = {}
        structured = extract_structured(response, currency)
        configured = css.extract_css(response, shop.config.selectors, currency)
        sources = [api_product, platform_data, structured, configured]
        if not (structured or configured or platform_data.get("name") or api_product):
            sources.append(heuristic.extract_heuristic(response, currency))
        return merge_partials(*sources)

    def emit(self, shop: Shop, api_product: dict | None, response: TextResponse | None) -> Iterator[Product]:
        """Build, check and yield the item of one product; nothing for a page without one. A product
        met again is yielded too: which copy is kept is DedupPipeline's one rule (pipelines/dedup.py)."""
        data = self.extract(shop, response, api_product) if response is not None else dict(api_product or {})
        seo = extract_seo(response) if response is not None else {}
        url = response.url if response is not None else data.get("url")
        if not data.get("name"):
            self.crawler.stats.inc_value("pages/no_product_data")
            self.logger.warning("%s: no product data on %s; skipped", shop.name, url)
            return
        item = self.build_item(shop, finalize(data), seo, url)
        if response is not None:
            response.meta["emitted_product_id"] = item["product_id"]
        key = (item["site"], item["product_id"])
        if key in self.seen_product_ids:  # products/* stats count each product once
            self.crawler.stats.inc_value("products/duplicate_urls")
            self.logger.debug("%s: product %s seen again at %s", shop.name, item["product_id"], url)
        else:
            self.seen_product_ids.add(key)
            if item["price"] is None and data.get("unparsed_price"):
                self.crawler.stats.inc_value("products/unparseable_price")
                self.logger.warning("%s: could not read a price from %r on %s", shop.name, data["unparsed_price"], url)
            self.crawler.stats.inc_value("products/scraped")
            self.crawler.stats.inc_value("products/variants", len(item["variants"]))
        yield item

    def build_item(self, shop: Shop, data: dict[str, Any], seo: dict[str, Any], url: str) -> Product:
        canonical = seo.pop("canonical_url", None)
        canonical_url = canonicalize_url(canonical if canonical and shop.owns(canonical) else url)
        images = [u for u in data.get("images") or [] if isinstance(u, str)]
        crumbs = [c for c in data.get("breadcrumbs") or [] if c != data["name"] and c.lower() not in HOME_CRUMBS]
        item = Product(
            site=shop.name,
            product_id=str(data.get("product_id") or product_id_from_url(canonical_url, shop.base_url)),
            url=url,
            canonical_url=canonical_url,
            name=data["name"],
            brand=data.get("brand"),
            sku=data.get("sku"),
            gtin=data.get("gtin"),
            mpn=data.get("mpn"),
            price=data.get("price"),
            regular_price=data.get("regular_price"),
            currency=data.get("currency") or shop.config.currency,
            availability=data.get("availability"),
            category=data.get("category") or (crumbs[-1] if crumbs else None),
            breadcrumbs=crumbs,
            description=clean_text(data.get("description")) or None,
            main_image=images[0] if images else None,
            images=images,
            variants=[{k: v.get(k) for k in VARIANT_FIELDS} for v in data.get("variants") or []],
            attributes=data.get("attributes") or {},
            ai={},
            scraped_at=datetime.now(UTC).isoformat(timespec="seconds"),
            crawl_id=self.crawl_id,
        )
        for key in ("seo_title", "meta_description", "h1", "meta_robots", "og_title", "og_description", "og_image"):
            item[key] = seo.get(key)
        item["hreflang"] = seo.get("hreflang") or {}
        return item


class ShopSpider(CatalogSpider):
    """A spider for one shop of ``config/sites.json`` (``name`` is the site key).

    ``-a base_url=URL`` points it at another host (a demo store, a staging copy);
    ``-a product_pages=false`` reads only the catalog API where the shop has one.
    """

    @classmethod
    def site_config(cls) -> SiteConfig:
        try:
            sites = load_sites()
        except ConfigError as exc:
            raise UsageError(str(exc), print_help=False) from None
        if cls.name not in sites.sites:
            raise UsageError(f"config/sites.json: sites.{cls.name}: missing", print_help=False)
        return sites.sites[cls.name]

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The shop's politeness from config/sites.json, at "spider" priority (the command line wins)."""
        super().update_settings(settings)
        site = cls.site_config()
        settings.set("DOWNLOAD_DELAY", 1.0 / site.rate_limit, priority="spider")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", site.concurrency, priority="spider")
        settings.set("USER_AGENT", load_sites().bot.user_agent, priority="spider")

    def __init__(self, **kwargs: Any) -> None:
        params = ShopParams.from_arguments(kwargs)
        super().__init__(**{key: value for key, value in kwargs.items() if key not in ShopParams.names()})
        update: dict[str, Any] = {}
        self.base_url_given = bool(params.base_url)
        if params.base_url:
            update["base_url"] = params.base_url
        if params.product_pages is not None:
            update["fetch_product_pages"] = params.product_pages
        try:
            self.site = SiteConfig.model_validate({**self.site_config().model_dump(), **update})
        except ValidationError as exc:
            raise UsageError(f"argument base_url={params.base_url!r}: {_first_error(exc)}", print_help=False) from None
        self.use_proxies = self.site.proxies
        if self.site.proxies:
            self.proxies_wanted_by = f"config/sites.json: sites.{self.name}.proxies"

    async def start(self) -> AsyncIterator[Request]:
        yield self.start_shop(Shop(self.name, self.site.base_url, self.site))

    def site_names(self) -> list[str]:
        return [self.name]

    def where_the_url_is(self, shop: Shop) -> str:
        if self.base_url_given:
            return "check the base_url argument or the network"
        return "check the URL in config/sites.json or the network"


def _first_error(exc: ValidationError) -> str:
    return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
