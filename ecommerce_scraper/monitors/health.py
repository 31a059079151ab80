"""A closing crawl's health: six monitors, judged against the shop's previous finished crawl.

A spider that quietly broke after a shop's redesign still "finishes": these monitors catch it.

=================  =====================================================  ==============================
monitor            fails when                                             setting (default)
=================  =====================================================  ==============================
``item_count``     products fell more than this share below the last      ``MONITORS_MAX_ITEM_DROP``
                   crawl that ran to its end (the removals' baseline)     (0.10)
``coverage/<f>``   the share of products with field ``f`` (price,         ``MONITORS_MAX_COVERAGE_DROP``
                   availability, name, sku, main_image) fell more than    (0.05: 5 points)
                   this many points below the previous finished crawl's
``error_rate``     errors per response over this                          ``MONITORS_MAX_ERROR_RATE`` (0.05)
``bans``           ban answers per response over this                     ``MONITORS_MAX_BAN_RATE`` (0.05)
``retries``        requests that gave up retrying (``retry/max_reached``)  ``MONITORS_MAX_GIVEN_UP_RATE``
                   per response over this                                 (0.01)
``finish_reason``  the finish reason is not one of these                  ``MONITORS_FINISH_REASONS``
                                                                          (``["finished"]``)
=================  =====================================================  ==============================

With no previous crawl to compare with (or one from before coverage was counted), the comparative
monitors (item count, coverage) pass with the note "no baseline". A suspect crawl is never the
coverage yardstick of the next (only a ``finished`` one is): a field the shop really stopped
showing keeps failing until the spider reads it again or ``MONITORS_MAX_COVERAGE_DROP`` is raised.

**Consequences.** The verdicts are judged inside the storage's close of the crawl
(:meth:`~ecommerce_scraper.storage.writer.CrawlWriter.finish` calls a :class:`HealthCheck`), in
the transaction that decides the crawl's status, *before* removals: a failed coverage or item-count
monitor makes the crawl *suspect*, hence ``partial`` (nothing is marked removed, ``latest/`` stays),
with the failures in its ``status_note``. Its changes are kept (they are what the pages showed)
but flagged: the report shows a banner and the health panel, master.xlsx's Summary a ``health``
column, and :func:`crawl_is_suspect` tells other components (alerts). The verdicts are stored in
``crawls.stats["monitors"]`` and published in the crawler's stats (``monitors/<site>``), where
the Spidermon suite (:mod:`.suite`) reports them when the engine stops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from scrapy.settings import BaseSettings
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..storage.closing import baseline_products, error_count
from ..storage.models import Crawl

#: Fields whose coverage is counted (:mod:`ecommerce_scraper.pipelines.coverage`) and watched.
COVERAGE_FIELDS: tuple[str, ...] = ("price", "availability", "name", "sku", "main_image")
#: Monitors whose failure makes a crawl suspect (partial, its changes flagged).
SUSPECT_MONITORS: tuple[str, ...] = ("item_count", *(f"coverage/{f}" for f in COVERAGE_FIELDS))
NO_BASELINE = "no baseline"
STATS_KEY = "monitors"  # crawls.stats key of a crawl's verdicts


@dataclass(frozen=True)
class Thresholds:
    max_item_drop: float = 0.10
    max_coverage_drop: float = 0.05
    max_error_rate: float = 0.05
    max_ban_rate: float = 0.05
    max_given_up_rate: float = 0.01
    finish_reasons: tuple[str, ...] = ("finished",)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Thresholds:
        return cls(
            max_item_drop=settings.getfloat("MONITORS_MAX_ITEM_DROP", cls.max_item_drop),
            max_coverage_drop=settings.getfloat("MONITORS_MAX_COVERAGE_DROP", cls.max_coverage_drop),
            max_error_rate=settings.getfloat("MONITORS_MAX_ERROR_RATE", cls.max_error_rate),
            max_ban_rate=settings.getfloat("MONITORS_MAX_BAN_RATE", cls.max_ban_rate),
            max_given_up_rate=settings.getfloat("MONITORS_MAX_GIVEN_UP_RATE", cls.max_given_up_rate),
            finish_reasons=tuple(settings.getlist("MONITORS_FINISH_REASONS", list(cls.finish_reasons))),
        )


@dataclass(frozen=True)
class Baseline:
    """A shop's yardsticks: the previous finished crawl (``crawl_id``) and its field coverage (shares,
    0..1); the products of the last crawl that ran to its end (``None``: none did)."""

    crawl_id: str | None
    items: int | None
    coverage: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    name: str
    passed: bool
    figures: dict[str, Any]
    note: str = ""


@dataclass(frozen=True)
class Health:
    verdicts: list[Verdict]
    baseline: str | None  # the previous finished crawl's id

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.passed]

    @property
    def suspect(self) -> bool:
        return any(v.name in SUSPECT_MONITORS for v in self.failed)

    def as_json(self) -> dict[str, Any]:
        return {
            "suspect": self.suspect,
            "baseline": self.baseline,
            "failed": [v.name for v in self.failed],
            "results": [asdict(v) for v in self.verdicts],
        }

    def suspicion(self) -> str | None:
        """The status note's part: why the crawl is suspect; ``None`` when it is not."""
        notes = [v.note for v in self.failed if v.name in SUSPECT_MONITORS]
        return f"suspect: {'; '.join(notes)}" if notes else None


