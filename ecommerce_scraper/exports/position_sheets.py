"""The master workbook's Position and Most expensive sheets: the user's price position.

Written with the Compare sheet when an own shop is set (``own_site`` or ``OWN_CATALOG``:
:func:`.compare_export.own_shop`), from :func:`~..matching.position.price_position` (the figures
and their rounding are defined there):

- **Position**: one row per competitor sharing a priced product with you: shared products, how
  many it sells cheaper, the median of by how much (% of your price), its price index (100: your
  prices; below 100: cheaper).
- **Most expensive**: the products where you are the most expensive shop and more than 10 %
  above the cheapest competitor, the biggest gap first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..matching.position import CompetitorPosition, GroupPosition, PricePosition
from .columns import Column, text_of
from .xlsxfile import XlsxWriter


def _competitor(row: CompetitorPosition) -> dict[str, Any]:
    return {
        "competitor": row.site,
        "shared": row.shared,
        "undercuts": row.undercuts,
        "median_undercut_pct": row.median_undercut_pct,
        "price_index": row.price_index,
    }


def _most_expensive(row: GroupPosition) -> dict[str, Any]:
    return {
        "match_id": row.match_id,
        "name": text_of(row.own.name),
        "your_price": row.own.price,
        "cheapest": row.cheapest.site,
        "cheapest_price": row.cheapest.price,
        "vs_cheapest": row.difference,
        "vs_cheapest_pct": row.difference_pct,
        "cheapest_url": text_of(row.cheapest.url),
    }


def _get(name: str) -> Any:
    def get(row: Mapping[str, Any]) -> Any:
        return row.get(name)

    return get


POSITION_COLUMNS: tuple[Column, ...] = (
    Column("competitor", "code", _get("competitor"), "the competitor (spider name)"),
    Column("shared", "integer", _get("shared"), "matched products both of you price"),
    Column("undercuts", "integer", _get("undercuts"), "of those, how many it sells cheaper than you"),
    Column("median_undercut_pct", "number", _get("median_undercut_pct"), "median of (yours - theirs) / yours × 100"),
    Column("price_index", "number", _get("price_index"), "mean of theirs / yours × 100 (100: your prices)"),
)

MOST_EXPENSIVE_COLUMNS: tuple[Column, ...] = (
    Column("match_id", "code", _get("match_id"), "the group (as in compare.csv)"),
    Column("name", "text", _get("name"), "your product's name"),
    Column("your_price", "money", _get("your_price"), "your price"),
    Column("cheapest", "code", _get("cheapest"), "the cheapest competitor"),
    Column("cheapest_price", "money", _get("cheapest_price"), "its price"),
    Column("vs_cheapest", "money", _get("vs_cheapest"), "your price - its price"),
    Column("vs_cheapest_pct", "percent", _get("vs_cheapest_pct"), "vs_cheapest / its price × 100"),
    Column("cheapest_url", "url", _get("cheapest_url"), "its product page", link=True),
)


def write_position_sheets(book: XlsxWriter, position: PricePosition) -> int:
    """Add the Position and Most expensive sheets; returns the Position sheet's rows."""
    rows = book.sheet("Position", POSITION_COLUMNS, map(_competitor, position.competitors))
    book.sheet("Most expensive", MOST_EXPENSIVE_COLUMNS, map(_most_expensive, position.most_expensive))
    return rows
