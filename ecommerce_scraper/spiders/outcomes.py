"""What the spiders do with a request that got no usable answer, and with the known products a
crawl has not met: the part of :class:`~.base.CatalogSpider` that keeps a crawl from losing or
inventing products.

- A failed request is counted by cause (``pages/failed/<cause>``, ``pages/gone/http_404``), and a
  product page's failure is logged once, at WARNING, and told to the storage
  (:data:`~ecommerce_scraper.signals.page_outcome`): ``gone`` is evidence for a removal, ``failed``
  keeps the product's state (unverified).
- A home page that gets no answer at all is one line a shop owner understands, kept for the crawl
  record (``shop/<name>/unreachable``).
- Known products: the storage says which to fetch (:data:`~ecommerce_scraper.signals.known_products`):
  first thing, those the last crawl could not check; before the crawl closes, those it has not met.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from twisted.python.failure import Failure

from .. import signals as project_signals
from ..normalize import canonicalize_url
from .failures import failure_cause, is_gone, original_url, unreachable_reason
from .sizes import dropped_for_size

if TYPE_CHECKING:
    from .shop import Shop


class PageOutcomes:
    """Mixin of :class:`~.base.CatalogSpider` (which provides the crawl, the shops and the requests)."""

    shops: dict[str, Shop]
    failed_urls: set[str]
    seen_product_ids: set[tuple[str, str]]
    unseen_checked: bool
    walks_catalogs: bool

    def on_error(self, failure: Failure) -> Iterator[Any]:
        """A request that got no usable answer: counted by cause, logged once, never taken for a
        removed product unless the shop said so (404/410)."""
        request = failure.request  # type: ignore[attr-defined]
        shop = self.shops.get(request.meta.get("shop", ""))
        # Past DOWNLOAD_MAXSIZE, as sent or once unpacked: this page is lost, the crawl goes on.
        too_large = dropped_for_size(failure)
        cause = "too_large" if too_large else failure_cause(failure)
        detail = f"over DOWNLOAD_MAXSIZE, {self.crawler.settings.getint('DOWNLOAD_MAXSIZE')} bytes" if too_large else ""
        stats = self.crawler.stats
        gone = is_gone(cause)
        stats.inc_value(f"pages/{'gone' if gone else 'failed'}/{cause}")
        if not gone and cause != "robots":
            stats.inc_value("pages/failed")
        if shop is not None and request.callback == self.parse_home and unreachable_reason(failure):
            self.shop_unreachable(shop, request, failure)
        elif shop is not None and request.callback == self.parse_home and cause.startswith("http_4"):
            # The shop answers, but has no page at that address (moved, redesigned): its sitemaps may know.
            self.logger.warning("%s: home page %s failed (%s); trying its sitemaps", shop.name, request.url, cause)
            yield from self.discover_sitemaps(shop)
        elif shop is not None and request.callback == self.parse_home:
            self.logger.warning("%s: home page %s failed (%s)", shop.name, request.url, detail or cause)
        elif shop is not None and request.cb_kwargs.get("follow") is False:
            self.report_page(shop, request, "gone" if gone else "failed", cause, detail)
        elif cause != "robots":  # a listing, sitemap or API page: the routes fall back on their own
            self.logger.warning("%s: %s failed (%s)", shop.name if shop else "?", request.url, detail or cause)
        api_product = request.cb_kwargs.get("api_product")
        if shop and api_product is not None:
            # The API already told us the product: a dead product page must not lose it.
            yield from self.emit(shop, api_product, None)

    def report_page(self, shop: Shop, request: Request, outcome: str, cause: str, detail: str = "") -> None:
        """Tell the storage what happened to a product page: ``gone`` (evidence that its product was
        removed) or ``failed`` (its product keeps its state, unverified). Logged once per URL."""
        url = canonicalize_url(original_url(request))
        if url not in self.failed_urls:
            self.failed_urls.add(url)
            if cause != "robots":
                self.logger.warning(
                    "%s: product page %s %s (%s%s)",
                    shop.name,
                    url,
                    "is gone" if outcome == "gone" else "failed",
                    cause,
                    f": {detail}" if detail else "",
                )
        self.crawler.signals.send_catch_log(
            project_signals.page_outcome,
            site=shop.name,
            url=url,
            outcome=outcome,
            cause=cause,
            product_id=request.meta.get("checking_product"),
        )

    def shop_unreachable(self, shop: Shop, request: Request, failure: Failure) -> None:
        """The home page got no answer: one line a shop owner understands, kept for the crawl record."""
        reason = unreachable_reason(failure)
        host = urlsplit(request.url).netloc
        line = f"{host}: {reason} — {self.where_the_url_is(shop)}"
        shop.unreachable = line
        self.crawler.stats.set_value(f"shop/{shop.name}/unreachable", line)
        self.logger.error("%s", line)

    def where_the_url_is(self, shop: Shop) -> str:
        return "check the URL and the network"

    # --- known products the crawl has not met ---------------------------------------------

    def known_product_requests(self, shop: Shop, reason: str, priority: int = 0) -> Iterator[Request]:
        """Requests for the known products of ``shop`` that the storage says need fetching
        (``reason``: see :data:`~ecommerce_scraper.signals.known_products`)."""
        answers = self.crawler.signals.send_catch_log(project_signals.known_products, site=shop.name, reason=reason)
        for _, known in answers:
            if not isinstance(known, list):
                continue  # a receiver that failed (logged by send_catch_log)
            for product_id, url in known:
                if not url or not shop.owns(url) or (shop.name, product_id) in self.seen_product_ids:
                    continue
                if canonicalize_url(url) in self.failed_urls:
                    continue  # failed or gone in this crawl already: counted once
                request = self.page_request(shop, url, self.parse_page, follow=False)
                request.meta["checking_product"] = product_id
                # First thing in a crawl, the duplicate filter keeps discovery from fetching it again;
                # at the end, a page fetched already (redirected to another product, say) is checked anew.
                yield request.replace(priority=priority, dont_filter=reason == "unseen")

    def check_unseen_products(self) -> None:
        """Before the crawl closes, fetch once the known products it did not meet: a product is
        reported removed only when its own page says so (404/410, or no product there any more)."""
        if self.unseen_checked or not self.walks_catalogs:
            return
        self.unseen_checked = True
        requests = [
            request
            for shop in self.shops.values()
            if shop.unreachable is None
            for request in self.known_product_requests(shop, "unseen")
        ]
        if not requests:
            return
        self.logger.info("checking %d known products this crawl did not meet", len(requests))
        self.crawler.stats.inc_value("products/checked_unseen", len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider
