"""Keeping the persisted match groups (:mod:`.store`) up to date with the stored products.

:func:`sync_matches` decides, then writes:

- **from scratch** when asked (``scrapy export --rematch``), when nothing was ever matched, or
  when the stored result was computed with something else: another controls file content
  (``config/matches.csv``), :data:`~.matcher.MATCHER_VERSION`, threshold or identity fields.
  Every current product is read once (streamed) and matched.
- **incrementally** otherwise (after each crawl, for that crawl's shop; before the exports, for
  every shop): a product whose stamp (:func:`.store.stamp_of`: its fingerprint and AI attributes)
  differs from the stored one, or that is new, is read again and its units' identities
  recomputed (:func:`~.identity.identities_of`); units of products removed (or gone) are dropped.
  Only units whose identity changed, or that went, are re-grouped
  (:func:`~.matcher.rematch_identities`: what they reach, never the rest); the rows that differ
  are written. Nothing changed: nothing read but the stamps, nothing written.

Blocking (database and CPU): call it from a thread when the caller is the reactor. One matching
at a time per process; between processes, :func:`.store.write_result`'s generation check makes
the later writer match again from what the first wrote.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .identity import ProductKey, identities_of, identity_fields
from .matcher import (
    MATCH_THRESHOLD,
    MATCHER_VERSION,
    MatchControls,
    load_controls,
    match_identities,
    rematch_identities,
)
from .store import (
    ResultChange,
    StoredUnit,
    current_products,
    current_states,
    member_rows,
    read_computed_with,
    stored_groups,
    stored_stamps,
    stored_units,
    write_result,
)

logger = logging.getLogger(__name__)

#: How often a matching is redone when another process wrote its result first.
ATTEMPTS = 3

_one_at_a_time = threading.Lock()


@dataclass(frozen=True, slots=True)
class MatchRun:
    """What one :func:`sync_matches` did."""

    mode: Literal["full", "incremental", "unchanged"]
    why: str | None  # why from scratch
    products_read: int  # product states read from the database
    units_changed: int  # units whose identity is new or changed (all of them from scratch)
    units_removed: int
    groups: int  # stored groups after it
    seconds: float

    def describe(self) -> str:
        what = f"{self.mode}" + (f" ({self.why})" if self.why else "")
        return (
            f"matching {what}: {self.products_read} products read, {self.units_changed} units new or changed, "
            f"{self.units_removed} removed, {self.groups} groups, {self.seconds:.2f} s"
        )


def controls_sha256(path: str | os.PathLike[str]) -> str:
    """The controls file's content hash (of no bytes when it does not exist)."""
    target = Path(path)
    return hashlib.sha256(target.read_bytes() if target.is_file() else b"").hexdigest()


def computed_with(controls_hash: str, threshold: float = MATCH_THRESHOLD) -> str:
    """What a result depends on besides the products, as one hash."""
    parts = [MATCHER_VERSION, repr(float(threshold)), list(identity_fields()), controls_hash]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def sync_matches(
    engine: Engine,
    matches_file: str | os.PathLike[str],
    *,
    sites: Collection[str] | None = None,
    full: bool = False,
    threshold: float = MATCH_THRESHOLD,
) -> MatchRun:
    """Bring the stored groups up to date (see the module's docstring); ``sites``: look only at
    these shops' products for changes (``None``: every shop).

    Raises ``ValueError`` for a malformed controls file (nothing written), ``SQLAlchemyError``
    for the database, ``RuntimeError`` when other processes kept writing first.
    """
    controls_hash = controls_sha256(matches_file)
    controls = load_controls(matches_file)
    wanted = computed_with(controls_hash, threshold)
    with _one_at_a_time:
        for _ in range(ATTEMPTS):
            run = _sync_once(engine, controls, controls_hash, wanted, sites, full, threshold)
            if run is not None:
                if run.mode != "unchanged":
                    logger.debug(run.describe())
                return run
            logger.info("matching: another process stored its result first; matching again from it")
    raise RuntimeError(f"matching: other processes stored their results first {ATTEMPTS} times; nothing written")


