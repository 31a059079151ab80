"""Product fields through the CSS selectors a shop's config gives (``sites.json`` ``selectors``)."""

from __future__ import annotations

from typing import Any

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from ..config import Selectors
from ..normalize import map_availability, parse_price
from .toolkit import PartialProduct, Variant, clean_text, compact, node_text


def _texts(root: Selector | TextResponse, css: str) -> list[str]:
    """Each match's text: the pseudo-element's value, else the element's whole text."""
    matches: SelectorList = root.css(css)
    if "::" in css:
        return [clean_text(v) for v in matches.getall() if clean_text(v)]
    return [t for m in matches if (t := node_text(m, scripts=True))]


def _first(root: Selector | TextResponse, css: str | None) -> str | None:
    if not css:
        return None
    found = _texts(root, css)
    return found[0] if found else None


def is_product_page(response: TextResponse, selectors: Selectors) -> bool | None:
    """None when the config doesn't say how to tell."""
    if not selectors.product_page:
        return None
    return bool(response.css(selectors.product_page))


def extract_css(response: TextResponse, selectors: Selectors, currency_hint: str | None = None) -> PartialProduct:
    """A partial product from configured selectors; fields without a selector are absent."""
    out: dict[str, Any] = {}
    for field in ("product_id", "name", "sku", "brand", "description", "category"):
        value = _first(response, getattr(selectors, field))
        if value:
            out[field] = value
    for field in ("price", "regular_price"):
        text = _first(response, getattr(selectors, field))
        if text:
            parsed = parse_price(text, currency_hint)
            if parsed.amount is None and not parsed.on_request and field == "price":
                out["unparsed_price"] = text  # reported by the spider if no other source has a price
            out[field] = parsed.amount
            if parsed.currency:
                out.setdefault("currency", parsed.currency)
    availability = _first(response, selectors.availability)
    if availability:
        out["availability"] = map_availability(availability)
    if selectors.breadcrumbs:
        out["breadcrumbs"] = _texts(response, selectors.breadcrumbs)
    if selectors.images:
        out["images"] = [response.urljoin(u) for u in response.css(selectors.images).getall()]
    if selectors.attribute_rows:
        attributes = {}
        for row in response.css(selectors.attribute_rows):
            cells = [node_text(c, scripts=True) for c in row.xpath("./*")]
            if len(cells) >= 2 and cells[0]:
                attributes[cells[0].rstrip(":")] = cells[1]
        if attributes:
            out["attributes"] = attributes
    if selectors.variant:
        out["variants"] = [_variant(row, selectors, currency_hint) for row in response.css(selectors.variant)]
    return compact(out)  # type: ignore[return-value]


def _variant(row: Selector, selectors: Selectors, currency_hint: str | None) -> Variant:
    price = _first(row, selectors.variant_price)
    regular = _first(row, selectors.variant_regular_price)
    availability = _first(row, selectors.variant_availability)
    name = _first(row, selectors.variant_name)
    return {
        "sku": _first(row, selectors.variant_sku),
        "name": name,
        "options": {},
        "price": parse_price(price, currency_hint).amount if price else None,
        "regular_price": parse_price(regular, currency_hint).amount if regular else None,
        "availability": map_availability(availability) if availability else None,
    }


def listing_links(response: TextResponse, selectors: Selectors) -> tuple[list[str], list[str], list[str]] | None:
    """(products, next pages, categories) from configured selectors; None if none configured."""
    if not (selectors.product_links or selectors.next_page or selectors.category_links):
        return None

    def links(css: str | None) -> list[str]:
        if not css:
            return []
        sel = css if "::attr(" in css else f"{css}::attr(href)"
        return [response.urljoin(h) for h in response.css(sel).getall()]

    return links(selectors.product_links), links(selectors.next_page), links(selectors.category_links)
