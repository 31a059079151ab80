r"""Run one crawl in this process and print its stats as JSON (used by ``python -m bench.run``).

``project SITE BASE_URL`` crawls with the project's spider, settings and pipelines;
``bare BASE_URL [SITEMAP [RULE]]`` crawls the same pages with bare Scrapy: a sitemap spider that only
yields each page's URL (``parsing``: the same, and it parses each page and reads its ``<title>``),
no item pipelines, default download handlers (SITEMAP: the shop's sitemap
path, PrestaShop's ``1_index_sitemap.xml`` by default; RULE: the URLs it parses, ``\.html$`` by default).
Both print ``cpu_seconds`` too (user + system): steadier than wall time on a shared machine.
"""

from __future__ import annotations

import json
import resource
import sys

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider
from scrapy.utils.project import get_project_settings

LIFT_POLITENESS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}


class BareSpider(SitemapSpider):
    name = "bare"

    def parse(self, response):
        yield {"url": response.url}


class ParsingSpider(BareSpider):
    """Bare Scrapy that also parses each page and reads its title: the floor of any extraction."""

    name = "parsing"

    def parse(self, response):
        yield {"url": response.url, "title": response.xpath("//title/text()").get()}


class RssByItems:
    """The process's resident memory after its 1,000th item and after its last full thousand (read
    every 1,000 items: a read of /proc costs some microseconds). 0 when never read."""

    def __init__(self) -> None:
        self.items = 0
        self.at_1000 = self.last = 0.0

    def item_scraped(self) -> None:
        self.items += 1
        if self.items % 1000 == 0:
            self.last = _rss_mb()
            if self.items == 1000:
                self.at_1000 = self.last


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):  # no /proc (not Linux): not measured
        return 0.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    mode = sys.argv[1]
    if mode == "project":
        site, base_url = sys.argv[2], sys.argv[3]
        extra = dict(arg.split("=", 1) for arg in sys.argv[4:])
        settings = get_project_settings()
        settings.setdict({**LIFT_POLITENESS, "CONCURRENT_REQUESTS_PER_DOMAIN": 16}, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(site)
        process.crawl(crawler, base_url=base_url, **extra)
    else:
        base_url = sys.argv[2]
        sitemap = sys.argv[3] if len(sys.argv) > 3 else "1_index_sitemap.xml"
        rule = sys.argv[4] if len(sys.argv) > 4 else r"\.html$"
        process = CrawlerProcess(
            {
                **LIFT_POLITENESS,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                "ROBOTSTXT_OBEY": True,
                "TELNETCONSOLE_ENABLED": False,
            }
        )
        crawler = process.create_crawler(ParsingSpider if mode == "parsing" else BareSpider)
        process.crawl(
            crawler,
            # The shop's own sitemap index: the host's robots.txt lists every demo shop's.
            sitemap_urls=[base_url + sitemap],
            sitemap_rules=[(rule, "parse")],
        )
    started: list[float] = []
    crawler.signals.connect(lambda: started.append(_cpu_seconds()), signal=signals.engine_started)
    growth = RssByItems()
    crawler.signals.connect(growth.item_scraped, signal=signals.item_scraped)
    process.start()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = crawler.stats.get_stats()
    print(
        json.dumps(
            {
                "items": stats.get("item_scraped_count", 0),
                "responses": stats.get("response_received_count", 0),
                "requests": stats.get("downloader/request_count", 0),
                "seconds": stats.get("elapsed_time_seconds", 0.0),
                "errors": stats.get("log_count/ERROR", 0),
                # From the engine's start: imports and set-up left out.
                "cpu_seconds": usage.ru_utime + usage.ru_stime - (started[0] if started else 0.0),
                "peak_rss_mb": usage.ru_maxrss / 1024,
                # The matching across shops of a large catalog runs in a child process: its own peak
                # (RUSAGE_CHILDREN's would count the crawl's memory the child shared until its exec).
                "children_peak_rss_mb": max(
                    (value for key, value in stats.items() if key.endswith("/process_peak_rss_mb")), default=0.0
                ),
                # RSS while crawling, after the first 1,000 items and the last thousand: flat or growing.
                "rss_mb_at_1000_items": growth.at_1000,
                "rss_mb_at_last_thousand": growth.last,
            }
        )
    )


if __name__ == "__main__":
    main()
