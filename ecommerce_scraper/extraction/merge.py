"""Merging partial products from several sources into one, and the rules that make it whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_EMPTY = (None, "", [], {})


def merge_partials(*partials: dict[str, Any] | None) -> dict[str, Any]:
    """Field by field, the first source that has a value wins (sources in precedence order)."""
    merged: dict[str, Any] = {}
    for partial in partials:
        for key, value in (partial or {}).items():
            if value not in _EMPTY and merged.get(key) in _EMPTY:
                merged[key] = value
    return merged


_CENT = Decimal("0.01")


def money(value: Decimal | None) -> Decimal | None:
    """At least two decimal places (``12.5`` -> ``12.50``), more only when the shop has them."""
    if value is None or value.as_tuple().exponent <= -2:  # type: ignore[operator]
        return value
    return value.quantize(_CENT)


def _sale_pair(price: Decimal | None, regular: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """A regular price only means something above the current one."""
    price, regular = money(price), money(regular)
    if price is None or regular is None or regular <= price:
        return price, None
    return price, regular


def finalize(product: dict[str, Any]) -> dict[str, Any]:
    """Make a merged product consistent.

    - A regular price is kept only when above the price (the product is on sale).
    - With priced variants, the product's price is its cheapest variant's (and that
      variant's regular price); availability is in stock when any variant is.
    """
    variants = [dict(v) for v in product.get("variants") or []]
    for variant in variants:
        variant["price"], variant["regular_price"] = _sale_pair(variant.get("price"), variant.get("regular_price"))
        variant.setdefault("options", {})
    product["variants"] = variants
    priced = [v for v in variants if v.get("price") is not None]
    if priced:
        cheapest = min(priced, key=lambda v: v["price"])
        product["price"], product["regular_price"] = cheapest["price"], cheapest.get("regular_price")
    else:
        product["price"], product["regular_price"] = _sale_pair(product.get("price"), product.get("regular_price"))
    stated = [v.get("availability") for v in variants if v.get("availability")]
    if stated:
        if "in_stock" in stated:
            product["availability"] = "in_stock"
        else:
            product["availability"] = next((a for a in stated if a in ("backorder", "preorder")), "out_of_stock")
    return product
