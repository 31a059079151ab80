"""Matching at the variant level (ecommerce_scraper/matching/units.py): a page's colour variants are
units of their own, sizes are not; compare.csv names the variant; rematch follows a variant's removal."""

from __future__ import annotations

import csv
from decimal import Decimal

from ecommerce_scraper.exports.compare_export import Comparison, compare_sheet_rows
from ecommerce_scraper.matching.compare import COMPARE_COLUMNS, write_compare_csv
from ecommerce_scraper.matching.identity import identity_of
from ecommerce_scraper.matching.matcher import match_products
from ecommerce_scraper.matching.rematch import rematch
from ecommerce_scraper.matching.units import (
    PRODUCT_ID,
    SIZE_MM,
    VARIANT_ID,
    VARIANT_NAME,
    expand,
    product_key_of,
    unit_key,
    units_of,
)

from .test_matching_groups import CONTRACT, product


def variant(sku, name, price, options=None, availability="in_stock"):
    return {
        "sku": sku,
        "name": name,
        "options": {"Χρώμα": name} if options is None else options,
        "price": price,
        "regular_price": None,
        "availability": availability,
    }


def page(site, product_id, name, variants, **attributes):
    state = product(site, product_id, name, price=min(v["price"] for v in variants) if variants else "4.00")
    state["attributes"] = {"Βάρος": "50 γρ.", **attributes}
    state["ai"] = {"weight_g": {"value": 50, "source": "structured"}}  # as the attributes pipeline reads the table
    return {**state, "sku": f"{product_id}-SKU", "variants": variants}


def colours_page():
    """Shop A sells Drops Merino Extra Fine's colours as variants of one page."""
    return page(
        "shop_a",
        "77",
        "Νήμα Drops Merino Extra Fine",
        [
            variant("A-77-01", "Κόκκινο 01", "4.20"),
            variant("A-77-02", "Μπλε 02", "4.70", availability="out_of_stock"),
            variant("A-77-03", "Πράσινο 03", "4.20"),
        ],
    )


def needle_sizes(site, product_id, name, size_key, prices):
    """A page of KnitPro needles in sizes: ``prices`` is size (mm) -> price; SKUs ``<site>-<size>``."""
    sizes = [variant(f"{site}-{mm}", f"{mm} mm", price, {size_key: f"{mm} mm"}) for mm, price in prices.items()]
    return {**product(site, product_id, name, brand="KnitPro"), "variants": sizes}


def single(site, product_id, name, price, colour):
    return page(site, product_id, name, [], **{"Χρώμα": colour}) | {"price": price}


def test_a_page_of_colours_is_one_unit_per_colour():
    units = units_of(colours_page())
    assert [unit["product_id"] for unit in units] == ["77#A-77-01", "77#A-77-02", "77#A-77-03"]
    red, blue, _ = units
    assert (red[PRODUCT_ID], red[VARIANT_ID], red[VARIANT_NAME]) == ("77", "A-77-01", "Κόκκινο 01")
    assert (blue["price"], blue["availability"], blue["sku"], blue["url"]) == (
        "4.70",
        "out_of_stock",
        "A-77-02",
        "https://shop_a.example/p/77",
    )
    identity = identity_of(blue)
    assert (identity.colour_code, identity.weight_g, identity.line) == ("2", 50, ("extra", "fine", "merino"))
    assert unit_key("shop_a", "77", "A-77-02") == ("shop_a", blue["product_id"])
    assert product_key_of(("shop_a", blue["product_id"])) == ("shop_a", "77")
    assert units_of(blue) == [blue]  # a unit is its own one unit


def test_sizes_are_units_and_a_single_product_stays_one():
    """Needles sold in sizes are matched size by size (a 4 mm needle is not a 5 mm one), with or
    without options; a range ("3-4 mm") is no size, and a single product is one unit."""
    needles = needle_sizes("shop_a", "9", "Κυκλικές βελόνες KnitPro Bamboo", "Μέγεθος", {"3": "6.00", "4": "6.50"})
    option_less = {
        **product("shop_a", "10", "Βελόνες", brand="KnitPro"),
        "variants": [variant("S-1", "3 mm", "6.00", {}), variant("S-2", "4,5 mm", "6.50", {})],
    }
    for state, sizes in ((needles, [Decimal(3), Decimal(4)]), (option_less, [Decimal(3), Decimal("4.5")])):
        units = units_of(state)
        assert [unit[SIZE_MM] for unit in units] == sizes
        assert [identity_of(unit).size_mm for unit in units] == sizes
        assert all(unit[VARIANT_ID] is not None for unit in units)
    ranges = page(
        "shop_a", "11", "Βελόνες", [variant("R-1", "3-4 mm", "6.00", {}), variant("R-2", "4-5 mm", "6.50", {})]
    )
    one = single("shop_b", "b1", "Drops Merino Extra Fine 01 50 g", "4.00", "Red 01")
    for state in (ranges, one):
        (unit,) = units_of(state)
        assert unit["product_id"] == state["product_id"] and unit[VARIANT_ID] is None


