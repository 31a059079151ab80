"""How a batch reaches the database (storage/batch.py, storage/bulk.py): COPY on PostgreSQL,
executemany on SQLite, each test on both.

- Awkward text (tabs, newlines, backslashes, COPY's own ``\\N``, quotes, Greek, emoji), NULLs and
  money survive: the product row, its JSON state and its snapshot read back exactly as written.
- A product met again in the same crawl, more complete, across batches: its changes are redone
  against the state before the crawl, once (batched take-back), and its snapshot is the better copy.
- New derived attributes (``ai``) of an unchanged product update its state, no change recorded.
- A batch that fails on PostgreSQL raises SQLAlchemy's error (what the pipeline spools on),
  writes nothing, and the connection's next batch works (its temporary tables set up again),
  whether it failed in a known product's upsert or in a new product's straight copy.
- A product the batch's read found unknown but that exists by the time it is written (a crawl of
  the same shop running elsewhere wrote it meanwhile) is upserted, as any known product.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from ecommerce_scraper.storage import batch, bulk, db
from ecommerce_scraper.storage.models import CrawlProduct, Snapshot
from ecommerce_scraper.storage.state import fingerprint, to_state
from ecommerce_scraper.storage.writer import CrawlWriter
from testkit.crawling import SITE, changes_of, product_rows, snapshots_of

from .db import fresh_database

AWKWARD = "tab\there\nnew line\r\nback\\slash \\N \\\\N 'single' \"double\" Μαλλί 🧶 ,;|"


def state(product_id: str, **fields: Any) -> dict[str, Any]:
    item = {
        "site": SITE,
        "product_id": product_id,
        "url": f"https://shop.example/p/{product_id}",
        "name": f"Product {product_id}",
        "price": Decimal("4.50"),
        "currency": "EUR",
        "availability": "in_stock",
        **fields,
    }
    result = to_state(item)
    result["fingerprint"] = fingerprint(result)
    return result


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.open_database(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def write_crawl(engine: Engine, crawl_id: str, *batches: list[dict[str, Any]]) -> list[int]:
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    recorded = [writer.write_batch(batch) for batch in batches]
    writer.finish("finished", {})
    return recorded


def test_awkward_text_nulls_and_money_survive_the_bulk_write(engine: Engine) -> None:
    odd = state(
        "p\t1",
        name=AWKWARD,
        sku="\\N",
        price=Decimal("0.125"),
        regular_price=Decimal("1E+3"),
        brand="",
        description=AWKWARD * 20,  # long enough to be compressed out of line (TOAST)
        variants=[{"sku": "v\n1", "price": Decimal("12.5"), "options": {"Χρώμα": AWKWARD}}],
        attributes={"nested": {"list": [1, 2.5, None, True, AWKWARD]}},
    )
    plain = state("p2", sku=None, price=None, availability=None)
    assert write_crawl(engine, "c1", [odd, plain]) == [2]

    rows = product_rows(engine)
    assert set(rows) == {"p\t1", "p2"}
    row = rows["p\t1"]
    assert (row.name, row.sku, row.url) == (AWKWARD, "\\N", odd["url"])
    assert (row.price, row.regular_price) == (Decimal("0.125"), Decimal("1000"))
    assert row.data == odd  # the JSON state exactly: money as strings, unicode, nesting, empty text
    assert row.data["price"] == "0.125" and row.data["regular_price"] == "1000.00"
    none = rows["p2"]
    assert (none.sku, none.price, none.regular_price, none.availability) == (None, None, None, None)
    assert none.data == plain
    assert {s.product_id: s.data for s in snapshots_of(engine, "c1")} == {"p\t1": odd, "p2": plain}

    # A rename to and from awkward text: old and new values written as they are.
    renamed = {**odd, "name": AWKWARD[::-1]}
    renamed["fingerprint"] = fingerprint(renamed)
    assert write_crawl(engine, "c2", [renamed, plain]) == [1]
    [change] = changes_of(engine, "c2")
    compared = (" ".join(AWKWARD.split()), " ".join(AWKWARD[::-1].split()))  # diffs compare normalized text
    assert (change.change_type, change.old_value, change.new_value) == ("renamed", *compared)
    assert change.name == AWKWARD[::-1]  # the row's name as scraped
    assert product_rows(engine)["p\t1"].data == renamed


def test_a_more_complete_copy_in_a_later_batch_redoes_its_changes_once(engine: Engine) -> None:
    known = state("p1", brand="Drops", price=Decimal("10.00"))
    write_crawl(engine, "c1", [known, state("p3")])
    # Crawl 2: p1 dearer, first without its brand (less complete), then complete in the next batch;
    # p2 new, first bare, then complete; p3 unchanged throughout.
    bare_p1 = state("p1", price=Decimal("12.00"))
    full_p1 = state("p1", brand="Drops", price=Decimal("12.00"))
    bare_p2, full_p2 = state("p2"), state("p2", brand="Katia", sku="K-2")
    recorded = write_crawl(engine, "c2", [bare_p1, bare_p2, state("p3")], [full_p1, full_p2, state("p3")], [bare_p1])
    # Batch 1: price_up + field_changed(brand) for p1, new for p2. Batch 2 takes those back (3) and
    # records price_up and new again (2). Batch 3: a less complete copy again, nothing.
    assert recorded == [3, -1, 0]
    changes = [(c.product_id, c.change_type, c.old_value, c.new_value) for c in changes_of(engine, "c2")]
    assert sorted(changes) == [("p1", "price_up", "10.00", "12.00"), ("p2", "new", None, None)]
    assert {s.product_id: s.data for s in snapshots_of(engine, "c2")} == {"p1": full_p1, "p2": full_p2}
    rows = product_rows(engine)
    assert (rows["p1"].data, rows["p2"].data) == (full_p1, full_p2)
    with engine.connect() as connection:
        sightings = connection.execute(
            select(CrawlProduct.product_id, CrawlProduct.fingerprint).where(CrawlProduct.crawl_id == "c2")
        )
        assert dict(sightings.all()) == {
            "p1": full_p1["fingerprint"],
            "p2": full_p2["fingerprint"],
            "p3": state("p3")["fingerprint"],
        }


def test_new_derived_attributes_of_an_unchanged_product_update_its_state_only(engine: Engine) -> None:
    plain = state("p1")
    write_crawl(engine, "c1", [plain, state("p2")])
    derived = {**plain, "ai": {"weight_g": {"value": 50, "source": "ai"}}}
    assert write_crawl(engine, "c2", [derived, state("p2")]) == [0]
    rows = product_rows(engine)
    assert rows["p1"].data == derived and rows["p1"].last_crawl_id == "c2"
    assert rows["p2"].data == state("p2") and rows["p2"].last_crawl_id == "c2"
    assert changes_of(engine, "c2") == [] and snapshots_of(engine, "c2") == []


def test_a_failed_batch_on_postgresql_writes_nothing_and_the_next_one_works(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        engine = db.open_database(url)
        try:
            write_crawl(engine, "c1", [state("p1"), state("p2")])
            writer = CrawlWriter(engine, SITE, "c2", SITE)
            writer.start()
            # PostgreSQL's JSON refuses the NUL character: the batch fails inside its COPY, after
            # this connection's temporary table for products was created in the same transaction.
            broken = state("p1", price=Decimal("5.00"), description="nul \x00 here")
            with pytest.raises(SQLAlchemyError):
                writer.write_batch([broken, state("p3")])
            assert set(product_rows(engine)) == {"p1", "p2"}
            assert product_rows(engine)["p1"].last_crawl_id == "c1"
            dearer = state("p1", price=Decimal("5.00"))
            assert writer.write_batch([dearer, state("p3")]) == 2  # same pooled connection
            assert writer.write_batch([state("p2")]) == 0
            writer.finish("finished", {})
            assert product_rows(engine)["p1"].data == dearer
            assert sorted(c.change_type for c in changes_of(engine, "c2")) == ["new", "price_up"]
            with engine.connect() as connection:
                assert connection.scalar(select(func.count()).select_from(Snapshot)) == 4
        finally:
            engine.dispose()


def test_a_new_product_written_meanwhile_by_another_crawl_is_upserted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_crawl(engine, "c1", [state("p1"), state("p2")])
    known = batch._known

    def p1_unknown(*args: Any) -> dict[str, batch.Known]:
        # What the batch's read saw just before another process inserted p1 and its sighting.
        return {pid: row for pid, row in known(*args).items() if pid != "p1"}

    monkeypatch.setattr(batch, "_known", p1_unknown)
    writer = CrawlWriter(engine, SITE, "c2", SITE)
    writer.start()
    with engine.begin() as connection:  # the other process's sighting of p1 in this crawl
        connection.execute(
            CrawlProduct.__table__.insert(), [{"site": SITE, "crawl_id": "c2", "product_id": "p1", "fingerprint": "x"}]
        )
    dearer = state("p1", price=Decimal("5.00"))
    assert writer.write_batch([dearer, state("p2"), state("p3")]) == 2  # p1 "new" (as read), p3 new
    rows = product_rows(engine)
    assert set(rows) == {"p1", "p2", "p3"} and rows["p1"].data == dearer and rows["p1"].first_crawl_id == "c1"
    with engine.connect() as connection:
        sightings = dict(
            connection.execute(
                select(CrawlProduct.product_id, CrawlProduct.fingerprint).where(CrawlProduct.crawl_id == "c2")
            ).all()
        )
    assert sightings == {
        "p1": dearer["fingerprint"],
        "p2": state("p2")["fingerprint"],
        "p3": state("p3")["fingerprint"],
    }


def test_a_batch_failing_in_a_new_products_copy_on_postgresql_writes_nothing(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        engine = db.open_database(url)
        try:
            write_crawl(engine, "c1", [state("p1")])
            writer = CrawlWriter(engine, SITE, "c2", SITE)
            writer.start()
            broken = state("p2", description="nul \x00 here")  # refused by PostgreSQL's JSON
            with pytest.raises(SQLAlchemyError):
                writer.write_batch([state("p1", price=Decimal("5.00")), broken])
            assert set(product_rows(engine)) == {"p1"} and product_rows(engine)["p1"].last_crawl_id == "c1"
            assert writer.write_batch([state("p1", price=Decimal("5.00")), state("p2")]) == 2
            writer.finish("finished", {})
            assert sorted(c.change_type for c in changes_of(engine, "c2")) == ["new", "price_up"]
        finally:
            engine.dispose()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"name": "Νήμα", "tags": ["α", 1, None, True]}, '{"name":"Νήμα","tags":["α",1,null,true]}'),  # UTF-8 as it is
        ({"price": "12.50", "weight": 50.0}, '{"price":"12.50","weight":50.0}'),
        ({"broken": "\ud800"}, '{"broken": "\\ud800"}'),  # not sendable as UTF-8: json.dumps' escaped form
        ({"big": 2**70}, '{"big":1180591620717411303424}'),  # past 64 bits: the json module's way
        ({1: "key not a string"}, '{"1":"key not a string"}'),
        ({"rating": float("nan")}, '{"rating":null}'),  # JSON has no NaN (PostgreSQL's JSONB refuses it)
    ],
)
def test_json_text_is_compact_utf8_json_whatever_the_value(value: dict[Any, Any], text: str) -> None:
    assert bulk.json_text(value) == text
