"""Job folders: every crawl gets its own ``JOBDIR``, and a crawl stopped cleanly resumes from it.

::

    <JOBS_DIR>/<spider>/<crawl_id>/      JOBS_DIR defaults to <EXPORTS_DIR>/jobs
        crawl.json                       {"spider", "crawl_id", "state", "pid", "started_at"}
        requests.queue/ requests.seen spider.state     (Scrapy's own)

The folder is chosen when the crawl starts (:func:`choose_job`, from the project add-on,
``addon.py``, before Scrapy reads ``JOBDIR``; merely building a crawler chooses nothing):

- ``-s JOBDIR=path``: that folder. Its ``crawl.json``, when there is one, names the crawl to go on
  with; without one, a new crawl starts there.
- ``-s RESUME=true``: the shop's newest folder whose crawl stopped cleanly (``state: stopped``).
  A folder whose crawl was killed (``state: running``, its process gone) is not resumable —
  Scrapy saves its queue only on a clean stop — so it is removed with a warning, and a new crawl
  starts; the database is consistent either way (every batch is one transaction) and the new
  crawl marks the killed one ``aborted``. Nothing to resume: a new crawl, with a warning.
- Otherwise: a new folder for a new crawl id, so a scheduled run never inherits an old
  ``requests.seen``.

``state`` moves ``running`` → ``stopped`` (closed for any reason but ``finished``: Ctrl-C,
SIGTERM, a Scrapyd cancel, a ``CLOSESPIDER_*`` limit) or ``finished``, whose folder is deleted
once the engine has stopped (nothing to resume). See :class:`CrawlJobs`.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

JOB_FILE = "crawl.json"


def new_crawl_id() -> str:
    """Sortable and readable, unique even for two crawls started in the same second."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


@dataclass
class Job:
    spider: str
    crawl_id: str
    state: str  # running, stopped, finished
    pid: int
    started_at: str

    @classmethod
    def read(cls, folder: Path) -> Job | None:
        try:
            data = json.loads((folder / JOB_FILE).read_text(encoding="utf-8"))
            return cls(**{key: data[key] for key in ("spider", "crawl_id", "state", "pid", "started_at")})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{JOB_FILE}.{secrets.token_hex(4)}"
        temporary.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        os.replace(temporary, folder / JOB_FILE)


def jobs_dir(settings: BaseSettings) -> Path:
    explicit = settings.get("JOBS_DIR")
    return Path(explicit) if explicit else Path(settings.get("EXPORTS_DIR", "exports")) / "jobs"


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def choose_job(settings: BaseSettings, spider: str) -> None:
    """Set ``JOBDIR`` and ``CRAWL_ID`` (priority "spider": the command line still wins)."""
    if not settings.getbool("JOBS_ENABLED", True):
        settings.set("CRAWL_ID", new_crawl_id(), priority="spider")
        return
    if settings.get("JOBDIR"):
        folder = Path(settings["JOBDIR"])
        job = _usable(folder, spider)
        settings.set("CRAWL_ID", job.crawl_id if job is not None else new_crawl_id(), priority="spider")
        return
    folder = None
    if settings.getbool("RESUME"):
        folder = _resumable(jobs_dir(settings) / spider, spider)
    job = Job.read(folder) if folder is not None else None
    if folder is None or job is None:
        crawl_id = new_crawl_id()
        folder = jobs_dir(settings) / spider / crawl_id
    else:
        crawl_id = job.crawl_id
        logger.info("%s: resuming crawl %s from %s", spider, crawl_id, folder)
    settings.set("JOBDIR", str(folder), priority="spider")
    settings.set("CRAWL_ID", crawl_id, priority="spider")


def _usable(folder: Path, spider: str) -> Job | None:
    """The stopped crawl ``folder`` holds, to go on with; ``None`` for a new crawl (a killed
    crawl's folder is removed first: nothing in it can be trusted)."""
    job = Job.read(folder)
    if job is None or job.state == "finished":
        return None
    if job.state == "stopped":
        return job
    if process_alive(job.pid) and job.pid != os.getpid():
        raise UsageError(f"{folder}: crawl {job.crawl_id} is still running (pid {job.pid})", print_help=False)
    shutil.rmtree(folder, ignore_errors=True)
    logger.warning(
        "%s: crawl %s was killed, and a killed crawl's queue can't be resumed (Scrapy saves it on a clean stop "
        "only): starting a new crawl, which marks the killed one aborted",
        spider,
        job.crawl_id,
    )
    return None


def _resumable(shop_jobs: Path, spider: str) -> Path | None:
    """The newest job folder of ``spider`` whose crawl stopped cleanly, if the newest is one."""
    candidates = shop_jobs.iterdir() if shop_jobs.is_dir() else iter(())
    # Crawl ids sort by start time: newest first.
    for folder in sorted((p for p in candidates if (p / JOB_FILE).is_file()), reverse=True):
        job = Job.read(folder)
        if job is None or job.state == "finished":
            continue
        return folder if _usable(folder, spider) is not None else None
    logger.warning("%s: no stopped crawl to resume in %s: starting a new crawl", spider, shop_jobs)
    return None


class CrawlJobs:
    """Keeps ``crawl.json`` of the crawl's job folder current (the extension ``EXTENSIONS`` lists)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.folder = Path(crawler.settings["JOBDIR"]) if crawler.settings.get("JOBDIR") else None
        self.job: Job | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlJobs:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        node = self.crawler.settings.get("SCRAPYD_NODE")
        if node:  # stored with the crawl: `scrapy schedule -s RESUME=true` goes back to this node
            self.crawler.stats.set_value("jobs/node", node)
        if self.folder is None:
            return
        previous = Job.read(self.folder)
        started = previous.started_at if previous is not None else datetime.now(UTC).isoformat(timespec="seconds")
        crawl_id = getattr(spider, "crawl_id", None) or self.crawler.settings.get("CRAWL_ID")
        self.job = Job(spider.name, crawl_id, "running", os.getpid(), started)
        self.job.write(self.folder)
        if previous is not None and previous.state == "stopped":
            self.crawler.stats.set_value("jobs/resumed", True)
        self.crawler.stats.set_value("jobs/dir", str(self.folder))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.folder is None or self.job is None:
            return
        self.job.state = "finished" if reason == "finished" else "stopped"
        self.job.write(self.folder)
        if self.job.state == "stopped":
            logger.info(
                "crawl %s stopped (%s): resume it with -s RESUME=true (or -s JOBDIR=%s)",
                self.job.crawl_id,
                reason,
                self.folder,
            )

    def engine_stopped(self) -> None:
        # After Scrapy has written its own state: a finished crawl leaves nothing to resume.
        if self.folder is not None and self.job is not None and self.job.state == "finished":
            shutil.rmtree(self.folder, ignore_errors=True)
