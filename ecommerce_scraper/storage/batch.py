"""One batch of product states written in one transaction, with a fixed number of statements.

1. One query reads what the database knows of the batch's products: fingerprint, last crawl,
   removed or not, and the derived ``ai`` part of their state (``data -> 'ai'``), not the whole
   state. A second reads the whole stored state of those that need it: changed fingerprint (the
   diff), seen already in this crawl (completeness), new derived attributes.
2. Products seen already in this crawl and more complete now are *redone*: their changes and
   snapshots of this crawl are taken back and their changes diffed again against the state before
   this crawl; four statements for the whole batch (the change types taken back, two deletes, the
   states before the crawl), whatever the number of redone products.
3. The diff is computed in Python (:func:`~.diff.diff_states`), product by product, as always.
4. Rows go out through :class:`~.bulk.BulkWriter`: ``COPY`` on PostgreSQL, ``executemany`` on
   SQLite. Unchanged products cost one ``UPDATE`` of ``last_seen`` for the whole batch.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, any_, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from .bulk import BulkWriter, Upsert, json_text
from .diff import ChangeRecord, diff_states
from .models import Change, CrawlProduct, Product, Snapshot
from .state import completeness, fingerprint, from_state_money, replaces

if TYPE_CHECKING:
    from .writer import CrawlWriter

PRODUCT_COLUMNS = (
    "site",
    "product_id",
    "url",
    "name",
    "sku",
    "price",
    "regular_price",
    "currency",
    "availability",
    "fingerprint",
    "data",
    "first_seen",
    "last_seen",
    "first_crawl_id",
    "last_crawl_id",
    "removed_at",
)
#: What a product seen again overwrites (first seen and first crawl stay).
PRODUCT_UPDATED = tuple(c for c in PRODUCT_COLUMNS if c not in ("site", "product_id", "first_seen", "first_crawl_id"))
SNAPSHOT_COLUMNS = ("site", "product_id", "crawl_id", "fingerprint", "data", "scraped_at")
SIGHTING_COLUMNS = ("site", "crawl_id", "product_id", "fingerprint")
CHANGE_COLUMNS = (
    "site",
    "crawl_id",
    "product_id",
    "change_type",
    "field",
    "variant_sku",
    "old_value",
    "new_value",
    "delta_pct",
    "url",
    "name",
    "detected_at",
)


@dataclass(frozen=True)
class Known:
    """What the database knows of a product, without its whole state."""

    fingerprint: str
    last_crawl_id: str
    removed: bool
    ai: Any


@dataclass
class BatchResult:
    changes: int  # change rows written
    retracted: int  # change rows of redone products taken back


def change_values(
    site: str, crawl_id: str, record: ChangeRecord, state: Mapping[str, Any], now: datetime
) -> tuple[Any, ...]:
    """A ``changes`` row, in :data:`CHANGE_COLUMNS` order."""
    return (
        site,
        crawl_id,
        str(state["product_id"]),
        record.change_type,
        record.field,
        record.variant_sku,
        record.old_value,
        record.new_value,
        record.delta_pct,
        state.get("url"),
        state.get("name"),
        now,
    )


def write_states(writer: CrawlWriter, bulk: BulkWriter, by_id: dict[str, dict[str, Any]], now: datetime) -> BatchResult:
    """Write one batch (product id -> state, a product once) through ``bulk``, in its transaction."""
    site, crawl_id, connection = writer.site, writer.crawl_id, bulk.connection
    known = _known(connection, site, list(by_id))
    fingerprints: dict[str, str] = {}
    wanted: list[str] = []  # products whose whole stored state is needed
    for product_id, state in by_id.items():
        fingerprints[product_id] = fp = state.get("fingerprint") or fingerprint(state)
        row = known.get(product_id)
        if row is None or (row.removed and row.last_crawl_id != crawl_id):
            continue
        if row.last_crawl_id == crawl_id or row.fingerprint != fp or row.ai != state.get("ai"):
            wanted.append(product_id)
    stored = _stored_states(connection, site, wanted)

    redone = [
        product_id
        for product_id, state in by_id.items()
        if _seen_in_this_crawl(known.get(product_id), crawl_id)
        and replaces(completeness(state), completeness(stored[product_id]))
    ]
    taken_back, before_crawl = _take_back(connection, site, crawl_id, redone)

    products: list[tuple[Any, ...]] = []  # of products known to the database
    new_products: list[tuple[Any, ...]] = []  # of products it did not know
    snapshots: list[tuple[Any, ...]] = []
    sightings: list[tuple[Any, ...]] = []  # of products seen already in this crawl
    new_sightings: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    unchanged: list[str] = []
    rederived: list[dict[str, Any]] = []
    redone_set = set(redone)
    for product_id, state in by_id.items():
        row = known.get(product_id)
        seen_in_this_crawl = _seen_in_this_crawl(row, crawl_id)
        if seen_in_this_crawl and product_id not in redone_set:
            # Seen already in this crawl, as complete or more (a duplicate under another URL,
            # after a resume too, when the dedup pipeline's memory is gone): the first copy stays.
            continue
        fp = fingerprints[product_id]
        (sightings if seen_in_this_crawl else new_sightings).append((site, crawl_id, product_id, fp))
        if seen_in_this_crawl:
            # A more complete duplicate, or a rerun of a batch: its changes again, against the
            # state before this crawl ("new" said it was unknown or removed then: it still is new).
            before = None if "new" in taken_back[product_id] else before_crawl.get(product_id)
            records = diff_states(before, state)
            changed = before is None or before.get("fingerprint") != fp
        elif row is None or row.removed:
            records, changed = [ChangeRecord("new")], True
        elif row.fingerprint != fp:
            records, changed = diff_states(stored[product_id], state), True
            writer.note_move(stored[product_id], state)
        else:
            unchanged.append(product_id)
            if row.ai != state.get("ai"):
                # Derived, not content: new attributes (a key set since, a newer prompt) update
                # the stored state without counting as a change of the product.
                new_data = {**stored[product_id], "ai": state.get("ai")}
                rederived.append({"row_site": site, "row_pid": product_id, "new_data": new_data})
            continue
        state = {**state, "fingerprint": fp}
        data = json_text(state)  # once, for the product row and its snapshot
        (new_products if row is None else products).append(product_values(site, crawl_id, state, fp, data, now))
        if changed:
            scraped_at = _parse_time(state.get("scraped_at")) or now
            snapshots.append((site, product_id, crawl_id, fp, data, scraped_at))
        changes += [change_values(site, crawl_id, record, state, now) for record in records]

    # Products the batch's read found unknown, and sightings of products not yet seen in this crawl,
    # are inserted as they are, but may be upserted after all: a crawl of the same shop left
    # running elsewhere may add them meanwhile, and both go on. Known products first: the new
    # rows' ids then follow the batch's order among themselves, as before.
    product_key, sighting_key = ("site", "product_id"), ("site", "crawl_id", "product_id")
    bulk.upsert(Product.__table__, PRODUCT_COLUMNS, products, product_key, PRODUCT_UPDATED)
    bulk.insert_new(
        Upsert(Product.__table__, PRODUCT_COLUMNS, new_products, product_key, PRODUCT_UPDATED),
        Upsert(CrawlProduct.__table__, SIGHTING_COLUMNS, new_sightings, sighting_key, ("fingerprint",)),
    )
    # A product seen again in this crawl, more complete, keeps one sighting: the better copy's.
    bulk.upsert(CrawlProduct.__table__, SIGHTING_COLUMNS, sightings, sighting_key, ("fingerprint",))
    if unchanged:
        where, params = _of_products(connection, site, unchanged)
        marker = "%s" if bulk.postgres else "?"
        (last_seen,) = bulk.bound(Product.__table__, ("last_seen",), (now,))
        sql = f"UPDATE products SET last_seen = {marker}, last_crawl_id = {marker} WHERE {where}"  # noqa: S608
        connection.exec_driver_sql(sql, (last_seen, crawl_id, *params))
    if rederived:
        table = Product.__table__
        connection.execute(
            update(table)
            .where(table.c.site == bindparam("row_site"), table.c.product_id == bindparam("row_pid"))
            .values(data=bindparam("new_data")),
            rederived,
        )
    _write_snapshots(bulk, site, crawl_id, snapshots)
    bulk.insert(Change.__table__, CHANGE_COLUMNS, changes)
    retracted = sum(len(taken_back[product_id]) for product_id in redone)
    return BatchResult(len(changes), retracted)


def _write_snapshots(bulk: BulkWriter, site: str, crawl_id: str, snapshots: list[tuple[Any, ...]]) -> None:
    if not bulk.postgres or not snapshots:
        bulk.insert(Snapshot.__table__, SNAPSHOT_COLUMNS, snapshots)
        return
    # The same states went into products a moment ago: copied from there, PostgreSQL parses and
    # compresses each JSON document once, not twice. In batch order, as the rows would be.
    scraped_at = [row[5] for row in snapshots]
    # Arrays go in binary (%b) where psycopg can: its text form of an array runs a regex on each
    # element, several times slower. A time without a zone can't share a binary array with zoned
    # ones: such a batch sends its times as text.
    times = "%b" if all(time.utcoffset() is not None for time in scraped_at) else "%s"
    bulk.execute(
        "INSERT INTO snapshots (site, product_id, crawl_id, fingerprint, data, scraped_at) "  # noqa: S608 - no data
        "SELECT p.site, p.product_id, %s, p.fingerprint, p.data, t.scraped_at "
        f"FROM unnest(%b::text[], {times}::timestamptz[]) WITH ORDINALITY AS t(product_id, scraped_at, n) "
        "JOIN products p ON p.site = %s AND p.product_id = t.product_id ORDER BY t.n",
        (crawl_id, [row[1] for row in snapshots], scraped_at, site),
    )


def _seen_in_this_crawl(row: Known | None, crawl_id: str) -> bool:
    return row is not None and row.last_crawl_id == crawl_id


def _one_of(connection: Connection, column: Any, values: list[str]) -> Any:
    """``column IN values``: one array parameter on PostgreSQL, a list of them on SQLite."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _known(connection: Connection, site: str, product_ids: list[str]) -> dict[str, Known]:
    # In the driver's SQL: this runs for every product of every batch, and SQLAlchemy's result
    # rows and its JSON processor cost more than the query. Only the ``ai`` part of the state is
    # read, as JSON text, parsed when there is something in it (mostly there is not).
    if connection.dialect.name == "postgresql":
        ai = "(data -> 'ai')::text"
    else:
        ai = """JSON_QUOTE(JSON_EXTRACT(data, '$."ai"'))"""  # SQLAlchemy's own ``data["ai"]`` on SQLite
    where, params = _of_products(connection, site, product_ids)
    columns = f"product_id, fingerprint, last_crawl_id, removed_at IS NOT NULL, {ai}"
    sql = f"SELECT {columns} FROM products WHERE {where}"  # noqa: S608 - names and markers only
    return {
        pid: Known(fp, last, bool(removed), None if ai_text in (None, "null") else json.loads(ai_text))
        for pid, fp, last, removed, ai_text in connection.exec_driver_sql(sql, params).fetchall()
    }


