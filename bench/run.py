"""``make bench``: crawl throughput and memory, printed (never asserted).

1. A 5,000-product HTML shop (knitshop: PrestaShop, sitemap discovery, no API) crawled with
   the project's full settings and pipelines, then with bare Scrapy: pages/s, ratio, peak RSS.
2. Requests per product for the API-backed demo shops, with and without product pages.
   The page path per HTML platform (``bench/pages.py``): the same ratio for PrestaShop, WooCommerce,
   OpenCart and Magento 2 shops (5,000 products each).
3. The fault run (``bench/faults.py``): a 2,000-product shop with every demo fault on, through
   a live proxy, one banned early and a dead one, crawled twice the same day: products captured,
   duplicates, false removals, unverified, false changes, retries, bans, seconds.
4. Storage (``bench/storage.py``: rows/s and CPU seconds per crawl on SQLite and PostgreSQL, beside
   a raw ``COPY``/``executemany`` of the same rows and issue 16's goals), then exports
   (``bench/exports.py``): full.csv and the workbook for 10,000 and 100,000 products, seconds,
   rows/s, CPU seconds and peak RSS, next to issue 16's figures.
5. Matching across shops (``bench/matching.py``): a 100,000-product, 7-shop database matched from
   scratch, then incrementally after a crawl that changed 2% of one shop, next to issue 15's goals.
6. Memory (``bench/memory.py``): the peak RSS of a 100,000-product crawl, beside bare Scrapy's
   and issue 16's goal (about 25 minutes).
7. Scrapyd nodes (``bench/nodes.py``, alone: ``make bench-nodes``): the seven demo shops, crawled
   politely, scheduled on one local node then on two: shops finished in the same time.

``python -m bench.run --only PART [PART ...]`` runs only those parts: ``crawl`` (1 and the
requests per product of 2), ``pages``, ``faults``, ``storage``, ``exports``, ``matching``, ``memory``, ``nodes``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from demo_shops.crawl import demo_server

ROOT = Path(__file__).resolve().parent.parent

BIG = int(os.environ.get("BENCH_PRODUCTS", "5000"))
API_SHOPS = ("atmosphere", "sittingknitting", "triskeli")
EXPORTS = tempfile.mkdtemp(prefix="bench-exports-")


def crawl(*args: str, exports: str = EXPORTS) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.crawl_one", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env=_crawl_env(exports),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _crawl_env(exports: str = EXPORTS) -> dict[str, str]:
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "ecommerce_scraper.settings", "EXPORTS_DIR": exports}


#: The parts, in the order ``make bench`` runs them.
PARTS = ("crawl", "pages", "faults", "storage", "exports", "matching", "memory", "nodes")


def main(parts: tuple[str, ...] = PARTS) -> None:
    if "crawl" in parts:
        crawl_part()
    for part in PARTS[1:]:
        if part in parts:
            env = _crawl_env() if part in ("pages", "memory") else None
            subprocess.run([sys.executable, "-m", f"bench.{part}"], cwd=ROOT, check=True, env=env)


def crawl_part() -> None:
    print(f"bench: {BIG}-product demo shop, politeness lifted, 2 cores", flush=True)
    with demo_server(BIG) as root:
        base = f"{root}knitshop/"
        project = crawl("project", "knitshop", base)
        bare = crawl("bare", base)
    for label, r in (("project (full settings + pipelines)", project), ("bare Scrapy (yield URL only)", bare)):
        rate = r["responses"] / r["seconds"] if r["seconds"] else 0
        r["rate"] = rate
        print(
            f"  {label:38s} {r['items']:6d} items {r['responses']:6d} pages {r['seconds']:7.1f} s "
            f"{rate:7.1f} pages/s  peak RSS {r['peak_rss_mb']:6.0f} MB  errors {r['errors']}"
        )
    if bare["rate"]:
        cpu_ratio = (project["responses"] / project["cpu_seconds"]) / (bare["responses"] / bare["cpu_seconds"])
        print(
            f"  project / bare throughput ratio: {project['rate'] / bare['rate']:.2f} "
            f"(per CPU second {cpu_ratio:.2f}; issue 16: 0.77 before, goal >= 0.9)"
        )
    print("requests per product on API-backed shops (500 products):", flush=True)
    with demo_server(500) as root:
        for site in API_SHOPS:
            full = crawl("project", site, f"{root}{site}/")
            api_only = crawl("project", site, f"{root}{site}/", "product_pages=false")
            print(
                f"  {site:16s} with product pages {full['requests'] / max(full['items'], 1):5.2f}   "
                f"API only {api_only['requests'] / max(api_only['items'], 1):5.3f}  ({full['items']} products)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="make bench: throughput and memory, printed (never asserted)")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS), help="run only these parts")
    main(tuple(parser.parse_args().only))
