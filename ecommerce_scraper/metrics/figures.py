"""Each shop's figures of a running crawl, counted from Scrapy's signals: the part the metrics
(:mod:`.extension`) and the live progress (:mod:`.progress`) share.

One :class:`CrawlFigures` per crawler (:meth:`CrawlFigures.of`), so a generic crawl of several
shops has each shop's own figures:

- ``items``: items scraped (past every pipeline; a duplicate the dedup pipeline dropped is not one);
  how many of them have each watched field is the field-coverage pipeline's count
  (``pipelines/coverage.py``), not counted again here;
- ``pages``: responses received; a request is the shop's by its ``meta["shop"]``, else by its host
  (robots.txt), else it is the crawl's only shop's;
- ``retries``: requests scheduled again by the retry middleware (a higher ``retry_times``);
- ``bans``: pages sent again through another proxy after a ban (a higher ``proxy_retry_times``),
  and banned answers kept once the page ran out of proxies;
- ``failed_pages``: product pages the spider told the storage it could not read
  (:data:`~ecommerce_scraper.signals.page_outcome` ``failed``).

A crawl's errors (:meth:`CrawlFigures.errors`) are those of the crawl record
(:func:`~ecommerce_scraper.storage.closing.error_count`: ERROR log lines or failed pages, the
larger) when the crawl has one shop; with several, log lines can't be told apart by shop and a
shop's errors are its failed pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from .. import signals as project_signals
from ..storage.closing import error_count

#: (retry_times, proxy_retry_times) a request had when it was last scheduled; copies inherit it.
_SEEN = "_figures_seen"


@dataclass
class ShopFigures:
    items: int = 0
    pages: int = 0
    retries: int = 0
    bans: int = 0
    failed_pages: int = 0


class CrawlFigures:
    """Per-shop counters of one crawler, connected to its signals."""

    _instances: ClassVar[WeakKeyDictionary[Crawler, CrawlFigures]] = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.shops: dict[str, ShopFigures] = {}
        self.sites: list[str] = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.page_outcome, signal=project_signals.page_outcome)

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlFigures:
        """The crawler's figures, connected once whoever asks first."""
        figures = cls._instances.get(crawler)
        if figures is None:
            figures = cls._instances[crawler] = cls(crawler)
        return figures

    def shop(self, site: str) -> ShopFigures:
        return self.shops.setdefault(site, ShopFigures())

    def all_sites(self) -> list[str]:
        """The crawl's shops (as the spider names them), then any other shop an item named."""
        return list(dict.fromkeys([*self.sites, *self.shops]))

    def errors(self, site: str, stats: dict[str, Any] | None = None) -> int:
        """The shop's errors so far (see the module's doc)."""
        if len(self.all_sites()) <= 1:
            return error_count(stats if stats is not None else self.crawler.stats.get_stats())
        return self.shop(site).failed_pages

    # --- signals ----------------------------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self.sites = list(getattr(spider, "site_names", list)())
        for site in self.sites:
            self.shop(site)

    def item_scraped(self, item: Any, spider: Spider, response: Response | None = None) -> None:
        adapter = ItemAdapter(item)
        site = adapter.get("site") or (self.sites[0] if len(self.sites) == 1 else None)
        if not site:
            return
        self.shop(str(site)).items += 1

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        site = self.site_of(request, spider)
        if site is None:
            return
        figures = self.shop(site)
        figures.pages += 1
        if request.meta.get("_ban"):  # still banned after every proxy it was allowed: the page's answer
            figures.bans += 1

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        now = (int(request.meta.get("retry_times") or 0), int(request.meta.get("proxy_retry_times") or 0))
        before = request.meta.get(_SEEN) or (0, 0)
        request.meta[_SEEN] = now
        if now[0] <= before[0] and now[1] <= before[1]:
            return
        site = self.site_of(request, spider)
        if site is None:
            return
        if now[0] > before[0]:
            self.shop(site).retries += 1
        elif now[1] > before[1]:
            self.shop(site).bans += 1

    def page_outcome(self, site: str, outcome: str, **kwargs: Any) -> None:
        if outcome == "failed":
            self.shop(site).failed_pages += 1

    def site_of(self, request: Request, spider: Spider) -> str | None:
        shops = getattr(spider, "shops", None) or {}
        shop = shops.get(request.meta.get("shop", ""))
        if shop is not None:
            return str(shop.name)
        if len(self.sites) == 1:
            return self.sites[0]
        host = urlsplit(request.url).netloc
        for base_url, known in shops.items():
            if urlsplit(base_url).netloc == host:
                return str(known.name)
        return None
