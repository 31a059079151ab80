"""The crawl health monitors, in process: each monitor on hand-built stats and previous crawls,
the coverage counts, the writer's close (suspect -> partial, nothing removed) and the Spidermon suite."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from spidermon.runners import MonitorRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecommerce_scraper.monitors import COVERAGE_FIELDS, HealthCheck, Thresholds, crawl_is_suspect, evaluate
from ecommerce_scraper.monitors.health import Baseline, load_baseline
from ecommerce_scraper.monitors.present import health_label, health_rows
from ecommerce_scraper.monitors.suite import CrawlHealthSuite
from ecommerce_scraper.pipelines.coverage import FieldCoveragePipeline
from ecommerce_scraper.storage.db import open_database
from ecommerce_scraper.storage.models import Crawl, Product
from ecommerce_scraper.storage.writer import CrawlWriter

SITE = "knitshop"
FULL = dict.fromkeys(COVERAGE_FIELDS, 1.0)


def stats_for(items: int, **filled: int) -> dict[str, Any]:
    """Clean crawl stats with coverage counts: every field on every item unless given."""
    stats: dict[str, Any] = {"response_received_count": 100, f"coverage/{SITE}/items": items}
    for field in COVERAGE_FIELDS:
        stats[f"coverage/{SITE}/{field}"] = filled.get(field, items)
    return stats


def verdict(health: Any, name: str) -> Any:
    return next(v for v in health.verdicts if v.name == name)


# --- each monitor ---------------------------------------------------------------------------------


def test_without_a_baseline_every_comparative_monitor_passes_with_a_note() -> None:
    health = evaluate(SITE, "finished", stats_for(10, price=0), 10, None)
    assert not health.failed and not health.suspect
    assert verdict(health, "item_count").note == "no baseline"
    assert verdict(health, "coverage/price").note == "no baseline"
    assert health.baseline is None


@pytest.mark.parametrize(("seen", "passed"), [(100, True), (90, True), (89, False), (120, True)])
def test_item_count_fails_on_a_drop_over_ten_percent(seen: int, passed: bool) -> None:
    health = evaluate(SITE, "finished", stats_for(seen), seen, Baseline("c1", 100, FULL))
    item_count = verdict(health, "item_count")
    assert item_count.passed is passed
    assert item_count.figures["previous"] == 100
    assert health.suspect is not passed


def test_coverage_fails_per_field_on_a_drop_over_five_points() -> None:
    # price 100% -> 50%; sku 100% -> 95% (exactly 5 points: passes); name 100% -> 94% fails
    health = evaluate(SITE, "finished", stats_for(100, price=50, sku=95, name=94), 100, Baseline("c1", 100, FULL))
    assert sorted(v.name for v in health.failed) == ["coverage/name", "coverage/price"]
    price = verdict(health, "coverage/price")
    assert (price.figures["share"], price.figures["previous"], price.figures["drop"]) == (0.5, 1.0, 0.5)
    assert verdict(health, "coverage/sku").passed
    assert health.suspect
    assert "price on 50.0% of products" in (health.suspicion() or "")


def test_a_baseline_without_coverage_passes_coverage_with_a_note() -> None:
    health = evaluate(SITE, "finished", stats_for(100, price=0), 100, Baseline("old", 100, {}))
    assert verdict(health, "coverage/price").passed and verdict(health, "coverage/price").note == "no baseline"


def test_error_rate_bans_retries_and_finish_reason_fail_without_making_the_crawl_suspect() -> None:
    stats = {
        **stats_for(50),
        "log_count/ERROR": 6,
        "bans/status/403": 7,
        "proxies/bans/challenge": 3,
        "retry/max_reached": 2,
    }
    health = evaluate(SITE, "closespider_timeout", stats, 50, Baseline("c1", 50, FULL))
    assert sorted(v.name for v in health.failed) == ["bans", "error_rate", "finish_reason", "retries"]
    assert verdict(health, "error_rate").figures == {"errors": 6, "responses": 100, "rate": 0.06, "max": 0.05}
    assert verdict(health, "bans").figures["bans"] == 7
    assert verdict(health, "retries").figures["given_up"] == 2
    assert verdict(health, "finish_reason").figures["finish_reason"] == "closespider_timeout"
    assert not health.suspect  # the closing rules judge these already (error rate, finish reason)


def test_thresholds_are_settings() -> None:
    thresholds = Thresholds.from_settings(
        Settings({"MONITORS_MAX_ITEM_DROP": 0.5, "MONITORS_MAX_COVERAGE_DROP": 0.6, "MONITORS_FINISH_REASONS": "x"})
    )
    assert (thresholds.max_item_drop, thresholds.max_coverage_drop, thresholds.finish_reasons) == (0.5, 0.6, ("x",))
    health = evaluate(SITE, "x", stats_for(60, price=45), 60, Baseline("c1", 100, FULL), thresholds)
    assert not health.failed


def test_crawl_is_suspect_reads_a_row_or_its_stats() -> None:
    health = evaluate(SITE, "finished", stats_for(100, price=0), 100, Baseline("c1", 100, FULL))
    stats = {"monitors": health.as_json()}
    assert crawl_is_suspect(SimpleNamespace(stats=stats))
    assert crawl_is_suspect({"stats": stats})
    assert crawl_is_suspect(stats)
    assert not crawl_is_suspect(SimpleNamespace(stats=None))
    assert health_label(SimpleNamespace(stats=stats)) == "suspect, failed: coverage/price"
    assert health_label(SimpleNamespace(stats={})) == ""
    rows = health_rows(SimpleNamespace(stats=stats))
    assert [r["name"] for r in rows if not r["passed"]] == ["coverage/price"]


# --- the coverage counts ------------------------------------------------------------------------------


def test_coverage_pipeline_counts_each_product_once_the_better_copy_replacing() -> None:
    crawler = get_crawler()
    pipeline = FieldCoveragePipeline(crawler)
    pipeline.process_item({"site": SITE, "product_id": "1", "name": "A", "price": Decimal(0)})
    pipeline.process_item({"site": SITE, "product_id": "2", "name": "B", "sku": ""})
    pipeline.process_item({"site": SITE, "product_id": "2", "name": "B", "sku": "S2", "main_image": "http://x/i"})
    stats = crawler.stats.get_stats()
    assert stats[f"coverage/{SITE}/items"] == 2
    assert stats[f"coverage/{SITE}/price"] == 1  # a price of 0 is a price
    assert stats[f"coverage/{SITE}/name"] == 2
    assert stats[f"coverage/{SITE}/sku"] == 1
    assert stats[f"coverage/{SITE}/main_image"] == 1
    assert stats.get(f"coverage/{SITE}/availability", 0) == 0


# --- the writer's close ---------------------------------------------------------------------------------


def close(engine: Any, crawl_id: str, states: list[dict[str, Any]], stats: dict[str, Any]) -> tuple[Any, Any]:
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    writer.write_batch(states)
    check = HealthCheck(SITE, crawl_id, "finished", Thresholds())
    outcome = writer.finish("finished", stats, health=check)
    return outcome, check


def state(pid: int, price: str | None) -> dict[str, Any]:
    return {"site": SITE, "product_id": str(pid), "url": f"http://shop/p{pid}", "name": f"P{pid}", "price": price}


def test_a_failed_coverage_monitor_makes_the_crawl_partial_before_removals(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    products = [state(n, "10.00") for n in range(20)]
    outcome, check = close(engine, "c1", products, stats_for(20))
    assert outcome.status == "finished" and check.health is not None and not check.health.failed
    # Next crawl: one product unseen (its page would be evidence, but the crawl is suspect) and prices gone.
    outcome, check = close(engine, "c2", [state(n, None) for n in range(19)], stats_for(19, price=0))
    assert outcome.status == "partial" and outcome.removed == 0
    assert "suspect: price on 0.0% of products" in (outcome.note or "")
    with Session(engine) as session:
        row = session.scalars(select(Crawl).where(Crawl.crawl_id == "c2")).one()
        assert crawl_is_suspect(row)
        assert row.stats["coverage/price"] == 0.0 and row.stats["monitors"]["baseline"] == "c1"
        assert session.scalar(select(Product.removed_at).where(Product.product_id == "19")) is None
        assert load_baseline(session, SITE, "c3").crawl_id == "c1"  # a suspect crawl is no coverage yardstick
    engine.dispose()


# --- the Spidermon suite --------------------------------------------------------------------------------


def run_suite(stats: dict[str, Any]) -> Any:
    runner = MonitorRunner()
    return runner.run(CrawlHealthSuite(), stats=stats)


def test_the_spidermon_suite_reports_the_stored_verdicts() -> None:
    health = evaluate(SITE, "finished", stats_for(100, price=0), 100, Baseline("c1", 100, FULL))
    result = run_suite({f"monitors/{SITE}": health.as_json()})
    failures = [test.name for test, _ in result.failures]
    assert failures == ["Field coverage/price coverage"]
    ok = evaluate(SITE, "finished", stats_for(100), 100, Baseline("c1", 100, FULL))
    assert run_suite({f"monitors/{SITE}": ok.as_json()}).all_monitors_passed


def test_the_spidermon_suite_skips_a_crawl_never_judged() -> None:
    result = run_suite({})
    assert not result.failures and len(result.skipped) == 10
