"""``scrapy export``: write the export files of stored crawls again, without crawling.

- ``scrapy export``: each shop's newest crawl (and its newest finished one, which ``latest/``
  shows, when that is another crawl), then ``master.xlsx`` and ``compare.csv`` (the same product
  across shops, with the controls of ``MATCHES_FILE`` / ``config/matches.csv``: the stored match
  groups brought up to date, incrementally; from scratch when the controls file or the matcher
  changed; and the price position of the own shop: ``OWN_CATALOG`` or ``own_site``).
- ``scrapy export --rematch``: the same, with every product matched again from scratch.
- ``scrapy export --site S``: the same for one shop; ``--crawl ID``: that crawl (of every shop
  that has it, or of ``--site``); ``--all``: every stored crawl.
- ``scrapy export --master``: only ``master.xlsx``, ``compare.csv`` (when products match) and
  ``index.html``, every shop's from the database: with several Scrapyd nodes, on whichever machine
  the user reads them (each node's crawls wrote their own files on that node).

The database is ``DATABASE_URL`` and the tree goes under ``EXPORTS_DIR``, as for a crawl.
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..exports.compare_export import matches_path, own_shop
from ..exports.tree import crawl_dir, latest_finished_crawl, write_crawl_exports, write_master
from ..storage.db import DatabaseError, database_url, open_database
from ..storage.models import Crawl


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[--site SITE] [--crawl CRAWL_ID | --all] | --master [--rematch]"

    def short_desc(self) -> str:
        return "Write the export files of stored crawls and the master workbook again"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="only this shop (spider name)")
        parser.add_argument("--crawl", help="only this crawl id")
        parser.add_argument("--all", action="store_true", help="every stored crawl, not only the newest")
        parser.add_argument(
            "--master", action="store_true", help="only master.xlsx, compare.csv and index.html (every shop)"
        )
        parser.add_argument(
            "--rematch", action="store_true", help="match the same product across shops again from scratch"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if opts.crawl and opts.all:
            raise UsageError("--crawl and --all exclude each other")
        if opts.master and (opts.site or opts.crawl or opts.all):
            raise UsageError("--master writes every shop's master files: no --site, --crawl or --all with it")
        exports_dir = self.settings.get("EXPORTS_DIR", "exports")
        try:
            engine = open_database(database_url(self.settings))
        except DatabaseError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            targets = [] if opts.master else crawls_to_export(engine, opts.site, opts.crawl, every=opts.all)
            if (opts.site or opts.crawl) and not targets:
                self.exitcode = 1
                print("no stored crawl matches")
                return
            for site, crawl_id in targets:
                try:
                    write_crawl_exports(engine, exports_dir, site, crawl_id)
                except LookupError as exc:  # a crawl stored before its product list was
                    print(f"{site} {crawl_id}: skipped, {exc}")
                    self.exitcode = 1
                    continue
                print(f"{site} {crawl_id}: {crawl_dir(exports_dir, site, crawl_id)}")
            master = write_master(
                engine, exports_dir, matches_path(self.settings), own_shop(self.settings), rematch=opts.rematch
            )
            print(f"master workbook: {master}")
        finally:
            engine.dispose()


def crawls_to_export(engine: Engine, site: str | None, crawl_id: str | None, *, every: bool) -> list[tuple[str, str]]:
    """(site, crawl_id) pairs in start order, so the newest finished crawl takes ``latest/`` last."""
    query = select(Crawl.site, Crawl.crawl_id).order_by(Crawl.started_at, Crawl.id)
    if site:
        query = query.where(Crawl.site == site)
    if crawl_id:
        query = query.where(Crawl.crawl_id == crawl_id)
    with Session(engine) as session:
        rows = [(row.site, row.crawl_id) for row in session.execute(query)]
    if every or crawl_id:
        return rows
    newest: dict[str, str] = {}
    for row_site, row_crawl in rows:
        newest[row_site] = row_crawl
    chosen = set(newest.items())
    for shop in newest:
        finished = latest_finished_crawl(engine, shop)
        if finished is not None:
            chosen.add((shop, finished))
    return [row for row in rows if row in chosen]