# --- figures from stats -------------------------------------------------------------------------


def coverage_shares(site: str, stats: Mapping[str, Any]) -> dict[str, float]:
    """Field -> share of the shop's products with it, from the coverage counts; ``{}`` if none counted."""
    items = int(stats.get(f"coverage/{site}/items") or 0)
    if items <= 0:
        return {}
    return {f: round(int(stats.get(f"coverage/{site}/{f}") or 0) / items, 4) for f in COVERAGE_FIELDS}


def ban_count(stats: Mapping[str, Any]) -> int:
    """Ban answers: the rotating-proxies library's ``bans/...`` or the project's ``proxies/bans/...``."""
    library = sum(int(v) for k, v in stats.items() if k.startswith("bans/") and isinstance(v, int | float))
    own = sum(int(v) for k, v in stats.items() if k.startswith("proxies/bans/") and isinstance(v, int | float))
    return max(library, own)


def _pct(share: float) -> str:
    return f"{share:.1%}"


# --- the monitors -------------------------------------------------------------------------------


def evaluate(
    site: str,
    finish_reason: str,
    stats: Mapping[str, Any],
    seen: int,
    baseline: Baseline | None,
    thresholds: Thresholds | None = None,
) -> Health:
    """The six monitors' verdicts for one shop's crawl (pure: stats and the baseline in, verdicts out)."""
    t = thresholds or Thresholds()
    verdicts = [_item_count(seen, baseline, t)]
    current = coverage_shares(site, stats)
    for name in COVERAGE_FIELDS:
        verdicts.append(_coverage(name, current.get(name), baseline, t))
    responses = int(stats.get("response_received_count") or 0)
    errors = error_count(dict(stats))
    rate = errors / max(responses, 1)
    verdicts.append(
        Verdict(
            "error_rate",
            rate <= t.max_error_rate,
            {"errors": errors, "responses": responses, "rate": round(rate, 4), "max": t.max_error_rate},
            f"error rate {_pct(rate)} (max {_pct(t.max_error_rate)}; {errors} errors, {responses} responses)",
        )
    )
    bans = ban_count(stats)
    ban_rate = bans / max(responses, 1)
    verdicts.append(
        Verdict(
            "bans",
            ban_rate <= t.max_ban_rate,
            {"bans": bans, "responses": responses, "rate": round(ban_rate, 4), "max": t.max_ban_rate},
            f"{bans} bans, {_pct(ban_rate)} of {responses} responses (max {_pct(t.max_ban_rate)})",
        )
    )
    given_up = int(stats.get("retry/max_reached") or 0)
    given_up_rate = given_up / max(responses, 1)
    verdicts.append(
        Verdict(
            "retries",
            given_up_rate <= t.max_given_up_rate,
            {"given_up": given_up, "responses": responses, "rate": round(given_up_rate, 4), "max": t.max_given_up_rate},
            f"{given_up} requests gave up retrying, {_pct(given_up_rate)} (max {_pct(t.max_given_up_rate)})",
        )
    )
    verdicts.append(
        Verdict(
            "finish_reason",
            finish_reason in t.finish_reasons,
            {"finish_reason": finish_reason, "expected": list(t.finish_reasons)},
            f"finish reason {finish_reason!r}",
        )
    )
    return Health(verdicts, baseline.crawl_id if baseline else None)


def _item_count(seen: int, baseline: Baseline | None, t: Thresholds) -> Verdict:
    if baseline is None or baseline.items is None:
        return Verdict("item_count", True, {"items": seen, "previous": None}, NO_BASELINE)
    drop = (baseline.items - seen) / baseline.items if baseline.items else 0.0
    figures = {"items": seen, "previous": baseline.items, "drop": round(drop, 4), "max_drop": t.max_item_drop}
    note = f"{seen} products, {_pct(drop)} fewer than the previous complete crawl's {baseline.items}"
    if drop <= 0:
        note = f"{seen} products (previous complete crawl: {baseline.items})"
    return Verdict("item_count", drop <= t.max_item_drop, figures, note)


