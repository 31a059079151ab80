"""The end-of-crawl HTML report and the exports' index page, written from the database.

::

    exports/<site>/<crawl_id>/report.html   one crawl: figures, biggest price moves, new and
                                            removed products, changes by type, two charts
    exports/index.html                      every shop's last crawl, with links

Each page is one self-contained file: inline CSS, charts as inline SVG drawn here, no script,
no external font, image or stylesheet, so it opens offline and prints. A Content-Security-Policy
``<meta>`` forbids every external resource and every script besides.

Decisions:

- Scraped text is untrusted. Templates autoescape everything; the charts' SVG
  (:mod:`.report_charts`) is built with :class:`markupsafe.Markup`, whose ``format`` escapes each
  argument. A URL becomes a link only when it is http(s) with a host
  (:func:`.report_text.safe_url`): never ``javascript:``, ``data:`` ...
- Memory stays flat with big catalogs: the crawl's products and changes are streamed once each
  (:mod:`.report_queries`); the tables keep bounded heaps (:mod:`.report_figures`).
- Money is ``Decimal`` throughout (figures as in ``master.xlsx``: :class:`.stored.ShopSummary`);
  only SVG coordinates are floats.
- Price change buckets and the product-count chart's crawls: :mod:`.report_figures`,
  :mod:`.report_queries`.
- Links to the crawl's files (diff.csv ...) are written only for files that exist when the
  report is written: write it after :func:`.tree.write_crawl_exports`. All links are relative,
  so a copy of the report in ``<site>/latest/`` works as well.

This module builds the pages; what they show is counted in :mod:`.report_figures` (read by
:mod:`.report_queries`), drawn in :mod:`.report_charts` and written out by :mod:`.report_text`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..monitors.health import crawl_health, crawl_is_suspect
from ..monitors.present import health_rows
from ..storage.models import Crawl
from ..storage.progress import CrawlLine, crawl_line
from .csvfile import atomic_open
from .report_across import AcrossShops
from .report_charts import histogram_svg, history_svg
from .report_figures import BUCKETS, ChangeFigures, Figures, HistoryPoint, Listed
from .report_queries import (
    collect_changes,
    collect_products,
    crawl_history,
    fill_listed,
    fill_removed,
    is_first_crawl,
)
from .report_text import count, duration, moment, money, percent, share
from .stored import LATEST, MASTER_NAME, crawl_dir, crawl_row, file_names, has_sightings

REPORT_NAME = "report.html"
INDEX_NAME = "index.html"

#: Non-finished statuses, in words.
STATUS_EXPLAINED: dict[str, str] = {
    "running": "This crawl has not closed (it is still running, or was stopped without closing): "
    "the figures are what it had stored when this report was written.",
    "partial": "This crawl is not trusted as complete: products it did not see were not marked removed, "
    "and latest/ still holds the previous finished crawl.",
    "failed": "This crawl failed: the figures cover only what it stored before failing; nothing was "
    "marked removed and latest/ was left as it was.",
    "cancelled": "This crawl was cancelled: the figures cover only what it stored; nothing was marked "
    "removed and latest/ was left as it was.",
    "aborted": "This crawl never finished (killed or crashed): the figures cover only what it stored; "
    "nothing was marked removed and latest/ was left as it was.",
}
#: status -> the badge's tone.
STATUS_TONES: dict[str, str] = {
    "finished": "ok",
    "running": "info",
    "partial": "warn",
    "failed": "bad",
    "cancelled": "warn",  # stopped on request: resumable, not an error
    "aborted": "bad",
}


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("ecommerce_scraper.exports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(money=money, percent=percent, count=count, moment=moment, share=share)
    return environment


def _write(path: Path, html: str) -> Path:
    with atomic_open(path) as handle:
        handle.write(html.encode("utf-8"))
    return path


def _previous_finished(points: Sequence[HistoryPoint]) -> HistoryPoint | None:
    before = [point for point in points if not point.current and point.status == "finished"]
    return before[-1] if before else None


def listed_products(changes: ChangeFigures) -> dict[str, list[Listed]]:
    """product id -> the report's rows of it (movers and new products), whose price, currency
    and availability the crawl's products fill (:class:`.report_queries.ProductCount`)."""
    wanted: dict[str, list[Listed]] = {}
    for row in (*changes.drops.items(), *changes.rises.items(), *changes.new.items()):
        wanted.setdefault(row.product_id, []).append(row)
    return wanted


