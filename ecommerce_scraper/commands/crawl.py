"""``scrapy crawl``, as Scrapy's own, but a start-up error is one line, not a traceback.

The checks of the project's add-on (``addon.py``) and the spider's arguments run once the crawl
has started, inside the reactor; Scrapy would log their ``UsageError`` as an unhandled error with
its stack. Here it is printed as ``scrapy crawl: error: <message>`` and the exit status is 2, as
for a wrong option.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own messages for no spider or several
            return
        assert self.crawler_process
        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        self.watch_start(started)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = max(self.exitcode, 1)

    def watch_start(self, started: Any) -> None:
        if isinstance(started, asyncio.Future):
            started.add_done_callback(self.task_done)
        elif isinstance(started, Deferred):
            started.addErrback(self.deferred_failed)

    def task_done(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and isinstance(task.exception(), UsageError):
            self.usage_error(task.exception())  # retrieved: asyncio logs no traceback

    def deferred_failed(self, failure: Failure) -> Failure | None:
        if failure.check(UsageError):
            self.usage_error(failure.value)
            return None
        return failure

    def usage_error(self, error: BaseException | None) -> None:
        print(f"scrapy crawl: error: {error}", file=sys.stderr, flush=True)
        self.exitcode = 2
