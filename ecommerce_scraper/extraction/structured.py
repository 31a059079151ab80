"""Product fields from structured data: JSON-LD, microdata and OpenGraph.

Each ``<script type="application/ld+json">`` is parsed on its own: with extruct, one
malformed block would drop every JSON-LD block of the page. RDFa is skipped (slow, and
shops that use it also publish JSON-LD or microdata).

Pages often carry several products (related-product carousels, "customers also bought"):
the main product is the one whose URL is the page's, else the one named like the page's
``<h1>``, else the first one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree
from scrapy.http import TextResponse
from w3lib.html import remove_tags, replace_entities

from ..normalize import canonicalize_url, map_availability, parse_price
from .microdata import microdata_items
from .toolkit import PartialProduct, Variant, clean_text, compact, roll_up_variants

logger = logging.getLogger(__name__)

PRODUCT_TYPES = frozenset({"Product", "ProductGroup", "IndividualProduct", "ProductModel", "SomeProducts"})
_REGULAR_PRICE_TYPES = ("StrikethroughPrice", "ListPrice", "SRP", "MSRP")
# schema.org properties a variant "varies by" and the option name to report for each.
_VARIES_BY = ("color", "size", "material", "pattern", "suggestedAge", "suggestedGender")

# Compiled once and run on the tree Scrapy parsed: parsel would wrap every match in a Selector.
_JSON_LD = etree.XPath('//script[@type="application/ld+json"]/text()')
_NAMED_METAS = etree.XPath("//meta[@property or @name]")
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_H1_TEXT = etree.XPath("//h1//text()")


def json_ld_nodes(response: TextResponse) -> list[dict[str, Any]]:
    """Every JSON-LD node of the page (``@graph`` flattened); malformed blocks are skipped."""
    nodes: list[dict[str, Any]] = []
    if "application/ld+json" not in response.text:  # cheaper than searching the tree for none
        return nodes
    for block in _JSON_LD(response.selector.root):
        try:
            data = json.loads(block, strict=False)
        except ValueError:
            logger.debug("skipping a malformed JSON-LD block on %s", response.url)
            continue
        nodes.extend(_flatten(data))
    return nodes


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for entry in data:
            yield from _flatten(entry)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"])
        else:
            yield data


def microdata_nodes(response: TextResponse) -> list[dict[str, Any]]:
    if "itemscope" not in response.text:
        return []
    try:
        # The page as Scrapy parsed it already (extruct would parse the text again).
        return microdata_items(response.selector.root, response.url)
    except Exception:  # lxml on broken markup: structured data is optional, never fatal
        logger.debug("microdata extraction failed on %s", response.url, exc_info=True)
        return []


def opengraph(response: TextResponse) -> dict[str, str]:
    """``og:*`` and ``product:*`` meta properties (first value of each)."""
    props: dict[str, str] = {}
    text = response.text
    if "og:" not in text and "product:" not in text:  # no such property anywhere on the page
        return props
    for meta in _NAMED_METAS(response.selector.root):
        key = meta.get("property") or meta.get("name") or ""
        if key.startswith(("og:", "product:")) and key not in props:
            props[key] = meta.get("content", "")
    return props


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", [])
    types = raw if isinstance(raw, list) else [raw]
    return {str(t).rsplit("/", 1)[-1] for t in types}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if value is None:
        return None
    # Entities first: JSON-LD often carries escaped markup (``&lt;p&gt;``), which goes too.
    return clean_text(remove_tags(replace_entities(str(value)))) or None


def _images(value: Any) -> list[str]:
    out: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        if isinstance(entry, dict):
            entry = entry.get("url") or entry.get("contentUrl")
        if isinstance(entry, str) and entry:
            out.append(entry)
    return out


def find_products(nodes: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in nodes if _types(n) & PRODUCT_TYPES]


def pick_main_product(candidates: list[dict[str, Any]], response: TextResponse) -> dict[str, Any] | None:
    return _MainProduct(response).pick(candidates)


class _MainProduct:
    """Which candidate is the page's own product. The page's URLs and ``<h1>`` are read once, and
    only when needed: JSON-LD and microdata candidates are both judged against them."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self._urls: set[str] | None = None
        self._h1: str | None = None

    def urls(self) -> set[str]:
        if self._urls is None:
            self._urls = {canonicalize_url(self.response.url)}
            canonical = _CANONICAL(self.response.selector.root)
            if canonical:
                self._urls.add(canonicalize_url(self.response.urljoin(str(canonical[0]))))
        return self._urls

    def h1(self) -> str:
        if self._h1 is None:
            self._h1 = clean_text(" ".join(_H1_TEXT(self.response.selector.root)))
        return self._h1

    def pick(self, candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not candidates:
            return None
        for node in candidates:
            url = node.get("url") or node.get("@id")
            if isinstance(url, str) and canonicalize_url(self.response.urljoin(url.split("#")[0])) in self.urls():
                return node
        h1 = self.h1()
        for node in candidates:
            if h1 and _text(node.get("name")) == h1:
                return node
        return candidates[0]


def _offer_fields(offers: Any, currency_hint: str | None) -> PartialProduct:
    """price, regular_price, currency, availability from an Offer, AggregateOffer or list.

    Several offers are rolled up as variants are (:func:`~.toolkit.roll_up_variants`).
    """
    entries = [o for o in (offers if isinstance(offers, list) else [offers]) if isinstance(o, dict)]
    out: PartialProduct = {}
    rows: list[Variant] = []
    for offer in entries:
        currency = offer.get("priceCurrency") or currency_hint
        raw = offer.get("price", offer.get("lowPrice"))
        spec = offer.get("priceSpecification")
        specs = [s for s in (spec if isinstance(spec, list) else [spec]) if isinstance(s, dict)]
        if raw is None:
            # Google's sale markup puts the current price only in a priceSpecification.
            current = [s for s in specs if not _is_regular_spec(s)]
            raw = current[0].get("price") if current else None
            currency = currency or (current[0].get("priceCurrency") if current else None)
        amount = parse_price(raw, currency).amount if raw not in (None, "") else None
        regular = None
        for s in specs:
            if _is_regular_spec(s):
                regular = parse_price(s.get("price"), currency).amount
        if currency:
            out.setdefault("currency", str(currency).upper())
        availability = map_availability(_first(offer["availability"])) if offer.get("availability") else None
        on_sale = amount is not None and regular is not None and regular > amount
        rows.append({"price": amount, "regular_price": regular if on_sale else None, "availability": availability})
    out.update(roll_up_variants(rows))
    return out


def _is_regular_spec(spec: dict[str, Any]) -> bool:
    kind = str(spec.get("priceType") or "")
    return any(kind.endswith(t) for t in _REGULAR_PRICE_TYPES)


def _variant(node: dict[str, Any], varies_by: list[str], currency_hint: str | None) -> Variant:
    options: dict[str, str] = {}
    for prop in node.get("additionalProperty") or []:
        if isinstance(prop, dict) and prop.get("name") and prop.get("value") is not None:
            options[str(prop["name"])] = str(prop["value"])
    if not options:  # the shop's own option names beat schema.org's generic "color"/"size"
        for prop in varies_by or _VARIES_BY:
            value = _text(node.get(prop))
            if value:
                options[prop] = value
    offer = _offer_fields(node.get("offers"), currency_hint)
    return {
        "sku": _text(node.get("sku")),
        "name": _text(node.get("name")),
        "options": options,
        "price": offer.get("price"),
        "regular_price": offer.get("regular_price"),
        "availability": offer.get("availability"),
    }


def product_from_node(node: dict[str, Any], currency_hint: str | None = None) -> PartialProduct:
    """A partial product from one schema.org Product/ProductGroup node."""
    out: dict[str, Any] = {}
    for field, prop in (("name", "name"), ("sku", "sku"), ("mpn", "mpn"), ("category", "category")):
        value = _text(node.get(prop))
        if value:
            out[field] = value
    for prop in ("gtin13", "gtin", "gtin14", "gtin12", "gtin8"):
        if node.get(prop):
            out["gtin"] = str(_first(node[prop])).strip()
            break
    product_id = node.get("productID") or node.get("productGroupID")
    if product_id:
        out["product_id"] = str(_first(product_id)).strip()
    brand = _text(node.get("brand") or node.get("manufacturer"))
    if brand:
        out["brand"] = brand
    description = _text(node.get("description"))
    if description:
        out["description"] = description
    images = _images(node.get("image"))
    if images:
        out["images"] = images
    if isinstance(node.get("url"), str):
        out["url"] = node["url"]
    out.update(_offer_fields(node.get("offers"), currency_hint))
    variants = node.get("hasVariant")
    if isinstance(variants, list) and variants:
        raw_varies = node.get("variesBy") or []
        varies = [str(v).rsplit("/", 1)[-1] for v in (raw_varies if isinstance(raw_varies, list) else [raw_varies])]
        out["variants"] = [_variant(v, varies, currency_hint) for v in variants if isinstance(v, dict)]
    return out


def _crumb_name(entry: dict[str, Any]) -> Any:
    item = entry.get("item")
    return entry.get("name") or (item.get("name") if isinstance(item, dict) else None)


def breadcrumbs(nodes: Iterable[dict[str, Any]]) -> list[str]:
    for node in nodes:
        if "BreadcrumbList" in _types(node):
            items = sorted(
                (i for i in node.get("itemListElement") or [] if isinstance(i, dict)),
                key=lambda i: int(i.get("position") or 0),
            )
            names = [_text(_crumb_name(i)) for i in items]
            return [n for n in names if n]
    return []


def extract_structured(response: TextResponse, currency_hint: str | None = None) -> PartialProduct:
    """The main product of a page from JSON-LD, then microdata, then OpenGraph."""
    ld = json_ld_nodes(response)
    picker = _MainProduct(response)
    main = picker.pick(find_products(ld))
    out: dict[str, Any] = product_from_node(main, currency_hint) if main else {}
    micro = microdata_nodes(response)
    micro_main = picker.pick(find_products(micro))
    if micro_main:
        for key, value in product_from_node(micro_main, currency_hint).items():
            out.setdefault(key, value)
    crumbs = breadcrumbs(ld) or breadcrumbs(micro)
    if crumbs:
        out.setdefault("breadcrumbs", crumbs)
    og = opengraph(response)
    if og.get("og:type", "").lower() in ("product", "og:product", "product.item") or "product:price:amount" in og:
        out.setdefault("name", clean_text(og.get("og:title", "")) or None)
        if og.get("product:price:amount"):
            currency = og.get("product:price:currency") or currency_hint
            out.setdefault("price", parse_price(og["product:price:amount"], currency).amount)
            if currency:
                out.setdefault("currency", currency.upper())
        if og.get("product:availability"):
            out.setdefault("availability", map_availability(og["product:availability"]))
        if og.get("product:retailer_item_id"):
            out.setdefault("sku", og["product:retailer_item_id"])
    return compact(out)  # type: ignore[return-value]


def has_product(response: TextResponse) -> bool:
    """Whether the page's structured data describes a product (cheap check first)."""
    text = response.text
    if "Product" not in text and 'og:type" content="product' not in text:
        return False
    return bool(find_products(json_ld_nodes(response)) or find_products(microdata_nodes(response)))
