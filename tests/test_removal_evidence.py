"""Nothing invented: a product is reported removed only on evidence, a failed page is counted,
and a shop that can't be read fails the crawl in words a shop owner understands.

Real crawls (``scrapy crawl`` subprocesses) against a demo shop on loopback, real closed ports
and an unresolvable name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from testkit.crawling import (
    DemoShop,
    assert_finished,
    changes_of,
    crawl,
    crawl_rows,
    demo_shop,
    engine_for,
    product_rows,
)
from testkit.web import free_port as closed_port

from .conftest import fetch

PRODUCTS = 134
FAILING = 2  # 1.5% of the known product pages


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as demo:
        yield demo


def fail_pages(shop: DemoShop, status: int, urls: list[str]) -> None:
    query = urlencode([("status", status), *(("path", urlsplit(url).path) for url in urls)])
    code, _, _ = fetch(f"{shop.root}__demo__/fail?{query}")
    assert code == 200


def requested_paths(shop: DemoShop) -> list[str]:
    _, _, body = fetch(f"{shop.root}__demo__/requests?site=knitshop")
    return [row["path"] for row in json.loads(body)]


def stats_of(row: object) -> dict[str, object]:
    return dict(row.stats or {})  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def crawls(shop: DemoShop, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Day 1, then the same day with 1.5% of product pages answering 503 throughout, then with
    them healed, then with three others answering 404: one database, four crawls."""
    folder = tmp_path_factory.mktemp("evidence")
    database = f"sqlite:///{(folder / 'catalog.sqlite3').as_posix()}"
    exports = folder / "exports"
    runs: dict[str, object] = {}
    runs["day1"] = first = crawl(shop.url(), database, exports, folder / "day1.jsonl")
    assert_finished(first)
    assert len(first.items) == PRODUCTS
    by_id = sorted(first.items, key=lambda item: item["product_id"])
    broken, gone = by_id[10 : 10 + FAILING], by_id[50 : 50 + FAILING]
    runs["broken"], runs["gone"] = broken, gone
    with engine_for(database) as engine:
        runs["before"] = product_rows(engine)

    fail_pages(shop, 503, [item["url"] for item in broken])
    runs["failing"] = crawl(shop.url(), database, exports, folder / "failing.jsonl", RETRY_BACKOFF_BASE=0.05)
    fail_pages(shop, 503, [])
    fetch(f"{shop.root}__demo__/reset")
    runs["healed"] = crawl(shop.url(), database, exports, folder / "healed.jsonl")
    runs["healed_requests"] = requested_paths(shop)
    fail_pages(shop, 404, [item["url"] for item in gone])
    runs["control"] = crawl(shop.url(), database, exports, folder / "control.jsonl")
    fail_pages(shop, 404, [])
    runs["database"] = database
    return runs


def test_a_product_whose_page_fails_keeps_its_state_and_is_counted_unverified(crawls: dict) -> None:
    run = crawls["failing"]
    assert_finished(run)
    broken_ids = {item["product_id"] for item in crawls["broken"]}
    assert len(run.items) == PRODUCTS - FAILING
    with engine_for(crawls["database"]) as engine:
        row = crawl_rows(engine)[run.crawl_id]
        products = product_rows(engine)
        changes = changes_of(engine, run.crawl_id)
    # Before: 3 of 200 pages failing -> "finished", the 3 marked removed (and "new" next crawl).
    # Here 2 of 134.
    assert (row.status, row.unverified_count) == ("finished", FAILING), row.status_note
    assert [c for c in changes if c.change_type == "removed"] == []
    assert changes == []  # nothing changed in the shop
    before = crawls["before"]
    for product_id in broken_ids:
        kept, was = products[product_id], before[product_id]
        assert kept.removed_at is None
        assert (kept.fingerprint, kept.price, kept.availability) == (was.fingerprint, was.price, was.availability)
    stats = stats_of(row)
    assert stats["pages/failed/http_503"] == FAILING
    assert stats["pages/failed"] == FAILING
    for item in crawls["broken"]:
        lines = [line for line in run.output.splitlines() if item["url"] in line and " WARNING: " in line]
        assert len(lines) == 1, lines  # logged once, at WARNING, with its URL
        assert "failed (http_503)" in lines[0]