def _sync_once(
    engine: Engine,
    controls: MatchControls,
    controls_hash: str,
    wanted: str,
    sites: Collection[str] | None,
    full: bool,
    threshold: float,
) -> MatchRun | None:
    started = time.perf_counter()
    with Session(engine) as session:
        state = read_computed_with(session)
        why = (
            "asked"
            if full
            else "never matched"
            if state.computed_with is None
            else "controls, matcher or threshold changed"
            if state.computed_with != wanted
            else None
        )
        if why is not None:
            return _from_scratch(
                engine, session, state.generation, controls, controls_hash, wanted, why, threshold, started
            )
        stored = stored_stamps(session, sites)
        changed_products: list[tuple[str, str]] = []
        present: set[tuple[str, str]] = set()
        for site, product_id, stamp, removed_at in current_products(session, sites):
            if removed_at is not None:
                continue
            present.add((site, product_id))
            if stored.get((site, product_id)) != stamp:
                changed_products.append((site, product_id))
        gone = set(stored) - present
        if not changed_products and not gone:
            return MatchRun("unchanged", None, 0, 0, 0, -1, time.perf_counter() - started)
        units = stored_units(session)
        groups = stored_groups(session)
        fresh: dict[ProductKey, StoredUnit] = {}
        read: set[tuple[str, str]] = set()
        for product_state in current_states(session, changed_products):
            product = (product_state["site"], product_state["product_id"])
            read.add(product)
            for identity in identities_of(product_state):
                fresh[identity.key] = StoredUnit(product[0], product[1], product_state["stamp"], identity)
    gone.update(set(changed_products) - read)  # removed between the two reads
    units_of: dict[tuple[str, str], list[ProductKey]] = defaultdict(list)
    for key, unit in units.items():
        units_of[(unit.site, unit.product_id)].append(key)
    removed = [key for product in (*gone, *changed_products) for key in units_of.get(product, ()) if key not in fresh]
    # A product changed in price or stock keeps its identity: its new stamp is written, nothing re-grouped.
    changed = {
        key: unit.identity for key, unit in fresh.items() if key not in units or units[key].identity != unit.identity
    }
    identities = {key: unit.identity for key, unit in units.items()}
    new_groups, _ = rematch_identities(groups, identities, changed, removed, controls, threshold=threshold)
    before, after = member_rows(groups), member_rows(new_groups)
    change = ResultChange(
        units=fresh,
        dropped_units=removed,
        members={key: row for key, row in after.items() if before.get(key) != row},
        dropped_members=[key for key in before if key not in after],
    )
    if not _write(engine, state.generation, change, False, wanted, controls_hash, threshold):
        return None
    return MatchRun(
        "incremental", None, len(read), len(changed), len(removed), len(new_groups), time.perf_counter() - started
    )


def _from_scratch(
    engine: Engine,
    session: Session,
    generation: int,
    controls: MatchControls,
    controls_hash: str,
    wanted: str,
    why: str,
    threshold: float,
    started: float,
) -> MatchRun | None:
    units: dict[ProductKey, StoredUnit] = {}
    products = 0
    for product_state in current_states(session):
        products += 1
        for identity in identities_of(product_state):
            units[identity.key] = StoredUnit(
                product_state["site"], product_state["product_id"], product_state["stamp"], identity
            )
    session.close()  # the read ends before the write begins (SQLite: one writer, readers apart)
    groups = match_identities((unit.identity for unit in units.values()), controls, threshold=threshold)
    change = ResultChange(units=units, dropped_units=(), members=member_rows(groups), dropped_members=())
    if not _write(engine, generation, change, True, wanted, controls_hash, threshold):
        return None
    return MatchRun("full", why, products, len(units), 0, len(groups), time.perf_counter() - started)


def _write(
    engine: Engine,
    generation: int,
    change: ResultChange,
    full: bool,
    wanted: str,
    controls_hash: str,
    threshold: float,
) -> bool:
    return write_result(
        engine,
        generation,
        change,
        full=full,
        computed_with=wanted,
        controls_sha256=controls_hash,
        matcher_version=MATCHER_VERSION,
        threshold=threshold,
    )
