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

from operator import attrgetter

from ..matching.position import PricePosition
from .columns import Column
from .xlsxfile import XlsxWriter

# Rows are the position's own objects: CompetitorPosition and GroupPosition (matching/position.py).
POSITION_COLUMNS: tuple[Column, ...] = (
    Column("competitor", "code", attrgetter("site"), "the competitor (spider name)"),
    Column("shared", "integer", attrgetter("shared"), "matched products both of you price"),
    Column("undercuts", "integer", attrgetter("undercuts"), "of those, how many it sells cheaper than you"),
    Column(
        "median_undercut_pct", "number", attrgetter("median_undercut_pct"), "median of (yours - theirs) / yours × 100"
    ),
    Column("price_index", "number", attrgetter("price_index"), "mean of theirs / yours × 100 (100: your prices)"),
)

MOST_EXPENSIVE_COLUMNS: tuple[Column, ...] = (
    Column("match_id", "code", attrgetter("match_id"), "the group (as in compare.csv)"),
    Column("name", "text", attrgetter("own.name"), "your product's name"),
    Column("your_price", "money", attrgetter("own.price"), "your price"),
    Column("cheapest", "code", attrgetter("cheapest.site"), "the cheapest competitor"),
    Column("cheapest_price", "money", attrgetter("cheapest.price"), "its price"),
    Column("vs_cheapest", "money", attrgetter("difference"), "your price - its price"),
    Column("vs_cheapest_pct", "percent", attrgetter("difference_pct"), "vs_cheapest / its price × 100"),
    Column("cheapest_url", "url", attrgetter("cheapest.url"), "its product page", link=True),
)


def write_position_sheets(book: XlsxWriter, position: PricePosition) -> int:
    """Add the Position and Most expensive sheets; returns the Position sheet's rows."""
    rows = book.sheet("Position", POSITION_COLUMNS, position.competitors)
    book.sheet("Most expensive", MOST_EXPENSIVE_COLUMNS, position.most_expensive)
    return rows
