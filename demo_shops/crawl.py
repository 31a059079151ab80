"""``python -m demo_shops crawl``: every shop spider against the demo stores.

Starts the demo server on a free loopback port (a subprocess, so it doesn't compete with
the crawl for the GIL), crawls the seven shops at once with the project's own settings and
pipelines (politeness lifted: these are local shops), stops the server and prints a table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.utils.project import get_project_settings

from ecommerce_scraper.storage.db import database_url, mask_url

from .catalog import PROFILES

#: Settings that lift politeness for local demo shops (a user crawling a real shop keeps them).
DEMO_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8}


@contextmanager
def demo_server(products: int, day: int = 1, seed: int = 1, faults: str | None = None, port: int = 0) -> Iterator[str]:
    """Run ``demo serve`` (on a free port by default); yield its root URL; stop it afterwards."""
    cmd = [sys.executable, "-m", "demo_shops", "serve", "--port", str(port), "--products", str(products)]
    cmd += ["--day", str(day), "--seed", str(seed), *(["--faults", faults] if faults else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)  # noqa: S603 - our own module
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "http://" not in line:
            raise RuntimeError(f"demo server did not start: {line!r}")
        root = line.split()[3]  # "demo stores on http://127.0.0.1:PORT/ (...)"
        _wait_until_up(root)
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_until_up(root: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urlopen(root + "robots.txt", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def crawl_demo_shops(
    root: str, sites: list[str], extra_settings: dict[str, object] | None = None
) -> list[tuple[str, Crawler]]:
    """Crawl ``sites`` of the demo server at ``root`` in one process; return the crawlers."""
    settings = get_project_settings()
    settings.setdict(
        {**DEMO_SETTINGS, "LOGSTATS_INTERVAL": 5, "STATS_DUMP": False, **(extra_settings or {})}, priority="cmdline"
    )
    settings.set(
        "FEEDS",
        {
            str(Path(settings["EXPORTS_DIR"]) / "%(name)s" / "%(crawl_id)s" / "products.jsonl"): {
                "format": "jsonlines",
                "encoding": "utf-8",
            }
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    crawlers = []
    for site in sites:
        crawler = process.create_crawler(site)
        crawlers.append((site, crawler))
        process.crawl(crawler, base_url=f"{root}{site}/")
    process.start()
    return crawlers


def summary_table(crawlers: list[tuple[str, Crawler]]) -> str:
    rows = [("shop", "products", "variants", "attributes", "ai", "changes", "removed", "errors", "seconds", "status")]
    for site, crawler in crawlers:
        stats = crawler.stats.get_stats() if crawler.stats else {}
        rows.append(
            (
                site,
                str(stats.get("item_scraped_count", 0)),
                str(stats.get("products/variants", 0)),
                # yarn attribute values found: from the shops' tables and the rules / from the model
                str(stats.get("attributes/structured", 0) + stats.get("attributes/rules", 0)),
                str(stats.get("attributes/ai", "-")),
                str(stats.get(f"storage/{site}/changes", "-")),
                str(stats.get(f"storage/{site}/removed", "-")),
                str(stats.get("log_count/ERROR", 0)),
                f"{stats.get('elapsed_time_seconds', 0):.1f}",
                str(stats.get(f"storage/{site}/status", stats.get("finish_reason", "?"))),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def recent_changes(crawlers: list[tuple[str, Crawler]], per_shop: int = 3) -> str:
    """A few of the changes each crawl recorded, biggest price moves first."""
    from sqlalchemy import case, func, select

    from ecommerce_scraper.storage.db import create_engine_for, database_url
    from ecommerce_scraper.storage.models import Change

    settings = get_project_settings()
    engine = create_engine_for(database_url(settings))
    lines = []
    try:
        with engine.connect() as conn:
            for site, crawler in crawlers:
                spider = crawler.spider
                if spider is None:
                    continue
                total = conn.scalar(select(func.count()).where(Change.site == site, Change.crawl_id == spider.crawl_id))
                if not total or total == crawler.stats.get_value("item_scraped_count"):
                    continue  # a first crawl: every product is new, nothing to show
                rows = conn.execute(
                    select(Change)
                    .where(Change.site == site, Change.crawl_id == spider.crawl_id)
                    .order_by(case((Change.delta_pct.is_(None), 1), else_=0), func.abs(Change.delta_pct).desc())
                    .limit(per_shop)
                ).all()
                lines.append(f"{site}: {total} changes, e.g.")
                for change in rows:
                    move = f" {change.old_value} -> {change.new_value}" if change.old_value or change.new_value else ""
                    pct = f" ({change.delta_pct:+}%)" if change.delta_pct is not None else ""
                    variant = f" [{change.variant_sku}]" if change.variant_sku else ""
                    lines.append(f"  {change.change_type:22s} {(change.name or '')[:40]}{variant}{move}{pct}")
    finally:
        engine.dispose()
    if not lines:
        return "\nno changes yet: run `make demo DAY=2` to see what the shops changed since day 1"
    return "\nchanges since the previous crawl:\n" + "\n".join(lines)


def main(products: int = 40, sites: list[str] | None = None, day: int = 1, seed: int = 1, port: int = 8800) -> int:
    sites = sites or list(PROFILES)
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "ecommerce_scraper.settings")
    with demo_server(products, day=day, seed=seed, port=port) as root:
        print(f"demo stores (day {day}) up at {root}; crawling {', '.join(sites)}", flush=True)
        try:
            crawlers = crawl_demo_shops(root, sites)
        except UsageError as exc:  # a start-up check (database, config): one line, as scrapy crawl says it
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print("\n" + summary_table(crawlers))
    print(recent_changes(crawlers))
    exports = Path(get_project_settings()["EXPORTS_DIR"]).resolve()
    print(
        f"\nfiles: {exports}/index.html (start here), {exports}/master.xlsx, and per shop {exports}/<shop>/latest/ "
        "(report.html, full.csv, seo.csv, diff.csv, <shop>.xlsx); every field as JSON Lines in "
        "<shop>/<crawl_id>/products.jsonl"
    )
    print(f"database: {mask_url(database_url(get_project_settings()))}")
    failed = [site for site, c in crawlers if (c.stats.get_value("finish_reason") if c.stats else None) != "finished"]
    return 1 if failed else 0
