"""A running crawl's progress in its ``crawls`` row, and the crawls ``scrapy status`` lists.

While a crawl runs, its row is updated every ``PROGRESS_INTERVAL`` seconds
(:mod:`ecommerce_scraper.metrics.progress`): ``items_count`` and ``errors_count`` hold the figures
so far, and ``stats`` the keys ``progress/pages``, ``progress/items``, ``progress/errors`` and
``progress/updated_at`` (ISO 8601, UTC), merged into what the row had. Only a ``running`` row is
touched, so an update that comes late never undoes the crawl's close, which writes its final
counts and stats (without ``progress/*``) over them. No schema change: the row had the room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from .models import Crawl

PROGRESS_PREFIX = "progress/"


@dataclass(frozen=True)
class Progress:
    pages: int
    items: int
    errors: int


def record_progress(engine: Engine, site: str, crawl_id: str, progress: Progress, now: datetime | None = None) -> bool:
    """Write a running crawl's figures so far into its row; ``False`` when the row is not running
    (not created yet, or closed already). Blocking: call it from a thread."""
    now = now or datetime.now(UTC)
    figures = {
        "progress/pages": progress.pages,
        "progress/items": progress.items,
        "progress/errors": progress.errors,
        "progress/updated_at": now.isoformat(),
    }
    running = (Crawl.site == site, Crawl.crawl_id == crawl_id, Crawl.status == "running")
    with Session(engine) as session, session.begin():
        row = session.execute(select(Crawl.id, Crawl.stats).where(*running)).first()
        if row is None:
            return False
        result = session.execute(
            update(Crawl)
            .where(Crawl.id == row.id, Crawl.status == "running")
            .values(items_count=progress.items, errors_count=progress.errors, stats={**(row.stats or {}), **figures})
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def without_progress(stats: dict[str, Any]) -> dict[str, Any]:
    """The stats without the ``progress/*`` keys (a resumed crawl's earlier part's stats)."""
    return {key: value for key, value in stats.items() if not key.startswith(PROGRESS_PREFIX)}


@dataclass(frozen=True)
class CrawlLine:
    """One crawl as ``scrapy status`` and the index page show it."""

    site: str
    crawl_id: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime | None  # the last progress update of a running crawl
    items: int
    pages: int
    errors: int

    @property
    def running(self) -> bool:
        return self.status == "running"


def crawl_line(crawl: Any) -> CrawlLine:
    """A ``crawls`` row (ORM object or row) as a :class:`CrawlLine`."""
    stats = crawl.stats or {}
    running = crawl.status == "running"
    pages = stats.get("progress/pages") if running else stats.get("response_received_count")
    return CrawlLine(
        site=crawl.site,
        crawl_id=crawl.crawl_id,
        status=crawl.status,
        started_at=_aware(crawl.started_at),
        finished_at=_aware(crawl.finished_at),
        updated_at=_parse(stats.get("progress/updated_at")) if running else None,
        items=int(crawl.items_count or 0),
        pages=int(pages or 0),
        errors=int(crawl.errors_count or 0),
    )


def crawl_overview(engine: Engine) -> list[CrawlLine]:
    """Every shop's last crawl, and every crawl still running: by shop, oldest first."""
    query = select(Crawl).order_by(Crawl.site, Crawl.started_at.desc(), Crawl.id.desc())
    with Session(engine) as session:
        chosen: dict[tuple[str, str], CrawlLine] = {}
        last_of: set[str] = set()
        for crawl in session.scalars(query):
            if crawl.site not in last_of or crawl.status == "running":
                last_of.add(crawl.site)
                chosen[(crawl.site, crawl.crawl_id)] = crawl_line(crawl)
    return sorted(chosen.values(), key=lambda line: (line.site, line.started_at or datetime.min.replace(tzinfo=UTC)))


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None
