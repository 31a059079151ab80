"""``scrapy crawl generic -a url=A,B`` in a subprocess, as a user runs it, with the demo-shop
settings of :mod:`tests.crawling` (politeness lifted, Scrapy's own HTTP handler), and what a
test reads back from it: the items with their arrival times, and the crawl's stats."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ecommerce_scraper.storage.models import Crawl
from testkit import zygote
from testkit.crawling import FAST, CrawlRun, crawl_env, engine_for, read_feed

from .conftest import ROOT


def generic_crawl(
    urls: list[str],
    tmp_path: Path,
    *,
    args: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 240,
    name: str = "generic",
    **settings: object,
) -> CrawlRun:
    """Crawl the shops at ``urls`` with the generic spider, with the database and exports in
    ``tmp_path``; the feed and the output in ``tmp_path / f"{name}.jsonl"`` and ``.log``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    feed = tmp_path / f"{name}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"url={','.join(urls)}", "-O", str(feed)]
    for key, value in (args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in {**FAST, **settings}.items():
        cmd += ["-s", f"{key}={value}"]
    log = tmp_path / f"{name}.log"
    started = time.monotonic()
    with log.open("wb") as out:
        proc = zygote.popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=crawl_env(database_url(tmp_path), tmp_path / "exports", env),
        )
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    output = log.read_text(encoding="utf-8", errors="replace")
    return CrawlRun(proc.returncode, output, read_feed(feed), time.monotonic() - started)


def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"


def stats_of(tmp_path: Path, site: str) -> dict[str, Any]:
    """The stats the crawl of ``site`` (a generic shop's name, e.g. ``127.0.0.1-knitshop``) stored."""
    with engine_for(database_url(tmp_path)) as engine, engine.connect() as conn:
        return conn.scalar(select(Crawl.stats).where(Crawl.site == site).order_by(Crawl.started_at.desc())) or {}


#: Log lines that start with their Unix time to the millisecond (``scraped_at`` has whole seconds).
TIMED_LOG = {"LOG_FORMAT": "%(created).3f [%(name)s] %(levelname)s: %(message)s"}


def item_times(output: str, url_prefix: str) -> list[float]:
    """When each item from pages under ``url_prefix`` was scraped (needs ``TIMED_LOG`` and DEBUG)."""
    pattern = re.compile(
        rf"^(\d+\.\d+) \[scrapy\.core\.scraper\] DEBUG: Scraped from <\d+ {re.escape(url_prefix)}", re.M
    )
    return [float(match.group(1)) for match in pattern.finditer(output)]


def opened_at(output: str) -> float:
    """When the spider opened, after the start-up (needs ``TIMED_LOG``)."""
    match = re.search(r"^(\d+\.\d+) \[scrapy\.core\.engine\] INFO: Spider opened", output, re.M)
    assert match, output[-3000:]
    return float(match.group(1))
