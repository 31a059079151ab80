"""The headless browser (scrapy-playwright): started only for a page that needs it, and what it may skip.

scrapy-playwright's download handler starts Playwright (its Node.js driver) when the engine starts,
and importing it costs every crawl 12 MB, although most shops never need a browser.
:class:`BrowserWhenAsked` is the ``http``/``https`` download handler instead: Scrapy's own for
plain requests, scrapy-playwright's from the first request with ``meta["playwright"]`` on.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

_HEAVY = frozenset({"image", "media", "font"})


def abort_heavy_request(request: Any) -> bool:
    """Skip images, media and fonts: rendering a product's data doesn't need them."""
    return request.resource_type in _HEAVY


class BrowserWhenAsked:
    """Download handler (``DOWNLOAD_HANDLERS``): plain requests through Scrapy's HTTP/1.1 handler;
    requests with ``meta["playwright"]`` through scrapy-playwright's, created and started at the first."""

    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.http = HTTP11DownloadHandler.from_crawler(crawler)
        self.browser: ScrapyPlaywrightDownloadHandler | None = None
        self._starting = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserWhenAsked:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            browser = self.browser or await self._start_browser()
            return await browser.download_request(request)
        return await self.http.download_request(request)

    async def _start_browser(self) -> ScrapyPlaywrightDownloadHandler:
        async with self._starting:  # pages of a JavaScript shop arrive together: one browser
            if self.browser is None:
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

                browser = ScrapyPlaywrightDownloadHandler.from_crawler(self.crawler)
                # What its engine_started handler does; the engine started long ago.
                await browser._maybe_launch_in_thread()
                self.browser = browser
        return self.browser

    async def close(self) -> None:
        await self.http.close()
        if self.browser is not None:
            await self.browser.close()
