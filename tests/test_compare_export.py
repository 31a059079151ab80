"""``exports/compare.csv`` and the master workbook's Compare sheet, from stored crawls.

Three shops written through the crawl writer: the same Merino yarn at two of them (a Latin and a
Greek name), products that match nothing, and a matching product the third shop no longer has
(removed: left out). ``write_master`` (the extension's and ``scrapy export``'s path) writes
compare.csv; ``config/matches.csv``'s ``apart`` undoes the group; a broken controls file costs
compare.csv only, never master.xlsx.
"""

from __future__ import annotations

import csv
import io
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ecommerce_scraper.exports.compare_export import matches_path
from ecommerce_scraper.exports.tree import write_master
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import Export, Product
from ecommerce_scraper.storage.state import to_state
from ecommerce_scraper.storage.writer import CrawlWriter

from .db import record_unseen_as_gone
from .test_export_tree import scrapy_export

CONTRACT = ["match_id", "site", "product_id", "url", "name", "price", "regular_price", "availability"]
CONTRACT += ["confidence", "reason"]


MERINO_A = {"colour_code": "01", "weight_g": 50}


def product(
    site: str,
    product_id: str,
    name: str,
    brand: str,
    price: str,
    *,
    gtin: str | None = None,
    ai: Any = None,
    **attributes: Any,
) -> dict[str, Any]:
    return to_state(
        {
            "site": site,
            "product_id": product_id,
            "url": f"https://{site}.example/p/{product_id}",
            "name": name,
            "brand": brand,
            "gtin": gtin,
            "price": Decimal(price),
            "currency": "EUR",
            "availability": "in_stock",
            "attributes": attributes,
            "ai": ai,
        }
    )


def store(engine: Any, site: str, crawl_id: str, states: list[dict[str, Any]]) -> None:
    writer = CrawlWriter(engine, site, crawl_id, site)
    writer.start()
    writer.write_batch(states)
    record_unseen_as_gone(writer)
    writer.finish("finished", {})


@pytest.fixture
def stored(database_url: str) -> str:
    engine = db.open_database(database_url)
    try:
        store(
            engine,
            "shop_a",
            "a1",
            [
                product("shop_a", "a1", "Drops Merino Extra Fine 01 50 g", "Drops", "4.20", **MERINO_A),
                product("shop_a", "a2", "Lana Grossa Cool Wool 2000 50 g", "Lana Grossa", "5.10"),
            ],
        )
        store(
            engine,
            "shop_b",
            "b1",
            [
                product("shop_b", "b7", "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "DROPS", "3.90", colour_code="01"),
                product("shop_b", "b8", "Katia Alpaca Silver 5", "Katia", "6.00"),
            ],
        )
        # shop_c had the yarn too, then a clean crawl found it gone: a removed product matches nothing.
        merino_c = product("shop_c", "c3", "Μερινό Extra Fine Drops 01", "Drops", "3.50", colour_code="01")
        # (ten others, so that one product fewer is a clean crawl, not a suspiciously short one)
        others_c = [product("shop_c", f"c{n}", f"Alize Cotton Gold {n}", "Alize", "2.80") for n in range(10, 20)]
        store(engine, "shop_c", "c1", [merino_c, *others_c])
        store(engine, "shop_c", "c2", others_c)
        with engine.connect() as connection:
            removed = connection.scalar(select(Product.removed_at).where(Product.product_id == "c3"))
        assert removed is not None
    finally:
        engine.dispose()
    return database_url


def read_compare(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = raw.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(text, newline="")))[: len(CONTRACT)] == CONTRACT
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_compare_csv_and_sheet_from_the_stored_products(stored: str, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    engine = db.open_database(stored)
    try:
        write_master(engine, exports, tmp_path / "no-matches.csv")
        with engine.connect() as connection:
            recorded = connection.scalar(select(Export.rows).where(Export.kind == "compare_csv"))
    finally:
        engine.dispose()

    rows = read_compare(exports / "compare.csv")
    assert [(r["site"], r["product_id"], r["price"], r["cheapest"]) for r in rows] == [
        ("shop_a", "a1", "4.20", ""),
        ("shop_b", "b7", "3.90", "yes"),
    ]
    assert rows[0]["match_id"] == rows[1]["match_id"] and rows[0]["match_id"].startswith("m")
    assert rows[1]["name"] == "DROPS Merino Extra Fine χρώμα 01 (50γρ)"
    assert {r["reason"] for r in rows} == {"name"}
    assert {r["spread_pct"] for r in rows} == {"7.69"}  # (4.20 - 3.90) / 3.90
    assert recorded == 2

    book = load_workbook(exports / "master.xlsx")
    assert book.sheetnames == ["Summary", "shop_a", "shop_b", "shop_c", "All changes", "Compare"]
    sheet = [[cell.value for cell in row] for row in book["Compare"].iter_rows()]
    assert sheet[0] == ["match_id", "brand", "name", "colour", "weight_g", "shop_a", "shop_b", "cheapest", "spread_pct"]
    assert sheet[1][1:] == ["DROPS", "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "01", 50, 4.2, 3.9, "shop_b", 7.69]
    assert len(sheet) == 2
    assert (exports / "index.html").exists()


def test_apart_in_the_controls_file_removes_the_group(stored: str, tmp_path: Path) -> None:
    controls = tmp_path / "matches.csv"
    controls.write_text("action,site_a,product_id_a,site_b,product_id_b\napart,shop_b,b7,shop_a,a1\n", encoding="utf-8")
    exports = tmp_path / "exports"
    engine = db.open_database(stored)
    try:
        write_master(engine, exports, controls)
    finally:
        engine.dispose()
    assert read_compare(exports / "compare.csv") == []
    assert "Compare" not in load_workbook(exports / "master.xlsx").sheetnames


def test_a_broken_controls_file_costs_compare_csv_only(
    stored: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    controls = tmp_path / "matches.csv"
    controls.write_text("action,site_a,product_id_a,site_b,product_id_b\nmerge,shop_a,a1,shop_b,b7\n", encoding="utf-8")
    exports = tmp_path / "exports"
    engine = db.open_database(stored)
    try:
        with caplog.at_level(logging.ERROR):
            write_master(engine, exports, controls)
    finally:
        engine.dispose()
    failures = [record for record in caplog.records if "compare.csv not written" in record.getMessage()]
    assert len(failures) == 1
    assert not (exports / "compare.csv").exists()
    assert load_workbook(exports / "master.xlsx").sheetnames == ["Summary", "shop_a", "shop_b", "shop_c", "All changes"]
    assert (exports / "index.html").exists()


def test_scrapy_export_writes_compare_csv_with_matches_file(stored: str, tmp_path: Path, monkeypatch) -> None:
    exports = tmp_path / "exports"
    result = scrapy_export(stored, exports)
    assert result.returncode == 0, result.stderr[-3000:]
    assert [(r["site"], r["price"]) for r in read_compare(exports / "compare.csv")] == [
        ("shop_a", "4.20"),
        ("shop_b", "3.90"),
    ]

    controls = tmp_path / "matches.csv"
    controls.write_text("action,site_a,product_id_a,site_b,product_id_b\napart,shop_a,a1,shop_b,b7\n", encoding="utf-8")
    monkeypatch.setenv("MATCHES_FILE", str(controls))
    assert matches_path() == controls
    result = scrapy_export(stored, exports)
    assert result.returncode == 0, result.stderr[-3000:]
    assert read_compare(exports / "compare.csv") == []