def test_unverified_products_are_fetched_first_by_the_next_crawl(crawls: dict) -> None:
    run = crawls["healed"]
    assert_finished(run)
    assert len(run.items) == PRODUCTS
    paths = [path for path in crawls["healed_requests"] if not path.endswith((".xml", ".txt"))]
    broken = {urlsplit(item["url"]).path for item in crawls["broken"]}
    positions = [paths.index(path) for path in broken]
    # Right after the home page, before the other products the sitemap lists.
    assert max(positions) <= FAILING + 2, (positions, paths[:10])
    with engine_for(crawls["database"]) as engine:
        row = crawl_rows(engine)[run.crawl_id]
        changes = changes_of(engine, run.crawl_id)
    assert (row.status, row.unverified_count, changes) == ("finished", 0, [])


def test_a_product_whose_page_answers_404_is_removed(crawls: dict) -> None:
    run = crawls["control"]
    assert_finished(run)
    gone_ids = {item["product_id"] for item in crawls["gone"]}
    with engine_for(crawls["database"]) as engine:
        row = crawl_rows(engine)[run.crawl_id]
        removed = {c.product_id for c in changes_of(engine, run.crawl_id) if c.change_type == "removed"}
        products = product_rows(engine)
    assert (row.status, row.unverified_count) == ("finished", 0)
    assert removed == gone_ids
    assert {pid for pid, p in products.items() if p.removed_at is not None} == gone_ids
    assert stats_of(row)["pages/gone/http_404"] >= FAILING


# --- shops that can't be read ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        (f"http://127.0.0.1:{closed_port()}/shop/", "connection refused"),
        ("http://www.knitshop.invalid/", "DNS lookup failed"),
    ],
    ids=["closed-port", "unresolvable"],
)
def test_an_unreachable_shop_fails_with_one_readable_line(base_url: str, reason: str, tmp_path: Path) -> None:
    database = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    run = crawl(base_url, database, tmp_path / "exports", tmp_path / "out.jsonl", RETRY_TIMES=1)
    host = urlsplit(base_url).netloc
    line = f"{host}: {reason} — check the base_url argument or the network"
    # Before: a traceback from the robots.txt middleware, then "partial" with an error rate of 400%.
    assert "Traceback" not in run.output, run.output[-3000:]
    assert sum(line in out for out in run.output.splitlines()) == 2  # the spider's line, and the storage's
    with engine_for(database) as engine:
        (row,) = crawl_rows(engine).values()
    assert (row.status, row.status_note, row.items_count) == ("failed", line, 0)
    assert not (tmp_path / "exports" / "knitshop" / "latest").exists()


def test_a_shop_with_no_products_at_its_address_fails(shop: DemoShop, tmp_path: Path) -> None:
    database = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    base_url = f"{shop.root}no-such-shop/"
    run = crawl(base_url, database, tmp_path / "exports", tmp_path / "out.jsonl")
    assert run.returncode == 0
    with engine_for(database) as engine:
        (row,) = crawl_rows(engine).values()
    # Before: "finished" with 0 items, and latest/ switched to an empty crawl.
    assert (row.status, row.status_note) == ("failed", f"no products found at {base_url}")
    assert not (tmp_path / "exports" / "knitshop" / "latest").exists()


def test_a_shop_seen_under_another_host_is_one_move_not_a_change_per_product(tmp_path: Path) -> None:
    with demo_shop(30) as shop:
        assert_shop_move_is_one_change(shop, tmp_path)


def assert_shop_move_is_one_change(shop: DemoShop, tmp_path: Path) -> None:
    database = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    exports = tmp_path / "exports"
    assert_finished(crawl(shop.url(), database, exports, tmp_path / "a.jsonl"))
    moved_url = shop.url().replace("127.0.0.1", "localhost")
    moved = crawl(moved_url, database, exports, tmp_path / "b.jsonl")
    assert_finished(moved)
    with engine_for(database) as engine:
        changes = changes_of(engine, moved.crawl_id)
        row = crawl_rows(engine)[moved.crawl_id]
        products = product_rows(engine)
    # Before: one field_changed canonical_url row per product.
    old_host, new_host = shop.root.rstrip("/"), shop.root.rstrip("/").replace("127.0.0.1", "localhost")
    assert [(c.change_type, c.product_id, c.old_value, c.new_value) for c in changes] == [
        ("shop_moved", "*", old_host, new_host)
    ]
    assert stats_of(row)["shop_moved"] == f"{old_host} → {new_host}"
    assert row.status == "finished" and all(p.removed_at is None for p in products.values())
    assert all(p.url.startswith(new_host) for p in products.values())
