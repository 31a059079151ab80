"""The storage promises about removals and duplicates, proven with real crawls.

- Crawls that were interrupted, saw too few products or too many errors record no removals;
  a clean crawl does.
- Duplicates: the most complete copy wins, and its changes are against the state before the crawl.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine

from ecommerce_scraper import settings as project_settings
from ecommerce_scraper.items import Product as ProductItem
from ecommerce_scraper.pipelines.dedup import DedupPipeline
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.diff import diff_states
from ecommerce_scraper.storage.state import to_state
from ecommerce_scraper.storage.writer import CrawlOutcome, CrawlWriter
from testkit.crawling import (
    SITE,
    DemoShop,
    assert_finished,
    changes_of,
    crawl,
    crawl_rows,
    demo_shop,
    engine_for,
    product_rows,
    snapshots_of,
)

from .db import record_unseen_as_gone


@pytest.fixture(scope="module")
def small_shop() -> Iterator[DemoShop]:
    """30 products; a test that switches its day switches it back to day 1 first."""
    with demo_shop(30) as shop:
        yield shop


# --- 4. removals only after clean crawls ------------------------------------------------------


def writer_crawl(engine: Engine, crawl_id: str, states: list[dict[str, Any]], stats: dict[str, Any]) -> CrawlOutcome:
    """A crawl written straight through ``CrawlWriter``, closed as the pipeline closes it."""
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    writer.write_batch(states)
    record_unseen_as_gone(writer)
    return writer.finish(
        "finished",
        stats,
        max_error_rate=project_settings.REMOVALS_MAX_ERROR_RATE,
        min_seen_share=project_settings.REMOVALS_MIN_SEEN_SHARE,
    )


def assert_nothing_removed(engine: Engine) -> None:
    assert [c.product_id for c in changes_of(engine) if c.change_type == "removed"] == []
    assert [pid for pid, p in product_rows(engine).items() if p.removed_at is not None] == []


def test_only_clean_crawls_record_removals(database_url: str, small_shop: DemoShop, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    small_shop.set_day(1)
    day1 = crawl(small_shop.url(), database_url, exports, tmp_path / "day1.jsonl")
    assert_finished(day1)
    expected_removed = small_shop.product_ids(1) - small_shop.product_ids(2)
    assert expected_removed, "day 2 of the demo shop should remove a product"

    small_shop.set_day(2)
    # One request at a time, or the downloader's queue runs on well past the fifth item.
    early = crawl(
        small_shop.url(),
        database_url,
        exports,
        tmp_path / "early.jsonl",
        CLOSESPIDER_ITEMCOUNT=5,
        CONCURRENT_REQUESTS=1,
    )
    assert early.returncode == 0, early.output[-4000:]

    engine = db.open_database(database_url)
    try:
        row = crawl_rows(engine)[early.crawl_id]
        assert row.status == "partial" and row.items_count < len(day1.items) // 2
        assert "closespider_itemcount" in (row.status_note or "")
        assert_nothing_removed(engine)

        states = [dict(p.data) for p in sorted(product_rows(engine).values(), key=lambda p: p.product_id)]
        few = states[: len(day1.items) * 4 // 10]
        many_errors = {"response_received_count": 40, "log_count/ERROR": 10}
        max_rate, min_share = project_settings.REMOVALS_MAX_ERROR_RATE, project_settings.REMOVALS_MIN_SEEN_SHARE
        assert max_rate < 10 / 40 and len(few) < min_share * len(day1.items) <= len(states) - 2
        error_note = f"error rate 25.0% over {max_rate:.0%} (10 errors, 40 responses)"
        too_few_note = f"saw {len(few)} products, under {min_share:.0%} of the previous crawl's {len(day1.items)}"

        # Saw 40% of the products, and a quarter of its requests failed.
        outcome = writer_crawl(engine, "writer-errors-few", few, many_errors)
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, f"{error_note}; {too_few_note}")
        assert_nothing_removed(engine)

        # Finished without errors, yet saw only 40% of the products of the last complete crawl
        # (day 1): neither the crawl closed early nor the failing one is the yardstick.
        outcome = writer_crawl(engine, "writer-few", few, {"response_received_count": len(few)})
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, too_few_note)
        assert_nothing_removed(engine)

        # Saw nearly everything, but too many requests failed: that alone is enough.
        outcome = writer_crawl(engine, "writer-errors", states[:-2], many_errors)
        assert (outcome.status, outcome.removed, outcome.note) == ("partial", 0, error_note)
        assert crawl_rows(engine)["writer-errors"].status_note == error_note
        assert_nothing_removed(engine)
    finally:
        engine.dispose()

    # The positive control: a clean day-2 crawl records exactly the removals the catalogs imply.
    clean = crawl(small_shop.url(), database_url, exports, tmp_path / "clean.jsonl")
    assert_finished(clean)
    with engine_for(database_url) as engine:
        row = crawl_rows(engine)[clean.crawl_id]
        removed_changes = [c.product_id for c in changes_of(engine, clean.crawl_id) if c.change_type == "removed"]
        removed_rows = {pid for pid, p in product_rows(engine).items() if p.removed_at is not None}
    assert (row.status, row.status_note) == ("finished", None)
    assert sorted(removed_changes) == sorted(expected_removed)
    assert removed_rows == expected_removed


# --- 5. duplicates ----------------------------------------------------------------------------


def yarn(**fields: Any) -> ProductItem:
    base: dict[str, Any] = {
        "site": SITE,
        "product_id": "1001",
        "url": "https://shop.example/1001-merino.html",
        "canonical_url": "https://shop.example/1001-merino.html",
        "name": "Merino Extra Fine",
        "price": Decimal("10.00"),
        "currency": "EUR",
        "availability": "in_stock",
        "variants": [],
        "crawl_id": "dup-crawl",
    }
    return ProductItem(**{**base, **fields})


def dedup_copies(first: ProductItem, poorer: ProductItem, richer: ProductItem) -> ProductItem:
    """Three copies of one product through the DedupPipeline: the poorer later one is dropped,
    the richer later one passes as a replacement. Returns the first (with its fingerprint)."""
    crawler = get_crawler(Spider)
    dedup = DedupPipeline.from_crawler(crawler)
    assert dedup.process_item(first) is first
    with pytest.raises(DropItem):
        dedup.process_item(poorer)
    assert dedup.process_item(richer) is richer
    assert crawler.stats.get_value("dedup/dropped") == 1
    assert crawler.stats.get_value("dedup/replaced") == 1
    return first


def write_copies(engine: Engine, crawl_id: str, first: ProductItem, richer: ProductItem, others: list[Any]) -> int:
    """Written as the storage pipeline writes them: each copy in its own batch of one crawl.
    Returns the changes the batches reported."""
    writer = CrawlWriter(engine, SITE, crawl_id, SITE)
    writer.start()
    reported = writer.write_batch([to_state(first), *others])
    reported += writer.write_batch([to_state(richer)])
    writer.finish("finished", {"response_received_count": len(others) + 2})
    return reported


def fillers(count: int) -> list[dict[str, Any]]:
    """Other products of the shop, so a crawl without the watched one is complete enough to trust."""
    return [
        to_state(yarn(product_id=f"20{n:02d}", name=f"Filler {n}", url=f"https://shop.example/{n}"))
        for n in range(count)
    ]


def test_dedup_keeps_the_most_complete_copy_and_diffs_it_against_the_previous_crawl(database_url: str) -> None:
    before = to_state(yarn(crawl_id="earlier"))
    first = yarn(price=Decimal("12.00"), brand="Drops")
    poorer = yarn(price=Decimal("11.00"))  # fewer fields than the first copy
    richer = yarn(price=Decimal("9.00"), brand="Drops", description="Soft.", category="Wool")
    dedup_copies(first, poorer, richer)

    engine = db.open_database(database_url)
    try:
        writer_crawl(engine, "earlier", [before], {"response_received_count": 1})
        reported = write_copies(engine, "dup-crawl", first, richer, [])
        stored = product_rows(engine)["1001"]
        snapshots = snapshots_of(engine, "dup-crawl")
        changes = [(c.change_type, c.field, c.old_value, c.new_value) for c in changes_of(engine, "dup-crawl")]
        crawl_row = crawl_rows(engine)["dup-crawl"]
    finally:
        engine.dispose()
    assert stored.fingerprint == richer["fingerprint"]
    assert (stored.price, stored.data["description"]) == (Decimal("9.00"), "Soft.")
    assert [s.fingerprint for s in snapshots] == [richer["fingerprint"]]
    expected = [(r.change_type, r.field, r.old_value, r.new_value) for r in diff_states(before, to_state(richer))]
    assert changes == expected
    # Against the earlier crawl's 10.00, not the first copy's 12.00.
    assert ("price_down", "price", "10.00", "9.00") in changes
    assert not any(c[0] == "price_up" for c in changes)
    # The first copy's changes were taken back: they are not counted either.
    assert reported == crawl_row.changes_count == len(changes)


def test_dedup_replacement_of_a_product_back_from_removal_is_still_new(database_url: str) -> None:
    others = fillers(10)
    first = yarn(price=Decimal("12.00"), brand="Drops")
    richer = yarn(price=Decimal("9.00"), brand="Drops", description="Soft.")
    dedup_copies(first, yarn(), richer)

    engine = db.open_database(database_url)
    try:
        writer_crawl(engine, "known", [to_state(yarn()), *others], {"response_received_count": 11})
        gone = writer_crawl(engine, "gone", others, {"response_received_count": 10})
        assert (gone.status, gone.removed) == ("finished", 1)
        reported = write_copies(engine, "back", first, richer, others)
        stored = product_rows(engine)["1001"]
        changes = [(c.product_id, c.change_type) for c in changes_of(engine, "back")]
        crawl_row = crawl_rows(engine)["back"]
    finally:
        engine.dispose()
    assert stored.removed_at is None and stored.fingerprint == richer["fingerprint"]
    # As if it had come once: gone before this crawl, so new, not a price drop from before it went.
    assert changes == [("1001", "new")]
    assert reported == crawl_row.changes_count == 1
