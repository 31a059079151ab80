"""The item pipelines in process, each from ``from_crawler`` on a ``get_crawler`` crawler.

DedupPipeline has its own tests (tests/test_dedup.py). StoragePipeline's ``process_item`` and
``spider_closed`` write in a worker thread (``deferToThread``), which needs Twisted's reactor
running: they are left to the end-to-end crawls (tests/test_storage_*.py, test_changes.py).
Here: ``check_database``, and the spool a crawl falls back on, written and loaded back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, UsageError
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, func, select

from demo_shops.catalog import build_catalog
from demo_shops.stores import store_for
from ecommerce_scraper.items import Product
from ecommerce_scraper.pipelines.attributes import AttributesPipeline
from ecommerce_scraper.pipelines.storage import StoragePipeline, check_database
from ecommerce_scraper.pipelines.validate import ValidatePipeline
from ecommerce_scraper.storage import models
from ecommerce_scraper.storage.db import open_database

ROOT = "http://shop.test/atmosphere/"


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def product(**fields: Any) -> Product:
    item = Product(
        site="atmosphere",
        product_id="107",
        url=ROOT + "product/p/",
        name="Νήμα Drops Merino Extra Fine",
        price=Decimal("5.90"),
        regular_price=Decimal("7.50"),
        currency="EUR",
        availability="in_stock",
        variants=[{"sku": "ATM-1-01", "price": Decimal("5.90"), "regular_price": None, "availability": "in_stock"}],
        attributes={},
    )
    item.update(fields)
    return item


# --- ValidatePipeline -------------------------------------------------------------------------


@pytest.fixture
def validate() -> tuple[ValidatePipeline, Crawler]:
    crawler = get_crawler(Spider)
    return ValidatePipeline.from_crawler(crawler), crawler


def test_a_valid_item_passes_unchanged(validate) -> None:
    pipeline, crawler = validate
    item = product()
    assert pipeline.process_item(item) is item and dict(item) == dict(product())
    assert crawler.stats.get_stats() == {}


def test_an_item_without_a_price_passes_and_is_counted(validate) -> None:
    pipeline, crawler = validate
    item = product(price=None, regular_price=None)
    assert pipeline.process_item(item) is item
    assert crawler.stats.get_value("validate/no_price") == 1


@pytest.mark.parametrize(("field", "value"), [("name", None), ("name", ""), ("product_id", None), ("url", "")])
def test_an_item_missing_a_required_field_is_dropped(validate, field: str, value: Any) -> None:
    pipeline, crawler = validate
    with pytest.raises(DropItem, match=f"missing {field} at"):
        pipeline.process_item(product(**{field: value}))
    assert crawler.stats.get_value("validate/dropped_missing_fields") == 1


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"price": Decimal("-1.00")}, "price is negative (-1.00)"),
        ({"price": 5.9}, "price is float, not Decimal"),
        ({"regular_price": "7.50"}, "regular_price is str, not Decimal"),
        (
            {"variants": [{"sku": "v", "price": 5.9, "regular_price": None, "availability": None}]},
            "variants[0].price is float, not Decimal",
        ),
        ({"availability": "available"}, "availability 'available' not one of"),
    ],
    ids=["negative", "float", "text", "variant-float", "availability"],
)
def test_an_untrustworthy_item_is_dropped_naming_the_problem(validate, fields: dict, problem: str) -> None:
    pipeline, crawler = validate
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(product(**fields))
    assert str(dropped.value).startswith(f"invalid product 107 at {ROOT}product/p/: ")
    assert problem in str(dropped.value)
    assert crawler.stats.get_value("validate/dropped_invalid") == 1


# --- AttributesPipeline (rules only: no OPENAI_API_KEY) ---------------------------------------


@pytest.fixture
def attributes(monkeypatch: pytest.MonkeyPatch) -> tuple[AttributesPipeline, Crawler]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    crawler = get_crawler(Spider)
    pipeline = AttributesPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return pipeline, crawler


def merino(site: str):
    return next(p for p in build_catalog(site, 60).products if "Merino Extra Fine" in p.name)


@pytest.mark.parametrize("site", ["sittingknitting", "atmosphere"])  # English and Greek
def test_the_rules_read_yarn_attributes_from_name_and_description(attributes, site: str) -> None:
    pipeline, crawler = attributes
    assert pipeline.config is None and pipeline.extractor is None  # rules only
    demo = merino(site)
    item = product(name=demo.name, description=demo.description, attributes={})
    assert run(pipeline.process_item(item)) is item
    ai = item["ai"]
    assert ai["fibres"] == {"value": [{"fibre": "merino wool", "percent": 100}], "source": "rules"}
    assert ai["weight_g"] == {"value": 50, "source": "rules"}
    assert ai["length_m"] == {"value": 105, "source": "rules"}
    assert (ai["needle_mm_min"]["value"], ai["needle_mm_max"]["value"]) == (4, 4.5)
    assert ai["product_type"]["value"] == "yarn"
    assert crawler.stats.get_value("attributes/rules") == len(ai)
    assert crawler.stats.get_value("attributes/structured") is None


def test_the_shops_own_table_comes_before_the_rules(attributes) -> None:
    pipeline, crawler = attributes
    demo = merino("sittingknitting")
    item = product(name=demo.name, description=demo.description, attributes=demo.attributes)
    run(pipeline.process_item(item))
    assert item["ai"]["weight_g"] == {"value": 50, "source": "structured"}
    assert item["ai"]["care"]["source"] == "rules"  # the table has no care line: the text has
    sources = [entry["source"] for entry in item["ai"].values()]
    assert crawler.stats.get_value("attributes/structured") == sources.count("structured") >= 4
    assert crawler.stats.get_value("attributes/rules") == sources.count("rules") >= 1


def test_a_product_that_is_no_yarn_gets_no_yarn_attributes(attributes) -> None:
    pipeline, _ = attributes
    store = store_for(build_catalog("sittingknitting", 60))
    notion = next(p for p in store.catalog.products if p.kind == "notion")
    item = run(pipeline.process_item(product(name=notion.name, description=notion.description, attributes={})))
    assert "fibres" not in item["ai"] and "weight_g" not in item["ai"]


def test_a_malformed_ai_price_setting_fails_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    crawler = get_crawler(Spider, {"AI_PRICE_INPUT_PER_MTOK": "cheap"})
    with pytest.raises(UsageError, match=r"AI_PRICE_INPUT_PER_MTOK must be a decimal number .* got 'cheap'"):
        AttributesPipeline.from_crawler(crawler)


# --- StoragePipeline: what needs no reactor ---------------------------------------------------

STORAGE = {"ITEM_PIPELINES": {"ecommerce_scraper.pipelines.storage.StoragePipeline": 800}}


def test_check_database_creates_a_fresh_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    check_database(Settings({**STORAGE, "DATABASE_URL": f"sqlite:///{path}"}))
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:  # the schema is there, at head
        assert connection.execute(select(func.count()).select_from(models.Product)).scalar() == 0
    engine.dispose()


def test_check_database_names_an_unreachable_postgresql_in_one_line() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    with pytest.raises(UsageError) as failed:
        check_database(Settings({**STORAGE, "DATABASE_URL": url}))
    message = str(failed.value)
    assert "\n" not in message and url in message and "connection refused" in message


def test_check_database_is_skipped_without_the_storage_pipeline() -> None:
    check_database(Settings({"ITEM_PIPELINES": {}, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"}))


def test_the_spool_is_written_and_loaded_into_the_next_crawls_database(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    settings = {"DATABASE_URL": database, "EXPORTS_DIR": str(tmp_path)}
    crawler = get_crawler(Spider, settings)
    crawler.spider = crawler._create_spider("atmosphere")
    crawler.spider.crawl_id = "20250101T000000Z-0001"
    down = StoragePipeline.from_crawler(crawler)
    assert down.known_products("atmosphere", "unverified") == []  # not open: nothing known
    down.spool("atmosphere", [{"site": "atmosphere", "product_id": "107", "name": "A", "url": ROOT + "a/"}])
    (spooled,) = (tmp_path / "spool").glob("*.jsonl")
    assert spooled.name == "atmosphere-20250101T000000Z-0001.jsonl"
    record = json.loads(spooled.read_text(encoding="utf-8"))
    assert record["crawl_id"] == "20250101T000000Z-0001" and record["state"]["product_id"] == "107"
    assert crawler.stats.get_value("storage/items_spooled") == 1

    check_database(Settings({**STORAGE, "DATABASE_URL": database}))
    later = get_crawler(Spider, settings)
    later.spider = later._create_spider("atmosphere")
    pipeline = StoragePipeline.from_crawler(later)
    pipeline.engine = open_database(database)  # what open_spider does first
    assert pipeline.load_spool() == [("atmosphere", "20250101T000000Z-0001")]
    assert not spooled.exists() and later.stats.get_value("storage/items_unspooled") == 1
    with pipeline.engine.connect() as connection:
        assert connection.execute(select(models.Product.product_id)).scalars().all() == ["107"]
    pipeline.engine.dispose()
