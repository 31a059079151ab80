"""Keeping the persisted match groups (:mod:`.store`) up to date with the stored products.

:func:`sync_matches` decides, then writes:

- **from scratch** when asked (``scrapy export --rematch``), when nothing was ever matched, or
  when the stored result was computed with something else: another controls file content
  (``config/matches.csv``), :data:`~.matcher.MATCHER_VERSION`, threshold or identity fields.
  Every current product is read once (streamed) and matched.
- **incrementally** otherwise (after each crawl, for that crawl's shop; before the exports, for
  every shop): a product whose stamp (:func:`.store.stamp_of`: its fingerprint and AI attributes)
  differs from the stored one, or that is new, is read again and its units' identities
  recomputed (:func:`~.units.identities_of`); units of products removed (or gone) are dropped.
  Only units whose identity changed, or that went, are re-grouped
  (:func:`~.rematch.rematch_identities`: what they reach, never the rest); the rows that differ
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
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from .identity import ProductIdentity, ProductKey, identity_fields
from .matcher import (
    MATCH_THRESHOLD,
    MATCHER_VERSION,
    MatchControls,
    MatchGroup,
    NameIndex,
    load_controls,
    match_identities,
)
from .rematch import pin_partners, rematch_identities
from .store import (
    MemberRow,
    ResultChange,
    StoredUnit,
    current_products,
    current_states,
    ensure_state_row,
    group_ids_of,
    group_ids_with_keys,
    member_rows,
    name_block_text,
    read_computed_with,
    stored_groups,
    stored_stamps,
    units_of_products,
    units_sharing,
    write_result,
)
from .units import identities_of

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
    groups: int  # groups stored (from scratch), or re-grouped (incremental: the ones its changes reach)
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
            logger.info("matching: the stored result changed meanwhile (another process); matching again from it")
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
        if state.generation < 0:
            ensure_state_row(engine)
            return None  # matched again, from the row
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
        stored = stored_stamps(session, sites)  # what is left of it once the products are read: gone
        changed_products: list[tuple[str, str]] = []
        for site, product_id, stamp, removed_at in current_products(session, sites):
            if removed_at is not None:
                continue
            if stored.pop((site, product_id), None) != stamp:
                changed_products.append((site, product_id))
        gone = set(stored)
        if not changed_products and not gone:
            return MatchRun("unchanged", None, 0, 0, 0, 0, time.perf_counter() - started)
        fresh: dict[ProductKey, StoredUnit] = {}
        read: set[tuple[str, str]] = set()
        for product_state in current_states(session, changed_products):
            product = (product_state["site"], product_state["product_id"])
            read.add(product)
            for identity in identities_of(product_state):
                fresh[identity.key] = StoredUnit(product[0], product[1], product_state["stamp"], identity)
        gone.update(set(changed_products) - read)  # removed between the two reads
        old_units = units_of_products(session, [*gone, *changed_products])
        removed = [key for key in old_units if key not in fresh]
        # A product changed in price or stock keeps its identity: its new stamp is written, nothing re-grouped.
        changed = {
            key: unit.identity
            for key, unit in fresh.items()
            if key not in old_units or old_units[key].identity != unit.identity
        }
        before: dict[ProductKey, MemberRow] = {}
        after: dict[ProductKey, MemberRow] = {}
        groups_after = 0
        if changed or removed:
            closure = _Closure(session, controls, threshold, old_units, changed)
            closure.grow({*changed, *removed})
            while True:
                identities = closure.old()
                groups = closure.groups()
                new_groups, updated = rematch_identities(
                    groups, identities, changed, removed, controls, threshold=threshold
                )
                before, after = member_rows(groups, identities), member_rows(new_groups, updated)
                groups_after = len(new_groups)
                # A group elsewhere with the identity key of one here: their match_ids are made together.
                elsewhere = group_ids_with_keys(session, {row[2] for row in (*before.values(), *after.values())})
                elsewhere -= closure.group_ids
                if not elsewhere:
                    break
                reached = len(closure.group_ids)
                closure.grow(key for group in stored_groups(session, elsewhere) for key in group.keys)
                if len(closure.group_ids) == reached:
                    # Groups another process stored after this one read their units: the closure
                    # can't reach them (it never reads a unit twice), so match again from what is
                    # stored now, as when the result changed meanwhile. It used to loop for ever.
                    return None
    change = ResultChange(
        units=fresh,
        dropped_units=removed,
        members={key: row for key, row in after.items() if before.get(key) != row},
        dropped_members=[key for key in before if key not in after],
    )
    if not _write(engine, state.generation, change, False, wanted, controls_hash, threshold):
        return None
    return MatchRun(
        "incremental", None, len(read), len(changed), len(removed), groups_after, time.perf_counter() - started
    )


class _Closure:
    """The stored units an incremental matching needs, read as far as the changes reach and no
    further (what :func:`~.rematch.rematch_identities` can touch): the units a name link may join
    to a changed or removed unit (by its old or new identity; their name blocks are read whole),
    of its GTIN, in a group with it, or pinned to it, and so on until nothing new is reached."""

    def __init__(
        self,
        session: Session,
        controls: MatchControls,
        threshold: float,
        known: dict[ProductKey, StoredUnit],
        changed: dict[ProductKey, ProductIdentity],
    ) -> None:
        self.session = session
        self.threshold = threshold
        self.changed = changed
        # Stored units read so far (their old identities), and both indexes: of the stored
        # identities, and of the updated ones (the changed units' new identities in their place).
        self.units: dict[ProductKey, StoredUnit] = {}
        self.old_names, self.names = NameIndex(), NameIndex()
        self.by_gtin: dict[str, set[ProductKey]] = defaultdict(set)
        for key, identity in changed.items():
            self.names.add(identity)
            if identity.gtin:
                self.by_gtin[identity.gtin].add(key)
        for key, unit in known.items():
            self._add(key, unit)
        self.pinned = pin_partners(controls)
        self.blocks: set[str] = set()  # read whole
        self.gtins: set[str] = set()  # read whole
        self.group_ids: set[str] = set()
        self.members: dict[ProductKey, set[ProductKey]] = {}  # a unit in a group read -> the group's units
        self.visited: set[ProductKey] = set()

    def old(self) -> dict[ProductKey, ProductIdentity]:
        return {key: unit.identity for key, unit in self.units.items()}

    def _versions(self, key: ProductKey) -> list[ProductIdentity]:
        stored = self.units.get(key)
        return [identity for identity in (stored.identity if stored else None, self.changed.get(key)) if identity]

    def grow(self, start: Iterable[ProductKey]) -> None:
        frontier = set(start) - self.visited
        while frontier:
            self.visited |= frontier
            self._read(frontier)
            reached: set[ProductKey] = set()
            for key in frontier:
                reached |= self.pinned.get(key, set()) | self.members.get(key, set())
                stored = self.units.get(key)
                for identity, names in ((stored and stored.identity, self.old_names), (self._new(key), self.names)):
                    if identity is None:
                        continue
                    reached.update(names.neighbours(identity, self.threshold))
                    if identity.gtin:
                        reached |= self.by_gtin[identity.gtin]
            frontier = reached - self.visited

    def _new(self, key: ProductKey) -> ProductIdentity | None:
        if key in self.changed:
            return self.changed[key]
        stored = self.units.get(key)
        return stored.identity if stored is not None else None

    def _read(self, frontier: set[ProductKey]) -> None:
        """Read what the frontier's units need: their name blocks and GTINs whole, their groups, pins."""
        blocks, gtins, keys = set(), set(), set()
        for key in frontier:
            for identity in self._versions(key):
                block = name_block_text(identity, self.threshold)
                if block is not None and block not in self.blocks:
                    blocks.add(block)
                if identity.gtin and identity.gtin not in self.gtins:
                    gtins.add(identity.gtin)
            keys |= self.pinned.get(key, set())
        new_ids = set(group_ids_of(self.session, frontier).values()) - self.group_ids
        self.group_ids |= new_ids
        for group in stored_groups(self.session, new_ids):
            for key in group.keys:
                self.members[key] = set(group.keys)
            keys |= set(group.keys)
        self.blocks |= blocks
        self.gtins |= gtins
        for key, unit in units_sharing(self.session, blocks, gtins, keys - self.units.keys()).items():
            if key not in self.units:
                self._add(key, unit)

    def _add(self, key: ProductKey, unit: StoredUnit) -> None:
        self.units[key] = unit
        self.old_names.add(unit.identity)
        if key not in self.changed:
            self.names.add(unit.identity)
            if unit.identity.gtin:
                self.by_gtin[unit.identity.gtin].add(key)

    def groups(self) -> list[MatchGroup]:
        return stored_groups(self.session, self.group_ids)


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
    identities = {key: unit.identity for key, unit in units.items()}
    change = ResultChange(units=units, dropped_units=(), members=member_rows(groups, identities), dropped_members=())
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
