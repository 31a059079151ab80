"""The price position in the exports: master.xlsx's Compare (own price first, stock colours),
Position and Most expensive sheets, and index.html's "Across shops" panel, from stored crawls.

The hand-worked case of tests/test_price_position.py (its docstring has the arithmetic), stored
through the crawl writer: your shop ``mine`` (``own_site``) or ``OWN_CATALOG``, ``shop_a`` and
``shop_b``, every product with its group's GTIN so that the groups are G1 ... G6 exactly.

Also by hand, for the panel (every shop's prices, yours included):

- cheapest: G1 shop_a (9.00), G2 shop_a (4.00), G3 shop_b (6.00), G4 shop_a (17.00), G5 shop_b
  (6.00), G6 shop_a (3.00): shop_a 4 of the 6 it prices, shop_b 2 of 4, mine 0 of 5;
- spreads (max - min) / min: G3 (8.80 - 6) / 6 = 46.67 %, G2 (5 - 4) / 4 = 25.00 %, G1 (11 - 9)
  / 9 = 22.22 %, G4 3 / 17 = 17.65 %, G5 1 / 6 = 16.67 %, G6 0.30 / 3 = 10.00 %.
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
from parsel import Selector

from ecommerce_scraper.exports.compare_export import OwnShop, own_shop
from ecommerce_scraper.exports.tree import write_master
from ecommerce_scraper.matching.identity import gtin_check_digit
from ecommerce_scraper.matching.own_catalog import OWN_CATALOG_SITE
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.state import to_state

from .test_compare_export import store
from .test_price_position import PRICES
from .test_report import assert_self_contained, table_rows

#: Each shop's stock per group (missing: no availability stated).
STOCK: dict[str, dict[str, str]] = {
    "mine": dict.fromkeys(PRICES, "in_stock"),
    "shop_a": {"G1": "in_stock", "G2": "out_of_stock", "G3": "backorder", "G4": "in_stock", "G5": "in_stock"},
    "shop_b": {"G1": "preorder", "G2": "in_stock", "G5": "out_of_stock"},
}
GREEN, RED, AMBER, GREY = "C6EFCE", "FFC7CE", "FFEB9C", "E7E6E6"


def gtin(group: str) -> str:
    body = f"520000000000{group[1:]}"
    return body + str(gtin_check_digit(body))


def price_of(site: str, group: str) -> str | None:
    """The hand case's price (its ``own`` is ``mine`` here)."""
    return PRICES[group].get("own" if site == "mine" else site)


def state(site: str, group: str) -> dict[str, Any]:
    return to_state(
        {
            "site": site,
            "product_id": f"{site}-{group}",
            # scraped text is untrusted: a javascript: URL is never a link
            "url": "javascript:alert(1)" if (site, group) == ("shop_b", "G5") else f"https://{site}.example/p/{group}",
            "name": f"{group} yarn",
            "brand": "Drops",
            "gtin": gtin(group),
            "price": Decimal(str(price_of(site, group))),
            "currency": "EUR",
            "availability": STOCK[site].get(group),
        }
    )


def store_shops(url: str, sites: tuple[str, ...]) -> None:
    engine = db.open_database(url)
    try:
        for site in sites:
            store(engine, site, f"{site}-1", [state(site, group) for group in PRICES if price_of(site, group)])
    finally:
        engine.dispose()


def export(url: str, exports: Path, own: OwnShop | None) -> None:
    engine = db.open_database(url)
    try:
        write_master(engine, exports, exports.parent / "no-matches.csv", own)
    finally:
        engine.dispose()


def sheet_values(book: Any, title: str) -> list[list[Any]]:
    return [[cell.value for cell in row] for row in book[title].iter_rows()]


def fill_of(cell: Any) -> str | None:
    # Excel ignores a fill colour's alpha byte, written 00 or FF by different writers.
    return cell.fill.start_color.rgb[2:] if cell.fill.fill_type == "solid" else None


