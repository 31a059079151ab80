"""Cron-scheduled crawls through Scrapyd: the crontab lines, and what each line runs.

Each shop with a ``schedule`` in ``config/sites.json`` gets one crontab line::

    0 3 * * * cd /project && /usr/bin/flock -n /tmp/ecommerce_scraper-knitshop.lock \\
        /project/.venv/bin/python -m scrapy crontab --run knitshop >> /project/exports/cron.log 2>&1 \\
        # ecommerce_scraper:knitshop

``scrapy crontab --run SITE`` (:func:`schedule_shop`) asks the Scrapyd nodes (``SCRAPYD_URLS`` or
``SCRAPYD_URL``, with the credentials of the env file) whether the shop already has a pending or
running job on any of them; if it has, nothing is started (a crawl slower than its schedule never
runs twice at once); else it schedules one on the least busy node (:mod:`.distribute`, the
choice ``scrapy schedule`` makes) and prints ``<site> <node> <jobid>``.
``flock`` keeps two cron runs of the same line from asking at the same moment. Credentials are
never in the line: only the env file's path is.

The lines are a block of python-crontab jobs marked with ``# ecommerce_scraper:<site>``
comments: installing replaces that block and leaves every other line of the crontab alone.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from crontab import CronTab

from ..config import SiteConfig
from . import PROJECT_DIR, PROJECT_NAME
from .distribute import schedule_sites
from .nodes import Node

MARKER = f"{PROJECT_NAME}:"
LOCK_DIR = Path("/tmp")  # noqa: S108 - lock files only, named for the project and shop


def command_line(site: str, *, env_file: Path | None = None, python: str | None = None) -> str:
    """The shell command a crontab line runs for ``site`` (no credentials in it)."""
    python = python or sys.executable
    run = [python, "-m", "scrapy", "crontab", "--run", site]
    if env_file is not None:
        run += ["--env-file", str(env_file)]
    flock = shutil.which("flock")
    guarded = ([flock, "-n", str(LOCK_DIR / f"{PROJECT_NAME}-{site}.lock")] if flock else []) + run
    log = Path(os.environ.get("EXPORTS_DIR") or PROJECT_DIR / "exports").resolve() / "cron.log"
    return f"cd {shlex.quote(str(PROJECT_DIR))} && {shlex.join(guarded)} >> {shlex.quote(str(log))} 2>&1"


def cron_jobs(tab: CronTab, sites: Mapping[str, SiteConfig], **options: Any) -> int:
    """Replace this project's block in ``tab`` with one job per scheduled shop; returns how many."""
    tab.remove_all(comment=re.compile(rf"^{re.escape(MARKER)}"))
    added = 0
    for name, site in sorted(sites.items()):
        if site.schedule is None:
            continue
        job = tab.new(command=command_line(name, **options), comment=f"{MARKER}{name}")
        job.setall(site.schedule)
        added += 1
    return added


def schedule_shop(site: str, env: Mapping[str, str], database: str, *, progress_interval: float = 30) -> str:
    """Schedule a crawl of ``site`` on a node unless one is pending or running on any node
    (the choice of ``scrapy schedule``, :mod:`.distribute`); returns its contract line."""
    warnings: list[str] = []
    try:
        (placed,) = schedule_sites(
            [site], Node.all_from(env), database, progress_interval=progress_interval, warn=warnings.append
        )
    finally:
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    return placed.line()
