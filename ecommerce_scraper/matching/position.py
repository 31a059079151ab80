"""The user's price position: their own shop's prices against each competitor's, over matched products.

Input: match groups and their members' states (however the groups were made) and the own shop's
site (a crawled shop named by ``own_site``, or ``OWN_CATALOG``'s pseudo-site). Only prices count:
a product without a price (or with a price of 0) on either side is not compared, and neither
are two prices whose stated currencies differ. Nothing is estimated.

Per competitor (:class:`CompetitorPosition`), over the *shared* products (matched, both priced):

- ``undercuts``: how many the competitor sells cheaper than you;
- ``median_undercut_pct``: the median of ``(yours - theirs) / yours × 100`` over those (``None``
  without any): how much cheaper than you, as a share of your price;
- ``price_index``: the mean of ``theirs / yours`` over the shared products, × 100 (100: the same
  prices as yours; 95: 5 % cheaper on average).

Per product (:class:`GroupPosition`): your price against the cheapest competitor's,
``difference = yours - cheapest`` and ``difference_pct = difference / cheapest × 100`` (above 0:
you are dearer). :attr:`PricePosition.most_expensive` lists the products where you are the most
expensive shop (no competitor dearer than you) and more than :data:`MOST_EXPENSIVE_ABOVE_PCT` % above
the cheapest competitor.

Every figure is a ``Decimal`` computed exactly (28 significant digits) and rounded once, at the
end, to two places, half up. The median of an even count is the mean of the middle two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from statistics import median
from typing import Any

from ..exports.cells import to_decimal
from .identity import ProductKey
from .matcher import MatchGroup

#: A product is listed as "most expensive" when you are more than this many % above the cheapest competitor.
MOST_EXPENSIVE_ABOVE_PCT = Decimal(10)
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Offer:
    """One shop's priced product in a group."""

    site: str
    product_id: str
    price: Decimal
    currency: str | None
    name: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class GroupPosition:
    """Your price in one group against the cheapest competitor's (see the module docstring)."""

    match_id: str
    own: Offer
    cheapest: Offer
    competitors: tuple[Offer, ...]
    difference: Decimal
    difference_pct: Decimal

    @property
    def most_expensive(self) -> bool:
        """No competitor is dearer than you."""
        return all(offer.price <= self.own.price for offer in self.competitors)


@dataclass(frozen=True, slots=True)
class CompetitorPosition:
    """One competitor against you (see the module docstring)."""

    site: str
    shared: int
    undercuts: int
    median_undercut_pct: Decimal | None
    price_index: Decimal


@dataclass(frozen=True, slots=True)
class PricePosition:
    """Your position: per competitor, per product, and the products where you are the most expensive."""

    own_site: str
    competitors: tuple[CompetitorPosition, ...]
    groups: tuple[GroupPosition, ...]
    above_pct: Decimal = MOST_EXPENSIVE_ABOVE_PCT

    @property
    def most_expensive(self) -> tuple[GroupPosition, ...]:
        """Groups where you are the most expensive and more than :attr:`above_pct` % above the cheapest
        competitor, the biggest gap first (ties by ``match_id``)."""
        found = [g for g in self.groups if g.most_expensive and g.difference_pct > self.above_pct]
        return tuple(sorted(found, key=lambda g: (-g.difference_pct, g.match_id)))


def offer_of(key: ProductKey, states: Mapping[ProductKey, Mapping[str, Any]]) -> Offer | None:
    """A product's priced offer, ``None`` when it has no price above 0 (or no state)."""
    state = states.get(key)
    price = to_decimal(state.get("price")) if state is not None else None
    if state is None or price is None or price <= 0:
        return None
    currency = state.get("currency") if isinstance(state.get("currency"), str) else None
    return Offer(key[0], key[1], price, currency or None, state.get("name"), state.get("url"))


def _comparable(a: Offer, b: Offer) -> bool:
    return a.currency is None or b.currency is None or a.currency == b.currency


def group_position(
    group: MatchGroup, states: Mapping[ProductKey, Mapping[str, Any]], own_site: str
) -> GroupPosition | None:
    """Your position in ``group``; ``None`` when you or every competitor lack a comparable price."""
    own_key = next((key for key in group.keys if key[0] == own_site), None)
    own = offer_of(own_key, states) if own_key is not None else None
    if own is None:
        return None
    competitors = []
    for key in group.keys:
        offer = offer_of(key, states) if key[0] != own_site else None
        if offer is not None and _comparable(own, offer):
            competitors.append(offer)
    if not competitors:
        return None
    cheapest = min(competitors, key=lambda offer: (offer.price, offer.site))
    difference = own.price - cheapest.price
    return GroupPosition(
        group.match_id,
        own,
        cheapest,
        tuple(competitors),
        difference,
        _round(difference / cheapest.price * _HUNDRED),
    )


def price_position(
    groups: Iterable[MatchGroup],
    states: Mapping[ProductKey, Mapping[str, Any]],
    own_site: str,
    *,
    above_pct: Decimal = MOST_EXPENSIVE_ABOVE_PCT,
) -> PricePosition:
    """Your position against every competitor that shares a priced product with you."""
    positions = []
    ratios: dict[str, list[Decimal]] = defaultdict(list)
    undercut_pcts: dict[str, list[Decimal]] = defaultdict(list)
    for group in sorted(groups, key=lambda group: group.match_id):
        position = group_position(group, states, own_site)
        if position is None:
            continue
        positions.append(position)
        own = position.own.price
        for offer in position.competitors:
            ratios[offer.site].append(offer.price / own)
            if offer.price < own:
                undercut_pcts[offer.site].append((own - offer.price) / own * _HUNDRED)
    competitors = tuple(
        CompetitorPosition(
            site=site,
            shared=len(ratios[site]),
            undercuts=len(undercut_pcts[site]),
            median_undercut_pct=_round(median(undercut_pcts[site])) if undercut_pcts[site] else None,
            price_index=_round(sum(ratios[site], Decimal(0)) / len(ratios[site]) * _HUNDRED),
        )
        for site in sorted(ratios)
    )
    return PricePosition(own_site, competitors, tuple(positions), above_pct)
