"""Product state: JSON-safe conversion, money strings, fingerprint, identity, completeness."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ecommerce_scraper.items import PRODUCT_FIELDS, Product
from ecommerce_scraper.storage.state import (
    CONTENT_FIELDS,
    completeness,
    fingerprint,
    from_state_money,
    identity_key,
    money_to_state,
    to_state,
)


def make_product(**overrides: Any) -> Product:
    fields: dict[str, Any] = {
        "site": "knitshop",
        "product_id": "42",
        "url": "https://shop.example/malli/42-merino.html?utm_source=x",
        "canonical_url": "https://shop.example/malli/42-merino.html",
        "name": "Merino Deluxe",
        "brand": "Drops",
        "sku": "KNI-42",
        "gtin": "5200000000016",
        "mpn": "M-42",
        "price": Decimal("6.90"),
        "regular_price": Decimal("7.50"),
        "currency": "EUR",
        "availability": "in_stock",
        "category": "Μαλλί",
        "breadcrumbs": ["Νήματα", "Μαλλί"],
        "description": "Απαλό νήμα για πλέξιμο.",
        "main_image": "https://shop.example/img/42-1.jpg",
        "images": ["https://shop.example/img/42-1.jpg", "https://shop.example/img/42-2.jpg"],
        "variants": [
            {
                "sku": "KNI-42-01",
                "name": "Κόκκινο 01",
                "options": {"Χρώμα": "Κόκκινο 01"},
                "price": Decimal("6.90"),
                "regular_price": Decimal("7.50"),
                "availability": "in_stock",
            },
            {
                "sku": "KNI-42-02",
                "name": "Γκρι 02",
                "options": {"Χρώμα": "Γκρι 02"},
                "price": Decimal("7.40"),
                "regular_price": None,
                "availability": "out_of_stock",
            },
        ],
        "attributes": {"Σύνθεση": "100% μαλλί", "Βάρος": "100 γρ."},
        "ai": {"fibre": {"value": "wool", "source": "rules"}},
        "seo_title": "Merino Deluxe | Knitshop",
        "meta_description": "Buy Merino Deluxe",
        "h1": "Merino Deluxe",
        "meta_robots": "index, follow",
        "og_title": "Merino Deluxe",
        "og_description": "Soft merino",
        "og_image": "https://shop.example/img/42-1.jpg",
        "hreflang": {"el": "https://shop.example/el/42", "en": "https://shop.example/en/42"},
        "fingerprint": None,
        "scraped_at": "2024-05-01T10:00:00+00:00",
        "crawl_id": "20240501T100000Z",
    }
    fields.update(overrides)
    return Product(**fields)


# -- money -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.5"), "12.50"),
        (Decimal("12.50"), "12.50"),
        (Decimal("12.500"), "12.50"),
        (Decimal("12"), "12.00"),
        (Decimal("0.125"), "0.125"),
        (Decimal("1.2300"), "1.23"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("1.5E+2"), "150.00"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("0"), "0.00"),
        (Decimal("-0"), "0.00"),
        (Decimal("0E-8"), "0.00"),
        (Decimal("1234567890123456789012345678901.25"), "1234567890123456789012345678901.25"),
    ],
)
def test_money_to_state(value: Decimal, expected: str) -> None:
    assert money_to_state(value) == expected


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_money_to_state_rejects_non_finite(value: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        money_to_state(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("12.50", Decimal("12.50")),
        (" 12.5 ", Decimal("12.5")),
        ("1000.00", Decimal("1000.00")),
        (Decimal("3.10"), Decimal("3.10")),
        (7, Decimal(7)),
        (12.5, Decimal("12.5")),
        (0.1, Decimal("0.1")),  # from the float's repr, not 0.1000000000000000055511...
        ("abc", None),
        ("12,50", None),  # states never hold locale formats: not guessed here
        ("NaN", None),
        ("Infinity", None),
        (True, None),
        ([1], None),
    ],
)
def test_from_state_money(value: Any, expected: Decimal | None) -> None:
    result = from_state_money(value)
    assert result == expected
    if expected is not None:
        assert isinstance(result, Decimal)
        assert str(result) == str(expected)


# -- to_state --------------------------------------------------------------------------


def test_to_state_has_every_field_in_export_order_and_money_as_strings() -> None:
    state = to_state(make_product())
    assert list(state) == list(PRODUCT_FIELDS)
    assert state["price"] == "6.90"
    assert state["regular_price"] == "7.50"
    assert state["variants"][0]["price"] == "6.90"
    assert state["variants"][1] == {
        "sku": "KNI-42-02",
        "name": "Γκρι 02",
        "options": {"Χρώμα": "Γκρι 02"},
        "price": "7.40",
        "regular_price": None,
        "availability": "out_of_stock",
    }
    assert state["images"] == ["https://shop.example/img/42-1.jpg", "https://shop.example/img/42-2.jpg"]
    assert state["attributes"] == {"Σύνθεση": "100% μαλλί", "Βάρος": "100 γρ."}
    assert state["ai"] == {"fibre": {"value": "wool", "source": "rules"}}
    assert state["name"] == "Merino Deluxe"


def test_to_state_survives_json_without_floats() -> None:
    state = to_state(make_product(price=Decimal("1E+3"), regular_price=Decimal("1234.5")))
    text = json.dumps(state, ensure_ascii=False)
    assert json.loads(text, parse_float=lambda s: pytest.fail(f"float {s} in state")) == state
    assert state["price"] == "1000.00"
    assert state["regular_price"] == "1234.50"


def test_to_state_fills_missing_fields_with_none() -> None:
    state = to_state(Product(site="s", product_id="1", name="N", price=Decimal("2.5")))
    assert list(state) == list(PRODUCT_FIELDS)
    assert state["price"] == "2.50"
    assert state["variants"] is None
    assert state["regular_price"] is None
    assert all(state[f] is None for f in PRODUCT_FIELDS if f not in {"site", "product_id", "name", "price"})


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("scraped_at", datetime(2024, 5, 1, 10, 0, tzinfo=UTC), "2024-05-01T10:00:00+00:00"),
        ("breadcrumbs", ("A", "B"), ["A", "B"]),
        ("attributes", {"Weight": Decimal("100.0")}, {"Weight": "100.00"}),
        ("price", 12.5, "12.50"),  # a float never belongs here, but is not kept as one
        ("price", 3, "3.00"),
        ("price", "12.5", "12.50"),
        ("price", "on request", "on request"),  # kept as text, not lost
        ("price", Decimal("NaN"), "NaN"),
        ("availability", None, None),
    ],
)
def test_to_state_value_conversion(field: str, value: Any, expected: Any) -> None:
    assert to_state(make_product(**{field: value}))[field] == expected


def test_to_state_accepts_dict_items_and_is_idempotent() -> None:
    item = dict(make_product())
    state = to_state(item)
    assert state == to_state(make_product())
    assert to_state(state) == state


def test_to_state_does_not_touch_the_item() -> None:
    item = make_product()
    to_state(item)
    assert item["price"] == Decimal("6.90")
    assert item["variants"][0]["price"] == Decimal("6.90")


# -- content fields --------------------------------------------------------------------


def test_content_fields_are_product_fields_minus_identity_noise_and_derived() -> None:
    assert len(set(CONTENT_FIELDS)) == len(CONTENT_FIELDS)
    assert set(PRODUCT_FIELDS) - set(CONTENT_FIELDS) == {
        "site",
        "product_id",
        "url",
        "scraped_at",
        "crawl_id",
        "fingerprint",
        "ai",
    }
    assert set(CONTENT_FIELDS) <= set(PRODUCT_FIELDS)


# -- fingerprint -----------------------------------------------------------------------


def _reversed_variants(p: dict[str, Any]) -> None:
    p["variants"] = list(reversed(p["variants"]))


def _reordered_keys(p: dict[str, Any]) -> None:
    items = list(p.items())
    p.clear()
    p.update(reversed(items))
    for n, variant in enumerate(p["variants"]):
        p["variants"][n] = dict(reversed(list(variant.items())))


def _drop_empty_variant_fields(p: dict[str, Any]) -> None:
    p["variants"][1].pop("regular_price")


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(p: dict[str, Any]) -> None:
        p[field] = value

    return mutate


def _set_variant(n: int, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(p: dict[str, Any]) -> None:
        p["variants"][n][field] = value

    return mutate


def _delete(field: str) -> Callable[[dict[str, Any]], None]:
    def mutate(p: dict[str, Any]) -> None:
        del p[field]

    return mutate


SAME_FINGERPRINT = [
    ("scraped_at", _set("scraped_at", "2030-01-01T00:00:00+00:00")),
    ("crawl_id", _set("crawl_id", "other")),
    ("url tracking params", _set("url", "https://shop.example/malli/42-merino.html?gclid=abc")),
    ("url category path", _set("url", "https://shop.example/sale/42-merino.html")),
    ("site", _set("site", "other-site")),
    ("product_id", _set("product_id", "99")),
    ("fingerprint field", _set("fingerprint", "abc")),
    ("ai", _set("ai", {"fibre": {"value": "cotton", "source": "ai"}})),
    ("variant order", _reversed_variants),
    ("key order", _reordered_keys),
    ("price 6.9 vs 6.90", _set("price", "6.9")),
    ("price Decimal trailing zeros", _set("price", Decimal("6.900"))),
    ("price as string", _set("price", "6.90")),
    ("variant price string", _set_variant(0, "price", "6.9")),
    ("variant price trailing zeros", _set_variant(1, "price", Decimal("7.4000"))),
    ("name whitespace", _set("name", "  Merino \n\t Deluxe ")),
    ("description whitespace", _set("description", "Απαλό  νήμα\nγια πλέξιμο. ")),
    ("breadcrumb whitespace", _set("breadcrumbs", [" Νήματα", "Μαλλί  "])),
    ("attribute whitespace", _set("attributes", {" Σύνθεση ": "100%  μαλλί", "Βάρος": "100 γρ."})),
    ("variant option whitespace", _set_variant(0, "options", {"Χρώμα": " Κόκκινο   01"})),
    ("missing variant key vs None", _drop_empty_variant_fields),
]

EMPTY_ALIKE = [None, "", "   ", [], {}, ()]


@pytest.mark.parametrize("mutate", [m for _, m in SAME_FINGERPRINT], ids=[i for i, _ in SAME_FINGERPRINT])
def test_fingerprint_ignores_noise(mutate: Callable[[dict[str, Any]], None]) -> None:
    base = make_product()
    changed = dict(make_product())
    mutate(changed)
    assert fingerprint(changed) == fingerprint(base)
    assert fingerprint(to_state(changed)) == fingerprint(base)


@pytest.mark.parametrize("field", ["gtin", "images", "attributes", "hreflang", "variants", "mpn", "brand"])
@pytest.mark.parametrize("empty", EMPTY_ALIKE, ids=repr)
def test_fingerprint_treats_none_missing_and_empty_alike(field: str, empty: Any) -> None:
    missing = dict(make_product())
    del missing[field]
    emptied = dict(make_product())
    emptied[field] = empty
    assert fingerprint(emptied) == fingerprint(missing)
    assert fingerprint(emptied) != fingerprint(make_product())


CHANGED_VALUES: dict[str, Any] = {
    "canonical_url": "https://shop.example/malli/42-merino-new.html",
    "name": "Merino Deluxe 2",
    "brand": "Rico",
    "sku": "KNI-43",
    "gtin": "5200000000023",
    "mpn": "M-43",
    "price": Decimal("6.91"),
    "regular_price": Decimal("7.49"),
    "currency": "USD",
    "availability": "out_of_stock",
    "category": "Βαμβάκι",
    "breadcrumbs": ["Νήματα", "Βαμβάκι"],
    "description": "Άλλη περιγραφή.",
    "main_image": "https://shop.example/img/42-2.jpg",
    "images": ["https://shop.example/img/42-1.jpg"],
    "variants": [],
    "attributes": {"Σύνθεση": "100% βαμβάκι", "Βάρος": "100 γρ."},
    "seo_title": "Merino | Knitshop",
    "meta_description": "Buy it",
    "h1": "Merino",
    "meta_robots": "noindex, follow",
    "og_title": "Merino",
    "og_description": "Soft",
    "og_image": "https://shop.example/img/42-2.jpg",
    "hreflang": {"el": "https://shop.example/el/42"},
}


def test_every_content_field_has_a_change_case() -> None:
    assert set(CHANGED_VALUES) == set(CONTENT_FIELDS)


@pytest.mark.parametrize("field", CONTENT_FIELDS)
def test_fingerprint_changes_with_every_content_field(field: str) -> None:
    assert fingerprint(make_product(**{field: CHANGED_VALUES[field]})) != fingerprint(make_product())


CHANGES_THAT_COUNT = [
    ("images reordered", _set("images", ["https://shop.example/img/42-2.jpg", "https://shop.example/img/42-1.jpg"])),
    ("breadcrumbs reordered", _set("breadcrumbs", ["Μαλλί", "Νήματα"])),
    ("name case", _set("name", "merino deluxe")),
    ("name inner space removed", _set("name", "MerinoDeluxe")),
    ("price by a cent", _set("price", Decimal("6.89"))),
    ("price on request", _set("price", None)),
    ("price zero", _set("price", Decimal("0"))),
    ("variant price", _set_variant(0, "price", Decimal("6.95"))),
    ("variant regular price", _set_variant(1, "regular_price", Decimal("8.00"))),
    ("variant stock", _set_variant(1, "availability", "in_stock")),
    ("variant name", _set_variant(1, "name", "Γκρι 03")),
    ("variant options", _set_variant(0, "options", {"Χρώμα": "Κόκκινο 02"})),
    ("variant sku", _set_variant(0, "sku", "KNI-42-09")),
    ("attribute key", _set("attributes", {"Σύνθεση": "100% μαλλί", "Μήκος": "100 γρ."})),
    ("hreflang url", _set("hreflang", {"el": "https://shop.example/el/42", "en": "https://shop.example/en/43"})),
]


@pytest.mark.parametrize("mutate", [m for _, m in CHANGES_THAT_COUNT], ids=[i for i, _ in CHANGES_THAT_COUNT])
def test_fingerprint_changes_with_content(mutate: Callable[[dict[str, Any]], None]) -> None:
    changed = dict(make_product())
    changed["variants"] = [dict(v) for v in changed["variants"]]
    mutate(changed)
    assert fingerprint(changed) != fingerprint(make_product())


def test_fingerprint_is_sha256_of_sorted_canonical_json() -> None:
    item = Product(
        site="s",
        product_id="1",
        url="https://x/1?utm=1",
        name="  Wool  ball ",
        price=Decimal("3.5"),
        availability="in_stock",
        images=[],
        variants=[
            {"sku": "B", "name": "b", "options": {"Size": "L"}, "price": Decimal("4"), "availability": None},
            {"sku": "A", "name": "a", "options": {}, "price": "3.50", "regular_price": None},
        ],
    )
    expected_json = (
        '{"availability":"in_stock","name":"Wool ball","price":"3.50",'
        '"variants":[{"name":"a","price":"3.50","sku":"A"},'
        '{"name":"b","options":{"Size":"L"},"price":"4.00","sku":"B"}]}'
    )
    assert fingerprint(item) == hashlib.sha256(expected_json.encode("utf-8")).hexdigest()


def test_fingerprint_sorts_variants_without_sku_by_name_then_options() -> None:
    variants = [
        {"name": "Red", "options": {"Size": "L"}, "price": Decimal("2")},
        {"name": "Red", "options": {"Size": "M"}, "price": Decimal("2")},
        {"name": "Blue", "options": {"Size": "M"}, "price": Decimal("2")},
        {"options": {"Size": "S"}, "price": Decimal("2")},
    ]
    base = fingerprint(make_product(variants=variants))
    for order in ([3, 2, 1, 0], [1, 0, 3, 2], [2, 3, 0, 1]):
        assert fingerprint(make_product(variants=[variants[n] for n in order])) == base


def test_fingerprint_is_a_hex_digest_and_stable() -> None:
    value = fingerprint(make_product())
    assert len(value) == 64
    assert int(value, 16) >= 0
    assert fingerprint(make_product()) == value
    assert fingerprint(to_state(make_product())) == value


# -- identity and completeness ---------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"site": "a", "product_id": "42", "canonical_url": "c", "url": "u"}, ("a", "42")),
        ({"site": "a", "product_id": 42}, ("a", "42")),
        ({"site": "a", "product_id": " 42 "}, ("a", "42")),
        ({"site": "a", "product_id": "", "canonical_url": "c", "url": "u"}, ("a", "c")),
        ({"site": "a", "product_id": None, "canonical_url": None, "url": "u"}, ("a", "u")),
        ({"site": "a", "canonical_url": "  ", "url": "u"}, ("a", "u")),
        ({"site": "a"}, ("a", "")),
        ({"product_id": "7"}, ("", "7")),
    ],
)
def test_identity_key(item: dict[str, Any], expected: tuple[str, str]) -> None:
    assert identity_key(item) == expected
    assert identity_key(Product(**item)) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({}, 0),
        ({"site": "a", "product_id": "1", "url": "u", "scraped_at": "t", "crawl_id": "c", "ai": {"x": 1}}, 0),
        ({"name": "N", "price": Decimal("1")}, 2),
        ({"name": "  ", "price": None, "images": [], "attributes": {}}, 0),
        ({"name": "N", "variants": [{"sku": "A", "price": Decimal("1"), "availability": None}]}, 4),
        ({"variants": [{"sku": "A", "name": "a"}, {"options": {"Size": "M"}, "price": "2", "availability": "x"}]}, 6),
    ],
)
def test_completeness(item: dict[str, Any], expected: int) -> None:
    assert completeness(item) == expected
    assert completeness(to_state(Product(**item))) == expected


def test_completeness_prefers_the_fuller_duplicate() -> None:
    full = make_product()
    poorer = make_product(description=None, variants=[{"sku": "KNI-42-01", "price": Decimal("6.90")}])
    assert completeness(full) > completeness(poorer)
    assert completeness(full) == len(CONTENT_FIELDS) + 6 + 5  # second variant has no regular_price
