"""``scrapy alerts``: try the alert destinations, or send a stored crawl's digests again.

- ``scrapy alerts --test``: a test message to every destination of every rule of the alerts
  file (``ALERTS_FILE``, else ``config/alerts.json``); one line per destination, its secrets
  masked, ``sent`` or ``failed``; exit status 1 if any failed.
- ``scrapy alerts --crawl ID [--site SITE]``: that stored crawl's digests, sent again (a crawl
  that is not ``finished`` sends none, as after the crawl itself).
"""

from __future__ import annotations

import argparse
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..alerts.delivery import deliver, mask_destination
from ..alerts.digest import crawl_digests, crawl_is_suspect
from ..alerts.extension import send_digest
from ..alerts.rules import AlertsFile, alerts_config, alerts_path
from ..config import ConfigError
from ..exports.compare_export import matches_path, own_shop
from ..storage.db import DatabaseError, database_url, open_database
from ..storage.models import Crawl

TEST_TITLE = "ecommerce_scraper: test alert"


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "--test | --crawl CRAWL_ID [--site SITE]"

    def short_desc(self) -> str:
        return "Send a test alert to every destination, or a stored crawl's alert digests again"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--test", action="store_true", help="send a test message to every destination")
        parser.add_argument("--crawl", help="send this stored crawl's digests again")
        parser.add_argument("--site", help="with --crawl: only this shop")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if opts.test == bool(opts.crawl):
            raise UsageError("give --test or --crawl ID")
        if opts.site and not opts.crawl:
            raise UsageError("--site goes with --crawl")
        config = self.config()
        if opts.test:
            self.exitcode = send_test_messages(config, self.retry_times, self.backoff)
        else:
            self.exitcode = self.resend(config, opts.crawl, opts.site)

    @property
    def retry_times(self) -> int:
        assert self.settings is not None
        return self.settings.getint("ALERTS_RETRY_TIMES", 2)

    @property
    def backoff(self) -> float:
        assert self.settings is not None
        return self.settings.getfloat("ALERTS_RETRY_BACKOFF", 2.0)

    def config(self) -> AlertsFile:
        try:
            config = alerts_config(self.settings)
        except ConfigError as exc:
            raise UsageError(str(exc), print_help=False) from None
        if config is None:
            raise UsageError(
                f"no alerts file: set ALERTS_FILE or create {alerts_path() or 'config/alerts.json'}", print_help=False
            )
        return config

    def resend(self, config: AlertsFile, crawl_id: str, site: str | None) -> int:
        try:
            engine = open_database(database_url(self.settings))
        except DatabaseError as exc:
            raise UsageError(str(exc), print_help=False) from None
        failed = False
        own = own_shop(self.settings) if any(rule.match == "undercut" for rule in config.rules) else None
        try:
            query = select(Crawl).where(Crawl.crawl_id == crawl_id).order_by(Crawl.started_at, Crawl.id)
            if site:
                query = query.where(Crawl.site == site)
            with Session(engine) as session:
                crawls = list(session.scalars(query))
            if not crawls:
                print("no stored crawl matches")
                return 1
            for crawl in crawls:
                where = f"{crawl.site} crawl {crawl.crawl_id}"
                if crawl_is_suspect(crawl):
                    print(f"{where}: status {crawl.status}, no alerts sent")
                    continue
                digests = crawl_digests(
                    engine, config.rules, crawl.site, crawl.crawl_id, own=own, matches_file=matches_path(self.settings)
                )
                if not digests:
                    print(f"{where}: no change matches a rule")
                for digest in digests:
                    for result in send_digest(digest, retry_times=self.retry_times, backoff=self.backoff):
                        outcome = "sent" if result.ok else f"failed: {result.error}"
                        failed |= not result.ok
                        print(
                            f"{where}: rule {digest.rule.name!r}, {len(digest.products)} product(s), "
                            f"{result.destination}: {outcome}"
                        )
        finally:
            engine.dispose()
        return 1 if failed else 0


def send_test_messages(config: AlertsFile, retry_times: int = 2, backoff: float = 2.0) -> int:
    """Send a test message to each destination once (retries included); print a line for each."""
    failed = False
    for url, rules in config.destinations().items():
        names = ", ".join(repr(name) for name in rules)
        body = f"A test message from ecommerce_scraper: alerts of rule(s) {names} will come here."
        result = deliver(url, TEST_TITLE, body, retry_times=retry_times, backoff=backoff, what="test alert")
        failed |= not result.ok
        outcome = "sent" if result.ok else f"failed: {result.error}"
        print(f"{mask_destination(url)} (rule {names}): {outcome}")
    return 1 if failed else 0
