"""One shop's crawl as Prometheus gauges, pushed to a Pushgateway.

Grouping key ``job="ecommerce_scraper"``, ``shop="<site>"``: each shop has its own group, and
the Pushgateway adds both labels to every gauge. The push is a ``POST`` (``pushadd``): it
replaces the gauges it sends and keeps the others of the group, so
``ecommerce_scraper_last_success_timestamp_seconds``, sent only for a ``finished`` crawl, stays
at the last successful crawl's time while later crawls fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway

JOB = "ecommerce_scraper"
PREFIX = "ecommerce_scraper_crawl_"
LAST_SUCCESS = "ecommerce_scraper_last_success_timestamp_seconds"


@dataclass
class ShopCrawl:
    """What is pushed for one shop's crawl."""

    site: str
    crawl_id: str
    status: str  # the crawl record's: finished, partial, failed, cancelled ... ("unknown" when not stored)
    products: int
    pages: int
    errors: int
    bans: int
    retries: int
    duration_seconds: float
    monitors_failed: int
    coverage: dict[str, float] = field(default_factory=dict)  # field -> share 0..1
    finished_at: float | None = None  # Unix time the crawl closed

    @property
    def succeeded(self) -> bool:
        return self.status == "finished"


def registry_for(crawl: ShopCrawl) -> CollectorRegistry:
    """The gauges of one shop's crawl (``shop`` and ``job`` come from the grouping key)."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, value: float) -> None:
        Gauge(PREFIX + name, doc, registry=registry).set(value)

    gauge("products", "Products the crawl stored (distinct, as in crawls.items_count)", crawl.products)
    gauge("pages", "Responses received for the shop", crawl.pages)
    gauge(
        "errors",
        "ERROR log lines or failed pages, the larger (several shops: failed pages)",
        crawl.errors,
    )
    gauge("bans", "Pages banned through a proxy (sent again through another, or kept banned)", crawl.bans)
    gauge("retries", "Requests retried (5xx, 429, timeouts, connection errors)", crawl.retries)
    gauge("duration_seconds", "From the crawl's start to its close", crawl.duration_seconds)
    gauge("monitors_failed", "Crawl-health monitors that failed (stat monitors/failed)", crawl.monitors_failed)
    gauge("success", "1 when the crawl finished clean (status finished), else 0", 1 if crawl.succeeded else 0)
    coverage = Gauge(
        PREFIX + "field_coverage_ratio", "Share of the crawl's items that have the field", ["field"], registry=registry
    )
    for name, share in crawl.coverage.items():
        coverage.labels(field=name).set(share)
    if crawl.succeeded and crawl.finished_at is not None:
        Gauge(LAST_SUCCESS, "Unix time the shop's last finished crawl closed", registry=registry).set(crawl.finished_at)
    return registry


def push(gateway: str, crawl: ShopCrawl, timeout: float = 10.0) -> None:
    """Push one shop's gauges (blocking: call it from a thread). Raises what the HTTP client raises."""
    registry = registry_for(crawl)
    pushadd_to_gateway(gateway, job=JOB, registry=registry, grouping_key={"shop": crawl.site}, timeout=timeout)
