"""Day 1, then day 2, of every demo shop: the recorded changes are exactly the catalogs'
differences, on SQLite and on PostgreSQL. Crawling day 2 again records nothing new."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from ecommerce_scraper.exports.compare_export import compare_stored
from ecommerce_scraper.matching.store import current_states
from ecommerce_scraper.matching.units import expand
from ecommerce_scraper.storage.models import Change, Crawl, Snapshot
from testkit import zygote
from testkit.web import free_port

from .alert_receivers import Received, hook_receiver
from .conftest import ROOT, chromium_path, require_service, truth
from .match_truth import assert_meets_goal, score, truth_units
from .test_spiders import SHOPS, assert_same_catalog

PRODUCTS = 24


def _dec(value: object) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def expected_changes(day1: list[dict], day2: list[dict]) -> Counter:
    """What changed between two catalogs, by the rules users are promised (README)."""
    before = {p["product_id"]: p for p in day1}
    after = {p["product_id"]: p for p in day2}
    out: Counter = Counter()
    for pid in after.keys() - before.keys():
        out[(pid, "new", None)] += 1
    for pid in before.keys() - after.keys():
        out[(pid, "removed", None)] += 1
    for pid in before.keys() & after.keys():
        old, new = before[pid], after[pid]
        p_old, p_new = _dec(old["price"]), _dec(new["price"])
        if p_old is not None and p_new is not None and p_old != p_new:
            out[(pid, "price_down" if p_new < p_old else "price_up", None)] += 1
        elif (p_old is None) != (p_new is None):
            out[(pid, "price_changed", None)] += 1
        r_old, r_new = _dec(old["regular_price"]), _dec(new["regular_price"])
        if r_old is None and r_new is not None:
            out[(pid, "sale_started", None)] += 1
        elif r_old is not None and r_new is None:
            out[(pid, "sale_ended", None)] += 1
        a_old, a_new = old["availability"], new["availability"]
        if a_old != a_new:
            if a_new == "out_of_stock":
                out[(pid, "out_of_stock", None)] += 1
            elif a_old == "out_of_stock" and a_new is not None:
                out[(pid, "back_in_stock", None)] += 1
            else:
                out[(pid, "availability_changed", None)] += 1
        if old["name"] != new["name"]:
            out[(pid, "renamed", None)] += 1
        v_old = {v["sku"]: v for v in old["variants"]}
        v_new = {v["sku"]: v for v in new["variants"]}
        for sku in v_new.keys() - v_old.keys():
            out[(pid, "variant_added", sku)] += 1
        for sku in v_old.keys() - v_new.keys():
            out[(pid, "variant_removed", sku)] += 1
        for sku in v_old.keys() & v_new.keys():
            if _dec(v_old[sku]["price"]) != _dec(v_new[sku]["price"]):
                out[(pid, "variant_price_changed", sku)] += 1
            if v_old[sku]["availability"] != v_new[sku]["availability"]:
                out[(pid, "variant_stock_changed", sku)] += 1
    return out


def demo_crawl(
    day: int, database_url: str, exports: Path, port: int, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``demo crawl`` as a user runs it; the same port every day (URLs are product data)."""
    cmd = [sys.executable, "-m", "demo_shops", "crawl", "--products", str(PRODUCTS), "--day", str(day)]
    proc = zygote.run(
        [*cmd, "--port", str(port)],
        cwd=ROOT,
        # No OPENAI_API_KEY: what `make demo` does without one (rule-based attributes only).
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "EXPORTS_DIR": str(exports),
            "OPENAI_API_KEY": "",
            **(env or {}),
        },
        timeout=400,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


def latest_crawl_changes(engine: Engine, site: str) -> tuple[Crawl, Counter]:
    with engine.connect() as conn:
        crawl = conn.execute(select(Crawl).where(Crawl.site == site).order_by(Crawl.started_at.desc()).limit(1)).one()
        rows = conn.execute(
            select(Change.product_id, Change.change_type, Change.variant_sku).where(
                Change.site == site, Change.crawl_id == crawl.crawl_id
            )
        ).all()
    return crawl, Counter((r.product_id, r.change_type, r.variant_sku) for r in rows)


