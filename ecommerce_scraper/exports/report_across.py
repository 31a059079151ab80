"""What index.html's "Across shops" panel shows, from the comparison master.xlsx's Compare sheet shows.

- matched products: the match groups (two shops or more);
- per shop, how often it is the cheapest: of the groups where it has a price and at least one
  other shop has one too, those where its price is the lowest (a tie goes to the first shop by
  name, as in compare.csv's ``cheapest``);
- the biggest spreads (:data:`TOP_SPREADS`): ``(max - min) / min × 100`` as in compare.csv, with
  links to the cheapest and the dearest shop's product pages;
- with an own shop, the position table and the "most expensive by more than 10 %" list
  (:mod:`..matching.position`; at most :data:`MAX_MOST_EXPENSIVE` rows, the rest in master.xlsx).

Links only to safe URLs (:func:`.report_text.safe_url`); names on one line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from ..matching.compare import summarize
from ..matching.position import GroupPosition, Offer, PricePosition, offer_of
from .compare_export import Comparison
from .report_text import one_line, safe_url

#: Rows of the biggest spreads table.
TOP_SPREADS = 10
#: Rows of the "most expensive" list (the Most expensive sheet has them all).
MAX_MOST_EXPENSIVE = 50


@dataclass(frozen=True)
class ShownOffer:
    """A shop's price as the panel shows it: a link only to a safe URL."""

    site: str
    price: Decimal
    currency: str | None
    name: str
    url: str | None


@dataclass(frozen=True)
class ShopCheapest:
    site: str
    cheapest: int
    priced: int


@dataclass(frozen=True)
class SpreadRow:
    match_id: str
    name: str
    spread_pct: Decimal
    low: ShownOffer
    high: ShownOffer
    shops: int


@dataclass(frozen=True)
class MostExpensiveRow:
    match_id: str
    own: ShownOffer
    cheapest: ShownOffer
    difference_pct: Decimal


@dataclass
class AcrossShops:
    """The panel's figures (see the module docstring)."""

    matched: int
    shops: list[ShopCheapest]
    spreads: list[SpreadRow]
    position: PricePosition | None = None
    most_expensive: list[MostExpensiveRow] = field(default_factory=list)
    more_expensive: int = 0  # "most expensive" rows left out of the list


def _shown(offer: Offer) -> ShownOffer:
    return ShownOffer(
        offer.site, offer.price, offer.currency, one_line(offer.name) or offer.product_id, safe_url(offer.url)
    )


def _most_expensive_row(row: GroupPosition) -> MostExpensiveRow:
    return MostExpensiveRow(row.match_id, _shown(row.own), _shown(row.cheapest), row.difference_pct)


def across_shops(comparison: Comparison, position: PricePosition | None = None) -> AcrossShops:
    """The panel's figures from a comparison (and the own shop's position, when there is one)."""
    cheapest: Counter[str] = Counter()
    priced: Counter[str] = Counter()
    spreads = []
    for group in comparison.groups:
        offers = [offer for key in group.keys if (offer := offer_of(key, comparison.states)) is not None]
        if len(offers) < 2:
            continue
        summary = summarize(group, comparison.states)
        for offer in offers:
            priced[offer.site] += 1
        if summary.cheapest_site is not None:
            cheapest[summary.cheapest_site] += 1
        if summary.spread_pct is not None:
            low = min(offers, key=lambda offer: (offer.price, offer.site))
            high = min(offers, key=lambda offer: (-offer.price, offer.site))
            spreads.append(
                SpreadRow(group.match_id, _shown(low).name, summary.spread_pct, _shown(low), _shown(high), len(offers))
            )
    spreads.sort(key=lambda row: (-row.spread_pct, row.match_id))
    listed = list(position.most_expensive) if position is not None else []
    return AcrossShops(
        matched=len(comparison.groups),
        shops=[ShopCheapest(site, cheapest[site], priced[site]) for site in sorted(priced)],
        spreads=spreads[:TOP_SPREADS],
        position=position,
        most_expensive=[_most_expensive_row(row) for row in listed[:MAX_MOST_EXPENSIVE]],
        more_expensive=max(0, len(listed) - MAX_MOST_EXPENSIVE),
    )
