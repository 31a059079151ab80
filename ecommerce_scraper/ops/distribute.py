"""Shops to Scrapyd nodes: ``scrapy schedule`` and the cron lines (``scrapy crontab --run``).

The shop is the unit of distribution: one job crawls one shop, and a shop has at most one job
pending or running over all nodes (which keeps its politeness true). For each shop:

1. already pending or running on a node that answers: skipped (``<site> skipped: <why>``);
2. its newest crawl is ``running`` in the database and recorded progress lately (within
   ``3 x PROGRESS_INTERVAL``) but no node that answers runs it (its node is unreachable, or a
   crawl started by hand): skipped, not guessed dead. A crawl whose process is gone stops
   updating, and the shop is scheduled again once that window has passed;
3. ``-s RESUME=true``: the node that holds the shop's stopped crawl's job folder (the node a
   crawl ran on is in its stats, ``jobs/node``, stored with the crawl; for a crawl that predates
   that, the node whose finished jobs list its Scrapyd job id). That node down: skipped;
4. otherwise the answering node with the fewest pending + running jobs (``daemonstatus.json``,
   every project), counting the jobs this run has just placed; ties go to the first listed. A
   node that refuses the job (down since, an error) is a warning, and the next node is tried; a
   node that took the request but gave no answer in time may have started the job: the shop is
   skipped, never tried on another node.

Every job gets the ``-a``/``-s`` values with ``{site}`` replaced by the shop's name, plus
``SCRAPYD_NODE`` (its node, recorded as ``jobs/node``) and, with several nodes, ``SCRAPYD_URLS``
(so the crawl refuses SQLite at start-up). With a PostgreSQL database, listing the jobs and
scheduling happen under one advisory lock (``pg_advisory_lock``, a fixed key): two runs at the
same moment never both see a shop idle and both start it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from ..storage.db import DatabaseError, mask_url, open_database
from ..storage.models import Crawl
from ..storage.progress import crawl_line
from . import OpsError
from .nodes import Node, NodeError, NodeUnsureError, check_shared_database

logger = logging.getLogger(__name__)

# Any fixed 64-bit key: every `scrapy schedule` of this project's database takes the same lock.
SCHEDULE_LOCK_KEY = int.from_bytes(b"ecomschd", "big")
#: The stat a crawl records its node under (set from ``SCRAPYD_NODE`` by ``jobs.CrawlJobs``).
NODE_STAT = "jobs/node"

Warn = Callable[[str], None]


@dataclass
class NodeLoad:
    """A node that answered, its jobs of the project and its pending + running count."""

    node: Node
    busy: int
    jobs: dict[str, list[dict[str, Any]]]

    def job_of(self, site: str) -> tuple[str, str] | None:
        """(state, job id) of ``site``'s pending or running job here."""
        for state in ("running", "pending"):
            for job in self.jobs.get(state, []):
                if job.get("spider") == site:
                    return state, str(job.get("id"))
        return None


@dataclass
class Placed:
    """What happened to one shop: scheduled (node, job) or skipped (why)."""

    site: str
    node: str | None = None
    job: str | None = None
    why: str | None = None
    failed: bool = False  # skipped for a fault (no node took it), not because it runs already

    @property
    def scheduled(self) -> bool:
        return self.job is not None

    def line(self) -> str:
        """The contract line: ``<site> <node> <jobid>`` or ``<site> skipped: <why>``."""
        return f"{self.site} {self.node} {self.job}" if self.scheduled else f"{self.site} skipped: {self.why}"


@dataclass
class JobOptions:
    """``-a`` spider arguments and ``-s`` settings for every job (``{site}`` not yet replaced)."""

    arguments: list[tuple[str, str]] = field(default_factory=list)
    settings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def resume(self) -> bool:
        values = [value for name, value in self.settings if name == "RESUME"]
        return bool(values) and values[-1].strip().lower() in ("1", "true", "yes", "on")

    def for_job(self, site: str, node: str, nodes: Sequence[str]) -> list[tuple[str, str]]:
        """schedule.json's fields for ``site`` on ``node``."""
        data = [(name, value.replace("{site}", site)) for name, value in self.arguments]
        settings = [(name, value.replace("{site}", site)) for name, value in self.settings]
        settings.append(("SCRAPYD_NODE", node))
        if len(nodes) > 1:
            settings.append(("SCRAPYD_URLS", " ".join(nodes)))
        return data + [("setting", f"{name}={value}") for name, value in settings]


def survey(nodes: Iterable[Node], warn: Warn) -> list[NodeLoad]:
    """The nodes that answer, with their load; each other one is a warning."""
    answering = []
    for node in nodes:
        try:
            status = node.daemonstatus()
            jobs = node.jobs()
        except NodeError as exc:
            warn(f"Scrapyd node {node.url} {exc}: skipped")
            continue
        busy = int(status.get("pending", 0) or 0) + int(status.get("running", 0) or 0)
        answering.append(NodeLoad(node, busy, jobs))
    return answering


