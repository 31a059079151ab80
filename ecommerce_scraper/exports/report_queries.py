"""Reading what a crawl's report shows from the database.

The crawl's changes (:func:`.stored.crawl_changes`) and products (:func:`.stored.crawl_states`)
are streamed once each; when the crawl's files are written, counted in the same passes as them
(:class:`ProductCount`, :class:`.report_figures.ChangeFigures`), and only the states of the few
products the report lists are read again (:func:`fill_listed`). The product-count chart shows
the shop's last :data:`HISTORY_CRAWLS` crawls up to this one: ``items_count``, or for a crawl
that never closed (``items_count`` 0, status running/aborted) its sightings.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from ..storage.models import Crawl, CrawlProduct, Product
from .cells import to_datetime, to_decimal
from .report_figures import ChangeFigures, Figures, HistoryPoint, Listed
from .report_text import one_line
from .stored import ShopSummary, crawl_changes, crawl_states

#: Crawls in the product-count chart.
HISTORY_CRAWLS = 30


def collect_changes(engine: Engine, site: str, crawl_id: str) -> ChangeFigures:
    figures = ChangeFigures()
    for change in crawl_changes(engine, site, crawl_id):
        figures.add(change)
    return figures


class ProductCount:
    """The report's count of a crawl's products, one state at a time as they stream by (from the
    database here, or in the pass that writes the crawl's files: :func:`.tree.write_crawl_exports`),
    with price, currency and availability filled in the ``wanted`` rows."""

    def __init__(self, site: str, wanted: dict[str, list[Listed]] | None = None) -> None:
        self.figures = Figures(ShopSummary(site))
        self._wanted = wanted or {}

    def add(self, state: Any) -> None:
        figures = self.figures
        figures.summary.add(state)
        if state.get("availability") == "out_of_stock":
            figures.out_of_stock += 1
        for row in self._wanted.get(str(state.get("product_id")), ()):
            _fill(row, state)


def collect_products(engine: Engine, site: str, crawl_id: str, wanted: dict[str, list[Listed]]) -> Figures:
    """Count the crawl's products; fill price, currency and availability of the ``wanted`` rows."""
    count = ProductCount(site, wanted)
    for state in crawl_states(engine, site, crawl_id):
        count.add(state)
    return count.figures


def fill_listed(engine: Engine, site: str, crawl_id: str, wanted: dict[str, list[Listed]]) -> None:
    """Fill price, currency and availability of the ``wanted`` rows from the states the crawl saw,
    read by product id (a few: the report's lists), as :func:`collect_products` fills them."""
    if not wanted:
        return
    for state in crawl_states(engine, site, crawl_id, wanted.keys()):
        for row in wanted.get(str(state.get("product_id")), ()):
            _fill(row, state)


def _fill(row: Listed, state: Any) -> None:
    row.price = to_decimal(state.get("price"))
    row.currency = one_line(state.get("currency")) or None
    row.availability = one_line(state.get("availability")) or None


def fill_removed(engine: Engine, site: str, removed: list[Listed]) -> None:
    """Removed products' last known price: the ``products`` row (at most :data:`MAX_LISTED`)."""
    if not removed:
        return
    by_id = {row.product_id: row for row in removed}
    query = select(Product.product_id, Product.price, Product.currency, Product.availability).where(
        Product.site == site, Product.product_id.in_(list(by_id))
    )
    with engine.connect() as connection:
        for product_id, price, currency, availability in connection.execute(query):
            _fill(by_id[product_id], {"price": price, "currency": currency, "availability": availability})


def crawl_history(engine: Engine, crawl: Any, products: int) -> list[HistoryPoint]:
    """The shop's last :data:`HISTORY_CRAWLS` crawls up to ``crawl``, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Crawl.crawl_id, Crawl.started_at, Crawl.items_count, Crawl.status)
            .where(
                Crawl.site == crawl.site,
                or_(
                    Crawl.started_at < crawl.started_at,
                    and_(Crawl.started_at == crawl.started_at, Crawl.id <= crawl.id),
                ),
            )
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
            .limit(HISTORY_CRAWLS)
        ).all()
        unclosed = [row.crawl_id for row in rows if not row.items_count and row.status in ("running", "aborted")]
        sightings: dict[str, int] = {}
        if unclosed:
            sightings = dict(
                session.execute(
                    select(CrawlProduct.crawl_id, func.count())
                    .where(CrawlProduct.site == crawl.site, CrawlProduct.crawl_id.in_(unclosed))
                    .group_by(CrawlProduct.crawl_id)
                ).all()
            )
    points = []
    for row in reversed(rows):
        current = row.crawl_id == crawl.crawl_id
        seen = products if current else (row.items_count or sightings.get(row.crawl_id, 0))
        points.append(HistoryPoint(row.crawl_id, to_datetime(row.started_at), seen, row.status, current))
    return points


def is_first_crawl(engine: Engine, crawl: Any) -> bool:
    with engine.connect() as connection:
        earlier = connection.execute(
            select(Crawl.id)
            .where(
                Crawl.site == crawl.site,
                or_(
                    Crawl.started_at < crawl.started_at,
                    and_(Crawl.started_at == crawl.started_at, Crawl.id < crawl.id),
                ),
            )
            .limit(1)
        ).first()
    return earlier is None
