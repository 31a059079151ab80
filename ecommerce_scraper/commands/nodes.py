"""``scrapy nodes``: each Scrapyd node, whether it answers, what it runs, its last error.

One line per node (``SCRAPYD_URLS``, or ``SCRAPYD_URL``; credentials and ``DATABASE_URL`` from
the environment or ``--env-file``, default config/scrapyd.env): reachable, the project version
deployed (the newest egg), pending / running / finished jobs (every project, as
``daemonstatus.json`` counts them), and the last error: why it does not answer, else the newest
crawl run there (by its Scrapyd job id) that ended ``failed`` or ``aborted``, from the database.
Exit status 1 when no node answers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..ops import OpsError, operator_environment
from ..ops.nodes import Node, NodeError
from ..storage.db import DatabaseError, database_url, open_database
from ..storage.models import Crawl

HEADER = ("NODE", "REACHABLE", "VERSION", "PENDING", "RUNNING", "FINISHED", "LAST ERROR")
ERROR_STATUSES = ("failed", "aborted")


@dataclass
class NodeReport:
    url: str
    reachable: bool
    version: str = "—"
    pending: int = 0
    running: int = 0
    finished: int = 0
    last_error: str = "—"
    job_ids: tuple[str, ...] = ()

    def row(self) -> tuple[str, ...]:
        counts = (str(self.pending), str(self.running), str(self.finished)) if self.reachable else ("—",) * 3
        return (self.url, "yes" if self.reachable else "no", self.version, *counts, self.last_error)


def report_of(node: Node) -> NodeReport:
    """What one node says about itself and the project."""
    try:
        status = node.daemonstatus()
    except NodeError as exc:
        return NodeReport(node.url, False, last_error=f"{exc}")
    report = NodeReport(
        node.url,
        True,
        pending=int(status.get("pending", 0) or 0),
        running=int(status.get("running", 0) or 0),
        finished=int(status.get("finished", 0) or 0),
    )
    try:
        versions = node.versions()
        jobs = node.jobs()
    except NodeError as exc:
        report.last_error = f"{exc}"
        return report
    report.version = versions[-1] if versions else "not deployed"
    report.job_ids = tuple(str(job.get("id")) for state in jobs.values() for job in state)
    return report


def add_crawl_errors(reports: Sequence[NodeReport], url: str) -> None:
    """Each answering node's newest ``failed`` / ``aborted`` crawl, found by its job ids."""
    engine = open_database(url)
    try:
        with Session(engine) as session:
            for report in reports:
                if not report.reachable or not report.job_ids or report.last_error != "—":
                    continue
                crawl = session.scalars(
                    select(Crawl)
                    .where(Crawl.job_id.in_(report.job_ids), Crawl.status.in_(ERROR_STATUSES))
                    .order_by(Crawl.started_at.desc())
                    .limit(1)
                ).first()
                if crawl is not None:
                    note = f": {crawl.status_note}" if crawl.status_note else ""
                    report.last_error = f"{crawl.site} crawl {crawl.crawl_id} {crawl.status}{note}"
    finally:
        engine.dispose()


def format_nodes(reports: Sequence[NodeReport]) -> str:
    rows = [HEADER, *(report.row() for report in reports)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    )


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[--env-file FILE]"

    def short_desc(self) -> str:
        return "Show each Scrapyd node: reachable, version deployed, jobs, last error"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--env-file", type=Path, help="nodes, credentials, database (default config/scrapyd.env)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            env = operator_environment(path=opts.env_file)
            reports = [report_of(node) for node in Node.all_from(env)]
        except OpsError as exc:
            print(f"scrapy nodes: error: {exc}", file=sys.stderr, flush=True)
            self.exitcode = 1
            return
        try:
            add_crawl_errors(reports, database_url(env))
        except DatabaseError as exc:
            print(f"warning: crawl errors not shown: {exc}", file=sys.stderr, flush=True)
        print(format_nodes(reports), flush=True)
        if not any(report.reachable for report in reports):
            self.exitcode = 1
