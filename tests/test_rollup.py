"""The one variant roll-up rule (extraction/toolkit.py), each branch, and finalize using it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ecommerce_scraper.extraction.merge import finalize
from ecommerce_scraper.extraction.toolkit import cheapest_variant, roll_up_variants, variants_availability


def v(price: str | None = None, regular: str | None = None, availability: str | None = None) -> dict[str, Any]:
    return {
        "sku": None,
        "name": None,
        "options": {},
        "price": Decimal(price) if price else None,
        "regular_price": Decimal(regular) if regular else None,
        "availability": availability,
    }


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["out_of_stock", "in_stock", None], "in_stock"),  # 1. any in stock
        (["out_of_stock", "preorder", "backorder"], "preorder"),  # 2. else orderable: the first such
        (["backorder", None, "out_of_stock"], "backorder"),
        (["out_of_stock", "out_of_stock"], "out_of_stock"),  # 3. every variant says out
        (["out_of_stock", None], None),  # 4. unknown never makes a product out of stock
        ([None, None], None),
        ([], None),
    ],
)
def test_availability_rule(states: list[str | None], expected: str | None) -> None:
    assert variants_availability([v(availability=s) for s in states]) == expected


def test_price_is_the_cheapest_variants_in_stock_or_not_with_its_own_regular_price() -> None:
    variants = [
        v("7.00", None, "in_stock"),
        v("6.50", "8.00", "out_of_stock"),
        v("6.50", None, "in_stock"),  # as cheap, but later: the first among equals wins
        v(None, None, "in_stock"),
    ]
    assert cheapest_variant(variants) is variants[1]
    assert roll_up_variants(variants) == {
        "price": Decimal("6.50"),
        "regular_price": Decimal("8.00"),
        "availability": "in_stock",
    }


def test_prices_compare_as_decimals() -> None:
    # As strings "10.00" < "9.50"; as Decimals 9.50 is cheaper.
    assert cheapest_variant([v("10.00"), v("9.50")])["price"] == Decimal("9.50")


def test_what_variants_do_not_decide_is_left_out() -> None:
    assert roll_up_variants([v(availability="out_of_stock"), v()]) == {}
    assert roll_up_variants([v("5.00", None, None)]) == {"price": Decimal("5.00")}  # no regular price
    assert roll_up_variants([]) == {}


def test_finalize_applies_the_rule() -> None:
    product = {
        "price": Decimal("9"),
        "regular_price": Decimal("20"),
        "availability": "out_of_stock",
        "variants": [v("12.5", "12.5", "out_of_stock"), v("11", "13", "backorder")],
    }
    got = finalize(product)
    # A regular price only above the price; then the cheapest variant's pair.
    assert got["variants"][0]["price"] == Decimal("12.50") and got["variants"][0]["regular_price"] is None
    assert (got["price"], got["regular_price"]) == (Decimal("11.00"), Decimal("13.00"))
    assert got["availability"] == "backorder"


def test_finalize_keeps_the_products_own_values_when_variants_do_not_decide() -> None:
    product = {
        "price": Decimal("9.5"),
        "regular_price": Decimal("9"),
        "availability": "in_stock",
        "variants": [v(None, None, "out_of_stock"), v(None, None, None)],
    }
    got = finalize(product)
    assert (got["price"], got["regular_price"], got["availability"]) == (Decimal("9.50"), None, "in_stock")
    assert got["variants"][1]["options"] == {}


def test_adapters_use_the_same_rule() -> None:
    """WooCommerce's page roll-up once said out of stock for a pre-order; Shopify's took the first
    stated state. Both now answer as the rule does."""
    from scrapy.http import HtmlResponse

    from ecommerce_scraper.platforms.shopify import _variant_summary
    from ecommerce_scraper.platforms.woocommerce import WooCommercePlatform

    shopify_variants = [
        {**v("5.00", None, "out_of_stock"), "_default": False},
        {**v("4.00", "6.00", "backorder"), "_default": False},
    ]
    assert _variant_summary(shopify_variants)["availability"] == "backorder"
    assert _variant_summary(shopify_variants)["price"] == Decimal("4.00")
    page = HtmlResponse(url="https://shop.example/product/x/", body=b"<html><div class='summary'></div></html>")
    summary = page.css("div.summary")
    woo = WooCommercePlatform("https://shop.example/")
    assert woo._page_availability(summary, [v(availability="out_of_stock"), v(availability="preorder")]) == "preorder"
