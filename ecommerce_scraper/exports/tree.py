"""The export tree (``../shared/DESIGN.md``, "Exports"), written from the database.

::

    exports/<site>/<crawl_id>/full.csv, seo.csv, diff.csv, <site>.xlsx, report.html
    exports/<site>/latest/        copies of the newest finished crawl's files
    exports/master.xlsx           Summary + one sheet per shop + All changes (+ Proxies)
    exports/proxy_stats.csv       per proxy, each shop's last crawl (when proxies were used)
    exports/compare.csv           the same product across shops (issue 15), with master.xlsx
    exports/index.html            every shop's last crawl, linking its reports and master.xlsx

A crawl's products are its sightings (``crawl_products``): for each, the snapshot with the
fingerprint the crawl saw, or the ``products`` row while it still has that fingerprint. So any
stored crawl can be written again, later, with the same rows. Rows are streamed from the
database: memory does not grow with the catalog.

Every file is atomic (:func:`.csvfile.atomic_open`) and recorded in the ``exports`` table
(kind, path, rows, sha256). ``latest/`` is switched only for a ``finished`` crawl that is the
shop's newest finished one, after all its files are complete: the copies are written into a
temporary folder that then takes ``latest/``'s place in one rename (an exchange on Linux).
A partial, failed or cancelled crawl keeps its files in its own folder only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import logging
import os
import secrets
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..matching.position import PricePosition, price_position
from ..monitors.present import health_label
from ..storage.models import Crawl, Export
from .columns import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    MASTER_CHANGES_COLUMNS,
    PROXY_COLUMNS,
    SEO_COLUMNS,
    SUMMARY_COLUMNS,
    VARIANT_COLUMNS,
    Column,
    change_direction,
    variant_rows,
)
from .compare_export import (
    Comparison,
    OwnShop,
    compare_sheet_columns,
    compare_sheet_notes,
    compare_sheet_rows,
    write_compare,
)
from .csvbatch import batches
from .csvfile import CSV_ENCODING, CsvRowWriter, atomic_open, write_csv
from .position_sheets import write_position_sheets
from .report import write_index, write_report
from .report_across import AcrossShops, across_shops
from .report_figures import ChangeFigures
from .report_queries import ProductCount
from .stored import (
    LATEST,
    MASTER_NAME,
    ShopSummary,
    change_counts,
    crawl_changes,
    crawl_dir,
    crawl_row,
    crawl_states,
    file_names,
    has_sightings,
    latest_finished_crawl,
)
from .xlsxfile import XlsxWriter

logger = logging.getLogger(__name__)

PROXY_STATS_NAME = "proxy_stats.csv"
#: The master workbook's All changes sheet stops here (the full lists are in each diff.csv).
MAX_MASTER_CHANGES = 100_000


# --- one crawl's files ----------------------------------------------------------------------


@dataclass
class _Written:
    kind: str
    path: Path
    rows: int = 0


def write_crawl_exports(engine: Engine, exports_dir: str | os.PathLike[str], site: str, crawl_id: str) -> list[Path]:
    """Write full.csv, seo.csv, diff.csv and ``<site>.xlsx`` of a stored crawl; switch ``latest/``
    to them when the crawl is the shop's newest finished one. Returns the crawl folder's files."""
    crawl = crawl_row(engine, site, crawl_id)
    if crawl.items_count and not has_sightings(engine, site, crawl_id):
        # Stored before sightings existed (revision 0002): empty files would pass for an empty shop.
        raise LookupError(f"crawl {crawl_id!r} of {site!r} has no stored product list: it can't be exported")
    folder = crawl_dir(exports_dir, site, crawl_id)
    names = file_names(site)
    written = {kind: _Written(kind, folder / name) for kind, name in names.items()}
    with ExitStack() as stack:
        full = _csv_writer(stack, written["full_csv"].path, FULL_COLUMNS)
        seo = _csv_writer(stack, written["seo_csv"].path, SEO_COLUMNS)
        diff = _csv_writer(stack, written["diff_csv"].path, DIFF_COLUMNS)
        book = stack.enter_context(XlsxWriter(written["xlsx"].path))
        products = book.add_sheet("Products", FULL_COLUMNS)
        variants = book.add_sheet("Variants", VARIANT_COLUMNS)
        changes = book.add_sheet("Changes", DIFF_COLUMNS, highlight=change_direction)
        # One pass over the crawl's products fills three files, one over its changes two more, and
        # both count what the report shows; the CSVs take them a batch at a time.
        product_count = ProductCount(site)
        for batch in batches(crawl_states(engine, site, crawl_id)):
            full.write_rows(batch)
            seo.write_rows(batch)
            for state in batch:
                products.append(state)
                variants.extend(variant_rows((state,)))
                product_count.add(state)
        change_figures = ChangeFigures()
        for batch in batches(crawl_changes(engine, site, crawl_id)):
            diff.write_rows(batch)
            for change in batch:
                changes.append(change)
                change_figures.add(change)
        written["full_csv"].rows = full.rows
        written["seo_csv"].rows = seo.rows
        written["diff_csv"].rows = diff.rows
        written["xlsx"].rows = products.rows
    # All files are complete here (the ExitStack renamed each into place); the report links them.
    counted = (change_figures, product_count.figures)
    written["report_html"] = _Written("report_html", write_report(engine, exports_dir, site, crawl_id, counted))
    _record(engine, site, crawl_id, written.values())
    if crawl.status == "finished" and latest_finished_crawl(engine, site) == crawl_id:
        switch_latest(Path(exports_dir) / site, [entry.path for entry in written.values()])
    else:
        logger.info("%s crawl %s is %s: latest/ left as it was", site, crawl_id, crawl.status)
    return [entry.path for entry in written.values()]


class _CsvStream:
    """A CSV file open for the length of an ExitStack (atomic: appears when the stack closes)."""

    def __init__(self, raw: io.BufferedIOBase, columns: tuple[Column, ...]) -> None:
        self.text = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
        self.writer = CsvRowWriter(self.text, columns)
        self.writer.write_header()

    def close(self) -> None:
        self.text.flush()
        self.text.detach()  # atomic_open owns (and closes) the binary file


def _csv_writer(stack: ExitStack, path: Path, columns: tuple[Column, ...]) -> CsvRowWriter:
    raw = stack.enter_context(atomic_open(path))
    stream = _CsvStream(raw, columns)
    # Registered after atomic_open: runs before it, so the text is flushed before the rename.
    stack.callback(stream.close)
    return stream.writer


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(engine: Engine, site: str | None, crawl_id: str | None, written: Any) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        for entry in written:
            session.add(
                Export(
                    site=site,
                    crawl_id=crawl_id,
                    kind=entry.kind,
                    path=str(entry.path),
                    rows=entry.rows,
                    checksum=sha256_of(entry.path),
                    created_at=now,
                )
            )


# --- latest/ --------------------------------------------------------------------------------


def switch_latest(site_dir: Path, files: list[Path]) -> Path:
    """Make ``site_dir/latest`` hold copies of ``files``, all at once.

    The copies go into a temporary folder next to it, which then replaces ``latest/`` by an
    atomic exchange (Linux ``renameat2``); elsewhere by two renames in quick succession.
    """
    latest = site_dir / LATEST
    staging = site_dir / f".{LATEST}-{secrets.token_hex(6)}"
    staging.mkdir(parents=True)
    try:
        for path in files:
            shutil.copy2(path, staging / path.name)
            with (staging / path.name).open("rb") as copied:
                os.fsync(copied.fileno())
        if not latest.exists():
            os.rename(staging, latest)
            return latest
        if not _exchange(staging, latest):
            retired = site_dir / f".{LATEST}-old-{secrets.token_hex(6)}"
            os.rename(latest, retired)
            os.rename(staging, latest)
            staging = retired
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after an exchange: the previous latest/
    return latest


_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False when unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), _RENAME_EXCHANGE)
    return result == 0


# --- master workbook ------------------------------------------------------------------------


#: Summary column -> the change type it counts.
_SUMMARY_CHANGE_TYPES: dict[str, str] = {
    "price_drops": "price_down",
    "price_rises": "price_up",
    "new": "new",
    "removed": "removed",
    "out_of_stock": "out_of_stock",
}


def _last_crawls(session: Session) -> dict[str, Any]:
    """site -> its newest crawl (any status)."""
    crawls: dict[str, Any] = {}
    for crawl in session.scalars(select(Crawl).order_by(Crawl.site, Crawl.started_at.desc(), Crawl.id.desc())):
        crawls.setdefault(crawl.site, crawl)
    for crawl in crawls.values():
        session.expunge(crawl)
    return crawls


def _write_comparison(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    matches_file: str | os.PathLike[str] | None,
    own: OwnShop | None,
    rematch: bool,
) -> tuple[Comparison | None, _Written | None]:
    """``compare.csv`` and the comparison the Compare sheet shows (``None`` on failure).

    A failure is logged once and gives neither: master.xlsx and index.html go on without them."""
    try:
        path, comparison, rows = write_compare(engine, exports_dir, matches_file, own, rematch=rematch)
    except Exception:
        logger.exception("could not match products across shops: compare.csv not written")
        return None, None
    return comparison, _Written("compare_csv", path, rows)


@dataclass
class _CompareSheets:
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    position: PricePosition | None


def _compare_sheets(comparison: Comparison | None) -> _CompareSheets | None:
    """The Compare sheet's columns and rows and the price position, made before the workbook opens
    (``None`` without a match group; a failure is logged and costs these sheets only)."""
    if comparison is None or not comparison.groups:
        return None
    try:
        sites, rows = compare_sheet_rows(comparison)
        own_site = comparison.own_site
        position = price_position(comparison.groups, comparison.states, own_site) if own_site is not None else None
        return _CompareSheets(compare_sheet_columns(sites, own_site), rows, position)
    except Exception:
        logger.exception("could not compare prices across shops: no Compare sheet")
        return None


def _across(comparison: Comparison | None, sheets: _CompareSheets | None) -> AcrossShops | None:
    """index.html's "Across shops" figures; a failure is logged and costs the panel only."""
    if comparison is None or not comparison.groups:
        return None
    try:
        return across_shops(comparison, sheets.position if sheets is not None else None)
    except Exception:
        logger.exception("could not compare prices across shops: no panel in index.html")
        return None