def schedule_sites(
    sites: Sequence[str],
    nodes: Sequence[Node],
    database: str,
    options: JobOptions | None = None,
    *,
    progress_interval: float = 30,
    warn: Warn | None = None,
) -> list[Placed]:
    """Schedule each of ``sites`` on a node (module docstring); one :class:`Placed` each, in order.

    ``OpsError`` when no node answers, or several nodes would share a SQLite ``database``.
    """
    options = options or JobOptions()
    warn = warn or logger.warning
    urls = [node.url for node in nodes]
    check_shared_database(database, " ".join(urls))
    try:
        engine = open_database(database)
    except DatabaseError as exc:
        raise OpsError(str(exc)) from None
    try:
        with schedule_lock(engine):
            loads = survey(nodes, warn)
            if not loads:
                raise OpsError(f"no Scrapyd node answers ({', '.join(urls)}): nothing scheduled")
            recent = running_in_database(engine, sites, progress_interval)
            return [_place(site, loads, urls, engine, options, recent, warn) for site in sites]
    finally:
        engine.dispose()


def _place(
    site: str,
    loads: list[NodeLoad],
    urls: Sequence[str],
    engine: Engine,
    options: JobOptions,
    recent: Mapping[str, str],
    warn: Warn,
) -> Placed:
    for load in loads:
        busy = load.job_of(site)
        if busy is not None:
            return Placed(site, why=f"job {busy[1]} is still {busy[0]} on {load.node.url}")
    if site in recent:
        return Placed(site, why=recent[site])
    candidates = sorted(loads, key=lambda load: load.busy)  # stable: ties keep the listed order
    if options.resume:
        holder = resume_node(engine, site, loads, urls)
        if holder is not None:
            chosen = next((load for load in loads if load.node.url == holder), None)
            if chosen is None:
                return Placed(site, why=f"its stopped crawl's job folder is on {holder}, which does not answer")
            candidates = [chosen]
    for load in candidates:
        try:
            job = load.node.schedule(site, options.for_job(site, load.node.url, urls))
        except NodeUnsureError as exc:  # it may run there: another node now could crawl the shop twice
            warn(f"Scrapyd node {load.node.url} {exc}")
            why = f"{load.node.url} gave no answer in time; the job may have started there"
            return Placed(site, why=why, failed=True)
        except NodeError as exc:
            warn(f"Scrapyd node {load.node.url} {exc}: {site} tried elsewhere")
            continue
        load.busy += 1
        load.jobs.setdefault("pending", []).append({"spider": site, "id": job})
        return Placed(site, load.node.url, job)
    return Placed(site, why="no node took the job (see the warnings)", failed=True)


def running_in_database(engine: Engine, sites: Iterable[str], progress_interval: float) -> dict[str, str]:
    """Shops whose newest crawl is ``running`` and updated its progress lately: site -> why."""
    if progress_interval <= 0:
        return {}
    now = datetime.now(UTC)
    window = timedelta(seconds=3 * progress_interval)
    found: dict[str, str] = {}
    with Session(engine) as session:
        for site in sites:
            crawl = session.scalars(
                select(Crawl).where(Crawl.site == site).order_by(Crawl.started_at.desc(), Crawl.id.desc()).limit(1)
            ).first()
            if crawl is None or crawl.status != "running":
                continue
            line = crawl_line(crawl)
            last = line.updated_at or line.started_at
            if last is not None and now - last < window:
                ago = round((now - last).total_seconds())
                found[site] = (
                    f"crawl {crawl.crawl_id} is running per the database (progress {ago} s ago) on no node that answers"
                )
    return found


def resume_node(engine: Engine, site: str, loads: Sequence[NodeLoad], urls: Sequence[str]) -> str | None:
    """The node holding ``site``'s stopped crawl's job folder; ``None`` when there is no such crawl
    (the crawl itself then starts anew, with a warning)."""
    with Session(engine) as session:
        crawl = session.scalars(
            select(Crawl).where(Crawl.site == site).order_by(Crawl.started_at.desc(), Crawl.id.desc()).limit(1)
        ).first()
    if crawl is None or crawl.status == "finished":
        return None
    node = (crawl.stats or {}).get(NODE_STAT)
    if isinstance(node, str) and node.rstrip("/") in urls:
        return node.rstrip("/")
    for load in loads:  # a crawl that did not record its node: its Scrapyd job id says
        if crawl.job_id and any(job.get("id") == crawl.job_id for job in load.jobs.get("finished", [])):
            return load.node.url
    return None


@contextmanager
def schedule_lock(engine: Engine) -> Iterator[None]:
    """Hold the scheduling advisory lock (PostgreSQL) for the block; nothing on SQLite, where
    several nodes are refused and one node's cron lines are serialized by ``flock``."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        try:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEDULE_LOCK_KEY})
            connection.commit()
        except Exception as exc:  # the server went away between connect and lock
            raise OpsError(f"could not take the scheduling lock in {mask_url(engine.url)}: {exc}") from None
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULE_LOCK_KEY})
            connection.commit()
