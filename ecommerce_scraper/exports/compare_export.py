"""``exports/compare.csv`` and the master workbook's Compare sheet: the same product across shops.

Every shop's current products (the ``products`` rows not marked removed), each colour of a page
of colour variants on its own (:mod:`..matching.units`), in the stored match groups
(:mod:`..matching.store`, kept up to date after each crawl by :mod:`..matching.extension`) with
their members' current states, written as :mod:`..matching.compare` describes; before reading
them, the groups are brought up to date (:func:`..matching.sync.sync_matches`: incrementally, or
from scratch when the manual controls of ``MATCHES_FILE`` -- a Scrapy setting, else the
environment; else ``config/matches.csv`` when it exists -- or the matcher changed). Only groups
of two shops or more are written. Rebuilt with ``master.xlsx`` (:func:`.tree.write_master`): once
per process after its last crawl, and by ``scrapy export`` (``--rematch``: matched from scratch).

The user's own shop (:func:`own_shop`): ``OWN_CATALOG`` (a Scrapy setting, else the environment)
names a CSV file whose rows join the matching as the pseudo-site ``own``
(:mod:`..matching.own_catalog`; they are in compare.csv too). Those rows are not stored, so with
``OWN_CATALOG`` the groups are matched in memory, from scratch, each time (about 20 s per 100,000
products). Else ``own_site`` in ``config/sites.json`` names a crawled shop. A catalog that can't
be read is one logged line and costs the price position only. The Compare sheet then shows your
price first and your position (:mod:`..matching.position`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..config import ConfigError, load_sites
from ..matching.compare import summarize, write_compare_csv
from ..matching.identity import ProductKey, identity_of, yarn_value
from ..matching.matcher import MatchControls, MatchGroup, load_controls, match_products
from ..matching.own_catalog import OWN_CATALOG_SITE, brands_of, read_own_catalog, with_brands
from ..matching.position import group_position
from ..matching.store import current_states, stored_groups, unit_products
from ..matching.sync import sync_matches
from ..matching.units import VARIANT_NAME, expand, units_of
from .cells import to_decimal
from .columns import Column, text_of

logger = logging.getLogger(__name__)

COMPARE_NAME = "compare.csv"
#: Where the manual controls are read from when ``MATCHES_FILE`` is not set (only if it exists).
DEFAULT_MATCHES_FILE = "config/matches.csv"


def matches_path(settings: Any = None) -> Path:
    """The controls file: ``MATCHES_FILE`` (setting, else environment), else ``config/matches.csv``."""
    explicit = (settings.get("MATCHES_FILE") if settings is not None else None) or os.environ.get("MATCHES_FILE")
    return Path(str(explicit)) if explicit else Path(DEFAULT_MATCHES_FILE)


@dataclass(frozen=True, slots=True)
class OwnShop:
    """The user's own shop: a crawled shop (``site``), or ``OWN_CATALOG``'s file (``catalog``)."""

    site: str
    catalog: Path | None = None


def own_shop(settings: Any = None) -> OwnShop | None:
    """``OWN_CATALOG`` (setting, else environment), else ``own_site`` of ``config/sites.json``, else ``None``.

    A sites file that can't be read is one logged line and no own shop: the exports go on."""
    catalog = (settings.get("OWN_CATALOG") if settings is not None else None) or os.environ.get("OWN_CATALOG")
    if catalog:
        return OwnShop(OWN_CATALOG_SITE, Path(str(catalog)))
    try:
        own_site = load_sites().own_site
    except ConfigError as exc:
        logger.error("%s (no own shop: no price position this time)", exc)
        return None
    return OwnShop(own_site) if own_site else None


@dataclass(frozen=True, slots=True)
class Comparison:
    """The match groups of two shops or more, the states of their members, and the user's shop."""

    groups: tuple[MatchGroup, ...]
    states: Mapping[ProductKey, Mapping[str, Any]]
    #: the user's own shop (a crawled shop, or ``OWN_CATALOG``'s ``own``); ``None``: not set
    own_site: str | None = None


