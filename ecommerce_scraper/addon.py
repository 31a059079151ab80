"""The project's add-on (``ADDONS``): what a crawl needs ready before its first request.

Scrapy runs an add-on's ``update_settings`` when the crawl starts (``Crawler.crawl``), after the
spider is made and before any component is built; merely building a ``Crawler`` (``scrapy list``,
a test, Scrapyd's listing) runs none of it and writes no file. Each check fails in one line,
naming what to fix; ``scrapy crawl`` (``commands/crawl.py``) prints that line as
``error: ...`` and exits with status 2.

- with several Scrapyd nodes (``SCRAPYD_URLS``, a setting or the environment), the database is
  PostgreSQL, not SQLite (``ops/nodes.py``);
- the database is reachable and migrated (when ``StoragePipeline`` is on);
- the AI settings are well-formed (the model itself is only asked when a key is set);
- the alerts file (``ALERTS_FILE``, ``config/alerts.json``) is valid, when there is one;
- the proxy list parses, and a spider that must use proxies has some;
- the alerts file (``ALERTS_FILE``, ``config/alerts.json``) and ``HEALTH_NOTIFY`` are well-formed;
- the job folder (``JOBDIR``) and the crawl id (``CRAWL_ID``) are chosen (``jobs.py``).
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from .alerts.health import check_health_notify
from .alerts.rules import check_alerts
from .jobs import choose_job
from .middlewares.proxy_list import load_proxies
from .ops import OpsError
from .ops.nodes import check_shared_database, nodes_setting
from .pipelines.attributes import llm_config
from .pipelines.storage import check_database
from .storage.db import database_url


class CrawlSetup:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSetup:
        return cls(crawler)

    def update_settings(self, settings: BaseSettings) -> None:
        try:  # before the database is opened: a SQLite file is not created for nothing
            check_shared_database(database_url(settings), nodes_setting(settings))
        except OpsError as exc:
            raise UsageError(str(exc), print_help=False) from None
        check_database(settings)
        llm_config(settings)
        check_alerts(settings)  # a broken alerts file (ALERTS_FILE, config/alerts.json) names its field
        check_health_notify(settings)
        proxies = load_proxies(settings)  # a malformed list names its file and line
        wanted_by = getattr(self.crawler.spider, "proxies_wanted_by", None)
        if wanted_by and not proxies:
            raise UsageError(
                f"{wanted_by} is true, but no proxies are configured "
                "(config/proxies.txt, the PROXIES environment variable or the PROXY_LIST setting)",
                print_help=False,
            )
        choose_job(settings, self.crawler.spidercls.name)
