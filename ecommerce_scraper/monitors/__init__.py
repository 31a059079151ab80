"""Crawl health monitors: judged when a crawl closes, against the shop's previous finished crawl.

:mod:`.health` the monitors and their consequences (and :func:`crawl_is_suspect` for other
components); :mod:`.suite` the same verdicts as a Spidermon suite. The field coverage they read
is counted by :mod:`ecommerce_scraper.pipelines.coverage`.
"""

from .health import COVERAGE_FIELDS, HealthCheck, Thresholds, crawl_health, crawl_is_suspect, evaluate

__all__ = ["COVERAGE_FIELDS", "HealthCheck", "Thresholds", "crawl_health", "crawl_is_suspect", "evaluate"]