def test_own_site_in_the_workbook_and_the_index(database_url: str, tmp_path: Path) -> None:
    store_shops(database_url, ("mine", "shop_a", "shop_b"))
    exports = tmp_path / "exports"
    export(database_url, exports, OwnShop("mine"))

    book = load_workbook(exports / "master.xlsx")
    assert book.sheetnames[-3:] == ["Compare", "Position", "Most expensive"]
    compare = sheet_values(book, "Compare")
    assert compare[0] == [
        *["match_id", "brand", "name", "colour", "weight_g"],
        *["mine (you)", "vs_cheapest", "vs_cheapest_pct", "shop_a", "shop_b", "cheapest", "spread_pct"],
    ]
    rows = {row[2]: row[5:] for row in compare[1:]}
    assert rows == {
        "G1 yarn": [10, 1, 11.11, 9, 11, "shop_a", 22.22],
        "G2 yarn": [5, 1, 25, 4, 4.5, "shop_a", 25],
        "G3 yarn": [8, 2, 33.33, 8.8, 6, "shop_b", 46.67],
        "G4 yarn": [20, 3, 17.65, 17, None, "shop_a", 17.65],
        "G5 yarn": [None, None, None, 7, 6, "shop_b", 16.67],
        "G6 yarn": [3.3, 0.3, 10, 3, None, "shop_a", 10],
    }
    sheet = book["Compare"]
    colours = {sheet.cell(row, 3).value: [fill_of(sheet.cell(row, col)) for col in (6, 9, 10)] for row in range(2, 8)}
    assert colours == {
        "G1 yarn": [GREEN, GREEN, AMBER],  # shop_b: preorder
        "G2 yarn": [GREEN, RED, GREEN],
        "G3 yarn": [GREEN, AMBER, GREY],  # shop_b states no stock
        "G4 yarn": [GREEN, GREEN, None],  # shop_b doesn't sell it
        "G5 yarn": [None, GREEN, RED],
        "G6 yarn": [GREEN, GREY, None],
    }
    assert [fill_of(sheet.cell(2, col)) for col in (1, 7, 11)] == [None, None, None]
    notes = {cell.value: cell.comment.text for cell in sheet[1] if cell.comment is not None}
    assert sorted(notes) == ["mine (you)", "shop_a", "shop_b"]
    legend = "green in stock, red out of stock, amber backorder or preorder, grey unknown"
    assert all(legend in note for note in notes.values())

    assert sheet_values(book, "Position") == [
        ["competitor", "shared", "undercuts", "median_undercut_pct", "price_index"],
        ["shop_a", 5, 4, 12.5, 91.18],
        ["shop_b", 3, 2, 17.5, 91.67],
    ]
    most = sheet_values(book, "Most expensive")
    assert most[0][1:] == [
        *["name", "your_price", "cheapest", "cheapest_price"],
        *["vs_cheapest", "vs_cheapest_pct", "cheapest_url"],
    ]
    assert [row[1:] for row in most[1:]] == [
        ["G2 yarn", 5, "shop_a", 4, 1, 25, "https://shop_a.example/p/G2"],
        ["G4 yarn", 20, "shop_a", 17, 3, 17.65, "https://shop_a.example/p/G4"],
    ]

    html = (exports / "index.html").read_text(encoding="utf-8")
    page = Selector(text=html)
    products = {f"https://{site}.example/p/{group}" for site in STOCK for group in PRICES}
    assert_self_contained(html, products)
    assert page.css("#across #matched::text").get() == "6"
    assert table_rows(page, "#position") == [
        ["shop_a", "5", "4", "12.50%", "91.18"],
        ["shop_b", "3", "2", "17.50%", "91.67"],
    ]
    assert table_rows(page, "#most-expensive") == [
        ["G2 yarn", "€5.00", "shop_a", "€4.00", "+25.00%"],
        ["G4 yarn", "€20.00", "shop_a", "€17.00", "+17.65%"],
    ]
    assert page.css("#most-expensive a::attr(href)").getall()[:2] == [
        "https://mine.example/p/G2",
        "https://shop_a.example/p/G2",
    ]
    assert table_rows(page, "#cheapest") == [
        ["mine", "0", "5", "0%"],
        ["shop_a", "4", "6", "67%"],
        ["shop_b", "2", "4", "50%"],
    ]
    spreads = table_rows(page, "#spreads")
    assert [(row[0].split(" ")[0], row[1]) for row in spreads] == [
        ("G3", "+46.67%"),
        ("G2", "+25.00%"),
        ("G1", "+22.22%"),
        ("G4", "+17.65%"),
        ("G5", "+16.67%"),
        ("G6", "+10.00%"),
    ]
    assert spreads[0][2:] == ["shop_b €6.00", "shop_a €8.80"]
    assert page.css("#spreads tr[data-match] a::attr(href)").getall()[:2] == [
        "https://shop_b.example/p/G3",
        "https://shop_a.example/p/G3",
    ]
    g5 = page.xpath("//table[@id='spreads']//tr[td[1][starts-with(normalize-space(.), 'G5')]]")
    assert g5.css("a::attr(href)").getall() == ["https://shop_a.example/p/G5"]  # shop_b's is javascript:


