"""Writing one crawl of one shop: batched upserts, snapshots, changes, removals.

Each batch is one transaction: a crawl killed at any moment leaves the database consistent
and loses at most the batch in flight, which a rerun writes again (upserts are idempotent
within a crawl). Unchanged products cost one bulk ``UPDATE`` of ``last_seen``, no snapshot.

Removals are recorded only after a clean crawl (finish reason ``finished``, an error rate
under ``max_error_rate`` and at least ``min_seen_share`` of the previous clean crawl's
products seen; otherwise the crawl is ``partial`` and its ``status_note`` says why), and only
on evidence: a known product the crawl did not see is removed when its page answered 404 or
410, or no longer shows that product (``page_outcomes``). One whose page could not be read is
*unverified*: it keeps its state, is counted (``crawls.unverified_count``), and the next crawl
fetches it first. A crawl that found no product at all is ``failed`` (with why: the shop could
not be reached, or nothing was found at its address).

A batch's reads, diff and rows are :mod:`.batch`'s (a fixed number of statements per batch),
written by :class:`.bulk.BulkWriter` (``COPY`` on PostgreSQL, ``executemany`` on SQLite). The
verdict at close is :mod:`.closing`'s, the evidence rule :mod:`.removals`'.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session

from .batch import CHANGE_COLUMNS, change_values, write_states
from .bulk import BulkWriter, iter_chunks, upsert_statement
from .closing import (
    CLOSED_OK,
    CrawlOutcome,
    baseline_products,
    crawl_problems,
    error_count,
    failure_note,
    json_safe,
    merge_stats,
)
from .diff import ChangeRecord, host_of, removed_change
from .models import Change, Crawl, PageOutcome, Product
from .progress import without_progress
from .removals import gone_products, unseen, unseen_count

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class CrawlWriter:
    """Everything one crawl of one shop writes. Methods are blocking: call them from a
    thread when the caller is the reactor."""

    def __init__(self, engine: Engine, site: str, crawl_id: str, spider: str, job_id: str | None = None) -> None:
        self.engine = engine
        self.site = site
        self.crawl_id = crawl_id
        self.spider = spider
        self.job_id = job_id
        self.changes_written = 0
        self._statistics_checked = False
        self._previous_stats: dict[str, Any] = {}  # of the parts of this crawl before a resume
        self.moved: tuple[str, str] | None = None  # (old host, new host) when the shop answers elsewhere

    # --- crawl rows -------------------------------------------------------------------

    def start(self) -> None:
        """Record the crawl as running; crawls of this shop left running are marked aborted."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Crawl)
                .where(Crawl.site == self.site, Crawl.status == "running", Crawl.crawl_id != self.crawl_id)
                .values(status="aborted", status_note="never finished (killed or crashed)")
            )
            exists = session.scalar(select(Crawl.id).where(Crawl.site == self.site, Crawl.crawl_id == self.crawl_id))
            if exists is not None:
                # A stopped crawl goes on (its job folder was resumed): running again, until it closes.
                # A part killed before closing left only its live progress there (storage/progress.py).
                self._previous_stats = without_progress(
                    session.scalar(select(Crawl.stats).where(Crawl.id == exists)) or {}
                )
                session.execute(
                    update(Crawl).where(Crawl.id == exists).values(status="running", finished_at=None, status_note=None)
                )
                logger.info("%s: crawl %s goes on where it stopped", self.site, self.crawl_id)
            else:
                session.add(
                    Crawl(
                        site=self.site,
                        crawl_id=self.crawl_id,
                        spider=self.spider,
                        job_id=self.job_id,
                        started_at=_now(),
                        status="running",
                    )
                )

    # --- products ---------------------------------------------------------------------

    def write_batch(self, states: Sequence[dict[str, Any]]) -> int:
        """Upsert a batch of product states (from :func:`~.state.to_state`) in one transaction
        (:mod:`.batch`); return the number of changes recorded."""
        if not states:
            return 0
        by_id: dict[str, dict[str, Any]] = {}
        for state in states:  # a later copy in the same batch wins (the dedup pipeline chose it)
            by_id[str(state["product_id"])] = state
        with self.engine.begin() as connection:
            bulk = BulkWriter(connection)
            result = write_states(self, bulk, by_id, _now())
        bulk.committed()
        self._ensure_statistics()
        recorded = result.changes - result.retracted  # a redone product's earlier changes are gone
        self.changes_written += recorded
        return recorded

    def note_move(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        if self.moved is None:
            old, new = host_of(before.get("url")), host_of(after.get("url"))
            if old and new and old != new:
                self.moved = (old, new)

    def write_outcomes(self, outcomes: Sequence[dict[str, Any]]) -> None:
        """Record product pages that failed or are gone (dicts with url, outcome, cause, product_id);
        a later outcome of the same URL in this crawl replaces the earlier one."""
        if not outcomes:
            return
        rows = {o["url"]: {"site": self.site, "crawl_id": self.crawl_id, **o} for o in outcomes}
        stmt = upsert_statement(self.engine, PageOutcome.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["site", "crawl_id", "url"],
            set_={col: getattr(stmt.excluded, col) for col in ("outcome", "cause", "product_id")},
        )
        with self.engine.begin() as connection:
            connection.execute(stmt, list(rows.values()))

    def known_products(self, reason: str, exclude: set[str]) -> list[tuple[str, str]]:
        """Known, not removed products of the shop to fetch: ``unseen`` by this crawl so far, or
        left ``unverified`` by the shop's previous crawl. ``(product_id, url)`` pairs."""
        with Session(self.engine) as session:
            query = select(Product.product_id, Product.url).where(unseen(self.site, self.crawl_id))
            if reason == "unverified":
                previous = session.scalar(
                    select(Crawl.crawl_id)
                    .where(Crawl.site == self.site, Crawl.crawl_id != self.crawl_id, Crawl.status.in_(CLOSED_OK))
                    .order_by(Crawl.started_at.desc())
                    .limit(1)
                )
                if previous is None:
                    return []
                query = query.where(Product.last_crawl_id != previous)
            return [(pid, url) for pid, url in session.execute(query) if pid not in exclude and url]

    def _ensure_statistics(self) -> None:
        """PostgreSQL plans each batch's lookups by table statistics: tables never analysed (a
        fresh database before autovacuum's first pass, or autovacuum off) get the whole shop
        scanned for every batch. Analyse them once, after the first batch."""
        if self._statistics_checked or self.engine.dialect.name != "postgresql":
            return
        self._statistics_checked = True
        with self.engine.begin() as conn:
            if conn.scalar(text("SELECT reltuples < 0 FROM pg_class WHERE oid = 'products'::regclass")):
                conn.execute(text("ANALYZE products, snapshots, changes, crawl_products"))

    def _change_row(self, record: ChangeRecord, state: dict[str, Any], now: datetime) -> dict[str, Any]:
        return dict(zip(CHANGE_COLUMNS, change_values(self.site, self.crawl_id, record, state, now), strict=True))

    # --- closing ----------------------------------------------------------------------

    def finish(
        self,
        finish_reason: str,
        stats: dict[str, Any],
        *,
        max_error_rate: float = 0.05,
        min_seen_share: float = 0.9,
        status_override: str | None = None,
        health: Callable[[Session, dict[str, Any], int], tuple[dict[str, Any], str | None]] | None = None,
    ) -> CrawlOutcome:
        """Close the crawl: removals if it was clean, status, counts and stats.

        ``health`` (the crawl health monitors, :class:`ecommerce_scraper.monitors.health.HealthCheck`)
        is asked before the status is decided: stats to add, and a suspicion that makes it partial.
        """
        with Session(self.engine) as session, session.begin():
            seen = session.scalar(
                select(func.count()).where(Product.site == self.site, Product.last_crawl_id == self.crawl_id)
            )
            stats = merge_stats(self._previous_stats, stats)
            previous = baseline_products(session, self.site, self.crawl_id, max_error_rate)
            problems = crawl_problems(finish_reason, stats, seen or 0, previous, max_error_rate, min_seen_share)
            if health is not None and status_override is None:
                health_stats, suspicion = health(session, stats, seen or 0)
                stats = {**stats, **health_stats}
                problems = "; ".join(part for part in (problems, suspicion) if part)
            status = status_override or ("partial" if problems else "finished")
            if finish_reason == "shutdown" and status_override is None:
                status = "cancelled"  # stopped on request (Ctrl-C, SIGTERM, a Scrapyd cancel): resumable
            failure = failure_note(self.site, finish_reason, stats, seen or 0) if status_override is None else None
            if failure is not None:
                status, problems = "failed", failure
            if self.moved is not None:
                stats = {**stats, "shop_moved": f"{self.moved[0]} → {self.moved[1]}"}
                self._record_move(session)
            removed = unverified = 0
            if status == "finished":
                removed, unverified = self._record_removals(session)
            else:
                unverified = unseen_count(session, self.site, self.crawl_id)
                logger.warning(
                    "%s crawl %s is %s: %s; nothing marked removed", self.site, self.crawl_id, status, problems
                )
            # Counted, not remembered: a crawl closed by another process (its spool loaded by the
            # next crawl) has changes this writer never wrote. Removals are among them by now.
            changes_count = (
                session.scalar(select(func.count()).where(Change.site == self.site, Change.crawl_id == self.crawl_id))
                or 0
            )
            session.execute(
                update(Crawl)
                .where(Crawl.site == self.site, Crawl.crawl_id == self.crawl_id)
                .values(
                    finished_at=_now(),
                    finish_reason=finish_reason,
                    status=status,
                    status_note=problems or None,
                    items_count=seen or 0,
                    errors_count=error_count(stats),
                    changes_count=changes_count,
                    unverified_count=unverified,
                    stats=json_safe(stats),
                )
            )
        return CrawlOutcome(status, problems or None, seen or 0, removed, changes_count, unverified)

    def _record_move(self, session: Session) -> None:
        """One ``shop_moved`` change for the crawl, instead of a URL change on every product."""
        old, new = self.moved  # type: ignore[misc]
        logger.warning("%s answers at %s now, no longer at %s", self.site, new, old)
        record = ChangeRecord("shop_moved", "host", None, old, new)
        session.execute(
            upsert_statement(self.engine, Change.__table__),
            [self._change_row(record, {"product_id": "*", "url": None, "name": None}, _now())],
        )

    def _record_removals(self, session: Session) -> tuple[int, int]:
        """Mark removed the known products this crawl did not see whose page is gone; the others
        are unverified. Returns (removed, unverified)."""
        gone, unseen_total = gone_products(session, self.site, self.crawl_id)
        if not unseen_total:
            return 0, 0
        if gone:
            now = _now()
            ids = [pid for pid, _ in gone]
            for chunk in iter_chunks(ids, 500):
                session.execute(
                    update(Product)
                    .where(unseen(self.site, self.crawl_id), Product.product_id.in_(chunk))
                    .values(removed_at=now)
                )
            rows = [self._change_row(removed_change(data), {**data, "product_id": pid}, now) for pid, data in gone]
            session.execute(upsert_statement(self.engine, Change.__table__), rows)
        unverified = unseen_total - len(gone)
        if unverified:
            logger.warning(
                "%s crawl %s: %d known products could not be checked (their pages failed); kept as they were",
                self.site,
                self.crawl_id,
                unverified,
            )
        return len(gone), unverified


__all__ = ["CrawlOutcome", "CrawlWriter", "iter_chunks", "upsert_statement"]
