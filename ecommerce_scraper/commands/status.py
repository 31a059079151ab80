"""``scrapy status``: every shop's last crawl and any crawl still running, from the database.

One line per crawl: shop, crawl id, status, started, finished (or, while running, when its
progress was last recorded), items, pages and errors (so far, for a running crawl: its row is
updated every ``PROGRESS_INTERVAL`` seconds). Times are UTC. The database is ``DATABASE_URL``,
as for a crawl.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..storage.db import DatabaseError, database_url, open_database
from ..storage.progress import CrawlLine, crawl_overview

HEADER = ("SHOP", "CRAWL ID", "STATUS", "STARTED (UTC)", "FINISHED / UPDATED (UTC)", "ITEMS", "PAGES", "ERRORS")
NUMERIC = {"ITEMS", "PAGES", "ERRORS"}


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return "Show every shop's last crawl and the crawls running now"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        try:
            engine = open_database(database_url(self.settings))
        except DatabaseError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            lines = crawl_overview(engine)
        finally:
            engine.dispose()
        print(format_status(lines) if lines else "no crawls stored yet")


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _ago(value: datetime, now: datetime) -> str:
    seconds = max(0, round((now - value).total_seconds()))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"


def status_row(line: CrawlLine, now: datetime) -> tuple[str, ...]:
    if line.running:
        end = f"updated {_when(line.updated_at)} ({_ago(line.updated_at, now)})" if line.updated_at else "running"
    else:
        end = _when(line.finished_at)
    return (
        line.site,
        line.crawl_id,
        line.status,
        _when(line.started_at),
        end,
        str(line.items),
        str(line.pages),
        str(line.errors),
    )


def format_status(lines: Sequence[CrawlLine], now: datetime | None = None) -> str:
    """The crawls as an aligned table, a header line first."""
    now = now or datetime.now(UTC)
    rows = [HEADER, *(status_row(line, now) for line in lines)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    out = []
    for row in rows:
        cells = [
            cell.rjust(width) if name in NUMERIC else cell.ljust(width)
            for name, cell, width in zip(HEADER, row, widths, strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)
