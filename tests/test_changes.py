"""Day 1, then day 2, of every demo shop: the recorded changes are exactly the catalogs'
differences, on SQLite and on PostgreSQL. Crawling day 2 again records nothing new."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine, create_engine, func, select

from ecommerce_scraper.storage.models import Change, Crawl, Snapshot

from .conftest import ROOT, chromium_path, require_service, truth

SHOPS = ["atmosphere", "sittingknitting", "knitshop", "ili_ili", "triskeli", "manefa", "cityknitting"]
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_crawl(day: int, database_url: str, exports: Path, port: int) -> subprocess.CompletedProcess:
    """``demo crawl`` as a user runs it; the same port every day (URLs are product data)."""
    cmd = [sys.executable, "-m", "demo_shops", "crawl", "--products", str(PRODUCTS), "--day", str(day)]
    proc = subprocess.run(
        [*cmd, "--port", str(port)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        # No OPENAI_API_KEY: what `make demo` does without one (rule-based attributes only).
        env={**os.environ, "DATABASE_URL": database_url, "EXPORTS_DIR": str(exports), "OPENAI_API_KEY": ""},
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


def test_changes_between_days_are_the_catalog_differences(database_url: str, tmp_path: Path) -> None:
    require_service(chromium_path() is not None, "Chromium")
    engine = create_engine(database_url)
    port = free_port()
    first = demo_crawl(1, database_url, tmp_path, port)
    assert re.search(r"^shop\s+products\s+variants\s+attributes\s+ai\s", first.stdout, re.MULTILINE)
    # Seven spiders in one process, one master workbook: written once, after the last crawl closed.
    assert (first.stdout + first.stderr).count("master workbook: ") == 1, first.stderr[-3000:]
    book = load_workbook(tmp_path / "master.xlsx", read_only=True)
    assert set(SHOPS) <= set(book.sheetnames)
    book.close()
    for site in SHOPS:
        crawl, changes = latest_crawl_changes(engine, site)
        assert crawl.status == "finished", (site, crawl.status_note)
        assert {t for _, t, _ in changes} == {"new"} and sum(changes.values()) == crawl.items_count
        # Without a key: the shops' tables and the rules fill the yarn attributes, nothing is asked.
        assert crawl.stats["attributes/structured"] > 0 and crawl.stats["attributes/rules"] > 0, site
        assert "ai/calls" not in crawl.stats

    demo_crawl(2, database_url, tmp_path, port)
    root = "http://127.0.0.1:8800/"
    for site in SHOPS:
        expected = expected_changes(truth(site, root, PRODUCTS, day=1), truth(site, root, PRODUCTS, day=2))
        assert expected, f"day 2 of {site} should change something"
        crawl, changes = latest_crawl_changes(engine, site)
        assert crawl.status == "finished", (site, crawl.status_note)
        missing, unexpected = expected - changes, changes - expected
        assert not missing and not unexpected, f"{site}: missing {dict(missing)}, unexpected {dict(unexpected)}"

    with engine.connect() as conn:
        snapshots_before = conn.scalar(select(func.count()).select_from(Snapshot))
    demo_crawl(2, database_url, tmp_path, port)
    for site in SHOPS:
        crawl, changes = latest_crawl_changes(engine, site)
        assert crawl.status == "finished" and not changes, (site, dict(changes))
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Snapshot)) == snapshots_before
    engine.dispose()


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
