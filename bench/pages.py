"""The page path per HTML platform: the project's crawl against bare Scrapy's, printed (never asserted).

``.venv/bin/python -m bench.pages [--products N] [--repeat R] [SITE ...]`` (default: 5,000 products,
the size issue 16 names, once, every shop below; ``make bench`` runs it): each shop of the demo
server crawled with the project's full settings and pipelines (product pages on), then the same
shop's sitemap with bare Scrapy (``bench/crawl_one.py``), and once more with bare Scrapy parsing
each page (the floor of any extraction: the bare spider never parses HTML). Printed per shop:
pages/s of each and their ratios, the ratio of pages per CPU second (from the engine's start:
steadier than wall time on a shared machine), and the project crawl's peak RSS.
Issue 16's goal: a ratio of at least 0.9 on every HTML platform. With ``--repeat`` the medians.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from typing import Any

from bench.run import crawl
from demo_shops.crawl import demo_server

#: shop -> (platform, its sitemap under the shop's root, the sitemap URLs bare Scrapy parses)
SHOPS: dict[str, tuple[str, str, str]] = {
    "knitshop": ("PrestaShop", "1_index_sitemap.xml", r"\.html$"),
    "atmosphere": ("WooCommerce HTML", "sitemap_index.xml", r"/product/"),
    "ili_ili": ("OpenCart", "index.php?route=extension/feed/google_sitemap", r""),
    "triskeli": ("Magento 2 HTML", "sitemap.xml", r"\.html$"),
}
#: Issue 16's goal for the ratio.
GOAL = 0.9


def measure(root: str, site: str, repeat: int) -> dict[str, float]:
    _, sitemap, rule = SHOPS[site]
    base = f"{root}{site}/"
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        # A database of its own: in one shared by the shops before it, the crawl's close would also
        # match this shop's products against theirs (CrawlMatching), in its CPU seconds and memory.
        project = crawl("project", site, base, exports=tempfile.mkdtemp(prefix=f"bench-pages-{site}-"))
        bare = crawl("bare", base, sitemap, rule)
        parsing = crawl("parsing", base, sitemap, rule)
        runs.append(
            {
                "project_rate": _rate(project, "seconds"),
                "bare_rate": _rate(bare, "seconds"),
                "parsing_rate": _rate(parsing, "seconds"),
                "project_cpu_rate": _rate(project, "cpu_seconds"),
                "bare_cpu_rate": _rate(bare, "cpu_seconds"),
                "items": project["items"],
                "peak_rss_mb": project["peak_rss_mb"],
            }
        )
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _rate(result: dict[str, Any], seconds: str) -> float:
    return result["responses"] / result[seconds] if result.get(seconds) else 0.0


def main(products: int, repeat: int, sites: list[str]) -> None:
    print(f"page path per HTML platform: {products:,}-product demo shops, project / bare Scrapy (goal >= {GOAL})")
    with demo_server(products) as root:
        for site in sites:
            r = measure(root, site, repeat)
            wall = r["project_rate"] / r["bare_rate"] if r["bare_rate"] else 0.0
            cpu = r["project_cpu_rate"] / r["bare_cpu_rate"] if r["bare_cpu_rate"] else 0.0
            parsing = r["project_rate"] / r["parsing_rate"] if r["parsing_rate"] else 0.0
            print(
                f"  {site:11s} {SHOPS[site][0]:17s} {r['items']:6.0f} items  project {r['project_rate']:6.1f} pages/s  "
                f"bare {r['bare_rate']:6.1f} pages/s  ratio {wall:4.2f}   per CPU second: ratio {cpu:4.2f}  "
                f"peak RSS {r['peak_rss_mb']:4.0f} MB   bare + HTML parsing {r['parsing_rate']:6.1f} pages/s: "
                f"ratio {parsing:4.2f}",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("sites", nargs="*", metavar="SITE", help=f"default: {' '.join(SHOPS)}")
    args = parser.parse_args()
    unknown = sorted(set(args.sites) - set(SHOPS))
    if unknown:
        parser.error(f"unknown shops: {', '.join(unknown)}")
    main(args.products, args.repeat, args.sites or list(SHOPS))
