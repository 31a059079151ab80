"""Migration 0006 on a database with rows in it: made at 0005 by the migrations of then, filled
through the writer, upgraded to head and back; every row stays, and a crawl goes on there.
0006 drops five indexes and, on PostgreSQL, sets the products table's fillfactor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, func, inspect, select, text

from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import Change, Crawl, CrawlProduct, Product, Snapshot
from ecommerce_scraper.storage.writer import CrawlWriter

#: table -> indexes 0006 drops there
DROPPED = {
    "products": {"ix_products_site", "ix_products_last_crawl_id"},
    "snapshots": {"ix_snapshots_crawl_id"},
    "changes": {"ix_changes_change_type"},
    "crawl_products": {"ix_crawl_products_site_crawl"},
}
TABLES = (Crawl, Product, Snapshot, Change, CrawlProduct)
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def state(product_id: str, price: str) -> dict[str, Any]:
    return {
        "site": "knitshop",
        "product_id": product_id,
        "url": f"https://knitshop.gr/{product_id}",
        "name": f"Νήμα {product_id}",
        "price": price,
        "currency": "EUR",
        "availability": "in_stock",
        "attributes": {"Σύνθεση": "100% μαλλί"},
        "scraped_at": NOW.isoformat(),
    }


def crawl(engine: Engine, crawl_id: str, states: list[dict[str, Any]]) -> CrawlWriter:
    writer = CrawlWriter(engine, "knitshop", crawl_id, "knitshop")
    writer.start()
    writer.write_batch(states)
    writer.finish("finished", {"response_received_count": len(states)})
    return writer


def indexes(engine: Engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    return {table: {index["name"] for index in inspector.get_indexes(table)} for table in DROPPED}


def fillfactor(engine: Engine) -> str | None:
    """The products table's fillfactor on PostgreSQL (``None``: the default, or SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        options = connection.execute(text("SELECT reloptions FROM pg_class WHERE oid = 'products'::regclass")).scalar()
    return next((option for option in options or () if option.startswith("fillfactor=")), None)


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the written tables, in key order, as read through the models."""
    with engine.connect() as connection:
        return {
            model.__tablename__: [
                tuple(row) for row in connection.execute(select(model).order_by(*model.__table__.primary_key))
            ]
            for model in TABLES
        }


def test_0006_upgrades_a_filled_0005_database_and_back(database_url: str) -> None:
    db.upgrade(database_url, "0005")
    # At 0005 the schema has its old indexes; the writer works with them as with head's.
    plain = create_engine(database_url)
    engine = db.create_engine_for(database_url)
    try:
        assert all(DROPPED[table] <= names for table, names in indexes(plain).items())
        assert fillfactor(plain) is None
        crawl(engine, "c1", [state("p1", "4.50"), state("p2", "7.00"), state("p3", "3.20")])
        crawl(engine, "c2", [state("p1", "3.90"), state("p2", "7.00")])
        before = contents(engine)
        assert len(before["snapshots"]) == 4 and len(before["crawl_products"]) == 5
        engine.dispose()
        plain.dispose()

        db.upgrade(database_url)
        assert all(not DROPPED[table] & names for table, names in indexes(plain).items())
        assert fillfactor(plain) == ("fillfactor=60" if plain.dialect.name == "postgresql" else None)
        assert contents(engine) == before
        # The upgraded database opens as it is, and a crawl there diffs against the rows of 0005.
        engine.dispose()
        engine = db.open_database(database_url)
        writer = crawl(engine, "c3", [state("p1", "3.90"), state("p2", "8.00"), state("p3", "3.20")])
        assert writer.changes_written == 1  # p2's price rose; p3, unseen by c2 (partial), was kept
        with engine.connect() as connection:
            changed = connection.execute(
                select(Change.product_id, Change.change_type).where(Change.crawl_id == "c3").order_by(Change.id)
            ).all()
            seen = connection.execute(select(func.count()).where(Product.last_crawl_id == "c3")).scalar()
        assert [tuple(row) for row in changed] == [("p2", "price_up")]
        assert seen == 3
        after = contents(engine)
        engine.dispose()

        db.downgrade(database_url, "0005")
        assert all(DROPPED[table] <= names for table, names in indexes(plain).items())
        assert fillfactor(plain) is None
        assert contents(engine) == after
    finally:
        engine.dispose()
        plain.dispose()
