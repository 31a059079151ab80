"""Resumable crawls: a 2,000-product crawl stopped half-way ends where an uninterrupted one ends.

- SIGTERM (what Ctrl-C, ``kill`` and a Scrapyd cancel send) closes the crawl cleanly: it is
  recorded ``cancelled``, its job folder ``stopped``; ``-s RESUME=true`` goes on with the same
  crawl id and the same Scrapy queue, and finishes it.
- SIGKILL leaves no resumable queue: ``-s RESUME=true`` says so and starts a new crawl, which
  marks the killed one aborted.

Either way the products, the changes and latest/full.csv equal those of an uninterrupted crawl
of the same shop (crawled once, in a database of its own).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecommerce_scraper.storage.models import Change, Crawl, Product, Snapshot
from testkit.crawling import (
    SITE,
    DemoShop,
    assert_finished,
    crawl,
    demo_shop,
    engine_for,
    product_count,
    start_crawl,
    wait_until,
)

PRODUCTS = 600
#: What a product's stored state says about the crawl rather than the shop.
CRAWL_FIELDS = ("crawl_id", "scraped_at")


@pytest.fixture(scope="module")
def big_shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as shop:
        yield shop


def sqlite(tmp_path: Path, name: str) -> str:
    return f"sqlite:///{(tmp_path / f'{name}.sqlite3').as_posix()}"


def outcome(database_url: str, exports: Path) -> dict[str, Any]:
    """What a crawl leaves behind, without what names the crawl (ids, times)."""
    with engine_for(database_url) as engine, engine.connect() as conn:
        products = {
            row.product_id: (
                row.fingerprint,
                row.price,
                row.availability,
                row.removed_at is None,
                {k: v for k, v in row.data.items() if k not in CRAWL_FIELDS},
            )
            for row in conn.execute(select(Product))
        }
        changes = Counter((row.product_id, row.change_type) for row in conn.execute(select(Change)))
        snapshots = Counter(row.product_id for row in conn.execute(select(Snapshot)))
    text = (exports / SITE / "latest" / "full.csv").read_text(encoding="utf-8-sig")
    rows = sorted(
        tuple(value for key, value in row.items() if key not in CRAWL_FIELDS)
        for row in csv.DictReader(io.StringIO(text, newline=""))
    )
    return {"products": products, "changes": changes, "snapshots": snapshots, "full_csv": rows}


@pytest.fixture(scope="module")
def uninterrupted(big_shop: DemoShop, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("uninterrupted")
    run = crawl(big_shop.url(), sqlite(folder, "catalog"), folder / "exports", folder / "items.jsonl")
    assert_finished(run)
    result = outcome(sqlite(folder, "catalog"), folder / "exports")
    assert len(result["products"]) == PRODUCTS and len(result["full_csv"]) == PRODUCTS
    return result


def crawl_rows(database_url: str) -> list[Any]:
    with engine_for(database_url) as engine, engine.connect() as conn:
        return list(conn.execute(select(Crawl).order_by(Crawl.started_at)))


def stop_half_way(shop: DemoShop, database_url: str, exports: Path, feed: Path, how: signal.Signals) -> Any:
    running = start_crawl(shop.url(), database_url, exports, feed)
    try:
        with engine_for(database_url) as poll:
            wait_until(lambda: product_count(poll) >= PRODUCTS // 2, running, timeout=120)
        os.killpg(running.proc.pid, how)
        return running.finish()
    finally:
        running.kill()  # only if the test failed half-way


def test_sigterm_half_way_then_resume(big_shop: DemoShop, uninterrupted: dict[str, Any], tmp_path: Path) -> None:
    database_url, exports = sqlite(tmp_path, "catalog"), tmp_path / "exports"
    first = stop_half_way(big_shop, database_url, exports, tmp_path / "first.jsonl", signal.SIGTERM)
    assert first.returncode == 0, first.output[-3000:]
    assert "Spider closed (shutdown)" in first.output
    [stopped] = crawl_rows(database_url)
    assert stopped.status == "cancelled" and stopped.items_count < PRODUCTS
    assert not (exports / SITE / "latest").exists()  # a cancelled crawl never takes latest/
    job = json.loads((exports / "jobs" / SITE / stopped.crawl_id / "crawl.json").read_text())
    assert job["state"] == "stopped"

    second = crawl(big_shop.url(), database_url, exports, tmp_path / "second.jsonl", RESUME="true")
    assert_finished(second)
    assert f"resuming crawl {stopped.crawl_id}" in second.output
    assert {item["crawl_id"] for item in second.items} == {stopped.crawl_id}
    # The queue went on: what the first part fetched was not fetched again.
    both = Counter(item["product_id"] for item in [*first.items, *second.items])
    assert len(both) == PRODUCTS and sum(both.values()) < PRODUCTS * 1.05
    [resumed] = crawl_rows(database_url)
    assert (resumed.crawl_id, resumed.status, resumed.items_count) == (stopped.crawl_id, "finished", PRODUCTS)
    assert resumed.stats["item_scraped_count"] == sum(both.values())  # both parts' stats, added up
    assert not (exports / "jobs" / SITE / stopped.crawl_id).exists()  # finished: nothing to resume
    assert outcome(database_url, exports) == uninterrupted


def test_sigkill_half_way_then_rerun(big_shop: DemoShop, uninterrupted: dict[str, Any], tmp_path: Path) -> None:
    database_url, exports = sqlite(tmp_path, "catalog"), tmp_path / "exports"
    killed = stop_half_way(big_shop, database_url, exports, tmp_path / "first.jsonl", signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    [dead] = crawl_rows(database_url)
    assert dead.status == "running"  # nobody could close it

    rerun = crawl(big_shop.url(), database_url, exports, tmp_path / "second.jsonl", RESUME="true")
    assert_finished(rerun)
    assert f"crawl {dead.crawl_id} was killed, and a killed crawl's queue can't be resumed" in rerun.output
    statuses = {row.crawl_id: row.status for row in crawl_rows(database_url)}
    assert statuses == {dead.crawl_id: "aborted", rerun.crawl_id: "finished"}
    assert outcome(database_url, exports) == uninterrupted