def _write_compare_sheets(book: XlsxWriter, sheets: _CompareSheets | None) -> None:
    """Compare; Position and Most expensive with an own shop."""
    if sheets is None:
        return
    book.sheet("Compare", sheets.columns, sheets.rows, notes=compare_sheet_notes(sheets.columns))
    if sheets.position is not None:
        write_position_sheets(book, sheets.position)


def write_master(
    engine: Engine,
    exports_dir: str | os.PathLike[str],
    matches_file: str | os.PathLike[str] | None = None,
    own: OwnShop | None = None,
    *,
    rematch: bool = False,
) -> Path:
    """``exports/master.xlsx``: Summary, one sheet per shop (its latest finished crawl's
    products), All changes (each shop's last crawl's changes), Compare (when products of two
    shops or more are matched; with ``own``, the user's shop, Position and Most expensive too);
    with ``exports/compare.csv`` before it (``matches_file``: the manual controls, default
    :func:`.compare_export.matches_path`; the stored groups brought up to date first, from scratch
    with ``rematch``), ``exports/index.html`` after."""
    path = Path(exports_dir) / MASTER_NAME
    comparison, compare_file = _write_comparison(engine, exports_dir, matches_file, own, rematch)
    compare_sheets = _compare_sheets(comparison)
    with Session(engine) as session:
        last = _last_crawls(session)
    sites = sorted(last)
    total_rows = 0
    with XlsxWriter(path) as book:
        summary_sheet = book.add_sheet("Summary", SUMMARY_COLUMNS)
        summaries = []
        for site in sites:
            summary = ShopSummary(site)
            finished = latest_finished_crawl(engine, site)
            shop_sheet = book.add_sheet(site, FULL_COLUMNS)
            if finished is not None:
                for state in crawl_states(engine, site, finished):
                    summary.add(state)
                    shop_sheet.append(state)
            summaries.append((summary, finished))
        changes_sheet = book.add_sheet("All changes", MASTER_CHANGES_COLUMNS, highlight=change_direction)
        for site in sites:
            for change in crawl_changes(engine, site, last[site].crawl_id):
                if changes_sheet.rows >= MAX_MASTER_CHANGES:
                    break
                changes_sheet.append(change)
        proxy_rows = [
            {"site": site, "crawl_id": last[site].crawl_id, **row}
            for site in sites
            for row in (last[site].stats or {}).get("proxies/table") or []
        ]
        if proxy_rows:
            book.sheet("Proxies", PROXY_COLUMNS, proxy_rows)
        _write_compare_sheets(book, compare_sheets)
        for summary, finished in summaries:
            crawl = last[summary.site]
            counts = change_counts(engine, summary.site, crawl.crawl_id)
            summary_sheet.append(
                {
                    **{column: counts.get(kind, 0) for column, kind in _SUMMARY_CHANGE_TYPES.items()},
                    "site": summary.site,
                    "products": summary.products,
                    "in_stock": summary.in_stock,
                    "on_sale": summary.on_sale,
                    "average_price": summary.average_price,
                    "currency": summary.currency,
                    "changes": crawl.changes_count,
                    "unverified": crawl.unverified_count,
                    "last_crawl": crawl.crawl_id,
                    "last_crawl_at": crawl.started_at,
                    "status": crawl.status,
                    "status_note": crawl.status_note,
                    "health": health_label(crawl),
                    "products_crawl": finished,
                }
            )
            total_rows += summary.products
    written = [_Written("master_xlsx", path, total_rows)]
    if compare_file is not None:
        written.append(compare_file)
    if proxy_rows:
        proxies_path = Path(exports_dir) / PROXY_STATS_NAME
        written.append(_Written("proxy_stats_csv", proxies_path, write_csv(proxies_path, PROXY_COLUMNS, proxy_rows)))
    _record(engine, None, None, written)
    # the page that links every shop's report and this workbook, with the comparison's panel
    write_index(engine, exports_dir, _across(comparison, compare_sheets))
    return path
