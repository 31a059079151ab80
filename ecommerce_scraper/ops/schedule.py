"""Cron-scheduled crawls through Scrapyd: the crontab lines, and what each line runs.

Each shop with a ``schedule`` in ``config/sites.json`` gets one crontab line::

    0 3 * * * cd /project && /usr/bin/flock -n /tmp/ecommerce_scraper-knitshop.lock \\
        /project/.venv/bin/python -m scrapy crontab --run knitshop >> /project/exports/cron.log 2>&1 \\
        # ecommerce_scraper:knitshop

``scrapy crontab --run SITE`` (:func:`schedule_shop`) asks Scrapyd, with the URL and credentials
of the env file, whether the shop already has a pending or running job; if it has, nothing is
started (a crawl slower than its schedule never runs twice at once); else it schedules one.
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
from requests import RequestException
from scrapyd_client.exceptions import ErrorResponse, MalformedResponse
from scrapyd_client.pyclient import ScrapydClient

from ..config import SiteConfig
from . import DEFAULT_SCRAPYD_URL, PROJECT_DIR, PROJECT_NAME, OpsError

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


def schedule_shop(site: str, env: Mapping[str, str]) -> str:
    """Schedule a crawl of ``site`` in Scrapyd unless one is pending or running; says what it did."""
    url = (env.get("SCRAPYD_URL") or DEFAULT_SCRAPYD_URL).rstrip("/")
    client = ScrapydClient(url, env.get("SCRAPYD_USERNAME") or None, env.get("SCRAPYD_PASSWORD") or None)
    try:
        jobs = client.jobs(PROJECT_NAME)
        for state in ("running", "pending"):
            busy = [job for job in jobs.get(state, []) if job.get("spider") == site]
            if busy:
                return f"{site}: job {busy[0]['id']} is still {state}; not started again"
        job_id = client.schedule(PROJECT_NAME, site)
    except (ErrorResponse, MalformedResponse, RequestException) as exc:
        raise OpsError(f"Scrapyd at {url} did not take the job: {_first_line(exc)}") from None
    return f"{site}: scheduled job {job_id}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