def test_needles_match_size_by_size_across_shops():
    """The same needles at two shops, one page of sizes each (Greek and English): each size meets
    its own, and a shop's single 4 mm needle joins the 4 mm group; 5 mm stays apart."""
    greek = needle_sizes("shop_a", "9", "Κυκλικές βελόνες KnitPro Bamboo", "Μέγεθος", {"4": "6.50", "5": "7.00"})
    english = needle_sizes("shop_b", "n1", "Circular needles KnitPro Bamboo", "Size", {"4": "6.90", "5": "7.40"})
    alone = product("shop_c", "c1", "Circular needles KnitPro Bamboo 4mm", brand="KnitPro", price="6.20")
    groups = {tuple(sorted(group.keys)) for group in match_products([greek, english, alone])}
    assert groups == {
        (("shop_a", "9#shop_a-4"), ("shop_b", "n1#shop_b-4"), ("shop_c", "c1")),
        (("shop_a", "9#shop_a-5"), ("shop_b", "n1#shop_b-5")),
    }


def test_option_less_variants_named_as_colours_are_units():
    """A hand-made shop lists its colours by name only ("Λευκό 04"), without options."""
    state = page(
        "shop_c",
        "p9",
        "Drops Merino Extra Fine",
        [variant("C1", "Λευκό 04", "4.00", {}), variant("C2", "Γκρι 06", "4.00", {})],
    )
    assert [identity_of(unit).colour_code for unit in units_of(state)] == ["4", "6"]


def test_a_colour_sold_as_a_variant_matches_the_same_colour_sold_alone():
    states = [
        colours_page(),
        single("shop_b", "b1", "DROPS Merino Extra Fine χρώμα 02 (50γρ)", "4.50", "Μπλε 02"),
        single("shop_c", "c1", "Drops Merino Extra Fine 01 50 g", "3.90", "Red 01"),
        single("shop_c", "c5", "Drops Merino Extra Fine 05 50 g", "3.90", "Black 05"),  # no partner
    ]
    groups = match_products(states)
    assert sorted(group.keys for group in groups) == [
        (("shop_a", "77#A-77-01"), ("shop_c", "c1")),
        (("shop_a", "77#A-77-02"), ("shop_b", "b1")),
    ]


def test_compare_csv_names_the_variant_after_the_contract_columns(tmp_path):
    states = [colours_page(), single("shop_b", "b1", "DROPS Merino Extra Fine χρώμα 02 (50γρ)", "4.50", "Μπλε 02")]
    units = {(unit["site"], unit["product_id"]): unit for unit in expand(states)}
    path = tmp_path / "compare.csv"
    assert write_compare_csv(path, match_products(states), units) == 2
    rows = list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
    names = [column.name for column in COMPARE_COLUMNS]
    assert names[: len(CONTRACT)] == CONTRACT and names[-2:] == ["variant_id", "variant_name"]
    assert [(r["site"], r["product_id"], r["variant_id"], r["variant_name"], r["price"]) for r in rows] == [
        ("shop_a", "77", "A-77-02", "Μπλε 02", "4.70"),
        ("shop_b", "b1", "", "", "4.50"),
    ]
    assert rows[0]["colour_code"] == "02" and rows[0]["availability"] == "out_of_stock"


def test_rematch_drops_a_colour_the_page_no_longer_sells():
    states = [colours_page(), single("shop_b", "b1", "DROPS Merino Extra Fine χρώμα 02 (50γρ)", "4.50", "Μπλε 02")]
    groups = match_products(states)
    identities = {identity.key: identity for identity in map(identity_of, expand(states))}
    changed = colours_page()
    changed["variants"] = [v for v in changed["variants"] if v["sku"] != "A-77-02"]
    regrouped, updated = rematch(groups, identities, [changed])
    assert regrouped == [] and ("shop_a", "77#A-77-02") not in updated
    assert regrouped == match_products([changed, states[1]])
    back, _ = rematch(regrouped, updated, [colours_page()])
    assert back == groups


def test_the_compare_sheet_tells_two_sizes_of_one_page_apart():
    """On the Compare sheet a variant unit's name carries its variant's (a size here), so the 4 mm
    and the 5 mm rows of the same needles don't read alike."""
    pages = [
        needle_sizes("shop_a", "9", "Circular needles KnitPro Bamboo", "Size", {"4": "6.50", "5": "7.00"}),
        needle_sizes("shop_b", "n1", "Κυκλικές βελόνες KnitPro Bamboo", "Μέγεθος", {"4": "6.90", "5": "7.40"}),
    ]
    units = {(unit["site"], unit["product_id"]): unit for unit in expand(pages)}
    _, rows = compare_sheet_rows(Comparison(tuple(match_products(pages)), units))
    assert sorted(row["name"] for row in rows) == [
        "Circular needles KnitPro Bamboo – 4 mm",
        "Circular needles KnitPro Bamboo – 5 mm",
    ]


def test_a_yarns_millimetres_recommend_needles_and_are_no_size():
    """ "(needles 3mm)" in a yarn's name is advice, not the yarn's size: it neither vetoes a match nor
    makes one; a needle's "4 mm" is its size, and "3-4 mm" is a range, never a size."""
    yarn = product("shop_a", "1", "Drops Merino Extra Fine 01 50 g (βελόνες 4mm)")
    needle = product("shop_a", "2", "Circular needles KnitPro Bamboo 4 mm", brand="KnitPro")
    ranged = product("shop_a", "3", "Circular needles KnitPro Bamboo 3-4 mm", brand="KnitPro")
    assert [identity_of(state).size_mm for state in (yarn, needle, ranged)] == [None, Decimal(4), None]
    assert identity_of(needle).line == identity_of(ranged).line == ("bamboo", "circular", "needles")
