"""Closing a crawl: its stats (merged across resumed parts, errors counted) and its verdict.

A crawl is ``finished`` only when it was clean: finish reason ``finished``, an error rate under
``max_error_rate`` and at least ``min_seen_share`` of the baseline crawl's products seen (the
last crawl that ran to its end without too many errors); otherwise it is ``partial`` and its
``status_note`` says why (:func:`crawl_problems`). A crawl that found no product at all is
``failed``, with why: the shop could not be reached, or nothing was found at its address
(:func:`failure_note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Crawl

CLOSED_OK = ("finished", "partial")  # crawls whose product count is a baseline


@dataclass(frozen=True)
class CrawlOutcome:
    status: str
    note: str | None
    seen: int
    removed: int
    changes: int
    unverified: int = 0


def failure_note(site: str, finish_reason: str, stats: dict[str, Any], seen: int) -> str | None:
    """Why a crawl that saw no product at all failed, in a shop owner's words; ``None`` when it saw some."""
    if seen or finish_reason != "finished":
        return None
    unreachable = stats.get(f"shop/{site}/unreachable")
    if unreachable:
        return str(unreachable)
    return f"no products found at {stats.get(f'shop/{site}/base_url') or site}"


def baseline_products(session: Session, site: str, crawl_id: str, max_error_rate: float) -> int | None:
    """Products seen by the last crawl that ran to its end without too many errors.

    A crawl closed early (closespider, shutdown, a spool loaded later) or failing too often
    saw few products for its own reasons: as the yardstick it would let the next short crawl
    pass as complete and mark everything it missed removed. A crawl that was partial only
    for seeing fewer products still counts, so a shop that really shrank is believed next time.
    """
    rows = session.execute(
        select(Crawl.items_count, Crawl.errors_count, Crawl.stats)
        .where(
            Crawl.site == site,
            Crawl.crawl_id != crawl_id,
            Crawl.status.in_(CLOSED_OK),
            Crawl.finish_reason == "finished",
        )
        .order_by(Crawl.started_at.desc())
    )
    for items_count, errors_count, stats in rows:
        responses = int((stats or {}).get("response_received_count", 0))
        if errors_count / max(responses, 1) <= max_error_rate:
            return items_count
    return None


def crawl_problems(
    finish_reason: str,
    stats: dict[str, Any],
    seen: int,
    previous: int | None,
    max_error_rate: float,
    min_seen_share: float,
) -> str:
    problems = []
    if finish_reason != "finished":
        problems.append(f"finish reason {finish_reason!r}")
    responses = int(stats.get("response_received_count", 0))
    errors = error_count(stats)
    rate = errors / max(responses, 1)
    if rate > max_error_rate:
        problems.append(f"error rate {rate:.1%} over {max_error_rate:.0%} ({errors} errors, {responses} responses)")
    if previous and seen < min_seen_share * previous:
        problems.append(f"saw {seen} products, under {min_seen_share:.0%} of the previous crawl's {previous}")
    return "; ".join(problems)


def error_count(stats: dict[str, Any]) -> int:
    """Errors of a crawl: ERROR log lines, or the pages that failed (logged as warnings) when more.

    A page that gave up retrying is both an ERROR line (the retry middleware's) and a failed page:
    the larger of the two counts it once, and still sees failures that log no error.
    """
    return max(int(stats.get("log_count/ERROR", 0)), int(stats.get("pages/failed", 0)))


def json_safe(stats: dict[str, Any]) -> dict[str, Any]:
    """Scrapy stats hold datetimes: as ISO strings they fit a JSON column."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}


def merge_stats(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The stats of a crawl that ran in parts (stopped, then resumed): counts add up, maxima stay
    maxima, the start is the first part's; anything else is the last part's."""
    if not before:
        return after
    merged = dict(after)
    for key, old in before.items():
        new = after.get(key)
        if key == "start_time":
            merged[key] = old
        elif isinstance(old, bool) or not isinstance(old, int | float):
            merged.setdefault(key, old)
        elif new is None:
            merged[key] = old
        elif isinstance(new, int | float) and not isinstance(new, bool):
            merged[key] = max(old, new) if key.endswith("max") or "max_" in key else old + new
    return merged
