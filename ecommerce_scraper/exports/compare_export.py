"""``exports/compare.csv`` and the master workbook's Compare sheet: the same product across shops.

The stored match groups (:mod:`..matching.store`, kept up to date after each crawl by
:mod:`..matching.extension`) with their members' current states (the ``products`` rows not marked
removed), written as :mod:`..matching.compare` describes; before reading them, the groups are
brought up to date (:func:`..matching.sync.sync_matches`: incrementally, or from scratch when the
manual controls of ``MATCHES_FILE`` -- a Scrapy setting, else the environment; else
``config/matches.csv`` when it exists -- or the matcher changed). Only groups of two shops or more
are written. Rebuilt with ``master.xlsx`` (:func:`.tree.write_master`): once per process after
its last crawl, and by ``scrapy export`` (``--rematch``: matched from scratch).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..matching.compare import summarize, write_compare_csv
from ..matching.identity import ProductKey, identity_of, yarn_value
from ..matching.matcher import MatchGroup
from ..matching.store import current_states, stored_groups, unit_products
from ..matching.sync import sync_matches
from .cells import to_decimal
from .columns import Column, text_of

COMPARE_NAME = "compare.csv"
#: Where the manual controls are read from when ``MATCHES_FILE`` is not set (only if it exists).
DEFAULT_MATCHES_FILE = "config/matches.csv"


def matches_path(settings: Any = None) -> Path:
    """The controls file: ``MATCHES_FILE`` (setting, else environment), else ``config/matches.csv``."""
    explicit = (settings.get("MATCHES_FILE") if settings is not None else None) or os.environ.get("MATCHES_FILE")
    return Path(str(explicit)) if explicit else Path(DEFAULT_MATCHES_FILE)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The match groups of two shops or more, and the states of their members."""

    groups: tuple[MatchGroup, ...]
    states: Mapping[ProductKey, Mapping[str, Any]]


def compare_stored(engine: Engine) -> Comparison:
    """The stored groups (:mod:`..matching.store`) of two shops or more, with their members'
    current states (a member whose product is removed since is left out of its group)."""
    with Session(engine) as session:
        groups = [group for group in stored_groups(session) if len({site for site, _ in group.keys}) >= 2]
        members = {key for group in groups for key in group.keys}
        products = unit_products(session, members)
        wanted = sorted(set(products.values()))
        by_product = {(state["site"], state["product_id"]): state for state in current_states(session, wanted)}
    states = {key: by_product[product] for key, product in products.items() if product in by_product}
    return Comparison(tuple(groups), states)


def write_compare(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    matches_file: str | os.PathLike[str] | None = None,
    *,
    rematch: bool = False,
) -> tuple[Path, Comparison, int]:
    """Bring the stored groups up to date (:func:`..matching.sync.sync_matches`: incremental over
    every shop, from scratch when ``rematch`` or when the controls or the matcher changed), then
    write ``<exports_dir>/compare.csv`` from them (atomic); returns its path, the comparison and its rows.

    Raises ``ValueError`` for a malformed controls file (:func:`~..matching.matcher.load_controls`).
    """
    sync_matches(engine, matches_file if matches_file is not None else matches_path(), full=rematch)
    comparison = compare_stored(engine)
    path = Path(exports_dir) / COMPARE_NAME
    rows = write_compare_csv(path, comparison.groups, comparison.states)
    return path, comparison, rows


# --- the master workbook's Compare sheet -----------------------------------------------------


def _get(name: str) -> Any:
    def get(row: Mapping[str, Any]) -> Any:
        return row.get(name)

    return get


def compare_sheet_columns(sites: Sequence[str]) -> tuple[Column, ...]:
    """The Compare sheet: what the product is, one price column per shop, the cheapest, the spread."""
    return (
        Column("match_id", "code", _get("match_id"), "the group (as in compare.csv)"),
        Column("brand", "text", _get("brand"), "brand as the cheapest shop writes it"),
        Column("name", "text", _get("name"), "product name as the cheapest shop writes it"),
        Column("colour", "code", _get("colour"), "colour code (else name)"),
        Column("weight_g", "number", _get("weight_g"), "ball weight in grams"),
        *(Column(site, "money", _get(f"price:{site}"), f"price at {site}") for site in sites),
        Column("cheapest", "code", _get("cheapest"), "the cheapest shop"),
        Column("spread_pct", "percent", _get("spread_pct"), "(max - min) / min × 100"),
    )


def compare_sheet_rows(comparison: Comparison) -> tuple[list[str], list[dict[str, Any]]]:
    """The shops that have a matched product, and one row per group (by ``match_id``)."""
    sites = sorted({site for group in comparison.groups for site, _ in group.keys})
    rows = []
    for group in sorted(comparison.groups, key=lambda group: group.match_id):
        summary = summarize(group, comparison.states)
        first = group.keys[0]
        shown_key = (
            (summary.cheapest_site, summary.cheapest_product_id) if summary.cheapest_site is not None else first
        )
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
            "name": text_of(shown.get("name")),
            "colour": colour,
            "weight_g": weight,
            "cheapest": summary.cheapest_site,
            "spread_pct": summary.spread_pct,
        }
        for site, product_id in group.keys:
            row[f"price:{site}"] = to_decimal(comparison.states[(site, product_id)].get("price"))
        rows.append(row)
    return sites, rows
