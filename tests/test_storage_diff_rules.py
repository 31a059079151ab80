"""Change detection, one rule at a time: new and removed products, the watched fields, truncation,
delta_pct, variant keys, the record type, the demo days."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from demo_shops.catalog import build_catalog
from demo_shops.stores import store_for
from ecommerce_scraper.storage.diff import (
    WATCHED_FIELDS,
    ChangeRecord,
    delta_pct,
    diff_states,
    removed_change,
    variant_key,
)
from ecommerce_scraper.storage.state import fingerprint, to_state

from .test_storage_diff import D, product, variant


@pytest.mark.parametrize("new", [product(), to_state(product()), {}])
def test_new_product_is_only_new(new: Any) -> None:
    assert diff_states(None, new) == [ChangeRecord("new")]


def test_removed_change() -> None:
    assert removed_change(to_state(product())) == ChangeRecord("removed", None, None, None, None, None)


@pytest.mark.parametrize("field", WATCHED_FIELDS)
def test_every_watched_field(field: str) -> None:
    old = product(**{field: "old value"})
    assert diff_states(old, product(**{field: "new  value "})) == [
        ChangeRecord("field_changed", field, None, "old value", "new value")
    ]
    assert diff_states(old, product(**{field: " old   value"})) == []


def test_watched_fields_are_the_documented_ones() -> None:
    assert WATCHED_FIELDS == (
        "brand",
        "sku",
        "gtin",
        "category",
        "description",
        "seo_title",
        "meta_description",
        "h1",
        "meta_robots",
        "og_title",
        "og_description",
        "canonical_url",
    )


@pytest.mark.parametrize(
    ("length", "expected_old"),
    [
        (499, "a" * 499),
        (500, "a" * 500),
        (501, "a" * 499 + "…"),
        (5000, "a" * 499 + "…"),
    ],
)
def test_long_values_are_truncated_to_500_chars(length: int, expected_old: str) -> None:
    records = diff_states(product(description="a" * length), product(description="b"))
    assert records == [ChangeRecord("field_changed", "description", None, expected_old, "b")]
    assert len(records[0].old_value or "") <= 500


def test_long_names_are_truncated_too() -> None:
    records = diff_states(product(name="n" * 600), product(name="m"))
    assert records == [ChangeRecord("renamed", "name", None, "n" * 499 + "…", "m")]


def test_list_valued_watched_field_is_written_as_json() -> None:
    records = diff_states(product(category=["Νήματα", "Μαλλί"]), product(category="Μαλλί"))
    assert records == [ChangeRecord("field_changed", "category", None, '["Νήματα", "Μαλλί"]', "Μαλλί")]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("10", "8", D("-20.00")),
        ("3", "4", D("33.33")),
        ("3", "5", D("66.67")),
        ("200", "200.01", D("0.01")),  # 0.005 rounds up
        ("200", "199.99", D("-0.01")),
        ("0", "5", None),
        (None, "5", None),
        ("5", None, None),
        ("8.00", "8.0", D("0.00")),
    ],
)
def test_delta_pct(old: str | None, new: str | None, expected: Decimal | None) -> None:
    result = delta_pct(None if old is None else D(old), None if new is None else D(new))
    assert result == expected
    if expected is not None:
        assert isinstance(result, Decimal)
        assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("variant_fields", "expected"),
    [
        ({"sku": " A-1 ", "name": "Red"}, "A-1"),
        ({"sku": "", "name": " Red  wool "}, "Red wool"),
        ({"sku": None, "name": None, "options": {"Size": "M", "Colour": "Red"}}, '{"Colour": "Red", "Size": "M"}'),
        ({"options": {"Χρώμα": "Κόκκινο"}}, '{"Χρώμα": "Κόκκινο"}'),
        ({}, ""),
    ],
)
def test_variant_key(variant_fields: dict[str, Any], expected: str) -> None:
    assert variant_key(variant_fields) == expected


def test_duplicate_variant_keys_resolve_independently_of_order() -> None:
    first = [variant("A", "3"), variant("A", "4")]
    assert diff_states(product(variants=first), product(variants=list(reversed(first)))) == []


def test_change_record_is_frozen_with_defaults() -> None:
    record = ChangeRecord("new")
    assert (record.field, record.variant_sku, record.old_value, record.new_value, record.delta_pct) == (None,) * 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.change_type = "removed"  # type: ignore[misc]


@pytest.mark.parametrize("site", ["knitshop", "atmosphere"])
def test_demo_days_agree_with_fingerprints(site: str) -> None:
    """Across two demo days: a product whose fingerprint held has no changes, and back."""
    day1, day2 = build_catalog(site, 40, day=1), build_catalog(site, 40, day=2)
    base_url = f"http://127.0.0.1:8800/{site}/"
    before = {p.index: to_state(store_for(day1).truth(p, base_url)) for p in day1.products}
    after = {p.index: to_state(store_for(day2).truth(p, base_url)) for p in day2.products}
    kept = before.keys() & after.keys()
    assert kept
    changed = 0
    for index in kept:
        records = diff_states(before[index], after[index])
        assert diff_states(before[index], before[index]) == []
        if fingerprint(before[index]) == fingerprint(after[index]):
            assert records == []
        else:
            changed += 1
        if records:
            assert fingerprint(before[index]) != fingerprint(after[index])
    assert changed  # day 2 changes some prices and stock
