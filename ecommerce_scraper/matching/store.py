"""The persisted matching result: the tables ``match_units``, ``match_members`` and ``match_state``.

What is read and written here, and nothing else (what to recompute is :mod:`.sync`'s):

- each unit's identity with the ``stamp`` of the product state it was computed from;
- the current groups, one ``match_members`` row per unit in a group;
- ``match_state``'s one row: what the result was computed with and its ``generation``.

A result is written in one transaction that first moves ``generation`` from the value read at
the start of the matching to the next one: a writer that finds another value (another process
wrote meanwhile) writes nothing and says so, and its caller matches again from what is stored.
A unit's key (a :data:`~.identity.ProductKey`) is stored as JSON text: nothing here looks into it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..storage.bulk import BulkWriter, iter_chunks
from ..storage.models import MatchMember, MatchState, MatchUnit, Product
from .identity import ProductIdentity, ProductKey, identity_from_json, identity_to_json
from .matcher import MatchGroup, Member, group_identity_key, name_block

#: Rows per statement when writing (and keys per ``IN`` list when reading).
CHUNK = 2000


def key_text(key: ProductKey) -> str:
    """A unit key as stored (compact JSON)."""
    return json.dumps(list(key), ensure_ascii=False, separators=(",", ":"))


def key_of(text: str) -> ProductKey:
    """The unit key :func:`key_text` stored."""
    return tuple(json.loads(text))  # type: ignore[return-value]


def name_block_text(identity: ProductIdentity, threshold: float) -> str | None:
    """The identity's name block (:func:`~.matcher.name_block`) as stored, ``None`` without one."""
    block = name_block(identity, threshold)
    return None if block is None else json.dumps(list(block), ensure_ascii=False, separators=(",", ":"))


def group_key_hash(identities: Iterable[ProductIdentity]) -> str:
    """A group's identity key (:func:`~.matcher.group_identity_key`) as stored: a hash."""
    return hashlib.sha256(group_identity_key(identities).encode()).hexdigest()[:40]


