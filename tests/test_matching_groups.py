"""Grouping the same product across shops, manual controls, re-matching, compare.csv
(ecommerce_scraper/matching/matcher.py and compare.py)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from ecommerce_scraper.matching.compare import (
    COMPARE_COLUMNS,
    compare_rows,
    spread_pct,
    summarize,
    write_compare_csv,
)
from ecommerce_scraper.matching.identity import identity_of
from ecommerce_scraper.matching.matcher import (
    MATCH_THRESHOLD,
    MatchControls,
    load_controls,
    match_products,
    name_confidence,
)
from ecommerce_scraper.matching.rematch import rematch

CONTRACT = ["match_id", "site", "product_id", "url", "name", "price", "regular_price", "availability"]
CONTRACT += ["confidence", "reason"]


def product(site, product_id, name, brand="Drops", price=None, gtin=None, **attributes):
    return {
        "site": site,
        "product_id": product_id,
        "url": f"https://{site}.example/p/{product_id}",
        "name": name,
        "brand": brand,
        "sku": None,
        "gtin": gtin,
        "price": price,
        "regular_price": None,
        "availability": "in_stock",
        "attributes": attributes,
    }


def merino_trio():
    return [
        product("shop_a", "a1", "Drops Merino Extra Fine 01 50 g", "Drops", "4.20", colour_code="01", weight_g=50),
        product(
            "shop_b", "b7", "DROPS Merino Extra Fine χρώμα 01 (50γρ)", "DROPS", "3.90", colour_code="01", weight_g=50
        ),
        product("shop_c", "c3", "Μερινό Extra Fine Drops 01", "Drops", "4.50", colour_code="01"),
    ]


def keys_of(groups):
    return [set(group.keys) for group in groups]


def test_three_spellings_in_three_shops_are_one_group():
    groups = match_products(merino_trio())
    assert keys_of(groups) == [{("shop_a", "a1"), ("shop_b", "b7"), ("shop_c", "c3")}]
    members = {member.key: member for member in groups[0].members}
    assert {member.reason for member in members.values()} == {"name"}
    assert members[("shop_a", "a1")].confidence == 1.0  # a and b: same line, colour and weight
    assert members[("shop_c", "c3")].confidence == 0.95  # c: weight unknown
    assert all(member.confidence >= MATCH_THRESHOLD for member in members.values())


def test_match_ids_are_deterministic_and_independent_of_input_order():
    first = match_products(merino_trio())
    second = match_products(list(reversed(merino_trio())))
    assert first == second
    assert first[0].match_id.startswith("m") and len(first[0].match_id) == 11


def test_same_line_different_colour_is_no_match():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01 50 g", colour_code="01", weight_g=50),
        product("shop_b", "b2", "Drops Merino Extra Fine 02 50 g", colour_code="02", weight_g=50),
    ]
    assert match_products(products) == []


def test_same_colour_different_weight_is_no_match():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01 50 g", colour_code="01", weight_g=50),
        product("shop_b", "b1", "Drops Merino Extra Fine 01 100 g", colour_code="01", weight_g=100),
    ]
    assert match_products(products) == []
    a, b = (identity_of(state) for state in products)
    assert name_confidence(a, b) == 0.0


def test_unknown_weight_never_bridges_two_known_weights():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01", colour_code="01", weight_g=50),
        product("shop_b", "b1", "Drops Merino Extra Fine 01", colour_code="01", weight_g=100),
        product("shop_c", "c1", "Drops Merino Extra Fine 01", colour_code="01"),
    ]
    groups = match_products(products)
    assert len(groups) == 1 and len(groups[0].members) == 2  # c joins one of them, never both


def test_two_brands_with_the_same_line_are_no_match():
    products = [
        product("shop_a", "a1", "Drops Baby Merino 01", "Drops", colour_code="01", weight_g=50),
        product("shop_b", "b1", "Lana Grossa Baby Merino 01", "Lana Grossa", colour_code="01", weight_g=50),
        product("shop_c", "c1", "Ντροπς Baby Merino 01", "Ντροπς", colour_code="01", weight_g=50),  # "ntrops"
    ]
    assert match_products(products) == []


def test_a_different_line_of_the_same_brand_is_no_match():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01", colour_code="01", weight_g=50),
        product("shop_b", "b1", "Drops Baby Merino 01", colour_code="01", weight_g=50),
    ]
    assert match_products(products) == []


def test_one_product_per_shop_per_group_the_closer_one_kept():
    products = [
        *merino_trio(),
        # shop_a again: same line and colour, weight unknown (0.95 to a and b) -> loses to a1 (1.0 with b7)
        product("shop_a", "a2", "Drops Merino Extra Fine 01", colour_code="01"),
    ]
    groups = match_products(products)
    assert len(groups) == 1
    assert ("shop_a", "a1") in groups[0].keys
    assert ("shop_a", "a2") not in groups[0].keys
    sites = [key[0] for key in groups[0].keys]
    assert len(sites) == len(set(sites))


def test_a_shop_is_never_matched_to_itself():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01", colour_code="01", gtin="4006381333931"),
        product("shop_a", "a2", "Drops Merino Extra Fine 01", colour_code="01", gtin="4006381333931"),
    ]
    assert match_products(products) == []


def test_a_valid_gtin_matches_whatever_the_names():
    products = [
        product("shop_a", "a1", "Κάτι εντελώς άλλο", "Drops", gtin="4006381333931"),
        product("shop_b", "b1", "Drops Merino Extra Fine 01", "Drops", gtin="4006381333931", colour_code="01"),
        product("shop_c", "c1", "Something", "Other", gtin="4006381333932"),  # bad check digit: ignored
    ]
    groups = match_products(products)
    assert keys_of(groups) == [{("shop_a", "a1"), ("shop_b", "b1")}]
    assert {(member.reason, member.confidence) for member in groups[0].members} == {("gtin", 1.0)}


def test_two_different_valid_gtins_are_no_name_match():
    products = [
        product("shop_a", "a1", "Drops Merino Extra Fine 01", colour_code="01", gtin="4006381333931"),
        product("shop_b", "b1", "Drops Merino Extra Fine 01", colour_code="01", gtin="96385074"),
    ]
    assert match_products(products) == []


def test_pins_force_a_group_and_apart_keeps_one_apart(tmp_path):
    controls_file = tmp_path / "matches.csv"
    controls_file.write_text(
        "\ufeffaction,site_a,product_id_a,site_b,product_id_b\n"
        "pin,shop_a,x1,shop_d,d9\n"
        "apart,shop_b,b7,shop_c,c3\n"
        "apart,shop_a,a1,shop_c,c3\n",
        encoding="utf-8",
    )
    controls = load_controls(controls_file)
    products = [
        *merino_trio(),
        product("shop_a", "x1", "Cotton Light 02", "Drops", colour_code="02"),
        product("shop_d", "d9", "Βαμβακερό νήμα Ντροπς", "Ντροπς"),
    ]
    groups = match_products(products, controls)
    assert sorted(sorted(keys) for keys in keys_of(groups)) == [
        [("shop_a", "a1"), ("shop_b", "b7")],
        [("shop_a", "x1"), ("shop_d", "d9")],
    ]
    pinned = next(group for group in groups if ("shop_d", "d9") in group.keys)
    assert {(member.reason, member.confidence) for member in pinned.members} == {("pinned", 1.0)}


def test_controls_file_errors(tmp_path):
    assert load_controls(tmp_path / "missing.csv") == MatchControls()
    bad = tmp_path / "bad.csv"
    bad.write_text("action,site_a,product_id_a,site_b,product_id_b\nmerge,a,1,b,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:2: unknown action"):
        load_controls(bad)
    bad.write_text("action,site_a,product_id_a,site_b,product_id_b\npin,a,1,a,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="never matched with itself"):
        load_controls(bad)
    bad.write_text("action,site_a,product_id_a,site_b,product_id_b\npin,a,1,b,2\napart,b,2,a,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="pinned and kept apart"):
        load_controls(bad)


def test_rematch_touches_only_what_changed_and_agrees_with_a_full_match():
    others = [
        product("shop_a", "k1", "Drops Karisma 05", colour_code="05", weight_g=50),
        product("shop_b", "k2", "DROPS Karisma χρώμα 05", colour_code="05", weight_g=50),
    ]
    before = [*merino_trio()[:2], *others]
    groups = match_products(before)
    identities = {identity.key: identity for identity in map(identity_of, before)}
    karisma = next(group for group in groups if ("shop_a", "k1") in group.keys)

    new_c3 = merino_trio()[2]
    renamed_b7 = {**merino_trio()[1], "attributes": {"colour_code": "02", "weight_g": 50}}  # now colour 02
    after, identities = rematch(groups, identities, [new_c3, renamed_b7])

    assert karisma in after  # an untouched group is kept as it was
    full = match_products([merino_trio()[0], renamed_b7, new_c3, *others])
    assert after == full
    assert {("shop_a", "a1"), ("shop_c", "c3")} in keys_of(after)
    assert identities[("shop_b", "b7")].colour_code == "2"


# --- compare.csv ---------------------------------------------------------------------------------


def test_spread_by_hand():
    # min 3.90, max 4.50: 0.60 / 3.90 × 100 = 15.3846… -> 15.38
    assert spread_pct(Decimal("3.90"), Decimal("4.50")) == Decimal("15.38")
    assert spread_pct(Decimal("2.00"), Decimal("2.01")) == Decimal("0.50")  # 0.5 exactly
    assert spread_pct(Decimal("0"), Decimal("1")) is None


def test_summary_and_rows_of_a_hand_worked_group():
    states = {(state["site"], state["product_id"]): state for state in merino_trio()}
    groups = match_products(states.values())
    summary = summarize(groups[0], states)
    assert (summary.cheapest_site, summary.cheapest_product_id) == ("shop_b", "b7")
    assert (summary.min_price, summary.max_price, summary.spread_pct) == (
        Decimal("3.90"),
        Decimal("4.50"),
        Decimal("15.38"),
    )
    rows = list(compare_rows(groups, states))
    assert [row["site"] for row in rows] == ["shop_a", "shop_b", "shop_c"]
    assert [row["cheapest"] for row in rows] == [None, "yes", None]
    assert [row["price"] for row in rows] == [Decimal("4.20"), Decimal("3.90"), Decimal("4.50")]
    assert [row["confidence"] for row in rows] == [Decimal("1.00"), Decimal("1.00"), Decimal("0.95")]


def test_a_group_with_one_price_has_no_spread():
    trio = merino_trio()
    trio[0]["price"] = trio[1]["price"] = None
    states = {(state["site"], state["product_id"]): state for state in trio}
    summary = summarize(match_products(trio)[0], states)
    assert (summary.cheapest_site, summary.spread_pct) == ("shop_c", None)


def test_compare_csv_contract_bom_and_formula_safety(tmp_path):
    trio = merino_trio()
    trio[0]["name"] = "=Drops Merino Extra Fine 01 50 g"  # a formula to a spreadsheet, the same name to matching
    states = {(state["site"], state["product_id"]): state for state in trio}
    groups = match_products(trio)
    path = tmp_path / "compare.csv"
    assert write_compare_csv(path, groups, states) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][: len(CONTRACT)] == CONTRACT
    assert [column.name for column in COMPARE_COLUMNS][: len(CONTRACT)] == CONTRACT
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["name"].startswith("'=")
    assert (first["site"], first["price"], first["confidence"], first["reason"]) == ("shop_a", "4.20", "1", "name")
    assert {row[rows[0].index("spread_pct")] for row in rows[1:]} == {"15.38"}
    assert [row[rows[0].index("match_id")] for row in rows[1:]] == [groups[0].match_id] * 3


def test_the_example_controls_file_loads():
    controls = load_controls(Path(__file__).parent.parent / "config" / "matches.example.csv")
    assert len(controls.pins) == 1 and len(controls.apart) == 1


def test_threshold_arithmetic_documented_at_match_threshold():
    def pair(line_b, colour_b=None, weight_b=None, colour_a=None, weight_a=50):
        a = identity_of(product("shop_a", "a", "Drops Merino Extra Fine", colour_code=colour_a, weight_g=weight_a))
        b = identity_of(product("shop_b", "b", line_b, colour_code=colour_b, weight_g=weight_b))
        return name_confidence(a, b)

    assert pair("Drops Merino Extra Fine") == 0.855  # no colour on either side, one weight unknown
    assert pair("Drops Merino Extra Fine", weight_b=50) == 0.9
    assert pair("Drops Merino Extra", colour_b="3", colour_a="3", weight_b=50) == round(2 / 3, 4)  # below
    assert pair("Drops Merino Extra Fine", colour_b="3") == 0.0  # a colour on one side only
