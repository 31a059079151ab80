"""A crawl's peak memory as the catalog grows, printed (never asserted).

``.venv/bin/python -m bench.memory [--products N [N ...]]`` (default: 100,000, the size issue 16
names; ``make bench`` runs it, the 5,000-product figure is the crawl part's): one demo server per
size, the knitshop shop (PrestaShop, sitemap discovery) crawled with the project's full settings
and pipelines, then with bare Scrapy (a sitemap spider yielding each page's URL), politeness
lifted. Printed per size: products, pages/s and the peak RSS of each (``ru_maxrss`` of the crawl's
own process), the project's beside bare Scrapy's and issue 16's goal (<= 300 MB at 100,000); the
project crawl's RSS after its first 1,000 items and after its last thousand (flat, or growing with
the catalog); and the peak of the project crawl's largest child process: the matching across shops
runs in one from ``MATCHING_PROCESS_PRODUCTS`` products on (``0`` when it ran in the crawl's process).
A 100,000-product run takes about 25 minutes on 2 cores (the demo server builds its catalog first).
"""

from __future__ import annotations

import argparse
import tempfile

from bench.run import crawl
from demo_shops.crawl import demo_server

#: Issue 16's goal: peak RSS of a crawl at 100,000 products.
GOAL_MB = 300


def main(sizes: list[int]) -> None:
    print(f"crawl memory: knitshop, project / bare Scrapy, politeness lifted (goal <= {GOAL_MB} MB at 100,000)")
    for products in sizes:
        with demo_server(products) as root:
            base = f"{root}knitshop/"
            # Each size in a database of its own: a first crawl, whatever ran before.
            project = crawl("project", "knitshop", base, exports=tempfile.mkdtemp(prefix="bench-memory-"))
            bare = crawl("bare", base)
        print(
            f"  {products:7,d} products  project {project['items']:7,d} items "
            f"{project['responses'] / project['seconds']:6.1f} pages/s  peak RSS {project['peak_rss_mb']:5.0f} MB "
            f"(while crawling {project['rss_mb_at_1000_items']:4.0f} MB at 1,000 items, "
            f"{project['rss_mb_at_last_thousand']:4.0f} MB at the last thousand; "
            f"its matching's child process {project['children_peak_rss_mb']:4.0f} MB)   "
            f"bare {bare['responses'] / bare['seconds']:6.1f} pages/s  peak RSS {bare['peak_rss_mb']:5.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, nargs="+", default=[100_000])
    main(parser.parse_args().products)
