"""Product fields of pages that have neither structured data nor configured selectors.

The last resort, for shops never seen before (``scrapy crawl generic``). It reads a page the
way a person does: the ``<h1>`` names the product, the price block near it (not the prices
in "related products" carousels, menus or the cart) gives the price, a struck-through or
"old" price is the regular price, and stock words give availability.
"""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector
from scrapy.http import TextResponse

from ..normalize import map_availability, parse_price
from .toolkit import PartialProduct, Variant, node_text

# Page areas whose prices and links belong to other products or to the shop chrome.
_ELSEWHERE = (
    "related|carousel|slider|upsell|up-sell|cross-?sell|recommend|similar|also-|sxetik|σχετικ|recent|"
    "footer|header|navbar|menu|mini-?cart|basket|kalathi|sidebar|widget|breadcrumb|cookie"
)
_PRICE = "price|timi|τιμη|τιμή|amount"
_OLD = "old|regular|was|before|compare|palia|palaia|παλι|strike|list-price|del"
_STOCK = "stock|availab|diathes|διαθεσ|apothem|απόθεμ"
_DESCRIPTION = "descr|perigraf|περιγρ"
_NOT_ELSEWHERE = f"not(ancestor-or-self::*[re:test(concat(@class, ' ', @id), '{_ELSEWHERE}', 'i')])"
_SKU = re.compile(
    r"(?:SKU|Κωδικός(?:\s+προϊόντος)?|Κωδ\.|Product code|Code|Ref(?:erence)?\.?|Art\.?-?Nr\.?|Item)\s*[:#.]?\s*"
    r"([A-Za-z0-9][\w\-./]*\d[\w\-./]*)",
    re.IGNORECASE,
)
_CART = re.compile(r"καλάθι|cart|basket|warenkorb|panier|αγορά|buy", re.IGNORECASE)


def _classed(pattern: str) -> str:
    return f"re:test(concat(@class, ' ', @id), '{pattern}', 'i')"


def _text(node: Selector) -> str:
    return node_text(node, scripts=True)


def _price_nodes(root: Selector | TextResponse) -> list[Selector]:
    """Innermost price-classed elements outside carousels and chrome, in page order."""
    return root.xpath(f".//*[{_classed(_PRICE)}][not(.//*[{_classed(_PRICE)}])][{_NOT_ELSEWHERE}]")


def _is_old(node: Selector) -> bool:
    return bool(node.xpath(f"ancestor-or-self::*[self::del or self::s or self::strike or {_classed(_OLD)}][1]"))


def main_container(response: TextResponse) -> Selector | None:
    """The smallest block around the page's ``<h1>`` that holds a price (or the h1's parent)."""
    h1 = response.xpath(f"//h1[{_NOT_ELSEWHERE}]")
    if not h1:
        return None
    node = h1[0]
    for _ in range(6):
        parent = node.xpath("..")
        if not parent or parent[0].root.tag in ("body", "html"):
            break
        node = parent[0]
        if _price_nodes(node):
            return node
    return h1[0].xpath("..")[0]


_IMAGE = r"\.(jpe?g|png|gif|webp|svg|avif)([?#]|$)"
# A product card on a listing: a heading that links somewhere, or a linked image (not a
# link to the image itself, as product-page galleries have).
_CARD_LINKS = (
    ".//*[self::h2 or self::h3 or self::h4 or self::h5]//a[@href] | "
    f".//a[@href][.//img][not(re:test(@href, '{_IMAGE}', 'i'))]"
)


def _in_card(price: Selector, levels: int = 3) -> bool:
    """Whether a price sits in a product card (a listing), not in a product's own info block."""
    for level in range(1, levels + 1):
        ancestor = price.xpath(f"ancestor::*[{level}]")
        if not ancestor or ancestor[0].root.tag in ("body", "html", "main"):
            return False
        if ancestor[0].xpath(_CARD_LINKS):
            return True
    return False


def is_product_page(response: TextResponse) -> bool:
    """An ``<h1>`` whose nearby price is its own (not a card's), or with stock or cart words."""
    container = main_container(response)
    if container is None:
        return False
    prices = _price_nodes(container)
    if prices and _in_card(prices[0]):
        return False
    if len(set(container.xpath(f"({_CARD_LINKS})/@href").getall())) >= 2:
        return False  # the h1 heads a grid of product cards: a listing
    if any(parse_price(_text(p)).amount is not None for p in prices):
        return True
    buttons = " ".join(response.xpath("//form//button//text() | //form//input[@type='submit']/@value").getall())
    return bool(map_availability(_text(container))) or bool(_CART.search(buttons))


def _prices(nodes: list[Selector], currency_hint: str | None) -> tuple[Any, Any, str | None]:
    current = regular = None
    unparsed = None
    for node in nodes:
        text = _text(node)
        parsed = parse_price(text, currency_hint)
        amount = parsed.amount
        if amount is None:
            unparsed = unparsed or (None if parsed.on_request else text)
            continue
        if _is_old(node):
            regular = regular if regular is not None else amount
        elif current is None:
            current = amount
    return current, regular, unparsed


def extract_heuristic(response: TextResponse, currency_hint: str | None = None) -> PartialProduct:
    container = main_container(response)
    if container is None:
        return {}
    out: PartialProduct = {"name": _text(response.xpath(f"//h1[{_NOT_ELSEWHERE}]")[0])}
    variant_rows = [row for row in container.xpath(".//tr") if _price_nodes(row)]
    main_prices = [p for p in _price_nodes(container) if not p.xpath("ancestor::tr")]
    price, regular, unparsed = _prices(main_prices, currency_hint)
    if price is not None:
        out["price"] = price
        if regular is not None and regular > price:
            out["regular_price"] = regular
    elif unparsed:
        out["unparsed_price"] = unparsed
    for node in container.xpath(f".//*[{_classed(_STOCK)}][not(ancestor::tr)]"):
        availability = map_availability(_text(node))
        if availability:
            out["availability"] = availability
            break
    match = _SKU.search(_text(container))
    if match:
        out["sku"] = match.group(1)
    description = response.xpath(f"//*[{_classed(_DESCRIPTION)}][{_NOT_ELSEWHERE}]")
    if description:
        out["description"] = _text(description[0])
    if len(variant_rows) >= 2:
        out["variants"] = [_variant(row, currency_hint) for row in variant_rows]
    return out


def _variant(row: Selector, currency_hint: str | None) -> Variant:
    cells = [_text(c) for c in row.xpath("./td|./th")]
    price, regular, _ = _prices(_price_nodes(row), currency_hint)
    availability = next((a for c in reversed(cells) if (a := map_availability(c))), None)
    sku = next((c for c in cells if re.fullmatch(r"[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)+", c)), None)
    return {
        "sku": sku,
        "name": cells[0] if cells else None,
        "options": {},
        "price": price,
        "regular_price": regular if regular is not None and price is not None and regular > price else None,
        "availability": availability,
    }


def listing_links(response: TextResponse, base_url: str) -> list[str]:
    """Every link of the page's content that stays inside the shop."""
    links = []
    for href in response.xpath(
        "//a[not(ancestor::*[re:test(concat(@class, ' ', @id), 'cookie|mini-?cart', 'i')])]/@href"
    ).getall():
        url = response.urljoin(href.strip())
        if url.startswith(base_url):
            links.append(url)
    return links
