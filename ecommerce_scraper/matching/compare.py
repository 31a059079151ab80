"""The comparison of matched products: ``compare.csv`` rows and each group's price summary.

``compare.csv`` (contract): one row per (matched product, shop), groups by ``match_id``, shops by
``site`` within a group; the first columns, in this order, are ``match_id, site, product_id, url,
name, price, regular_price, availability, confidence, reason``; then ``brand, colour_code,
weight_g`` as the shop states them, and the group's ``cheapest`` (``yes`` on the cheapest shop's
rows) and ``spread_pct``; then ``variant_id, variant_name``: the variant matched when a page's
colours are matched one by one (:mod:`.units`; ``product_id`` stays the shop's product id, the
variant's SKU is ``variant_id``), empty for a whole product. Written with the project's CSV
conventions (:mod:`..exports.csvfile`: UTF-8 with BOM, formula-safe text, money as plain
decimals, atomic).

A group's summary: the cheapest shop (lowest ``price``; ties: the first site), the lowest and
highest price, and the spread ``(max - min) / min × 100`` as a ``Decimal`` to two places (half up);
products without a price count in neither, and a group with fewer than two prices has no spread.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..exports.cells import to_decimal
from ..exports.columns import Column, text_of
from ..exports.csvfile import write_csv
from .identity import ProductKey, yarn_value
from .matcher import MatchGroup
from .units import PRODUCT_ID, VARIANT_ID, VARIANT_NAME

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group's prices across shops."""

    match_id: str
    cheapest_site: str | None
    cheapest_product_id: str | None
    min_price: Decimal | None
    max_price: Decimal | None
    spread_pct: Decimal | None
    shops: int


def spread_pct(low: Decimal, high: Decimal) -> Decimal | None:
    """``(high - low) / low × 100`` to two places, half up; ``None`` when ``low`` is not above 0."""
    if low <= 0:
        return None
    return ((high - low) / low * 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def summarize(group: MatchGroup, states: Mapping[ProductKey, Mapping[str, Any]]) -> GroupSummary:
    """The cheapest shop and the spread of one group (``states``: every member's stored state)."""
    priced = []
    for key in group.keys:
        price = to_decimal(states[key].get("price")) if key in states else None
        if price is not None:
            priced.append((price, key))
    if not priced:
        return GroupSummary(group.match_id, None, None, None, None, None, len(group.members))
    low, (site, product_id) = min(priced)
    high = max(price for price, _ in priced)
    spread = spread_pct(low, high) if len(priced) > 1 else None
    return GroupSummary(group.match_id, site, product_id, low, high, spread, len(group.members))


def compare_rows(
    groups: Iterable[MatchGroup], states: Mapping[ProductKey, Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """``compare.csv`` rows (see the module's docstring): groups by ``match_id``, members by site.

    A member whose state is missing (removed since matching) is left out.
    """
    for group in sorted(groups, key=lambda group: group.match_id):
        summary = summarize(group, states)
        for member in group.members:
            state = states.get(member.key)
            if state is None:
                continue
            yield {
                "match_id": group.match_id,
                "site": member.key[0],
                "product_id": state.get(PRODUCT_ID) or member.key[1],
                "url": state.get("url"),
                "name": state.get("name"),
                "price": to_decimal(state.get("price")),
                "regular_price": to_decimal(state.get("regular_price")),
                "availability": state.get("availability"),
                "confidence": Decimal(str(member.confidence)).quantize(_CENT, rounding=ROUND_HALF_UP),
                "reason": member.reason,
                "brand": state.get("brand"),
                "colour_code": yarn_value(state, "colour_code"),
                "weight_g": to_decimal(yarn_value(state, "weight_g")),
                "cheapest": "yes" if member.key == (summary.cheapest_site, summary.cheapest_product_id) else None,
                "spread_pct": summary.spread_pct,
                "variant_id": state.get(VARIANT_ID),
                "variant_name": state.get(VARIANT_NAME),
            }


def _field(name: str) -> Any:
    def get(row: Mapping[str, Any]) -> Any:
        value = row.get(name)
        return value if isinstance(value, Decimal) else text_of(value)

    return get


#: The columns of ``compare.csv``, in order (the first ten are the contract).
COMPARE_COLUMNS: tuple[Column, ...] = (
    Column("match_id", "code", _field("match_id"), "the group: a short hash of what the product is"),
    Column("site", "code", _field("site"), "shop (spider name)"),
    Column("product_id", "code", _field("product_id"), "the shop's own product id"),
    Column("url", "url", _field("url"), "product page URL", link=True),
    Column("name", "text", _field("name"), "product name as the shop writes it"),
    Column("price", "money", _field("price"), "current price"),
    Column("regular_price", "money", _field("regular_price"), "price before a sale"),
    Column("availability", "code", _field("availability"), "in_stock, out_of_stock, backorder, preorder"),
    Column("confidence", "number", _field("confidence"), "how sure the match is, 0 to 1"),
    Column("reason", "code", _field("reason"), "pinned, gtin or name"),
    Column("brand", "text", _field("brand"), "brand as the shop writes it"),
    Column("colour_code", "code", _field("colour_code"), "colour code as the shop states it"),
    Column("weight_g", "number", _field("weight_g"), "ball weight in grams"),
    Column("cheapest", "code", _field("cheapest"), "yes on the cheapest shop's row"),
    Column("spread_pct", "percent", _field("spread_pct"), "the group's (max - min) / min × 100"),
    Column("variant_id", "code", _field("variant_id"), "the variant matched (its SKU), empty for a whole product"),
    Column("variant_name", "text", _field("variant_name"), "the variant as the shop names it (its colour)"),
)


def write_compare_csv(
    path: str | os.PathLike[str], groups: Iterable[MatchGroup], states: Mapping[ProductKey, Mapping[str, Any]]
) -> int:
    """Write ``compare.csv`` atomically; returns the rows written."""
    return write_csv(path, COMPARE_COLUMNS, compare_rows(groups, states))
