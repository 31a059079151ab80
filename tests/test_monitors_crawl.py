"""The crawl health monitors on real crawls of the knitshop demo (PrestaShop, 30 products):
day 1 (no baseline), day 2 (normal changes), day 3 with the demo's ``broken_prices`` fault (a
redesign: product pages without their price markup), day 4 with the prices back. One database,
four crawls, shared by the tests below. Business alerts (every price change, at any shop) and
health alerts (``HEALTH_NOTIFY``) go to two local webhook receivers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from ecommerce_scraper.monitors import crawl_is_suspect
from testkit.crawling import DemoShop, assert_finished, changes_of, crawl, crawl_rows, demo_shop, engine_for

from .alert_receivers import HookReceiver, hook_receiver
from .conftest import fetch

PRODUCTS = 30
SITE = "knitshop"
PRICE_CHANGES = ["price_down", "price_up", "price_changed", "variant_price_changed"]


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as demo:
        yield demo


@pytest.fixture(scope="module")
def receivers() -> Iterator[tuple[HookReceiver, HookReceiver]]:
    with hook_receiver() as business, hook_receiver() as health:
        yield business, health


@pytest.fixture(scope="module")
def crawls(
    shop: DemoShop, receivers: tuple[HookReceiver, HookReceiver], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("monitors")
    database = f"sqlite:///{(folder / 'catalog.sqlite3').as_posix()}"
    exports = folder / "exports"
    business, health = receivers
    rules = {"rules": [{"name": "prices", "sites": ["*"], "changes": PRICE_CHANGES, "notify": [business.url]}]}
    alerts_file = folder / "alerts.json"
    alerts_file.write_text(json.dumps(rules), encoding="utf-8")
    env = {"ALERTS_FILE": str(alerts_file), "HEALTH_NOTIFY": health.url}
    runs: dict[str, Any] = {"database": database, "exports": exports}
    for day, name, faults in ((1, "day1", ""), (2, "day2", ""), (3, "broken", "broken_prices=3"), (4, "fixed", "")):
        shop.set_day(day)
        status, _, _ = fetch(f"{shop.root}__demo__/faults?spec={faults}")
        assert status == 200
        runs[name] = run = crawl(shop.url(), database, exports, folder / f"{name}.jsonl", env=env)
        assert_finished(run)
        # What each crawl sent: the receivers' messages since the previous crawl (sent before it exits).
        runs[f"{name}_business"], runs[f"{name}_health"] = list(business.received), list(health.received)
        business.received.clear()
        health.received.clear()
        with engine_for(database) as engine:
            runs[f"{name}_row"] = crawl_rows(engine)[run.crawl_id]
            runs[f"{name}_changes"] = changes_of(engine, run.crawl_id)
        if name == "broken":
            runs["master"] = load_workbook(exports / "master.xlsx")
            runs["report"] = (exports / SITE / run.crawl_id / "report.html").read_text(encoding="utf-8")
            runs["latest"] = (exports / SITE / "latest" / "report.html").read_text(encoding="utf-8")
    return runs


def results(row: Any) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in row.stats["monitors"]["results"]}


def test_the_first_crawl_has_no_baseline_and_passes(crawls: dict[str, Any]) -> None:
    row = crawls["day1_row"]
    assert row.status == "finished", row.status_note
    verdicts = results(row)
    assert all(v["passed"] for v in verdicts.values()), verdicts
    assert verdicts["item_count"]["note"] == verdicts["coverage/price"]["note"] == "no baseline"
    assert row.stats["coverage/name"] == 1.0 and row.stats["coverage/price"] > 0.9


def test_a_normal_day_passes_against_the_previous_finished_crawl(crawls: dict[str, Any]) -> None:
    row = crawls["day2_row"]
    assert row.status == "finished", row.status_note
    assert not crawl_is_suspect(row)
    assert row.stats["monitors"]["baseline"] == crawls["day1"].crawl_id
    assert row.stats["monitors"]["failed"] == []
    assert "[Spidermon] 10 monitors in" in crawls["day2"].output and "... FAIL" not in crawls["day2"].output


def test_prices_gone_fail_the_price_coverage_monitor_and_the_crawl_is_partial(crawls: dict[str, Any]) -> None:
    row = crawls["broken_row"]
    assert row.status == "partial"
    assert "suspect: price on 0.0% of products" in row.status_note
    assert crawl_is_suspect(row)
    verdicts = results(row)
    assert [name for name, v in verdicts.items() if not v["passed"]] == ["coverage/price"]
    price = verdicts["coverage/price"]["figures"]
    assert price["share"] == 0.0 and price["previous"] > 0.9
    assert row.stats["monitors"]["baseline"] == crawls["day2"].crawl_id
    # Nothing marked removed; latest/ still the previous finished crawl.
    kinds = Counter(change.change_type for change in crawls["broken_changes"])
    assert kinds["removed"] == 0
    assert crawls["day2"].crawl_id in crawls["latest"] and crawls["broken"].crawl_id not in crawls["latest"]
    # Kept, flagged: the price changes "to nothing" are what the pages showed, in a suspect crawl.
    assert kinds["price_changed"] > 0
    assert all(c.new_value is None for c in crawls["broken_changes"] if c.change_type == "price_changed")
    assert "Field coverage/price coverage... FAIL" in crawls["broken"].output


def test_the_report_shows_the_suspect_banner_and_the_health_panel(crawls: dict[str, Any]) -> None:
    html = crawls["report"]
    assert 'id="suspect"' in html and "Suspect crawl" in html
    assert 'id="health"' in html
    assert '<tr class="monitor fail" data-monitor="coverage/price">' in html
    assert html.count('class="monitor pass"') == 9
    assert "price on 0.0% of products" in html


def test_master_summary_shows_the_failed_monitor(crawls: dict[str, Any]) -> None:
    sheet = crawls["master"]["Summary"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["status"] == "partial"
    assert row["health"] == "suspect, failed: coverage/price"


def test_prices_back_pass_against_the_last_finished_crawl_not_the_suspect_one(crawls: dict[str, Any]) -> None:
    row = crawls["fixed_row"]
    assert row.status == "finished", row.status_note
    assert row.stats["monitors"]["baseline"] == crawls["day2"].crawl_id
    assert row.stats["monitors"]["failed"] == []


def test_a_suspect_crawl_sends_one_health_alert_and_no_price_alerts(crawls: dict[str, Any]) -> None:
    health = crawls["broken_health"]
    assert len(health) == 1, [m.title for m in health]
    assert f"knitshop: crawl {crawls['broken'].crawl_id} looks broken (coverage/price)" == health[0].title
    assert "price on 0.0% of products" in health[0].message and "Nothing was marked removed" in health[0].message
    assert crawls["broken_business"] == []  # its "price changed to nothing" rows are not alerted
    assert "1 health alert(s) sent" in crawls["broken"].output


def test_healthy_crawls_send_their_business_alerts_and_no_health_alert(crawls: dict[str, Any]) -> None:
    for name in ("day1", "day2", "fixed"):
        assert crawls[f"{name}_health"] == [], name
    assert crawls["day1_business"] == []  # every product is new on day 1
    day2 = crawls["day2_business"]
    expected = {c.url for c in crawls["day2_changes"] if c.change_type in PRICE_CHANGES}
    assert expected and None not in expected and len(day2) == 1
    assert all(url in day2[0].message for url in expected), day2[0].message