def report_context(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    site: str,
    crawl_id: str,
    counted: tuple[ChangeFigures, Figures] | None = None,
) -> dict[str, Any]:
    """Everything report.html shows (streams the crawl's changes, then its products, unless
    ``counted`` brings them: counted in the passes that wrote the crawl's files; then only the
    listed products' states are read)."""
    crawl = crawl_row(engine, site, crawl_id)
    if crawl.items_count and not has_sightings(engine, site, crawl_id):
        # Stored before sightings existed (revision 0002): "0 products" would be a lie.
        raise LookupError(f"crawl {crawl_id!r} of {site!r} has no stored product list: no report")
    if counted is None:
        changes = collect_changes(engine, site, crawl_id)
        figures = collect_products(engine, site, crawl_id, listed_products(changes))
    else:
        changes, figures = counted
        fill_listed(engine, site, crawl_id, listed_products(changes))
    drops, rises = changes.drops.items(), changes.rises.items()
    new, removed = changes.new.items(), changes.removed.items()
    fill_removed(engine, site, removed)
    history = crawl_history(engine, crawl, figures.summary.products)
    previous = _previous_finished(history)
    folder = crawl_dir(exports_dir, site, crawl_id)
    files = [{"name": name, "kind": kind} for kind, name in file_names(site).items() if (folder / name).exists()]
    summary = figures.summary
    return {
        "crawl": crawl,
        "site": site,
        "status": crawl.status,
        "status_tone": STATUS_TONES.get(crawl.status, "bad"),
        "status_explained": STATUS_EXPLAINED.get(crawl.status, ""),
        "finished": crawl.status == "finished",
        "shop_moved": (crawl.stats or {}).get("shop_moved"),
        "responses": int((crawl.stats or {}).get("response_received_count") or 0),
        "duration": duration(crawl.started_at, crawl.finished_at),
        "first_crawl": is_first_crawl(engine, crawl),
        "figures": figures,
        "summary": summary,
        "currency": summary.currency,
        "currencies": sorted(summary.currencies),
        "previous": previous,
        "products_delta": summary.products - previous.products if previous else None,
        "changes": changes,
        "change_rows": changes.type_rows(),
        "drops": drops,
        "rises": rises,
        "new": new,
        "removed": removed,
        "histogram": histogram_svg(changes.buckets),
        "history": history_svg(history),
        "history_points": history,
        "buckets": [(span, value) for (_, span), value in zip(BUCKETS, changes.buckets, strict=True)],
        "files": files,
        "diff_csv": file_names(site)["diff_csv"],
        "has_diff": (folder / file_names(site)["diff_csv"]).exists(),
        "generated_at": datetime.now(UTC),
        "suspect": crawl_is_suspect(crawl),  # the crawl health monitors (ecommerce_scraper.monitors)
        "health_rows": health_rows(crawl),
        "health_baseline": (crawl_health(crawl) or {}).get("baseline"),
    }


def write_report(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    site: str,
    crawl_id: str,
    counted: tuple[ChangeFigures, Figures] | None = None,
) -> Path:
    """Write ``exports/<site>/<crawl_id>/report.html`` (atomically) and return its path
    (``counted``: the crawl's changes and products counted already, see :func:`report_context`).

    ``LookupError`` when the crawl is not stored, or has no product list (stored before sightings).
    """
    context = report_context(engine, exports_dir, site, crawl_id, counted)
    html = _templates().get_template(REPORT_NAME).render(context)
    return _write(crawl_dir(exports_dir, site, crawl_id) / REPORT_NAME, html)


@dataclass
class ShopEntry:
    site: str
    crawl: Any
    finished: Any | None
    latest_href: str | None
    latest_label: str
    report_href: str | None
    tone: str
    #: a running crawl's progress so far (storage/progress.py), else None
    progress: CrawlLine | None = None


def _shop_entries(engine: Engine, exports: Path) -> list[ShopEntry]:
    with Session(engine) as session:
        crawls = session.execute(select(Crawl).order_by(Crawl.site, Crawl.started_at.desc(), Crawl.id.desc())).scalars()
        last: dict[str, Any] = {}
        last_finished: dict[str, Any] = {}
        for crawl in crawls:
            last.setdefault(crawl.site, crawl)
            if crawl.status == "finished":
                last_finished.setdefault(crawl.site, crawl)
        session.expunge_all()
    entries = []
    for site in sorted(last):
        crawl = last[site]
        latest = exports / site / LATEST
        if (latest / REPORT_NAME).is_file():
            latest_href, latest_label = f"{site}/{LATEST}/{REPORT_NAME}", "Latest report"
        elif latest.is_dir():
            latest_href, latest_label = f"{site}/{LATEST}/", "Latest files"
        else:
            latest_href, latest_label = None, ""
        own = crawl_dir(exports, site, crawl.crawl_id)
        if (own / REPORT_NAME).is_file():
            report_href: str | None = f"{site}/{crawl.crawl_id}/{REPORT_NAME}"
        elif own.is_dir():
            report_href = f"{site}/{crawl.crawl_id}/"
        else:
            report_href = None
        finished = last_finished.get(site)
        entries.append(
            ShopEntry(
                site=site,
                crawl=crawl,
                finished=finished if finished is not None and finished is not crawl else None,
                latest_href=latest_href,
                latest_label=latest_label,
                report_href=report_href,
                tone=STATUS_TONES.get(crawl.status, "bad"),
                progress=crawl_line(crawl) if crawl.status == "running" else None,
            )
        )
    return entries


def write_index(engine: Engine, exports_dir: str | os.PathLike[str], across: AcrossShops | None = None) -> Path:
    """Write ``exports/index.html``: every shop's last crawl (status, time, products, changes)
    with links to ``<site>/latest/report.html``, the last crawl's own report and ``master.xlsx``;
    and the "Across shops" panel when products are matched (``across``: :mod:`.report_across`)."""
    exports = Path(exports_dir)
    entries = _shop_entries(engine, exports)
    html = (
        _templates()
        .get_template(INDEX_NAME)
        .render(
            shops=entries,
            master=MASTER_NAME if (exports / MASTER_NAME).is_file() else None,
            generated_at=datetime.now(UTC),
            attention=sum(1 for entry in entries if entry.crawl.status not in ("finished", "running")),
            running=sum(1 for entry in entries if entry.progress is not None),
            duration=duration,
            across=across if across is not None and across.matched else None,
        )
    )
    return _write(exports / INDEX_NAME, html)


__all__ = [
    "INDEX_NAME",
    "REPORT_NAME",
    "write_index",
    "write_report",
]
