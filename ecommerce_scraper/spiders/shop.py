"""A shop being crawled (:class:`Shop`), and what a page looks like from outside: cut off in
transit, a JavaScript app shell, a sitemap index's product sitemaps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import TextResponse

from ..config import SiteConfig
from ..platforms import Platform, platform_class

_SPACES = re.compile(r"\s+")


@dataclass
class Shop:
    """One shop being crawled and what the crawl has learnt about it so far."""

    name: str
    base_url: str
    config: SiteConfig
    platform: Platform = field(init=False)
    javascript: bool = False
    pending_sitemaps: int = 0
    product_urls_from_sitemaps: int = 0
    listing_started: bool = False
    unreachable: str | None = None  # why the shop could not be reached at all, in words

    def __post_init__(self) -> None:
        self.javascript = self.config.javascript
        self.use_platform(self.config.platform if self.config.platform != "auto" else "none")

    def use_platform(self, name: str) -> None:
        self.platform = platform_class(name)(self.base_url, self.config.currency, self.config.language)

    def owns(self, url: str) -> bool:
        return url.startswith(self.base_url)

    def learnt(self) -> dict[str, Any]:
        """What the crawl learnt about the shop, for a resumed crawl (``spider.state``)."""
        return {"platform": self.platform.name, "javascript": self.javascript}

    def recall(self, learnt: dict[str, Any]) -> None:
        if self.config.platform == "auto" and learnt.get("platform"):
            self.use_platform(learnt["platform"])
        self.javascript = self.javascript or bool(learnt.get("javascript"))


# "product" but not the product taxonomies (Yoast's product_cat-, product_tag-sitemap.xml).
_PRODUCT_SITEMAP = re.compile(r"products?(?![-_]?(?:cat|tag|brand|attribute))", re.IGNORECASE)


def product_sitemaps(urls: list[str]) -> list[str]:
    """The sitemaps of an index worth reading for products.

    Platforms split their index by type (Yoast ``product-sitemap.xml``, Shopify
    ``sitemap_products_1.xml``, Wix ``store-products-sitemap.xml``): when some are named for
    products, the category and page sitemaps would only cost requests. Otherwise, all.
    """
    named = [url for url in urls if _PRODUCT_SITEMAP.search(url.rsplit("/", 1)[-1])]
    return named or urls


def looks_truncated(response: TextResponse) -> bool:
    """An HTML document that stops before ``</html>``: cut off in transit or by the server."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    return "html" in content_type and b"</html>" not in response.body[-4096:].lower()


def looks_like_app_shell(response: TextResponse, min_text: int = 200) -> bool:
    """A page whose content a browser would build with JavaScript: scripts, hardly any text."""
    root = response.selector.root  # plain lxml, no Selector per node: this is on the hot path
    if root is None or not root.xpath("//script[@src]"):
        return False
    body = root.find("body")
    if body is None:
        return True
    text = len(_SPACES.sub("", body.text_content()))
    hidden = sum(len(_SPACES.sub("", el.text_content())) for el in body.iter("script", "style", "noscript"))
    return text - hidden < min_text
