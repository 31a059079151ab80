"""What every extractor shares: the partial product, its "empty", text, links and the variant roll-up.

A *partial product* (:class:`PartialProduct`) is what each source of product data returns: a
platform adapter (``platforms/``), structured data, configured selectors, heuristics. Keys whose
value is unknown are left out (:func:`put`, :func:`compact`); the spider merges the partials by
precedence and :func:`~ecommerce_scraper.extraction.merge.finalize` makes the result whole.

One definition of *empty* (:func:`is_empty`): ``None``, ``""``, ``[]`` and ``{}``. ``0``,
``Decimal("0")`` and ``False`` are values: a free product and a "no" are things a page said.

One roll-up of variants (:func:`roll_up_variants`): the product's price and availability from
its variants, used by ``finalize`` and by the adapters that report a product-level price.

This module lives in ``extraction/`` (not ``platforms/``) because the partial product, merging
and finalizing are extraction's: the adapters build on it, and the platform-independent
extractors import nothing from ``platforms/``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypedDict

from lxml import etree
from parsel import Selector, SelectorList
from scrapy.http import Response, TextResponse
from w3lib.html import remove_tags, replace_entities

# The adapters' one way to query a whole page (a re-export: it lives beside, in queries.py).
from .queries import select as select


class Variant(TypedDict, total=False):
    """One entry of ``variants`` (:data:`~ecommerce_scraper.items.VARIANT_FIELDS`)."""

    sku: str | None
    name: str | None
    options: dict[str, str]
    price: Decimal | None
    regular_price: Decimal | None
    availability: str | None


class PartialProduct(TypedDict, total=False):
    """What one source knows of a product: normalized values, unknown keys left out.

    The fields are :data:`~ecommerce_scraper.items.PRODUCT_FIELDS` that a page or a catalog API
    can tell (the SEO fields come from :mod:`~ecommerce_scraper.extraction.seo`, the crawl's own
    fields from the spider), plus ``unparsed_price``: the price text no parser could read, which
    the spider reports when no other source has a price.
    """

    product_id: str
    url: str
    name: str
    brand: str
    sku: str
    gtin: str
    mpn: str
    price: Decimal | None
    regular_price: Decimal | None
    currency: str
    availability: str | None
    category: str
    breadcrumbs: list[str]
    description: str
    main_image: str
    images: list[str]
    variants: list[Variant]
    attributes: dict[str, str]
    unparsed_price: str


# --- empty values -----------------------------------------------------------------------------


def is_empty(value: object) -> bool:
    """``None``, ``""``, ``[]`` or ``{}``: nothing known. ``0``, ``Decimal("0")``, ``False`` are not empty."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def put(product: Any, key: str, value: object) -> None:
    """``product[key] = value`` unless the value is empty: unknown values stay out of a partial product."""
    if not is_empty(value):
        product[key] = value


def compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping without its empty values."""
    return {key: value for key, value in mapping.items() if not is_empty(value)}


# --- text -------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_SCRIPT_OR_STYLE = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
#: Tags that start or end a block (or break a line): a separator there, so words don't glue.
_BLOCK_TAG = re.compile(
    r"(?i)<\s*/?\s*(br|p|div|li|ul|ol|dl|dt|dd|h\d|tr|td|th|table|section|article|blockquote|hr)\b[^>]*>"
)
_BLOCK_MARK = "\ue000"  # a private-use character: no page has it, so it only marks the blocks


def clean_text(text: object) -> str:
    """Whitespace runs (NBSP and newlines included) collapsed to one space, ends stripped; ``""`` for
    ``None`` or anything that is not a string."""
    if not isinstance(text, str):
        return ""
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


_TEXT = etree.XPath(".//text()", smart_strings=False)
_READABLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False)


def node_text(selection: Selector | SelectorList, *, first_only: bool = False, scripts: bool = False) -> str:
    """The text of the selected elements, cleaned (:func:`clean_text`).

    ``first_only``: only the first element of a list; ``scripts``: keep the text of ``<script>``
    and ``<style>`` elements (left out by default: it is never what a shopper reads).
    """
    if first_only and isinstance(selection, SelectorList):
        selection = selection[:1]
    texts = _TEXT if scripts else _READABLE_TEXT
    roots = [one.root for one in selection] if isinstance(selection, SelectorList) else [selection.root]
    if all(isinstance(root, etree._Element) for root in roots):
        # The same strings as ``selection.xpath(texts.path).getall()``, without a Selector made per text node.
        return clean_text(" ".join(text for root in roots for text in texts(root)))
    return clean_text(" ".join(selection.xpath(texts.path).getall()))


def html_to_text(html: object, block_separator: str = " ") -> str:
    """Plain text of an HTML fragment; ``""`` for ``None`` or anything that is not a string.

    Scripts and styles are dropped and entities decoded; each block tag (``p``, ``div``, ``li``,
    ``h1``-``h6``, ``tr``, ``br``...) becomes ``block_separator`` so that words of two blocks don't
    glue; whitespace is collapsed within each line and empty lines are dropped. With
    ``block_separator="\\n"`` the text keeps one line per block.
    """
    if not isinstance(html, str) or not html:
        return ""
    marked = _BLOCK_TAG.sub(_BLOCK_MARK, _SCRIPT_OR_STYLE.sub(" ", html))
    lines = [clean_text(line) for line in replace_entities(remove_tags(marked)).split(_BLOCK_MARK)]
    return block_separator.join(line for line in lines if line)


def body_attribute(response: TextResponse, name: str) -> str | None:
    """``//body/@name`` of a page: its ``<body>`` is a child of the parsed page's root ``<html>``
    (the parser puts it there), found without searching the whole tree."""
    root = response.selector.root
    body = root.find("body") if getattr(root, "tag", None) == "html" else None
    return body.get(name) if body is not None else response.xpath(f"//body/@{name}").get()


# --- links ------------------------------------------------------------------------------------

#: What an ``href`` starts with when it is no page to fetch: the default of :func:`absolute_links`.
NOT_PAGES: tuple[str, ...] = ("#", "javascript:", "mailto:", "tel:")


def absolute_links(
    response: Response,
    hrefs: Iterable[str | None],
    *,
    skip: tuple[str, ...] = NOT_PAGES,
    keep: Callable[[str], bool] | None = None,
) -> list[str]:
    """``hrefs`` as absolute URLs against ``response``, each once, in page order.

    Every href is stripped and an empty one dropped; then the filters, explicit per caller:
    ``skip`` drops an href that starts with one of these prefixes (``()`` skips none), ``keep``
    drops an absolute URL for which it returns false.
    """
    urls: dict[str, None] = {}
    for href in hrefs:
        href = (href or "").strip()
        if not href or (skip and href.startswith(skip)):
            continue
        url = response.urljoin(href)
        if keep is None or keep(url):
            urls.setdefault(url, None)
    return list(urls)


# --- variants ---------------------------------------------------------------------------------

_ORDERABLE = ("backorder", "preorder")


def cheapest_variant(variants: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The variant whose price is the lowest (``Decimal`` comparison; among equal prices the first
    in the shop's order); ``None`` when no variant has a price. Its stock does not matter."""
    priced = [variant for variant in variants if variant.get("price") is not None]
    return min(priced, key=lambda variant: variant["price"]) if priced else None


def variants_availability(variants: Sequence[Mapping[str, Any]]) -> str | None:
    """The product's availability from its variants' (the one rule, in this order):

    1. ``in_stock`` when any variant is in stock;
    2. else ``backorder`` or ``preorder`` when any variant can be ordered so (the first such in
       the shop's order);
    3. else ``out_of_stock`` when every variant states that it is out of stock;
    4. else ``None``: no variants, or some variants' stock is unknown and the others are out.
       Unknown variant stock never makes a product out of stock; the product's own
       availability stands.
    """
    states = [variant.get("availability") for variant in variants]
    if "in_stock" in states:
        return "in_stock"
    orderable = next((state for state in states if state in _ORDERABLE), None)
    if orderable:
        return orderable
    if states and all(state == "out_of_stock" for state in states):
        return "out_of_stock"
    return None


def roll_up_variants(variants: Sequence[Mapping[str, Any]]) -> PartialProduct:
    """The product fields its variants decide; what they don't decide is left out.

    - ``price``: the cheapest variant's (:func:`cheapest_variant`), in stock or not, and
      ``regular_price``: that same variant's regular price (left out when it has none);
    - ``availability``: :func:`variants_availability`.
    """
    rolled: PartialProduct = {}
    cheapest = cheapest_variant(variants)
    if cheapest is not None:
        rolled["price"] = cheapest["price"]
        put(rolled, "regular_price", cheapest.get("regular_price"))
    put(rolled, "availability", variants_availability(variants))
    return rolled