def own_catalog_states(own: OwnShop, crawled: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
    """``OWN_CATALOG``'s rows as states (brands completed from the crawled shops'); ``None`` when the
    file can't be read (logged in one line: the comparison goes on without a position)."""
    if own.catalog is None:
        return []
    try:
        catalog = read_own_catalog(own.catalog)
    except ValueError as exc:
        logger.error("OWN_CATALOG: %s (no price position this time)", exc)
        return None
    return with_brands(catalog, brands_of(crawled))


def _of_two_shops_or_more(groups: Iterable[MatchGroup]) -> list[MatchGroup]:
    return [group for group in groups if len({site for site, _ in group.keys}) >= 2]


def compare_stored(
    engine: Engine, own: OwnShop | None = None, matches_file: str | os.PathLike[str] | None = None
) -> Comparison:
    """The stored groups (:mod:`..matching.store`) of two shops or more, with their members' current
    unit states (a member whose product is removed since is left out of its group); with
    ``OWN_CATALOG``, :func:`compare_in_memory` instead (its rows are not stored), with the controls
    of ``matches_file`` (default :func:`matches_path`)."""
    if own is not None and own.catalog is not None:
        controls = load_controls(matches_file if matches_file is not None else matches_path())
        return compare_in_memory(engine, controls, own)
    with Session(engine) as session:
        groups = _of_two_shops_or_more(stored_groups(session))
        members = {key for group in groups for key in group.keys}
        products = unit_products(session, members)
        states = {
            key: unit
            for state in current_states(session, sorted(set(products.values())))
            for unit in units_of(state)
            if (key := (unit["site"], unit["product_id"])) in members
        }
    present = _of_two_shops_or_more(
        MatchGroup(group.match_id, tuple(member for member in group.members if member.key in states))
        for group in groups
    )
    return Comparison(tuple(present), states, own.site if own is not None else None)


def compare_in_memory(engine: Engine, controls: MatchControls, own: OwnShop) -> Comparison:
    """Every shop's current products and ``OWN_CATALOG``'s rows matched from scratch, in memory."""
    with Session(engine) as session:
        states = [state for state in current_states(session) if state["site"] != OWN_CATALOG_SITE]
    own_site: str | None = own.site
    catalog = own_catalog_states(own, states)
    if catalog is None:
        own_site = None
    else:
        states += catalog
    units = list(expand(states))
    groups = _of_two_shops_or_more(match_products(units, controls))
    members = {key for group in groups for key in group.keys}
    by_key = {(unit["site"], unit["product_id"]): unit for unit in units}
    return Comparison(tuple(groups), {key: by_key[key] for key in members}, own_site)


def write_compare(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    matches_file: str | os.PathLike[str] | None = None,
    own: OwnShop | None = None,
    *,
    rematch: bool = False,
) -> tuple[Path, Comparison, int]:
    """Bring the stored groups up to date (:func:`..matching.sync.sync_matches`: incremental over
    every shop, from scratch when ``rematch`` or when the controls or the matcher changed), then
    write ``<exports_dir>/compare.csv`` from them (atomic); returns its path, the comparison and its rows.

    Raises ``ValueError`` for a malformed controls file (:func:`~..matching.matcher.load_controls`).
    """
    matches_file = matches_file if matches_file is not None else matches_path()
    sync_matches(engine, matches_file, full=rematch)
    comparison = compare_stored(engine, own, matches_file)
    path = Path(exports_dir) / COMPARE_NAME
    rows = write_compare_csv(path, comparison.groups, comparison.states)
    return path, comparison, rows


# --- the master workbook's Compare sheet -----------------------------------------------------


def _get(name: str) -> Any:
    def get(row: Mapping[str, Any]) -> Any:
        return row.get(name)

    return get


#: A stock state -> its cell colour on the Compare sheet (``xlsxfile.FILL_COLOURS``); others: ``unknown``.
STOCK_FILLS: dict[str, str] = {
    "in_stock": "in_stock",
    "out_of_stock": "out_of_stock",
    "backorder": "backorder",
    "preorder": "backorder",
}
STOCK_LEGEND = (
    "Cell colour, the shop's stock: green in stock, red out of stock, amber backorder or preorder, "
    "grey unknown; no colour: the shop does not sell it."
)


def _stock_fill(site: str) -> Any:
    def fill(row: Mapping[str, Any]) -> str | None:
        if f"price:{site}" not in row:  # the shop has no product in this group
            return None
        return STOCK_FILLS.get(str(row.get(f"stock:{site}")), "unknown")

    return fill


def own_column(own_site: str) -> str:
    """The Compare sheet's header of your own price column."""
    return f"{own_site} (you)"


def compare_sheet_columns(sites: Sequence[str], own_site: str | None = None) -> tuple[Column, ...]:
    """The Compare sheet: what the product is, one price column per shop (cells coloured by stock),
    the cheapest, the spread; with an own shop, its price first, then the gap to the cheapest competitor."""
    own: tuple[Column, ...] = ()
    if own_site is not None:
        own = (
            Column(own_column(own_site), "money", _get(f"price:{own_site}"), "your price", fill=_stock_fill(own_site)),
            Column("vs_cheapest", "money", _get("vs_cheapest"), "your price - the cheapest competitor's"),
            Column(
                "vs_cheapest_pct", "percent", _get("vs_cheapest_pct"), "vs_cheapest / the cheapest competitor's × 100"
            ),
        )
    competitors = [site for site in sites if site != own_site]
    return (
        Column("match_id", "code", _get("match_id"), "the group (as in compare.csv)"),
        Column("brand", "text", _get("brand"), "brand as the cheapest shop writes it"),
        Column("name", "text", _get("name"), "product name as the cheapest shop writes it (and the variant's)"),
        Column("colour", "code", _get("colour"), "colour code (else name)"),
        Column("weight_g", "number", _get("weight_g"), "ball weight in grams"),
        *own,
        *(
            Column(
                site, "money", _get(f"price:{site}"), f"price at {site} (cell colour: stock)", fill=_stock_fill(site)
            )
            for site in competitors
        ),
        Column("cheapest", "code", _get("cheapest"), "the cheapest shop"),
        Column("spread_pct", "percent", _get("spread_pct"), "(max - min) / min × 100"),
    )


def compare_sheet_notes(columns: Sequence[Column]) -> dict[str, str]:
    """The notes on the Compare sheet's header: the stock colours' legend on each price column."""
    return {column.name: STOCK_LEGEND for column in columns if column.fill is not None}


def _shown_name(unit: Mapping[str, Any]) -> str | None:
    """A unit's name on the Compare sheet: a variant's (a colour, a needle size) after its page's,
    so that two sizes of one page are told apart."""
    name, variant = text_of(unit.get("name")), text_of(unit.get(VARIANT_NAME))
    return f"{name} – {variant}" if name and variant else name or variant


def compare_sheet_rows(comparison: Comparison) -> tuple[list[str], list[dict[str, Any]]]:
    """The shops that have a matched product, and one row per group (by ``match_id``)."""
    sites = sorted({site for group in comparison.groups for site, _ in group.keys})
    rows = []
    for group in sorted(comparison.groups, key=lambda group: group.match_id):
        summary = summarize(group, comparison.states)
        first = group.keys[0]
        shown_key = (summary.cheapest_site, summary.cheapest_product_id) if summary.cheapest_site is not None else first
        shown = comparison.states[shown_key]
        identities = [identity_of(comparison.states[key]) for key in group.keys]
        stated = (text_of(yarn_value(comparison.states[key], "colour_code")) for key in group.keys)
        colour = next((code for code in stated if code is not None), None)
        if colour is None:
            colour = next((identity.colour_name for identity in identities if identity.colour_name), None)
        weight = next((identity.weight_g for identity in identities if identity.weight_g is not None), None)
        row: dict[str, Any] = {
            "match_id": group.match_id,
            "brand": text_of(shown.get("brand")),
            "name": _shown_name(shown),
            "colour": colour,
            "weight_g": weight,
            "cheapest": summary.cheapest_site,
            "spread_pct": summary.spread_pct,
        }
        for site, product_id in group.keys:
            state = comparison.states[(site, product_id)]
            row[f"price:{site}"] = to_decimal(state.get("price"))
            row[f"stock:{site}"] = state.get("availability")
        if comparison.own_site is not None:
            position = group_position(group, comparison.states, comparison.own_site)
            if position is not None:
                row["vs_cheapest"] = position.difference
                row["vs_cheapest_pct"] = position.difference_pct
        rows.append(row)
    return sites, rows
