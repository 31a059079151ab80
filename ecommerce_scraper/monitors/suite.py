"""The crawl health monitors as a Spidermon suite: Spidermon's log report, and its actions
(e-mail, Slack ... when configured with ``SPIDERMON_*`` settings) on a failure.

The verdicts are judged once, by the storage while it closes each shop's crawl
(:class:`~.health.HealthCheck`, before the crawl's status and removals are decided), and
published in the crawler's stats as ``monitors/<site>``. Scrapy sends ``spider_closed`` to the
extensions before the item pipelines, so a suite run there would see no verdict yet: this one
runs when the engine stops (``SPIDERMON_ENGINE_STOP_MONITORS``), after the storage has closed the
crawl. Each monitor reads ``self.data.stats``; a crawl the storage could not close (database
down, storage disabled) has no verdict there, and its monitors are skipped, saying so.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

from scrapy.exceptions import ScrapyDeprecationWarning
from spidermon import Monitor, MonitorSuite, monitors

from .health import STATS_KEY

# Spidermon 1.27's runner writes its report with Spider.log(), deprecated since Scrapy 2.13: the
# report is wanted, the warning (one per crawl, about a library's call) is noise in every log.
warnings.filterwarnings(
    "ignore", message=r"Spider\.log\(\) is deprecated", category=ScrapyDeprecationWarning, module=r"spidermon\."
)

#: unittest (hence Spidermon's log) leaves this module's frames out of a failure: the failure is its
#: message (which shop, what it saw, the figures), never a traceback in the crawl's output.
__unittest = True


class HealthMonitor(Monitor):
    """Base: the stored verdicts of one monitor, every shop of the crawl."""

    def verdicts(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """(site, verdict) pairs for the monitor ``name``; skips the test when none was judged."""
        prefix = f"{STATS_KEY}/"
        found = []
        for key, health in self.data.stats.items():
            if not key.startswith(prefix) or not isinstance(health, dict):
                continue
            for verdict in health.get("results", []):
                if verdict.get("name") == name:
                    found.append((key[len(prefix) :], verdict))
        if not found:
            self.skipTest("no verdict: the storage did not close this crawl")
        return found

    def check(self, name: str) -> None:
        failed = [f"{site}: {v.get('note')} {v.get('figures')}" for site, v in self.verdicts(name) if not v["passed"]]
        if failed:
            self.fail("; ".join(failed))


@monitors.name("Item count")
class ItemCountMonitor(HealthMonitor):
    @monitors.name("Products not more than MONITORS_MAX_ITEM_DROP below the previous finished crawl")
    def test_item_count(self) -> None:
        self.check("item_count")


@monitors.name("Field coverage")
class FieldCoverageMonitor(HealthMonitor):
    @monitors.name("price coverage")
    def test_price(self) -> None:
        self.check("coverage/price")

    @monitors.name("availability coverage")
    def test_availability(self) -> None:
        self.check("coverage/availability")

    @monitors.name("name coverage")
    def test_name(self) -> None:
        self.check("coverage/name")

    @monitors.name("sku coverage")
    def test_sku(self) -> None:
        self.check("coverage/sku")

    @monitors.name("main_image coverage")
    def test_main_image(self) -> None:
        self.check("coverage/main_image")


@monitors.name("Errors and bans")
class ErrorsMonitor(HealthMonitor):
    @monitors.name("Error rate")
    def test_error_rate(self) -> None:
        self.check("error_rate")

    @monitors.name("Bans")
    def test_bans(self) -> None:
        self.check("bans")

    @monitors.name("Retries given up")
    def test_retries(self) -> None:
        self.check("retries")


@monitors.name("Finish reason")
class FinishReasonMonitor(HealthMonitor):
    @monitors.name("Finish reason expected")
    def test_finish_reason(self) -> None:
        self.check("finish_reason")


class CrawlHealthSuite(MonitorSuite):
    """Every crawl health monitor (see :mod:`.health` for what each checks and its setting)."""

    monitors: ClassVar[list[type[Monitor]]] = [
        ItemCountMonitor,
        FieldCoverageMonitor,
        ErrorsMonitor,
        FinishReasonMonitor,
    ]
