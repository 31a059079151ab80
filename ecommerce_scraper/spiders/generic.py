"""``scrapy crawl generic -a url=URL[,URL...]``: any shop, never seen before, no config.

Each URL is a shop root to crawl whole (platform detected, catalog API, sitemaps, listings);
with ``-a follow=false`` only the given pages are extracted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.http import Response, TextResponse

from ..config import SiteConfig
from ..platforms import detect_platform
from .base import CatalogSpider
from .params import GenericParams
from .shop import Shop


def site_name_for(url: str) -> str:
    """A readable shop name from its URL: ``www.knitshop.gr`` -> ``knitshop.gr``."""
    parts = urlsplit(url)
    host = (parts.hostname or "shop").removeprefix("www.")
    path = "-".join(p for p in parts.path.split("/") if p)
    return f"{host}-{path}" if path else host


def shop_root(url: str) -> str:
    """The folder a URL names: the URL itself when it ends with "/", else its parent."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


class GenericSpider(CatalogSpider):
    name = "generic"

    def __init__(self, **kwargs: Any) -> None:
        params = GenericParams.from_arguments(kwargs)
        super().__init__(**{key: value for key, value in kwargs.items() if key not in GenericParams.names()})
        self.params = params
        self.use_proxies = params.proxies
        if params.proxies:  # asked for: the crawl must not start without them (the add-on checks)
            self.proxies_wanted_by = "argument proxies"
        self.urls = params.url
        self.follow = params.follow
        self.walks_catalogs = self.follow
        self.configs = []
        for target in self.urls:
            root = shop_root(target) if self.follow else f"{urlsplit(target).scheme}://{urlsplit(target).netloc}/"
            try:  # SiteConfig validates the URL
                config = SiteConfig(
                    name=site_name_for(root),
                    base_url=root,
                    platform=params.platform,
                    currency=params.currency,
                    language=params.language,
                )
            except ValidationError as exc:
                message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise UsageError(f"argument url={target!r}: {message}", print_help=False) from None
            self.configs.append(config)

    async def start(self) -> AsyncIterator[Request]:
        for target, config in zip(self.urls, self.configs, strict=True):
            shop = self.shops.get(config.base_url) or Shop(config.name, config.base_url, config)
            if self.follow:
                yield self.start_shop(shop)
            else:
                self.register(shop)
                yield self.page_request(shop, target, self.parse_single).replace(dont_filter=True)

    def site_names(self) -> list[str]:
        return list(dict.fromkeys(config.name for config in self.configs))

    def where_the_url_is(self, shop: Shop) -> str:
        return "check the URL given with -a url= or the network"

    def parse_single(self, response: Response) -> Iterator[Any]:
        """One given page: detect its platform from the page itself, then extract it."""
        shop = self.shops[response.meta["shop"]]
        if isinstance(response, TextResponse) and shop.config.platform == "auto" and shop.platform.name == "none":
            shop.use_platform(detect_platform(response))
            self.remember(shop)
        yield from self.parse_page(response, follow=False)