def stamp_of(fingerprint: str | None, ai: Any) -> str:
    """Which stored state an identity comes from: the content fingerprint and the AI attributes
    (derived, outside the fingerprint, and read by the identity)."""
    text = json.dumps(ai, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{fingerprint}\0{text}".encode()).hexdigest()[:40]


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComputedWith:
    """What the stored result was computed with (``match_state``)."""

    computed_with: str | None
    generation: int
    full_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredUnit:
    """A unit as stored: the product it comes from, that product's stamp, its identity."""

    site: str
    product_id: str
    stamp: str
    identity: ProductIdentity


def read_computed_with(session: Session) -> ComputedWith:
    row = session.execute(
        select(MatchState.computed_with, MatchState.generation, MatchState.full_at).where(MatchState.id == 1)
    ).one_or_none()
    if row is None:  # the migration makes the row; a database without it was never matched
        return ComputedWith(None, -1, None)
    return ComputedWith(row.computed_with, row.generation, row.full_at)


def ensure_state_row(engine: Engine) -> None:
    """Make ``match_state``'s row when it is missing (its migration makes it; a schema made
    otherwise may lack it). Another process making it at the same moment is fine."""
    try:
        with Session(engine) as session, session.begin():
            if session.get(MatchState, 1) is None:
                session.add(MatchState(id=1, generation=0))
    except IntegrityError:
        pass


def current_products(
    session: Session, sites: Collection[str] | None = None
) -> Iterator[tuple[str, str, str, datetime | None]]:
    """``(site, product_id, stamp, removed_at)`` of every stored product (of ``sites``), without its state."""
    query = select(Product.site, Product.product_id, Product.fingerprint, Product.data["ai"], Product.removed_at)
    if sites is not None:
        query = query.where(Product.site.in_(list(sites)))
    for site, product_id, fingerprint, ai, removed_at in session.execute(query.execution_options(yield_per=5000)):
        yield site, product_id, stamp_of(fingerprint, ai), removed_at


def current_states(session: Session, keys: Iterable[tuple[str, str]] | None = None) -> Iterator[dict[str, Any]]:
    """Stored states of the products not marked removed: every one, or those of ``keys``
    (``(site, product_id)`` pairs), each with its ``stamp``."""
    columns = (Product.site, Product.product_id, Product.fingerprint, Product.data)
    if keys is None:
        # No ORDER BY: sorting a catalog's states is PostgreSQL's slowest part here, and the matcher sorts keys.
        query = select(*columns).where(Product.removed_at.is_(None))
        batches: Iterable[Any] = [session.execute(query.execution_options(yield_per=2000))]
    else:
        by_site: dict[str, list[str]] = defaultdict(list)
        for site, product_id in keys:
            by_site[site].append(product_id)
        batches = (
            session.execute(
                select(*columns).where(
                    Product.site == site, Product.product_id.in_(chunk), Product.removed_at.is_(None)
                )
            )
            for site, product_ids in sorted(by_site.items())
            for chunk in iter_chunks(product_ids, CHUNK)
        )
    for rows in batches:
        for site, product_id, fingerprint, data in rows:
            state = {**(data or {}), "site": site, "product_id": product_id}
            state["stamp"] = stamp_of(fingerprint, state.get("ai"))
            yield state


def stored_stamps(session: Session, sites: Collection[str] | None = None) -> dict[tuple[str, str], str]:
    """``(site, product_id) -> stamp`` of every product with stored units (of ``sites``)."""
    # Streamed: an ORM result is otherwise buffered whole, and a product's units (one a colour)
    # each give a row: 219,227 rows for 100,000 products of bench/catalog.py, about 50 MB. (DISTINCT
    # would sort them all: 3 times slower on SQLite.)
    query = select(MatchUnit.site, MatchUnit.product_id, MatchUnit.stamp)
    if sites is not None:
        query = query.where(MatchUnit.site.in_(list(sites)))
    rows = session.execute(query.execution_options(yield_per=5000))
    return {(site, product_id): stamp for site, product_id, stamp in rows}


_UNIT_COLUMNS = (MatchUnit.unit_key, MatchUnit.site, MatchUnit.product_id, MatchUnit.stamp, MatchUnit.identity)


def _units(rows: Iterable[Any]) -> dict[ProductKey, StoredUnit]:
    return {
        key_of(unit_key): StoredUnit(site, product_id, stamp, identity_from_json(identity))
        for unit_key, site, product_id, stamp, identity in rows
    }


def stored_units(session: Session) -> dict[ProductKey, StoredUnit]:
    """Every stored unit, by key."""
    return _units(session.execute(select(*_UNIT_COLUMNS).execution_options(yield_per=5000)))


def units_of_products(session: Session, products: Iterable[tuple[str, str]]) -> dict[ProductKey, StoredUnit]:
    """The stored units of these ``(site, product_id)`` products."""
    by_site: dict[str, list[str]] = defaultdict(list)
    for site, product_id in products:
        by_site[site].append(product_id)
    found: dict[ProductKey, StoredUnit] = {}
    for site, product_ids in by_site.items():
        for chunk in iter_chunks(product_ids, CHUNK):
            query = select(*_UNIT_COLUMNS).where(MatchUnit.site == site, MatchUnit.product_id.in_(chunk))
            found.update(_units(session.execute(query)))
    return found


def units_sharing(
    session: Session, blocks: Iterable[str], gtins: Iterable[str], keys: Iterable[ProductKey]
) -> dict[ProductKey, StoredUnit]:
    """The stored units in one of ``blocks`` (as :func:`name_block_text` writes them), with one of
    ``gtins``, or of ``keys``."""
    found: dict[ProductKey, StoredUnit] = {}
    for column, values in (
        (MatchUnit.name_block, sorted(set(blocks))),
        (MatchUnit.gtin, sorted(set(gtins))),
        (MatchUnit.unit_key, sorted({key_text(key) for key in keys})),
    ):
        for chunk in iter_chunks(values, CHUNK):
            found.update(_units(session.execute(select(*_UNIT_COLUMNS).where(column.in_(chunk)))))
    return found


def group_ids_of(session: Session, keys: Iterable[ProductKey]) -> dict[ProductKey, str]:
    """``unit key -> match_id`` of these units that are in a group."""
    found = {}
    for chunk in iter_chunks(sorted({key_text(key) for key in keys}), CHUNK):
        query = select(MatchMember.unit_key, MatchMember.match_id).where(MatchMember.unit_key.in_(chunk))
        found.update({key_of(unit_key): match_id for unit_key, match_id in session.execute(query)})
    return found


def group_ids_with_keys(session: Session, group_keys: Iterable[str]) -> set[str]:
    """The ``match_id`` of every stored group whose identity key hash is one of ``group_keys``."""
    found: set[str] = set()
    for chunk in iter_chunks(sorted(set(group_keys)), CHUNK):
        found.update(session.scalars(select(MatchMember.match_id).where(MatchMember.group_key.in_(chunk))))
    return found


def stored_groups(session: Session, match_ids: Iterable[str] | None = None) -> list[MatchGroup]:
    """The stored groups (every one, or those of ``match_ids``), by ``match_id`` (members by key)."""
    members: dict[str, list[Member]] = defaultdict(list)
    columns = (MatchMember.match_id, MatchMember.unit_key, MatchMember.confidence, MatchMember.reason)
    if match_ids is None:
        batches: Iterable[Any] = [session.execute(select(*columns).execution_options(yield_per=5000))]
    else:
        batches = (
            session.execute(select(*columns).where(MatchMember.match_id.in_(chunk)))
            for chunk in iter_chunks(sorted(set(match_ids)), CHUNK)
        )
    for rows in batches:
        for match_id, unit_key, confidence, reason in rows:
            members[match_id].append(Member(key_of(unit_key), confidence, reason))
    groups = [
        MatchGroup(match_id, tuple(sorted(found, key=lambda member: member.key))) for match_id, found in members.items()
    ]
    return sorted(groups, key=lambda group: (group.match_id, group.keys))


def unit_products(session: Session, keys: Collection[ProductKey]) -> dict[ProductKey, tuple[str, str]]:
    """``unit key -> (site, product_id)`` of the product each of ``keys`` (units in a group) comes from."""
    query = select(MatchUnit.unit_key, MatchUnit.site, MatchUnit.product_id).join(
        MatchMember, MatchMember.unit_key == MatchUnit.unit_key
    )
    found = {}
    for unit_key, site, product_id in session.execute(query.execution_options(yield_per=5000)):
        key = key_of(unit_key)
        if key in keys:
            found[key] = (site, product_id)
    return found


# --- writing ---------------------------------------------------------------------------------


#: A unit's row in a group: ``(match_id, member, group_key)``.
MemberRow = tuple[str, Member, str]


@dataclass(frozen=True, slots=True)
class ResultChange:
    """What to write: units to (re)write or drop, member rows to (re)write or drop."""

    units: Mapping[ProductKey, StoredUnit]
    dropped_units: Collection[ProductKey]
    members: Mapping[ProductKey, MemberRow]
    dropped_members: Collection[ProductKey]


def member_rows(
    groups: Iterable[MatchGroup], identities: Mapping[ProductKey, ProductIdentity]
) -> dict[ProductKey, MemberRow]:
    """``key -> (match_id, member, group_key)`` of every unit in ``groups`` (``identities``: theirs)."""
    rows: dict[ProductKey, MemberRow] = {}
    for group in groups:
        group_key = group_key_hash(identities[key] for key in group.keys)
        for member in group.members:
            rows[member.key] = (group.match_id, member, group_key)
    return rows


def write_result(
    engine: Engine,
    read_generation: int,
    change: ResultChange,
    *,
    full: bool,
    computed_with: str,
    controls_sha256: str,
    matcher_version: str,
    threshold: float,
) -> bool:
    """Write a matching result in one transaction; ``full`` replaces every unit and member first.

    False (nothing written) when ``match_state``'s generation is no longer ``read_generation``.
    """
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "generation": read_generation + 1,
        "computed_with": computed_with,
        "controls_sha256": controls_sha256,
        "matcher_version": matcher_version,
        "threshold": threshold,
        "updated_at": now,
    }
    if full:
        values["full_at"] = now
    with Session(engine) as session, session.begin():
        # First, so that on SQLite the write lock and on PostgreSQL the row lock are held from here.
        moved = session.execute(
            update(MatchState).where(MatchState.id == 1, MatchState.generation == read_generation).values(**values)
        )
        if moved.rowcount != 1:
            return False
        if full:
            session.execute(delete(MatchUnit))
            session.execute(delete(MatchMember))
        else:
            _delete_keys(session, MatchUnit, {*change.dropped_units, *change.units})
            _delete_keys(session, MatchMember, {*change.dropped_members, *change.members})
        unit_rows = (
            {
                "unit_key": key_text(key),
                "site": unit.site,
                "product_id": unit.product_id,
                "stamp": unit.stamp,
                "identity": identity_to_json(unit.identity),
                "name_block": name_block_text(unit.identity, threshold),
                "gtin": unit.identity.gtin,
            }
            for key, unit in change.units.items()
        )
        _insert(session, MatchUnit, unit_rows)
        rows = (
            {
                "unit_key": key_text(key),
                "match_id": match_id,
                "confidence": member.confidence,
                "reason": member.reason,
                "group_key": group_key,
            }
            for key, (match_id, member, group_key) in change.members.items()
        )
        _insert(session, MatchMember, rows)
    return True


def _insert(session: Session, table: type[MatchUnit] | type[MatchMember], rows: Iterable[dict[str, Any]]) -> None:
    """``rows`` inserted in chunks through the storage's bulk writer (COPY on PostgreSQL: an
    executemany is a protocol round per row there, 4x slower at 100,000 rows)."""
    columns = [column.name for column in table.__table__.columns]
    as_tuples = (
        tuple(json.dumps(row[name], ensure_ascii=False) if name == "identity" else row[name] for name in columns)
        for row in rows
    )
    writer = BulkWriter(session.connection())
    for chunk in iter_chunks(as_tuples, CHUNK):
        writer.insert(table.__table__, columns, chunk)


def _delete_keys(session: Session, table: type[MatchUnit] | type[MatchMember], keys: Iterable[ProductKey]) -> None:
    for chunk in iter_chunks(sorted(key_text(key) for key in keys), CHUNK):
        session.execute(delete(table).where(table.unit_key.in_(chunk)))
