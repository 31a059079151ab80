"""The price position (``matching/position.py``) and ``OWN_CATALOG`` (``matching/own_catalog.py``)
on a small case worked out by hand.

The case, your shop ``own`` and two competitors ``shop_a``, ``shop_b`` (groups G1 ... G6):

====  =======  =======  =======
      own      shop_a   shop_b
====  =======  =======  =======
G1    10.00     9.00    11.00
G2     5.00     4.00     4.50
G3     8.00     8.80     6.00
G4    20.00    17.00      -
G5      -       7.00     6.00
G6     3.30     3.00      -
====  =======  =======  =======

By hand:

- shop_a shares G1, G2, G3, G4, G6 (5; G5 has no price of yours). It is cheaper on G1, G2, G4,
  G6: 4 undercuts, by (10-9)/10 = 10 %, (5-4)/5 = 20 %, (20-17)/20 = 15 %, (3.30-3)/3.30 =
  9.0909 %; sorted 9.09, 10, 15, 20: median (10 + 15) / 2 = 12.50. Index: ratios 0.9, 0.8,
  1.1, 0.85, 0.90909 ...; sum 4.5590909 ... / 5 = 0.911818 ... × 100 = 91.18.
- shop_b shares G1, G2, G3 (3). Cheaper on G2 and G3: 2 undercuts, by (5-4.5)/5 = 10 % and
  (8-6)/8 = 25 %: median 17.50. Index: 1.1, 0.9, 0.75; 2.75 / 3 = 0.91666 ... × 100 = 91.67.
- Most expensive by more than 10 %: G2 (you 5.00, the dearest; cheapest shop_a 4.00: +25.00 %)
  and G4 (20.00 against 17.00: 3/17 = +17.65 %). Not G1 (shop_b is dearer), not G3 (33 % above
  shop_b, but shop_a is dearer), not G6 (exactly +10.00 %: not more than 10).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ecommerce_scraper.config import ConfigError, load_sites
from ecommerce_scraper.matching.matcher import MatchGroup, Member, match_products
from ecommerce_scraper.matching.own_catalog import OWN_CATALOG_SITE, read_own_catalog, with_brands
from ecommerce_scraper.matching.position import CompetitorPosition, group_position, price_position

PRICES: dict[str, dict[str, str]] = {
    "G1": {"own": "10.00", "shop_a": "9.00", "shop_b": "11.00"},
    "G2": {"own": "5.00", "shop_a": "4.00", "shop_b": "4.50"},
    "G3": {"own": "8.00", "shop_a": "8.80", "shop_b": "6.00"},
    "G4": {"own": "20.00", "shop_a": "17.00"},
    "G5": {"shop_a": "7.00", "shop_b": "6.00"},
    "G6": {"own": "3.30", "shop_a": "3.00"},
}


def hand_case() -> tuple[list[MatchGroup], dict[tuple[str, str], dict[str, Any]]]:
    groups, states = [], {}
    for match_id, prices in PRICES.items():
        keys = sorted((site, f"{site}-{match_id}") for site in prices)
        groups.append(MatchGroup(match_id, tuple(Member(key, 1.0, "gtin") for key in keys)))
        for site, product_id in keys:
            states[(site, product_id)] = {"price": prices[site], "currency": "EUR", "name": f"{match_id} at {site}"}
    return groups, states


def test_the_hand_worked_figures() -> None:
    groups, states = hand_case()
    position = price_position(groups, states, "own")
    assert position.competitors == (
        # site, shared, undercuts, median undercut %, price index
        CompetitorPosition("shop_a", 5, 4, Decimal("12.50"), Decimal("91.18")),
        CompetitorPosition("shop_b", 3, 2, Decimal("17.50"), Decimal("91.67")),
    )
    assert [(g.match_id, g.cheapest.site, g.difference, g.difference_pct) for g in position.most_expensive] == [
        ("G2", "shop_a", Decimal("1.00"), Decimal("25.00")),
        ("G4", "shop_a", Decimal("3.00"), Decimal("17.65")),
    ]
    by_group = {g.match_id: g for g in position.groups}
    assert sorted(by_group) == ["G1", "G2", "G3", "G4", "G6"]  # G5: none of yours
    assert (by_group["G3"].cheapest.site, by_group["G3"].difference_pct) == ("shop_b", Decimal("33.33"))
    assert not by_group["G3"].most_expensive  # 33 % above shop_b, yet shop_a is dearer
    assert (by_group["G6"].difference_pct, by_group["G6"].most_expensive) == (Decimal("10.00"), True)
    assert by_group["G1"].difference_pct == Decimal("11.11")  # 1 / 9, not listed: shop_b is dearer
    assert all(isinstance(c.price_index, Decimal) for c in position.competitors)


def test_prices_that_cannot_be_compared_are_left_out() -> None:
    groups, states = hand_case()
    states[("shop_b", "shop_b-G1")]["price"] = None  # no price: not shared
    states[("shop_b", "shop_b-G2")]["currency"] = "GBP"  # another currency: not compared
    states[("shop_a", "shop_a-G4")]["price"] = "0.00"  # a zero price is no price
    position = price_position(groups, states, "own")
    by_site = {c.site: c for c in position.competitors}
    assert (by_site["shop_b"].shared, by_site["shop_b"].undercuts) == (1, 1)  # G3 only
    assert by_site["shop_a"].shared == 4
    assert group_position(groups[3], states, "own") is None  # G4: no competitor price left
    assert price_position(groups, states, "nobody").competitors == ()


# --- OWN_CATALOG ----------------------------------------------------------------------------------

#: A valid EAN-13 (check digit 9) and one with a wrong check digit.
GTIN, BAD_GTIN = "5701234567899", "5701234567892"


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "own.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_the_catalog_reads_header_variants_decimal_commas_and_a_bom(tmp_path: Path) -> None:
    text = (
        "Τιμή;SKU/GTIN;Όνομα;Notes\n"
        f"4,20;{GTIN};Drops Merino Extra Fine 01 50 g;x\n"
        '"€5,10";A-17;Lana Grossa Cool Wool 2000;\n'
        "\n"
        "1.234,50;B2;Katia Alpaca;\n"
    )
    states = read_own_catalog(write(tmp_path, "\ufeff" + text))
    assert [(s["product_id"], s.get("gtin"), s.get("sku"), s["price"], s["currency"]) for s in states] == [
        (GTIN, GTIN, None, Decimal("4.20"), None),
        ("A-17", None, "A-17", Decimal("5.10"), "EUR"),
        ("B2", None, "B2", Decimal("1234.50"), None),
    ]
    assert {s["site"] for s in states} == {OWN_CATALOG_SITE}
    comma = write(tmp_path, 'sku,gtin,name,price,brand\nX1,,Alize Cotton Gold 55,3.90,Alize\nX2,,Rico Baby,"2,5",\n')
    assert [(s["product_id"], s["price"], s.get("brand")) for s in read_own_catalog(comma)] == [
        ("X1", Decimal("3.90"), "Alize"),
        ("X2", Decimal("2.50"), None),
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("sku,name\nX1,Foo\n", "own.csv:1: missing column(s) price"),
        ("name,price\nFoo,3\n", "own.csv:1: missing column(s) sku/gtin"),
        ("sku,name,price\nX1,Foo,abc\n", "own.csv:2: price 'abc' is not a price"),
        ("sku,name,price\nX1,Foo,2 x 3\n", "own.csv:2: price '2 x 3' is not a price"),
        ("sku,name,price\nX1,Foo,0\n", "own.csv:2: price '0' must be above 0"),
        ("sku,name,price\nX1,Foo,4,20\n", "own.csv:2: 4 cells where the header has 3 (quote a price"),
        ("sku,name,price\nX1,Foo,3\n\nX1,Bar,4\n", "own.csv:4: 'X1' again (first on line 2)"),
        (f"gtin,name,price\n{BAD_GTIN},Foo,3\n", f"own.csv:2: gtin '{BAD_GTIN}' is not a valid GTIN"),
        ("sku,gtin,name,price\n,,Foo,3\n", "own.csv:2: no sku or gtin"),
        ("sku,name,price\nX1,,3\n", "own.csv:2: no name"),
        ("", "own.csv: empty file"),
    ],
)
def test_a_bad_catalog_is_one_line_naming_the_line(tmp_path: Path, text: str, error: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_own_catalog(write(tmp_path, text))
    message = str(raised.value)
    assert message.startswith(str(tmp_path / error.split(":", 1)[0]) + ":" + error.split(":", 1)[1]), message
    assert "\n" not in message
    with pytest.raises(ValueError, match="file not found"):
        read_own_catalog(tmp_path / "missing.csv")


def test_catalog_rows_match_crawled_products_through_the_matcher(tmp_path: Path) -> None:
    rows = f"{GTIN},Anything 1,4.00\nM01,Drops Merino Extra Fine 01 50 g,4.50\n"
    catalog = write(tmp_path, "sku/gtin,name,price\n" + rows)
    crawled = [
        {"site": "shop_a", "product_id": "a1", "name": "Some yarn", "gtin": GTIN, "price": "3.80"},
        {"site": "shop_b", "product_id": "b7", "name": "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "brand": "DROPS"},
    ]
    own = with_brands(read_own_catalog(catalog), [state.get("brand") for state in crawled])
    assert own[1]["brand"] == "DROPS"  # read from the name's start: a brand a crawled shop states
    groups = match_products([*crawled, *own])
    assert sorted((g.keys, g.members[0].reason) for g in groups) == [
        ((("own", GTIN), ("shop_a", "a1")), "gtin"),
        ((("own", "M01"), ("shop_b", "b7")), "name"),
    ]


def test_own_site_names_one_of_the_shops(tmp_path: Path) -> None:
    sites = {"shop_a": {"base_url": "https://a.example"}, "shop_b": {"base_url": "https://b.example"}}
    path = tmp_path / "sites.json"
    path.write_text(json.dumps({"sites": sites, "own_site": "shop_b"}), encoding="utf-8")
    assert load_sites(path).own_site == "shop_b"
    path.write_text(json.dumps({"sites": sites}), encoding="utf-8")
    assert load_sites(path).own_site is None
    path.write_text(json.dumps({"sites": sites, "own_site": "shop_c"}), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_sites(path)
    expected = "own_site: Value error, 'shop_c' is not one of the shops (known: shop_a, shop_b)"
    assert str(raised.value) == f"{path}: {expected}"