def _of_products(connection: Connection, site: str, product_ids: list[str]) -> tuple[str, tuple[Any, ...]]:
    """``WHERE`` the shop's products in ``product_ids``, in the driver's SQL, and its parameters."""
    if connection.dialect.name == "postgresql":
        return "site = %s AND product_id = ANY(%b::varchar[])", (site, product_ids)  # binary: faster to make
    return f"site = ? AND product_id IN ({', '.join('?' * len(product_ids))})", (site, *product_ids)


def _stored_states(connection: Connection, site: str, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not product_ids:
        return {}
    query = select(Product.product_id, Product.data).where(
        Product.site == site, _one_of(connection, Product.product_id, product_ids)
    )
    return {pid: data for pid, data in connection.execute(query)}  # noqa: C416 - rows, not pairs


def _take_back(
    connection: Connection, site: str, crawl_id: str, product_ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, dict[str, Any]]]:
    """Delete the redone products' changes and snapshots of this crawl; return the change types
    taken back and the state each product had before this crawl (its latest earlier snapshot)."""
    taken_back: dict[str, list[str]] = defaultdict(list)
    if not product_ids:
        return taken_back, {}
    of_this_crawl = (
        Change.site == site,
        Change.crawl_id == crawl_id,
        _one_of(connection, Change.product_id, product_ids),
    )
    for product_id, change_type in connection.execute(
        select(Change.product_id, Change.change_type).where(*of_this_crawl)
    ):
        taken_back[product_id].append(change_type)
    connection.execute(delete(Change).where(*of_this_crawl))
    connection.execute(
        delete(Snapshot).where(
            Snapshot.site == site,
            Snapshot.crawl_id == crawl_id,
            _one_of(connection, Snapshot.product_id, product_ids),
        )
    )
    asked = [product_id for product_id in product_ids if "new" not in taken_back[product_id]]
    if not asked:
        return taken_back, {}
    latest = (
        select(func.max(Snapshot.id))
        .where(
            Snapshot.site == site,
            Snapshot.crawl_id != crawl_id,
            _one_of(connection, Snapshot.product_id, asked),
        )
        .group_by(Snapshot.product_id)
    )
    rows = connection.execute(select(Snapshot.product_id, Snapshot.data).where(Snapshot.id.in_(latest)))
    return taken_back, {product_id: dict(data) for product_id, data in rows}


def product_values(
    site: str, crawl_id: str, state: dict[str, Any], fp: str, data: str, now: datetime
) -> tuple[Any, ...]:
    """A ``products`` row, in :data:`PRODUCT_COLUMNS` order."""
    return (
        site,
        str(state["product_id"]),
        state.get("url"),
        state.get("name"),
        state.get("sku"),
        from_state_money(state.get("price")),
        from_state_money(state.get("regular_price")),
        state.get("currency"),
        state.get("availability"),
        fp,
        data,
        now,
        now,
        crawl_id,
        crawl_id,
        None,
    )


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