@dataclass
class DemoRun:
    """One ``demo crawl`` of the seven shops: its output and, per shop, its crawl and changes, and
    the alert messages it sent."""

    output: str
    crawls: dict[str, Crawl] = field(default_factory=dict)
    changes: dict[str, Counter] = field(default_factory=dict)
    snapshots: int = 0
    alerts: list[Received] = field(default_factory=list)


@dataclass
class DemoDays:
    root: str
    exports: Path
    runs: list[DemoRun]
    database_url: str

    def items(self, site: str) -> list[dict]:
        """The products day 1's crawl of ``site`` yielded (its JSON Lines feed)."""
        feed = self.exports / site / self.runs[0].crawls[site].crawl_id / "products.jsonl"
        return [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def demo_days(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDays]:
    require_service(chromium_path() is not None, "Chromium")
    exports = tmp_path_factory.mktemp("demo-days")
    port = free_port()
    engine = create_engine(module_database_url)
    runs = []
    with hook_receiver() as receiver:
        # The README's "tell me when a competitor drops a price by 5% or more", at every shop.
        rule = {"name": "big drops", "sites": ["*"], "changes": ["price_down"], "min_delta_pct": 5}
        alerts = exports.parent / f"{exports.name}-alerts.json"
        alerts.write_text(json.dumps({"rules": [{**rule, "notify": [receiver.url]}]}), encoding="utf-8")
        for day in (1, 2, 2):
            runs.append(demo_run(day, module_database_url, exports, port, engine, alerts))
            runs[-1].alerts = list(receiver.received)
            receiver.received.clear()
    engine.dispose()
    yield DemoDays(f"http://127.0.0.1:{port}/", exports, runs, module_database_url)


def demo_run(day: int, database_url: str, exports: Path, port: int, engine: Engine, alerts: Path) -> DemoRun:
    """``demo crawl`` of ``day`` (alerts on), and what it stored for each shop."""
    proc = demo_crawl(day, database_url, exports, port, {"ALERTS_FILE": str(alerts)})
    run = DemoRun(proc.stdout + proc.stderr)
    for site in SHOPS:
        run.crawls[site], run.changes[site] = latest_crawl_changes(engine, site)
    with engine.connect() as conn:
        run.snapshots = conn.scalar(select(func.count()).select_from(Snapshot))
    return run


@pytest.mark.parametrize("site", SHOPS)
def test_each_shop_spider_reports_its_demo_catalog(demo_days: DemoDays, site: str) -> None:
    items = demo_days.items(site)
    assert_same_catalog(items, truth(site, demo_days.root, PRODUCTS, day=1))
    for item in items:  # SEO fields come from every product page crawled
        assert item["seo_title"] and item["h1"], f"no SEO fields for {item['url']}"
        assert item["canonical_url"].startswith(f"{demo_days.root}{site}/")


def test_day_one_runs_cleanly_and_records_every_product_as_new(demo_days: DemoDays) -> None:
    first = demo_days.runs[0]
    assert re.search(r"^shop\s+products\s+variants\s+attributes\s+ai\s", first.output, re.MULTILINE)
    assert "ERROR" not in first.output, first.output[-3000:]
    # Seven spiders in one process, one master workbook: written once, after the last crawl closed.
    assert first.output.count("master workbook: ") == 1, first.output[-3000:]
    book = load_workbook(demo_days.exports / "master.xlsx", read_only=True)
    assert set(SHOPS) <= set(book.sheetnames)
    book.close()
    for site in SHOPS:
        crawl, changes = first.crawls[site], first.changes[site]
        assert crawl.status == "finished", (site, crawl.status_note)
        assert {t for _, t, _ in changes} == {"new"} and sum(changes.values()) == crawl.items_count
        # Without a key: the shops' tables and the rules fill the yarn attributes, nothing is asked.
        assert crawl.stats["attributes/structured"] > 0 and crawl.stats["attributes/rules"] > 0, site
        assert "ai/calls" not in crawl.stats


def test_changes_between_days_are_the_catalog_differences(demo_days: DemoDays) -> None:
    second = demo_days.runs[1]
    for site in SHOPS:
        expected = expected_changes(
            truth(site, demo_days.root, PRODUCTS, day=1), truth(site, demo_days.root, PRODUCTS, day=2)
        )
        assert expected, f"day 2 of {site} should change something"
        crawl, changes = second.crawls[site], second.changes[site]
        assert crawl.status == "finished", (site, crawl.status_note)
        missing, unexpected = expected - changes, changes - expected
        assert not missing and not unexpected, f"{site}: missing {dict(missing)}, unexpected {dict(unexpected)}"


def test_crawling_the_same_day_again_records_nothing_new(demo_days: DemoDays) -> None:
    second, third = demo_days.runs[1], demo_days.runs[2]
    for site in SHOPS:
        crawl, changes = third.crawls[site], third.changes[site]
        assert crawl.crawl_id != second.crawls[site].crawl_id
        assert crawl.status == "finished" and not changes, (site, dict(changes))
    assert third.snapshots == second.snapshots


def test_day_two_exercises_every_kind_of_change() -> None:
    """The demo's day 2 makes each kind of change the diff must catch, so the test above
    can't pass by comparing two empty sets."""
    kinds: Counter = Counter()
    root = "http://127.0.0.1:8800/"
    for site in SHOPS:
        for _, kind, _ in expected_changes(truth(site, root, PRODUCTS, 1), truth(site, root, PRODUCTS, 2)):
            kinds[kind] += 1
    assert set(kinds) >= {
        "new",
        "removed",
        "price_down",
        "price_up",
        "sale_started",
        "sale_ended",
        "out_of_stock",
        "back_in_stock",
        "variant_price_changed",
        "variant_stock_changed",
    }


def test_price_drop_alerts_are_exactly_the_days_drops_of_five_percent_or_more(demo_days: DemoDays) -> None:
    """One digest per shop with such drops, listing exactly those products; none on day 1 (all new)
    and none for a repeat of day 2 (nothing changed)."""
    first, second, third = demo_days.runs
    assert first.alerts == [] and third.alerts == []
    expected: dict[str, set[str]] = {}
    for site in SHOPS:
        before = {p["product_id"]: p for p in truth(site, demo_days.root, PRODUCTS, day=1)}
        for product in truth(site, demo_days.root, PRODUCTS, day=2):
            old = before.get(product["product_id"], {})
            p_old, p_new = _dec(old.get("price")), _dec(product.get("price"))
            if p_old and p_new is not None and (p_new - p_old) / p_old * 100 <= -5:
                expected.setdefault(site, set()).add(product["url"])
    assert expected, "day 2 of the demo should drop some prices by 5% or more"
    received: dict[str, set[str]] = {}
    for message in second.alerts:
        site = message.title.rsplit(" at ", 1)[1]
        assert site not in received, f"two digests for {site}"
        received[site] = set(re.findall(r"^  (https?://\S+)$", message.message, re.MULTILINE))
    assert received == expected


def test_matching_what_the_spiders_crawled_meets_the_goal(demo_days: DemoDays) -> None:
    """Issue 15's goal on the seven shops as crawled and stored (day 2, after additions and
    removals): the groups of compare.csv against ``demo catalog``'s ``match_group``, pair by pair."""
    engine = create_engine(demo_days.database_url)
    try:
        comparison = compare_stored(engine)  # the groups the crawls stored as they went
        with Session(engine) as session:
            units = {(unit["site"], unit["product_id"]): unit for unit in expand(current_states(session))}
    finally:
        engine.dispose()
    scores = score(comparison.groups, units, truth_units(PRODUCTS, 2, demo_days.root))
    assert_meets_goal(scores, min_pairs=40, min_gtin_pairs=5)
    print(f"\ncrawled demo, {PRODUCTS} products x 7 shops, day 2 ({demo_days.database_url.split(':')[0]}): {scores}")
