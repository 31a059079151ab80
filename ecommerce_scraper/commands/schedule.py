"""``scrapy schedule SITE... | --all``: crawls on the Scrapyd nodes, one job per shop at a time.

Each shop goes to the least busy node that answers, unless a job of it is pending or running on
any node (:mod:`~ecommerce_scraper.ops.distribute` says how the node is chosen, and how
``-s RESUME=true`` finds the node holding the job folder). One line per shop, in order::

    knitshop http://10.0.0.2:6800 6487ec79947edab326d6db28a2d86511
    manefa skipped: job 8f1e... is still running on http://10.0.0.3:6800

``-a NAME=VALUE`` (spider arguments) and ``-s NAME=VALUE`` (settings) go to every job, ``{site}``
in a value replaced by the shop's name (a ``-s PROGRESS_INTERVAL`` given to the jobs also sets
how long this command waits before it takes a silent ``running`` crawl for dead). The nodes
(``SCRAPYD_URLS``, or ``SCRAPYD_URL``), their credentials and ``DATABASE_URL`` come from the
environment or the env file (``--env-file``, default config/scrapyd.env). A node down or
refusing the credentials is a warning on stderr; none answering: an error, exit status 1 (as
when a shop could not be placed for a fault).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..config import ConfigError, load_sites
from ..ops import OpsError, operator_environment
from ..ops.distribute import JobOptions, schedule_sites
from ..ops.nodes import Node
from ..storage.db import database_url


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "SITE... | --all [-a NAME=VALUE] [-s NAME=VALUE] [--env-file FILE]"

    def short_desc(self) -> str:
        return "Schedule shops' crawls on the least busy Scrapyd nodes, never a shop twice at once"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)  # its -s NAME=VALUE: collected below for the jobs
        parser.add_argument("--all", action="store_true", help="every shop of config/sites.json")
        parser.add_argument(
            "-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE", help="spider argument for every job"
        )
        parser.add_argument("--env-file", type=Path, help="nodes, credentials, database (default config/scrapyd.env)")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if bool(args) == bool(opts.all):
            raise UsageError("name the shops to schedule, or --all")
        options = JobOptions(pairs(opts.spargs, "-a"), pairs(opts.set, "-s"))
        try:
            known = list(load_sites().sites)
            unknown = [site for site in args if site not in known]
            if unknown:
                raise UsageError(f"unknown shop: {', '.join(unknown)} (config/sites.json has {', '.join(known)})")
            env = operator_environment(path=opts.env_file)
            placed = schedule_sites(
                known if opts.all else list(dict.fromkeys(args)),
                Node.all_from(env),
                database_url(env),
                options,
                progress_interval=self.settings.getfloat("PROGRESS_INTERVAL"),
                warn=lambda text: print(f"warning: {text}", file=sys.stderr, flush=True),
            )
        except (OpsError, ConfigError) as exc:
            print(f"scrapy schedule: error: {exc}", file=sys.stderr, flush=True)
            self.exitcode = 1
            return
        for one in placed:
            print(one.line(), flush=True)
        if any(one.failed for one in placed):
            self.exitcode = 1


def pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` strings as pairs; a value without ``=`` is a usage error."""
    found = []
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} wants NAME=VALUE, got {value!r}", print_help=False)
        found.append((name.strip(), rest))
    return found
