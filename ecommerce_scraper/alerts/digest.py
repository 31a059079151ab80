"""One crawl's digest for one rule: its matching ``changes`` rows, as a message.

:func:`crawl_digests` reads a stored crawl and returns one :class:`Digest` per rule with at
least one matching change (none at all for a crawl that :func:`crawl_is_suspect`). A change is
seen with the product's state in that crawl (its sighting; the last known state for a removed
product), so a digest sent again later (``scrapy alerts --crawl``) reads as it did then.

For a ``"match": "undercut"`` rule (:mod:`.rules`) each change of a competitor's crawl also carries
your offer for the same product (:func:`own_offers`: the shops' current products matched as for
the Compare sheet, from scratch, so only when such a rule applies to the crawl).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..exports.compare_export import OwnShop, compare_stored, matches_path
from ..exports.stored import seen_state
from ..matching.position import Offer, offer_of
from ..matching.sync import sync_matches
from ..monitors.health import crawl_is_suspect as monitors_suspect
from ..storage.models import Change, Crawl, CrawlProduct, Product
from ..storage.state import from_state_money
from .rules import Rule, fold

#: Change types whose ``new_value`` is the (product's or variant's) new price.
PRICE_CHANGES = frozenset({"price_down", "price_up", "price_changed", "variant_price_changed"})
#: Product ids looked up at a time.
CHUNK = 500


@dataclass(frozen=True)
class ChangeFacts:
    """One ``changes`` row with what the rules filter on; the product's state in the crawl gives
    the price, currency and brand."""

    site: str
    product_id: str
    change_type: str
    name: str | None = None
    url: str | None = None
    brand: str | None = None
    field: str | None = None
    variant_sku: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    delta_pct: Decimal | None = None
    price: Decimal | None = None  # the new price (the variant's, for variant price changes)
    currency: str | None = None
    own: Offer | None = None  # your offer for the same product (for "match": "undercut" rules)

    @property
    def undercuts(self) -> bool:
        """Its new price fell below yours: below it now, and not below it before the change."""
        if self.own is None or self.price is None or self.price >= self.own.price:
            return False
        if self.currency and self.own.currency and self.currency != self.own.currency:
            return False  # two currencies: no comparison
        before = _decimal(self.old_value) if self.change_type in PRICE_CHANGES else None
        return before is None or before >= self.own.price


@dataclass
class Digest:
    rule: Rule
    site: str
    crawl_id: str
    changes: list[ChangeFacts] = field(default_factory=list)

    @property
    def products(self) -> dict[str, list[ChangeFacts]]:
        """product_id -> its matching changes, in detection order."""
        grouped: dict[str, list[ChangeFacts]] = {}
        for change in self.changes:
            grouped.setdefault(change.product_id, []).append(change)
        return grouped

    @property
    def title(self) -> str:
        count = len(self.products)
        return f"{self.rule.name}: {count} product{'s' if count != 1 else ''} at {self.site}"

    @property
    def body(self) -> str:
        lines = [f"Alert {self.rule.name!r}, {self.site} crawl {self.crawl_id}:", ""]
        for changes in self.products.values():
            first = changes[0]
            lines.append(f"{self.site} · {first.name or first.product_id}")
            lines += [f"  {describe(change)}" for change in changes]
            if self.rule.match == "undercut" and first.own is not None:
                lines.append(f"  {undercut_line(first, first.own)}")
            if first.url:
                lines.append(f"  {first.url}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


# --- the rules ----------------------------------------------------------------------------------


def crawl_is_suspect(crawl: Any) -> bool:
    """Whether a crawl's changes can't be trusted enough to alert anyone: its health monitors
    found it suspect, or it did not finish (partial, failed, cancelled, aborted, running)."""
    return getattr(crawl, "status", None) != "finished" or monitors_suspect(crawl)


def matches(rule: Rule, change: ChangeFacts) -> bool:
    """Whether ``change`` passes every filter of ``rule`` (see :mod:`.rules`)."""
    if not rule.covers_site(change.site) or change.change_type not in rule.changes:
        return False
    if rule.min_delta_pct is not None and (change.delta_pct is None or abs(change.delta_pct) < rule.min_delta_pct):
        return False
    if rule.below_price is not None and (change.price is None or change.price > rule.below_price):
        return False
    if rule.keywords:
        name = fold(change.name or "")
        if not any(keyword in name for keyword in rule.folded_keywords):
            return False
    if rule.brands and fold(change.brand or "") not in rule.folded_brands:
        return False
    if rule.match == "undercut" and not change.undercuts:
        return False
    return not rule.product_ids or change.product_id in rule.product_ids


def build_digests(rules: Sequence[Rule], site: str, crawl_id: str, changes: Iterable[ChangeFacts]) -> list[Digest]:
    """One digest per rule with a matching change, in the rules' order."""
    digests = [Digest(rule, site, crawl_id) for rule in rules if rule.covers_site(site)]
    for change in changes:
        for digest in digests:
            if matches(digest.rule, change):
                digest.changes.append(change)
    return [digest for digest in digests if digest.changes]


def describe(change: ChangeFacts) -> str:
    """One change in words: ``price down: 6.90 → 6.20 EUR (-10.14%)``."""
    kind = change.change_type.replace("_", " ")
    if change.variant_sku:
        kind += f" [{change.variant_sku}]"
    elif change.field and change.change_type == "field_changed":
        kind += f" [{change.field}]"
    currency = f" {change.currency}" if change.currency and change.change_type in PRICE_CHANGES else ""
    if change.change_type == "new":
        text = f"{kind}: {_price(change.price, change.currency)}" if change.price is not None else kind
    elif change.old_value is None and change.new_value is None:
        text = kind
    else:
        text = f"{kind}: {change.old_value or '-'} → {change.new_value or '-'}{currency}"
    if change.delta_pct is not None:
        text += f" ({change.delta_pct:+}%)"
    return text


