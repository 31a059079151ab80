"""The fault run, printed (never asserted): a demo shop with every fault on, crawled through three
local proxies of which one gets banned early.

``.venv/bin/python bench/faults.py [--products N]`` (default 500; ``make bench`` runs it): products
captured of the catalog, duplicates, retries, Retry-After pauses, bans, requests and seconds.
The crawl is a ``scrapy crawl`` subprocess, as in the tests (tests/crawling.py, tests/proxies.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from ecommerce_scraper.storage.models import Crawl  # noqa: E402
from tests.conftest import fetch  # noqa: E402
from tests.crawling import SITE, crawl, demo_shop, engine_for  # noqa: E402
from tests.proxies import proxy_pool  # noqa: E402

FAULTS = "all,slow_seconds=0.5,retry_after=1"  # 10% 5xx, 5% 429, 2% truncated, 2% resets, 5% slow


def main(products: int) -> None:
    print(f"fault run: {products}-product shop, faults {FAULTS}, 3 proxies (one banned early)", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as folder, demo_shop(products) as shop:
        work = Path(folder)
        sites = json.loads((ROOT / "config" / "sites.json").read_text(encoding="utf-8"))
        sites["sites"][SITE]["proxies"] = True
        (work / "sites.json").write_text(json.dumps(sites), encoding="utf-8")
        fetch(f"{shop.root}__demo__/faults?spec={FAULTS}")
        database_url = f"sqlite:///{(work / 'catalog.sqlite3').as_posix()}"
        with proxy_pool(3, username="bench", password="bench-secret") as proxies:  # noqa: S106 - a local test proxy
            proxies[1].burn_after(max(5, products // 20))
            env = {
                "PROXIES": ",".join(proxy.url_with_credentials for proxy in proxies),
                "SITES_CONFIG": str(work / "sites.json"),
            }
            started = time.monotonic()
            run = crawl(
                shop.url(),
                database_url,
                work / "exports",
                work / "items.jsonl",
                env=env,
                RETRY_TIMES=10,
                ROTATING_PROXY_BACKOFF_BASE=5,
                ROTATING_PROXY_BACKOFF_CAP=60,
            )
            seconds = time.monotonic() - started
        with engine_for(database_url) as engine, engine.connect() as conn:
            stats = conn.scalar(select(Crawl.stats).where(Crawl.site == SITE)) or {}
    expected = shop.product_ids(1)
    seen = Counter(item["product_id"] for item in run.items)
    print(
        f"  captured {len(set(seen) & expected)}/{len(expected)} products, {sum(seen.values()) - len(seen)} "
        f"duplicates, {run.returncode=}",
        flush=True,
    )
    bans = sum(row["bans"] for row in stats.get("proxies/table", []))
    print(
        f"  requests {stats.get('downloader/request_count', 0)}, retries {stats.get('retry/count', 0)} "
        f"(gave up {stats.get('retry/max_reached', 0)}), Retry-After pauses "
        f"{stats.get('retry/retry_after_pauses', 0)}, proxy bans {bans}, {seconds:.1f} s",
        flush=True,
    )
    for row in stats.get("proxies/table", []):
        print(
            f"    {row['proxy']:24s} {row['requests']:5d} requests {row['bans']:4d} bans  "
            f"mean {row['mean_latency_ms']} ms  p95 {row['p95_latency_ms']} ms  last ban: {row['last_ban_reason']}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=500)
    main(parser.parse_args().products)
