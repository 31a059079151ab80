"""``scrapy crontab``: cron lines that schedule each shop's crawl through Scrapyd.

- ``scrapy crontab``: print the lines (one per shop with a ``schedule`` in config/sites.json).
- ``scrapy crontab --install``: put them in the current user's crontab (python-crontab),
  replacing the project's earlier lines and leaving every other line alone; ``--crontab-file F``
  works on a crontab file instead.
- ``scrapy crontab --run SITE``: what a line runs: schedule SITE on the least busy Scrapyd node
  unless a job of it is still pending or running on any
  (:func:`~ecommerce_scraper.ops.schedule.schedule_shop`, the choice of ``scrapy schedule``), with
  the nodes, credentials and database of the env file (``--env-file``, default config/scrapyd.env).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, ClassVar

from crontab import CronTab
from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..config import ConfigError, load_sites
from ..ops import OpsError, env_file, operator_environment
from ..ops.schedule import cron_jobs, schedule_shop
from ..storage.db import database_url


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[--install [--crontab-file FILE]] | --run SITE [--env-file FILE]"

    def short_desc(self) -> str:
        return "Print or install the crontab lines that schedule each shop through Scrapyd"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--install", action="store_true", help="install them in the user's crontab")
        parser.add_argument("--crontab-file", type=Path, help="a crontab file to read and write instead")
        parser.add_argument("--run", metavar="SITE", help="schedule SITE in Scrapyd now (what the lines run)")
        parser.add_argument("--env-file", type=Path, help="Scrapyd's URL and credentials (default config/scrapyd.env)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        try:
            if opts.run:
                assert self.settings is not None
                env = operator_environment(path=opts.env_file)
                interval = self.settings.getfloat("PROGRESS_INTERVAL")
                print(schedule_shop(opts.run, env, database_url(env), progress_interval=interval), flush=True)
                return
            sites = load_sites().sites
        except (OpsError, ConfigError) as exc:
            raise UsageError(str(exc), print_help=False) from None
        options: dict[str, Any] = {}
        if opts.env_file is not None or os.environ.get("SCRAPYD_ENV_FILE"):
            # Not the default one: the lines must say which (its path, never what is in it).
            options["env_file"] = (opts.env_file or env_file()).resolve()
        if opts.install:
            tab = CronTab(tabfile=str(opts.crontab_file)) if opts.crontab_file else CronTab(user=True)
            count = cron_jobs(tab, sites, **options)
            tab.write()
            print(f"installed {count} crontab lines ({opts.crontab_file or 'crontab of the current user'})")
            return
        tab = CronTab(tab="")
        cron_jobs(tab, sites, **options)
        print(str(tab).strip())
