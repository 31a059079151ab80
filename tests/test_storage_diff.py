"""Change detection between two states of a product: the table of every rule, with exact records (single
rules one at a time: test_storage_diff_rules.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ecommerce_scraper.items import Product
from ecommerce_scraper.storage.diff import (
    ChangeRecord,
    diff_states,
)
from ecommerce_scraper.storage.state import to_state

D = Decimal
R = ChangeRecord


def variant(
    sku: str | None, price: str | None = "5.00", availability: str | None = "in_stock", **extra: Any
) -> dict[str, Any]:
    """A variant dict as spiders emit it; ``extra`` sets name, options or regular_price."""
    fields: dict[str, Any] = {
        "sku": sku,
        "name": None,
        "options": {},
        "price": None if price is None else D(price),
        "regular_price": None,
        "availability": availability,
    }
    fields.update(extra)
    return fields


def product(**overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "site": "knitshop",
        "product_id": "42",
        "url": "https://shop.example/malli/42.html",
        "canonical_url": "https://shop.example/malli/42.html",
        "name": "Merino Deluxe",
        "brand": "Drops",
        "sku": "KNI-42",
        "gtin": "5200000000016",
        "price": D("10.00"),
        "regular_price": None,
        "currency": "EUR",
        "availability": "in_stock",
        "category": "Μαλλί",
        "description": "Απαλό νήμα.",
        "seo_title": "Merino Deluxe | Knitshop",
        "meta_description": "Buy Merino Deluxe",
        "h1": "Merino Deluxe",
        "meta_robots": "index, follow",
        "og_title": "Merino Deluxe",
        "og_description": "Soft merino",
        "variants": [variant("KNI-42-01"), variant("KNI-42-02", "6.00", "out_of_stock")],
        "scraped_at": "2024-05-01T10:00:00+00:00",
        "crawl_id": "c1",
    }
    fields.update(overrides)
    return Product(**fields)


# (id, old overrides, new overrides, expected records)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[ChangeRecord]]] = [
    ("unchanged", {}, {}, []),
    (
        "crawl noise only",
        {},
        {"scraped_at": "2024-05-02T00:00:00+00:00", "crawl_id": "c2", "url": "https://shop.example/sale/42.html?x=1"},
        [],
    ),
    ("price same value other scale", {"price": D("12.5")}, {"price": D("12.500")}, []),
    ("price string vs Decimal", {"price": "12.5"}, {"price": D("12.50")}, []),
    # rule 2: price
    ("price down", {}, {"price": D("8.00")}, [R("price_down", "price", None, "10.00", "8.00", D("-20.00"))]),
    ("price up", {}, {"price": D("12.5")}, [R("price_up", "price", None, "10.00", "12.50", D("25.00"))]),
    (
        "delta rounds",
        {"price": D("3.00")},
        {"price": D("3.01")},
        [R("price_up", "price", None, "3.00", "3.01", D("0.33"))],
    ),
    (
        "delta half up (not half even)",
        {"price": D("200.00")},
        {"price": D("200.01")},
        [R("price_up", "price", None, "200.00", "200.01", D("0.01"))],
    ),
    (
        "negative delta half away from zero",
        {"price": D("200.00")},
        {"price": D("199.99")},
        [R("price_down", "price", None, "200.00", "199.99", D("-0.01"))],
    ),
    ("price appears", {"price": None}, {"price": D("5")}, [R("price_changed", "price", None, None, "5.00")]),
    ("price disappears", {"price": D("5")}, {"price": None}, [R("price_changed", "price", None, "5.00", None)]),
    ("price from zero", {"price": D("0")}, {"price": D("5")}, [R("price_up", "price", None, "0.00", "5.00", None)]),
    (
        "price to zero",
        {"price": D("5")},
        {"price": D("0")},
        [R("price_down", "price", None, "5.00", "0.00", D("-100.00"))],
    ),
    ("price none to none", {"price": None}, {"price": None}, []),
    # rule 3: regular_price
    (
        "sale started",
        {},
        {"price": D("8.00"), "regular_price": D("10.00")},
        [
            R("price_down", "price", None, "10.00", "8.00", D("-20.00")),
            R("sale_started", "regular_price", None, None, "10.00"),
        ],
    ),
    (
        "sale ended",
        {"price": D("8.00"), "regular_price": D("10.00")},
        {"price": D("10.00"), "regular_price": None},
        [
            R("price_up", "price", None, "8.00", "10.00", D("25.00")),
            R("sale_ended", "regular_price", None, "10.00", None),
        ],
    ),
    (
        "sale ended price unchanged",
        {"regular_price": D("12.00")},
        {"regular_price": None},
        [R("sale_ended", "regular_price", None, "12.00", None)],
    ),
    (
        "still on sale, regular price moved",
        {"price": D("8"), "regular_price": D("10")},
        {"price": D("8"), "regular_price": D("12")},
        [],
    ),
    (
        "still on sale, price moved",
        {"price": D("8"), "regular_price": D("10")},
        {"price": D("7"), "regular_price": D("11")},
        [R("price_down", "price", None, "8.00", "7.00", D("-12.50"))],
    ),
    # rule 4: availability
    (
        "in stock -> out",
        {},
        {"availability": "out_of_stock"},
        [R("out_of_stock", "availability", None, "in_stock", "out_of_stock")],
    ),
    (
        "unknown -> out",
        {"availability": None},
        {"availability": "out_of_stock"},
        [R("out_of_stock", "availability", None, None, "out_of_stock")],
    ),
    (
        "backorder -> out",
        {"availability": "backorder"},
        {"availability": "out_of_stock"},
        [R("out_of_stock", "availability", None, "backorder", "out_of_stock")],
    ),
    (
        "out -> in stock",
        {"availability": "out_of_stock"},
        {},
        [R("back_in_stock", "availability", None, "out_of_stock", "in_stock")],
    ),
    (
        "out -> preorder",
        {"availability": "out_of_stock"},
        {"availability": "preorder"},
        [R("back_in_stock", "availability", None, "out_of_stock", "preorder")],
    ),
    (
        "out -> backorder",
        {"availability": "out_of_stock"},
        {"availability": "backorder"},
        [R("back_in_stock", "availability", None, "out_of_stock", "backorder")],
    ),
    (
        "out -> unknown",
        {"availability": "out_of_stock"},
        {"availability": None},
        [R("availability_changed", "availability", None, "out_of_stock", None)],
    ),
    (
        "in stock -> unknown",
        {},
        {"availability": None},
        [R("availability_changed", "availability", None, "in_stock", None)],
    ),
    (
        "in stock -> backorder",
        {},
        {"availability": "backorder"},
        [R("availability_changed", "availability", None, "in_stock", "backorder")],
    ),
    (
        "preorder -> in stock",
        {"availability": "preorder"},
        {},
        [R("availability_changed", "availability", None, "preorder", "in_stock")],
    ),
    (
        "unknown -> in stock",
        {"availability": None},
        {},
        [R("availability_changed", "availability", None, None, "in_stock")],
    ),
    ("out -> out", {"availability": "out_of_stock"}, {"availability": "out_of_stock"}, []),
    ("empty string is unknown", {"availability": None}, {"availability": ""}, []),
    # rule 5: name
    ("renamed", {}, {"name": "Merino Deluxe II"}, [R("renamed", "name", None, "Merino Deluxe", "Merino Deluxe II")]),
    ("rename case only", {}, {"name": "merino deluxe"}, [R("renamed", "name", None, "Merino Deluxe", "merino deluxe")]),
    ("whitespace-only rename", {}, {"name": "  Merino\n\tDeluxe  "}, []),
    (
        "name gets written normalized",
        {"name": "Old  name"},
        {"name": " New\nname "},
        [R("renamed", "name", None, "Old name", "New name")],
    ),
    ("empty name vs none", {"name": ""}, {"name": None}, []),
    # rule 6: other watched fields (every one is covered by test_every_watched_field below)
    ("brand", {}, {"brand": "Rico"}, [R("field_changed", "brand", None, "Drops", "Rico")]),
    ("gtin removed", {}, {"gtin": None}, [R("field_changed", "gtin", None, "5200000000016", None)]),
    ("description whitespace", {}, {"description": " Απαλό   νήμα. "}, []),
    (
        "unwatched fields are not reported",
        {},
        {
            "currency": "USD",
            "mpn": "X",
            "images": ["a"],
            "attributes": {"a": "b"},
            "og_image": "i",
            "hreflang": {"el": "u"},
            "breadcrumbs": ["A"],
            "main_image": "m",
        },
        [],
    ),
    # rule 7: variants
    (
        "variant added",
        {},
        {"variants": [variant("KNI-42-01"), variant("KNI-42-02", "6.00", "out_of_stock"), variant("KNI-42-03", "7.5")]},
        [R("variant_added", None, "KNI-42-03", None, "7.50")],
    ),
    (
        "variant added without price",
        {},
        {"variants": [variant("KNI-42-01"), variant("KNI-42-02", "6.00", "out_of_stock"), variant("KNI-42-00", None)]},
        [R("variant_added", None, "KNI-42-00", None, None)],
    ),
    (
        "variant removed",
        {},
        {"variants": [variant("KNI-42-02", "6.00", "out_of_stock")]},
        [R("variant_removed", None, "KNI-42-01", "5.00", None)],
    ),
    (
        "all variants removed",
        {},
        {"variants": []},
        [R("variant_removed", None, "KNI-42-01", "5.00", None), R("variant_removed", None, "KNI-42-02", "6.00", None)],
    ),
    (
        "variants appear",
        {"variants": None},
        {"variants": [variant("B"), variant("A", "4")]},
        [R("variant_added", None, "A", None, "4.00"), R("variant_added", None, "B", None, "5.00")],
    ),
    (
        "variant price",
        {},
        {"variants": [variant("KNI-42-01", "4.50"), variant("KNI-42-02", "6.00", "out_of_stock")]},
        [R("variant_price_changed", "price", "KNI-42-01", "5.00", "4.50", D("-10.00"))],
    ),
    (
        "variant price appears",
        {"variants": [variant("A", None)]},
        {"variants": [variant("A", "3")]},
        [R("variant_price_changed", "price", "A", None, "3.00", None)],
    ),
    (
        "variant price from zero",
        {"variants": [variant("A", "0")]},
        {"variants": [variant("A", "3")]},
        [R("variant_price_changed", "price", "A", "0.00", "3.00", None)],
    ),
    ("variant price scale only", {"variants": [variant("A", "7.4")]}, {"variants": [variant("A", "7.40")]}, []),
    (
        "variant stock",
        {},
        {"variants": [variant("KNI-42-01"), variant("KNI-42-02", "6.00", "in_stock")]},
        [R("variant_stock_changed", "availability", "KNI-42-02", "out_of_stock", "in_stock")],
    ),
    (
        "variant stock unknown",
        {},
        {"variants": [variant("KNI-42-01", availability=None), variant("KNI-42-02", "6.00", "out_of_stock")]},
        [R("variant_stock_changed", "availability", "KNI-42-01", "in_stock", None)],
    ),
    (
        "variant price and stock",
        {},
        {"variants": [variant("KNI-42-01"), variant("KNI-42-02", "6.60", "in_stock")]},
        [
            R("variant_price_changed", "price", "KNI-42-02", "6.00", "6.60", D("10.00")),
            R("variant_stock_changed", "availability", "KNI-42-02", "out_of_stock", "in_stock"),
        ],
    ),
    (
        "variant order irrelevant",
        {},
        {"variants": [variant("KNI-42-02", "6.00", "out_of_stock"), variant("KNI-42-01")]},
        [],
    ),
    (
        "variant regular price not watched",
        {},
        {"variants": [variant("KNI-42-01", regular_price=D("9")), variant("KNI-42-02", "6.00", "out_of_stock")]},
        [],
    ),
    (
        "variant keyed by name without sku",
        {"variants": [variant(None, "3", name="Red"), variant("", "3", name="Blue")]},
        {"variants": [variant(None, "3", name="Blue"), variant(None, "4", name=" Red ")]},
        [R("variant_price_changed", "price", "Red", "3.00", "4.00", D("33.33"))],
    ),
    (
        "variant keyed by options without sku and name",
        {"variants": [variant(None, "3", options={"Size": "M", "Colour": "Red"})]},
        {
            "variants": [
                variant(None, "3", options={"Colour": "Red", "Size": "M"}),
                variant(None, "3", options={"Size": "L"}),
            ]
        },
        [R("variant_added", None, '{"Size": "L"}', None, "3.00")],
    ),
    (
        "variant renamed but same sku",
        {"variants": [variant("A", name="Red")]},
        {"variants": [variant("A", name="Crimson")]},
        [],
    ),
    (
        "variants sorted by key",
        {"variants": [variant("C"), variant("A"), variant("B")]},
        {"variants": [variant("D"), variant("B", "9"), variant("A", availability="out_of_stock")]},
        [
            R("variant_stock_changed", "availability", "A", "in_stock", "out_of_stock"),
            R("variant_price_changed", "price", "B", "5.00", "9.00", D("80.00")),
            R("variant_removed", None, "C", "5.00", None),
            R("variant_added", None, "D", None, "5.00"),
        ],
    ),
    # ordering: product-level rules in order, then variants
    (
        "everything at once",
        {"regular_price": None},
        {
            "price": D("7.50"),
            "regular_price": D("10.00"),
            "availability": "out_of_stock",
            "name": "Merino",
            "brand": "Rico",
            "canonical_url": "https://shop.example/42",
            "description": "Νέο.",
            "variants": [variant("KNI-42-02", "6.00", "in_stock"), variant("KNI-42-00")],
        },
        [
            R("price_down", "price", None, "10.00", "7.50", D("-25.00")),
            R("sale_started", "regular_price", None, None, "10.00"),
            R("out_of_stock", "availability", None, "in_stock", "out_of_stock"),
            R("renamed", "name", None, "Merino Deluxe", "Merino"),
            R("field_changed", "brand", None, "Drops", "Rico"),
            R("field_changed", "description", None, "Απαλό νήμα.", "Νέο."),
            R("field_changed", "canonical_url", None, "https://shop.example/malli/42.html", "https://shop.example/42"),
            R("variant_added", None, "KNI-42-00", None, "5.00"),
            R("variant_removed", None, "KNI-42-01", "5.00", None),
            R("variant_stock_changed", "availability", "KNI-42-02", "out_of_stock", "in_stock"),
        ],
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff_rules(old: dict[str, Any], new: dict[str, Any], expected: list[ChangeRecord]) -> None:
    old_item, new_item = product(**old), product(**new)
    assert diff_states(old_item, new_item) == expected
    # States (string money, as stored) and items (Decimal money) give the same records.
    assert diff_states(to_state(old_item), to_state(new_item)) == expected
    assert diff_states(to_state(old_item), new_item) == expected