def write_catalog(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "own.csv"
    path.write_text("\ufeffGTIN;Name;Price\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_own_catalog_in_compare_csv_and_the_position(database_url: str, tmp_path: Path) -> None:
    store_shops(database_url, ("shop_a", "shop_b"))
    rows = [f"{gtin(g)};Our {g};{p['own'].replace('.', ',')}" for g, p in PRICES.items() if "own" in p]
    catalog = OwnShop(OWN_CATALOG_SITE, write_catalog(tmp_path, rows))
    exports = tmp_path / "exports"
    export(database_url, exports, catalog)

    book = load_workbook(exports / "master.xlsx")
    assert sheet_values(book, "Position")[1:] == [["shop_a", 5, 4, 12.5, 91.18], ["shop_b", 3, 2, 17.5, 91.67]]
    assert sheet_values(book, "Compare")[0][5] == "own (you)"
    text = (exports / "compare.csv").read_text(encoding="utf-8-sig")
    compare = list(csv.DictReader(io.StringIO(text, newline="")))
    own_rows = sorted((r["name"], r["product_id"], r["price"], r["reason"]) for r in compare if r["site"] == "own")
    assert own_rows == [
        ("Our G1", gtin("G1"), "10.00", "gtin"),
        ("Our G2", gtin("G2"), "5.00", "gtin"),
        ("Our G3", gtin("G3"), "8.00", "gtin"),
        ("Our G4", gtin("G4"), "20.00", "gtin"),
        ("Our G6", gtin("G6"), "3.30", "gtin"),
    ]


def test_a_bad_catalog_costs_the_position_only(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store_shops(database_url, ("shop_a", "shop_b"))
    catalog = OwnShop(OWN_CATALOG_SITE, write_catalog(tmp_path, [f"{gtin('G1')};Our G1;4,2O"]))
    exports = tmp_path / "exports"
    with caplog.at_level(logging.ERROR):
        export(database_url, exports, catalog)
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [
        f"OWN_CATALOG: {catalog.catalog}:2: price '4,2O' is not a price (write it as 4.20 or 4,20)"
        " (no price position this time)"
    ]
    book = load_workbook(exports / "master.xlsx")
    assert book.sheetnames[-1] == "Compare" and sheet_values(book, "Compare")[0][5:7] == ["shop_a", "shop_b"]
    assert "own" not in (exports / "compare.csv").read_text(encoding="utf-8-sig").split(",")
    page = Selector(text=(exports / "index.html").read_text(encoding="utf-8"))
    assert page.css("#across #matched::text").get() == "4" and not page.css("#position")


def test_which_shop_is_yours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sites = tmp_path / "sites.json"
    sites.write_text('{"sites": {"mine": {"base_url": "https://m.example"}}, "own_site": "mine"}', encoding="utf-8")
    monkeypatch.setenv("SITES_CONFIG", str(sites))
    monkeypatch.delenv("OWN_CATALOG", raising=False)
    assert own_shop() == OwnShop("mine")
    monkeypatch.setenv("OWN_CATALOG", "env.csv")
    assert own_shop() == OwnShop(OWN_CATALOG_SITE, Path("env.csv"))
    assert own_shop({"OWN_CATALOG": "setting.csv"}) == OwnShop(OWN_CATALOG_SITE, Path("setting.csv"))
    monkeypatch.delenv("OWN_CATALOG")
    sites.write_text('{"sites": {}, "own_site": "mine"}', encoding="utf-8")
    assert own_shop() is None  # a broken sites file: logged, no own shop
