"""Alerts from stored crawls: digests read from the database (``alerts.digest``), the extension
in process, and one end-to-end run: real ``scrapy crawl`` of the knitshop demo shop on day 1,
day 2 and day 2 again, with the rule "price_down >= 5 % anywhere" posting to a loopback hook."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecommerce_scraper.alerts.digest import crawl_digests
from ecommerce_scraper.alerts.extension import BusinessAlerts
from ecommerce_scraper.alerts.rules import AlertsFile, Rule
from ecommerce_scraper.storage.db import open_database
from ecommerce_scraper.storage.models import Change, Crawl, CrawlProduct, Product
from testkit import zygote
from testkit.crawling import SITE, assert_finished, changes_of, crawl, crawl_rows, demo_shop, engine_for
from testkit.web import ROOT

from .alert_receivers import closed_port, hook_receiver
from .conftest import truth

STORAGE = {"ecommerce_scraper.pipelines.storage.StoragePipeline": 800}
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def rule(**fields: Any) -> Rule:
    return Rule.model_validate(
        {"name": "r", "sites": ["*"], "changes": ["price_down"], "notify": ["json://127.0.0.1:9/h"], **fields}
    )


# --- a crawl stored by hand -----------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    yield engine
    engine.dispose()


def store(engine: Engine, status: str = "finished") -> None:
    """Crawl c2 of knitshop: p1 dropped 10 -> 9, p2 back in stock at 4.50, p3 removed (was 3.00)."""
    states = {
        "p1": {
            "product_id": "p1",
            "name": "Merino Soft",
            "price": "9.00",
            "currency": "EUR",
            "brand": "Drops",
            "url": "https://k/p1",
        },
        "p2": {
            "product_id": "p2",
            "name": "Βαμβάκι 8/4",
            "price": "4.50",
            "currency": "EUR",
            "brand": "Rico",
            "url": "https://k/p2",
        },
        "p3": {"product_id": "p3", "name": "Old Tweed", "price": "3.00", "currency": "EUR", "url": "https://k/p3"},
    }
    with Session(engine) as session:
        session.add(Crawl(site=SITE, crawl_id="c2", spider=SITE, started_at=NOW, status=status))
        for pid, data in states.items():
            session.add(
                Product(
                    site=SITE,
                    product_id=pid,
                    url=data["url"],
                    name=data["name"],
                    fingerprint=f"f-{pid}",
                    data=data,
                    first_seen=NOW,
                    last_seen=NOW,
                    first_crawl_id="c1",
                    last_crawl_id="c2" if pid != "p3" else "c1",
                )
            )
            if pid != "p3":
                session.add(CrawlProduct(site=SITE, crawl_id="c2", product_id=pid, fingerprint=f"f-{pid}"))
        for pid, kind, old, new, delta in [
            ("p1", "price_down", "10.00", "9.00", Decimal("-10.00")),
            ("p2", "back_in_stock", "out_of_stock", "in_stock", None),
            ("p3", "removed", None, None, None),
        ]:
            session.add(
                Change(
                    site=SITE,
                    crawl_id="c2",
                    product_id=pid,
                    change_type=kind,
                    old_value=old,
                    new_value=new,
                    delta_pct=delta,
                    url=states[pid]["url"],
                    name=states[pid]["name"],
                    detected_at=NOW,
                    field="price" if kind == "price_down" else None,
                )
            )
        session.commit()


def test_digests_read_the_crawls_changes_with_the_products_state(engine: Engine) -> None:
    store(engine)
    cheap_stock = rule(name="cheap stock", changes=["back_in_stock"], below_price="5", keywords=["βαμβακι"])
    gone = rule(name="gone", changes=["removed"], sites=[SITE])
    drops = rule(name="drops", min_delta_pct=5, brands=["drops"])
    elsewhere = rule(name="elsewhere", sites=["yarnbox"], changes=["removed"])
    digests = crawl_digests(engine, [cheap_stock, gone, drops, elsewhere], SITE, "c2")
    assert {d.rule.name: list(d.products) for d in digests} == {"cheap stock": ["p2"], "gone": ["p3"], "drops": ["p1"]}
    by_name = {d.rule.name: d for d in digests}
    assert by_name["cheap stock"].changes[0].price == Decimal("4.50")  # the state's price, as Decimal
    assert "knitshop · Old Tweed\n  removed\n  https://k/p3" in by_name["gone"].body
    assert crawl_digests(engine, [rule(below_price="8.99")], SITE, "c2") == []  # nothing matches
    assert crawl_digests(engine, [gone], SITE, "no-such-crawl") == []


@pytest.mark.parametrize("status", ["partial", "failed", "cancelled", "running"])
def test_a_crawl_that_did_not_finish_sends_nothing(engine: Engine, status: str) -> None:
    store(engine, status)
    assert crawl_digests(engine, [rule()], SITE, "c2") == []


def extension(engine: Engine, notify: list[str], **settings: Any) -> BusinessAlerts:
    crawler = get_crawler(settings_dict={"ITEM_PIPELINES": STORAGE, "DATABASE_URL": str(engine.url), **settings})
    config = AlertsFile(rules=[rule(name="drops", notify=notify)])
    return BusinessAlerts(crawler, config)


def test_the_extension_sends_in_a_thread_and_counts(engine: Engine) -> None:
    store(engine)
    with hook_receiver(fail_first=1) as hook:
        alerts = extension(engine, [hook.url], ALERTS_RETRY_BACKOFF=0.01)
        started = time.monotonic()
        alerts.crawl_stored(SITE, "c2")
        assert time.monotonic() - started < 0.5  # returns at once: the storage is not kept waiting
        assert alerts.wait(10)
    (message,) = hook.received
    assert (
        message.title == "drops: 1 product at knitshop" and "price down: 10.00 → 9.00 EUR (-10.00%)" in message.message
    )
    stats = alerts.crawler.stats.get_stats()
    assert (stats["alerts/rules_matched"], stats["alerts/sent"], stats.get("alerts/failed", 0)) == (1, 1, 0)
    assert stats["alerts/retries"] == 1


def test_a_dead_destination_is_counted_and_logged_once(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    store(engine)
    dead = f"json://bot:T0psecretT0ken@127.0.0.1:{closed_port()}/hook"
    alerts = extension(engine, [dead], ALERTS_RETRY_BACKOFF=0.01)
    with caplog.at_level(logging.INFO):
        alerts.crawl_stored(SITE, "c2")
        assert alerts.wait(10)
    stats = alerts.crawler.stats.get_stats()
    assert (stats.get("alerts/sent", 0), stats["alerts/failed"], stats["alerts/retries"]) == (
        0,
        1,
        2,
    )
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "json://bot:***@127.0.0.1" in errors[0], errors
    assert not any("T0psecretT0ken" in r.getMessage() for r in caplog.records)


# --- end to end ---------------------------------------------------------------------------------


def expected_drops(demo_root: str, products: int) -> set[str]:
    """Products whose price dropped by 5 % or more from day 1 to day 2, from the demo catalogs."""
    before = {p["product_id"]: p for p in truth(SITE, demo_root, products, 1)}
    after = {p["product_id"]: p for p in truth(SITE, demo_root, products, 2)}
    drops = set()
    for pid in before.keys() & after.keys():
        old, new = before[pid].get("price"), after[pid].get("price")
        if old and new and Decimal(new) < Decimal(old) and (Decimal(new) - Decimal(old)) / Decimal(old) * 100 <= -5:
            drops.add(pid)
    return drops


def received_products(message: str, demo_root: str, products: int) -> set[str]:
    by_url = {p["url"]: p["product_id"] for p in truth(SITE, demo_root, products, 2)}
    urls = re.findall(r"^  (http\S+)$", message, flags=re.MULTILINE)
    return {by_url.get(url, url) for url in urls}


def test_a_real_crawl_sends_one_digest_of_the_drops(tmp_path: Path) -> None:
    products = 30
    url = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    with demo_shop(products) as shop, hook_receiver() as hook, engine_for(url) as engine:
        alerts = tmp_path / "alerts.json"
        rules = [
            {"name": "drops 5%", "sites": ["*"], "changes": ["price_down"], "min_delta_pct": 5, "notify": [hook.url]}
        ]
        alerts.write_text(json.dumps({"rules": rules}), encoding="utf-8")
        env = {"ALERTS_FILE": str(alerts)}

        def run(name: str) -> Any:
            result = crawl(
                shop.url(), url, tmp_path / "exports", tmp_path / f"{name}.jsonl", env=env, ALERTS_RETRY_BACKOFF=0.1
            )
            assert_finished(result)
            return result

        day1 = run("day1")  # every product is new: no price_down
        assert hook.received == []
        shop.set_day(2)
        day2 = run("day2")
        (message,) = hook.wait_for(1, timeout=5)  # the crawl waited for it before exiting
        finished_at = crawl_rows(engine)[day2.crawl_id].finished_at
        latency = message.at - finished_at.replace(tzinfo=finished_at.tzinfo or UTC).timestamp()
        expected = expected_drops(shop.root, products)
        received = received_products(message.message, shop.root, products)
        print(f"expected {sorted(expected)}, received {sorted(received)}, latency {latency:.2f} s")
        assert expected and received == expected
        # The crawl stored other price changes (rises): the rule left them out.
        rises = {c.product_id for c in changes_of(engine, day2.crawl_id) if c.change_type == "price_up"}
        assert rises and not rises & received
        assert f"knitshop crawl {day2.crawl_id}" in message.message
        assert 0 <= latency < 5
        assert "alerts: 1 digest(s), 1 delivery(ies) sent, 0 failed" in day2.output

        run("day2-again")  # nothing changed: nothing sent
        assert len(hook.received) == 1 and day1.crawl_id != day2.crawl_id

        # The same digest, sent again from the database.
        cmd = [sys.executable, "-m", "scrapy", "alerts", "--crawl", day2.crawl_id, "--site", SITE]
        proc = zygote.run(cmd, cwd=ROOT, env={**os.environ, **env, "DATABASE_URL": url}, timeout=60)
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        assert (
            proc.stdout.strip()
            == f"knitshop crawl {day2.crawl_id}: rule 'drops 5%', {len(expected)} product(s), {hook.url}: sent"
        )
        assert [m.message for m in hook.wait_for(2)] == [message.message] * 2


def test_scrapy_crawl_stops_at_once_on_a_broken_alerts_file(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts.json"
    alerts.write_text(json.dumps({"rules": [{"name": "x", "sites": ["*"], "changes": ["drop"], "notify": []}]}))
    env = {**os.environ, "ALERTS_FILE": str(alerts), "EXPORTS_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", "base_url=http://127.0.0.1:9/"]
    proc = zygote.run(cmd, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert errors == [
        f"scrapy crawl: error: {alerts}: rules.0.changes: Value error, unknown change type(s) drop (known: "
        + errors[0].split("(known: ", 1)[1]
    ]
    assert "rules.0.notify: List should have at least 1 item" in errors[0]
