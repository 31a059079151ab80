"""Reading stored crawls back: a crawl's products as it saw them, its changes, its row.

Shared by everything written from the database (:mod:`.tree`'s files, :mod:`.report`'s page).
Rows are streamed: memory does not grow with the catalog.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from ..storage.models import Change, Crawl, CrawlProduct, Product, Snapshot
from .cells import to_decimal

logger = logging.getLogger(__name__)

LATEST = "latest"
MASTER_NAME = "master.xlsx"
#: Rows fetched from the database at a time while streaming.
FETCH_SIZE = 1000


def crawl_dir(exports_dir: str | os.PathLike[str], site: str, crawl_id: str) -> Path:
    return Path(exports_dir) / site / crawl_id


def file_names(site: str) -> dict[str, str]:
    """kind (``exports.kind``) -> file name inside a crawl's folder."""
    return {"full_csv": "full.csv", "seo_csv": "seo.csv", "diff_csv": "diff.csv", "xlsx": f"{site}.xlsx"}


# --- reading a crawl back -------------------------------------------------------------------


def seen_state() -> Any:
    """SQL for the state a sighting (``CrawlProduct``, joined to its ``Product``) saw: the
    product's current data while its fingerprint is the sighting's, else the snapshot with it."""
    snapshot_data = (
        select(Snapshot.data)
        .where(
            Snapshot.site == CrawlProduct.site,
            Snapshot.product_id == CrawlProduct.product_id,
            Snapshot.fingerprint == CrawlProduct.fingerprint,
        )
        .order_by(Snapshot.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case((Product.fingerprint == CrawlProduct.fingerprint, Product.data), else_=snapshot_data)


def crawl_states(
    engine: Engine, site: str, crawl_id: str, product_ids: Collection[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The product states crawl ``crawl_id`` saw, by product_id, streamed (only those of
    ``product_ids`` when given: a few, read by their ids).

    ``crawl_id`` is set to this crawl: an unchanged product's stored state still names the
    crawl that first read it that way (``scraped_at`` and ``url`` stay as read then).
    """
    state = seen_state()
    query = (
        select(CrawlProduct.product_id, state.label("state"))
        .outerjoin(Product, (Product.site == CrawlProduct.site) & (Product.product_id == CrawlProduct.product_id))
        .where(CrawlProduct.site == site, CrawlProduct.crawl_id == crawl_id)
        .order_by(CrawlProduct.product_id)
    )
    if product_ids is not None:
        query = query.where(CrawlProduct.product_id.in_(sorted(product_ids)))
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=FETCH_SIZE).execute(query)
        for product_id, data in result:
            if data is None:  # no stored state with that fingerprint: nothing to show
                logger.warning("%s crawl %s: no stored state for product %s", site, crawl_id, product_id)
                continue
            # Each row's document is decoded afresh: set in place, not copied (the same keys, in the same order).
            data["crawl_id"] = crawl_id
            yield data


def crawl_changes(engine: Engine, site: str, crawl_id: str) -> Iterator[dict[str, Any]]:
    """The changes crawl ``crawl_id`` detected, in detection order, streamed."""
    query = select(Change.__table__).where(Change.site == site, Change.crawl_id == crawl_id).order_by(Change.id)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=FETCH_SIZE).execute(query)
        for row in result.mappings():
            yield dict(row)


def crawl_row(engine: Engine, site: str, crawl_id: str) -> Any:
    with Session(engine) as session:
        crawl = session.scalar(select(Crawl).where(Crawl.site == site, Crawl.crawl_id == crawl_id))
        if crawl is None:
            raise LookupError(f"no crawl {crawl_id!r} of {site!r} in the database")
        session.expunge(crawl)
        return crawl


def has_sightings(engine: Engine, site: str, crawl_id: str) -> bool:
    with engine.connect() as connection:
        query = select(CrawlProduct.product_id).where(CrawlProduct.site == site, CrawlProduct.crawl_id == crawl_id)
        return connection.execute(query.limit(1)).first() is not None


def latest_finished_crawl(engine: Engine, site: str) -> str | None:
    with Session(engine) as session:
        return session.scalar(
            select(Crawl.crawl_id)
            .where(Crawl.site == site, Crawl.status == "finished")
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
            .limit(1)
        )


def change_counts(engine: Engine, site: str, crawl_id: str) -> dict[str, int]:
    """change type -> how many the crawl detected."""
    query = (
        select(Change.change_type, func.count())
        .where(Change.site == site, Change.crawl_id == crawl_id)
        .group_by(Change.change_type)
    )
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(query)}


@dataclass
class ShopSummary:
    site: str
    products: int = 0
    in_stock: int = 0
    on_sale: int = 0
    priced: int = 0
    price_total: Decimal = Decimal(0)
    currencies: set[str] = field(default_factory=set)

    def add(self, state: dict[str, Any]) -> None:
        self.products += 1
        if state.get("availability") == "in_stock":
            self.in_stock += 1
        price, regular = to_decimal(state.get("price")), to_decimal(state.get("regular_price"))
        if price is not None and regular is not None and regular > price:
            self.on_sale += 1
        if price is not None:
            self.priced += 1
            self.price_total += price
        if state.get("currency"):
            self.currencies.add(str(state["currency"]))

    @property
    def average_price(self) -> Decimal | None:
        if not self.priced:
            return None
        return (self.price_total / self.priced).quantize(Decimal("0.01"))

    @property
    def currency(self) -> str | None:
        # One currency or none: an average over several has no single format.
        return next(iter(self.currencies)) if len(self.currencies) == 1 else None