def undercut_line(change: ChangeFacts, own: Offer) -> str:
    """``below your price: shop_a 3.90 EUR, yours 4.20 EUR (mine: Drops Merino 01)``."""
    yours = f"{own.site}: {own.name or own.product_id}"
    return (
        f"below your price: {change.site} {_price(change.price, change.currency)}, "
        f"yours {_price(own.price, own.currency or change.currency)} ({yours})"
    )


def _price(value: Decimal | None, currency: str | None) -> str:
    return "-" if value is None else f"{value}{f' {currency}' if currency else ''}"


# --- the database -------------------------------------------------------------------------------


def crawl_row(engine: Engine, site: str, crawl_id: str) -> Crawl | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(select(Crawl).where(Crawl.site == site, Crawl.crawl_id == crawl_id)).first()


def crawl_digests(
    engine: Engine,
    rules: Sequence[Rule],
    site: str,
    crawl_id: str,
    *,
    own: OwnShop | None = None,
    matches_file: str | os.PathLike[str] | None = None,
) -> list[Digest]:
    """The digests of a stored crawl: none when it is unknown or suspect, or nothing matches.

    ``own``: your shop, for ``"match": "undercut"`` rules (without it they match nothing);
    ``matches_file``: the manual match controls (default :func:`~..exports.compare_export.matches_path`).
    """
    applicable = [rule for rule in rules if rule.covers_site(site)]
    crawl = crawl_row(engine, site, crawl_id)
    if not applicable or crawl is None or crawl_is_suspect(crawl):
        return []
    wanted = sorted({change for rule in applicable for change in rule.changes})
    facts: Iterable[ChangeFacts] = crawl_change_facts(engine, site, crawl_id, wanted)
    if own is not None and own.site != site and any(rule.match == "undercut" for rule in applicable):
        offers = own_offers(engine, site, own, matches_file)
        facts = [replace(fact, own=offers.get(fact.product_id)) for fact in facts]
    return build_digests(applicable, site, crawl_id, facts)


def own_offers(
    engine: Engine, site: str, own: OwnShop, matches_file: str | os.PathLike[str] | None = None
) -> dict[str, Offer]:
    """``site``'s product id -> your priced offer for the same product (its match group's)."""
    matches_file = matches_file if matches_file is not None else matches_path()
    if own.catalog is None:
        # The crawl's new products join their groups first (CrawlMatching may not have run yet).
        sync_matches(engine, matches_file, sites=[site])
    comparison = compare_stored(engine, own, matches_file)
    if comparison.own_site is None:  # the catalog could not be read (logged)
        return {}
    offers: dict[str, Offer] = {}
    for group in comparison.groups:
        own_key = next((key for key in group.keys if key[0] == comparison.own_site), None)
        offer = offer_of(own_key, comparison.states) if own_key is not None else None
        if offer is None:
            continue
        for key_site, product_id in group.keys:
            if key_site == site:
                offers[product_id] = offer
    return offers


def crawl_change_facts(engine: Engine, site: str, crawl_id: str, change_types: Sequence[str]) -> Iterator[ChangeFacts]:
    """The crawl's changes of those types, in detection order, with the product's state."""
    query = (
        select(Change)
        .where(Change.site == site, Change.crawl_id == crawl_id, Change.change_type.in_(change_types))
        .order_by(Change.id)
    )
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.scalars(query))
    states = product_states(engine, site, crawl_id, sorted({row.product_id for row in rows}))
    for row in rows:
        yield _facts(row, states.get(row.product_id) or {})


def product_states(engine: Engine, site: str, crawl_id: str, product_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """product_id -> its state as crawl ``crawl_id`` saw it, else its last known state."""
    seen = seen_state()
    states: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        for start in range(0, len(product_ids), CHUNK):
            chunk = product_ids[start : start + CHUNK]
            sightings = (
                select(CrawlProduct.product_id, seen)
                .outerjoin(
                    Product, (Product.site == CrawlProduct.site) & (Product.product_id == CrawlProduct.product_id)
                )
                .where(CrawlProduct.site == site, CrawlProduct.crawl_id == crawl_id, CrawlProduct.product_id.in_(chunk))
            )
            states.update({pid: data for pid, data in connection.execute(sightings) if data})
            unseen = [pid for pid in chunk if pid not in states]
            if unseen:
                last = select(Product.product_id, Product.data).where(
                    Product.site == site, Product.product_id.in_(unseen)
                )
                states.update({pid: data for pid, data in connection.execute(last) if data})
    return states


def _facts(row: Change, state: dict[str, Any]) -> ChangeFacts:
    if row.change_type in PRICE_CHANGES:
        price = _decimal(row.new_value)
    elif row.change_type in ("removed", "shop_moved"):
        price = None
    else:
        price = from_state_money(state.get("price"))
    return ChangeFacts(
        site=row.site,
        product_id=row.product_id,
        change_type=row.change_type,
        name=row.name or state.get("name"),
        url=row.url or state.get("url"),
        brand=state.get("brand"),
        field=row.field,
        variant_sku=row.variant_sku,
        old_value=row.old_value,
        new_value=row.new_value,
        delta_pct=row.delta_pct,
        price=price,
        currency=state.get("currency"),
    )


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
