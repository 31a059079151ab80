"""What a shop platform adapter knows: how to spot the platform, its catalog API, its pages.

The spider (``spiders/base.py``) owns the crawl; an adapter only answers questions about
responses. Every extraction method returns a *partial product*
(:class:`~ecommerce_scraper.extraction.toolkit.PartialProduct`): a dict with some of the
:data:`~ecommerce_scraper.items.PRODUCT_FIELDS`, already normalized (``Decimal`` prices via
:func:`~ecommerce_scraper.normalize.parse_price`, availability via
:func:`~ecommerce_scraper.normalize.map_availability`, absolute URLs). Keys whose value is
unknown are left out rather than set to ``None``. ``variants`` is a list of dicts with
:data:`~ecommerce_scraper.items.VARIANT_FIELDS`. The helpers every adapter shares (text, HTML
to text, absolute links, put-if-present, the variant roll-up) are in
:mod:`ecommerce_scraper.extraction.toolkit`: an adapter writes none of its own.

The spider merges partial products by precedence: catalog API, then this adapter's
:meth:`Platform.extract_product`, then structured data (JSON-LD, microdata, OpenGraph),
then configured CSS selectors, then heuristics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from scrapy import Request
from scrapy.http import Response, TextResponse

from ..extraction.toolkit import PartialProduct


@dataclass
class ApiPage:
    """One page of a platform's catalog API."""

    #: Partial products; each must carry ``url`` (its product page) and ``product_id``.
    products: list[PartialProduct] = field(default_factory=list)
    #: Follow-up API requests (the next page). The spider sets their callback.
    next_requests: list[Request] = field(default_factory=list)


@dataclass
class ListingLinks:
    """Links found on a category/listing page (absolute URLs)."""

    products: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


class Platform:
    """A shop platform. Subclasses set :attr:`name` and override what the platform has."""

    name: ClassVar[str] = "none"

    def __init__(self, base_url: str, currency: str = "EUR", language: str = "el") -> None:
        self.base_url = base_url  # ends with "/"
        self.currency = currency
        self.language = language

    # --- detection --------------------------------------------------------------------

    @classmethod
    def detect(cls, response: TextResponse) -> int:
        """Confidence 0..100 that ``response`` (usually the home page) is from this platform."""
        return 0

    # --- catalog API ------------------------------------------------------------------

    def api_requests(self) -> list[Request]:
        """The first request(s) of the public catalog API; empty when there is none.

        The spider sets the callback; don't. Put what you need later in ``meta``.
        """
        return []

    def parse_api(self, response: Response) -> ApiPage:
        """Products of one API page and the request for the next one."""
        raise NotImplementedError

    # --- product pages ----------------------------------------------------------------

    def is_product_url(self, url: str) -> bool | None:
        """Whether a URL (from a sitemap or a listing) is a product page; None: can't tell."""
        return None

    def is_product_page(self, response: TextResponse) -> bool | None:
        """Whether a fetched page is a product page; None: can't tell (heuristics decide)."""
        return None

    def extract_product(self, response: TextResponse) -> PartialProduct:
        """The platform's own data on a product page: id, variants (with their own prices
        and stock), and whatever its default theme shows that structured data lacks."""
        return {}

    # --- listings ---------------------------------------------------------------------

    def listing_links(self, response: TextResponse) -> ListingLinks | None:
        """Product, pagination and category links of a listing page; None: use heuristics."""
        return None
