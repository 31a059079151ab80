"""The fault run, printed (never asserted): a demo shop with every fault on, crawled through a
live proxy, one that gets banned early and one that is dead (a closed port), then crawled again
the same day: nothing may be lost, duplicated or invented across the two crawls.

``.venv/bin/python -m bench.faults [--products N]`` (default 2,000; ``make bench`` runs it): per
crawl, products captured of the catalog, duplicates, false removals, unverified products, false
changes, retries, Retry-After pauses, bans, requests and seconds. The crawls are ``scrapy crawl``
subprocesses, as in the tests (tests/crawling.py, tests/proxies.py).
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from ecommerce_scraper.storage.models import Change, Crawl
from testkit.crawling import SITE, demo_shop, engine_for, start_crawl
from testkit.proxies import proxy_pool
from testkit.web import fetch

ROOT = Path(__file__).resolve().parent.parent

FAULTS = "all,slow_seconds=0.5,retry_after=1"  # 10% 5xx, 5% 429, 2% truncated, 2% resets, 5% slow


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(products: int) -> None:
    print(
        f"fault run: {products}-product shop, faults {FAULTS}, proxies: 1 live, 1 banned early, 1 dead; "
        "crawled twice the same day",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as folder, demo_shop(products) as shop:
        work = Path(folder)
        sites = json.loads((ROOT / "config" / "sites.json").read_text(encoding="utf-8"))
        sites["sites"][SITE]["proxies"] = True
        (work / "sites.json").write_text(json.dumps(sites), encoding="utf-8")
        fetch(f"{shop.root}__demo__/faults?spec={FAULTS}")
        database_url = f"sqlite:///{(work / 'catalog.sqlite3').as_posix()}"
        expected = shop.product_ids(1)
        with proxy_pool(2, username="bench", password="bench-secret") as proxies:  # noqa: S106 - a local test proxy
            proxies[1].burn_after(max(5, products // 20))
            dead = f"http://127.0.0.1:{closed_port()}"
            env = {
                "PROXIES": ",".join([*(proxy.url_with_credentials for proxy in proxies), dead]),
                "SITES_CONFIG": str(work / "sites.json"),
            }
            for label in ("first crawl", "second crawl, same day"):
                started = time.monotonic()
                run = start_crawl(
                    shop.url(),
                    database_url,
                    work / "exports",
                    work / f"items-{label[:5]}.jsonl",
                    env=env,
                    RETRY_TIMES=10,
                    ROTATING_PROXY_BACKOFF_BASE=5,
                    ROTATING_PROXY_BACKOFF_CAP=60,
                ).finish(timeout=1200)
                report(label, run, expected, database_url, time.monotonic() - started)


def report(label: str, run: object, expected: set[str], database_url: str, seconds: float) -> None:
    with engine_for(database_url) as engine, engine.connect() as conn:
        crawl_id = conn.scalar(select(Crawl.crawl_id).where(Crawl.site == SITE).order_by(Crawl.started_at.desc()))
        row = conn.execute(select(Crawl).where(Crawl.site == SITE, Crawl.crawl_id == crawl_id)).one()
        changes = conn.execute(
            select(Change.change_type, Change.product_id).where(Change.site == SITE, Change.crawl_id == crawl_id)
        ).all()
    stats = row.stats or {}
    seen = Counter(item["product_id"] for item in run.items)  # type: ignore[attr-defined]
    removed = sum(1 for kind, _ in changes if kind == "removed")
    # Same shop, same day: on the first crawl every change is "new"; on the second, any change is false.
    invented = sum(1 for kind, _ in changes if kind != "new") if label.startswith("first") else len(changes)
    print(
        f"  {label}: {row.status}, captured {len(set(seen) & expected)}/{len(expected)} products, "
        f"{sum(seen.values()) - len(seen)} duplicates, {removed} false removals, {row.unverified_count} unverified, "
        f"{invented} false changes, {seconds:.1f} s",
        flush=True,
    )
    bans = sum(r["bans"] for r in stats.get("proxies/table", []))
    print(
        f"    requests {stats.get('downloader/request_count', 0)}, retries {stats.get('retry/count', 0)} "
        f"(gave up {stats.get('retry/max_reached', 0)}), Retry-After pauses "
        f"{stats.get('retry/retry_after_pauses', 0)}, proxy bans {bans}, failed pages {stats.get('pages/failed', 0)}",
        flush=True,
    )
    for r in stats.get("proxies/table", []):
        print(
            f"    {r['proxy']:24s} {r['requests']:5d} requests {r['bans']:4d} bans {r['errors']:4d} errors  "
            f"mean {r['mean_latency_ms']} ms  p95 {r['p95_latency_ms']} ms  last ban: {r['last_ban_reason']}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    main(parser.parse_args().products)