def _coverage(name: str, share: float | None, baseline: Baseline | None, t: Thresholds) -> Verdict:
    monitor = f"coverage/{name}"
    previous = baseline.coverage.get(name) if baseline else None
    figures = {"share": share, "previous": previous, "max_drop": t.max_coverage_drop}
    if previous is None:
        return Verdict(monitor, True, figures, NO_BASELINE)
    if share is None:  # nothing counted this time (no product): the item count monitor says so
        return Verdict(monitor, True, figures, "no products counted")
    drop = previous - share
    figures["drop"] = round(drop, 4)
    note = f"{name} on {_pct(share)} of products (previous finished crawl: {_pct(previous)})"
    return Verdict(monitor, drop <= t.max_coverage_drop + 1e-9, figures, note)


# --- the database -------------------------------------------------------------------------------


def load_baseline(session: Session, site: str, crawl_id: str, max_error_rate: float = 0.05) -> Baseline | None:
    """The yardsticks of a shop's crawl; ``None`` when it has none.

    Products: the closing rule's baseline (:func:`~ecommerce_scraper.storage.closing.baseline_products`:
    the last crawl that ran to its end without too many errors), so that the item count monitor
    and the removals agree, and a shop that really shrank is believed the next time. Coverage: the
    last ``finished`` crawl (a partial one, a suspect one above all, is no yardstick for extraction).
    """
    items = baseline_products(session, site, crawl_id, max_error_rate)
    row = session.execute(
        select(Crawl.crawl_id, Crawl.stats)
        .where(Crawl.site == site, Crawl.crawl_id != crawl_id, Crawl.status == "finished")
        .order_by(Crawl.started_at.desc(), Crawl.id.desc())
        .limit(1)
    ).first()
    if row is None and items is None:
        return None
    stats = (row.stats if row is not None else None) or {}
    coverage = {f: float(stats[f"coverage/{f}"]) for f in COVERAGE_FIELDS if stats.get(f"coverage/{f}") is not None}
    return Baseline(row.crawl_id if row is not None else None, items, coverage)


class HealthCheck:
    """What the crawl writer calls while closing one shop's crawl (see the module docstring).

    Called with the writer's session, the crawl's merged stats and the products it stored;
    returns the stats to add to the crawl's row (``coverage/<field>`` shares and ``monitors``) and
    the suspicion for its status note (``None``: not suspect). ``health`` keeps the verdicts.
    """

    def __init__(
        self, site: str, crawl_id: str, finish_reason: str, thresholds: Thresholds, max_error_rate: float = 0.05
    ) -> None:
        self.max_error_rate = max_error_rate  # REMOVALS_MAX_ERROR_RATE: which crawls are a products baseline
        self.site = site
        self.crawl_id = crawl_id
        self.finish_reason = finish_reason
        self.thresholds = thresholds
        self.health: Health | None = None

    def __call__(self, session: Session, stats: dict[str, Any], seen: int) -> tuple[dict[str, Any], str | None]:
        baseline = load_baseline(session, self.site, self.crawl_id, self.max_error_rate)
        self.health = evaluate(self.site, self.finish_reason, stats, seen, baseline, self.thresholds)
        shares = {f"coverage/{f}": share for f, share in coverage_shares(self.site, stats).items()}
        return {**shares, STATS_KEY: self.health.as_json()}, self.health.suspicion()


def crawl_is_suspect(crawl_row: Any) -> bool:
    """True when the crawl's coverage or item-count monitor failed (its changes are not to be trusted).

    ``crawl_row``: a ``crawls`` row (ORM object or result row with ``stats``) or its stats dict.
    """
    monitors = _stats_of(crawl_row).get(STATS_KEY) or {}
    return bool(monitors.get("suspect"))


def crawl_health(crawl_row: Any) -> dict[str, Any] | None:
    """The stored verdicts of a crawl (``crawls.stats["monitors"]``), or ``None`` (never judged)."""
    monitors = _stats_of(crawl_row).get(STATS_KEY)
    return monitors if isinstance(monitors, dict) else None


def _stats_of(crawl_row: Any) -> Mapping[str, Any]:
    if isinstance(crawl_row, Mapping):
        return (crawl_row.get("stats") or {}) if "stats" in crawl_row else crawl_row
    return getattr(crawl_row, "stats", None) or {}
