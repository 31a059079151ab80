"""Merging partial products from several sources into one, and the rules that make it whole."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .toolkit import PartialProduct, is_empty, roll_up_variants


def merge_partials(*partials: PartialProduct | dict[str, Any] | None) -> dict[str, Any]:
    """Field by field, the first source that has a value wins (sources in precedence order;
    "has a value": not empty in the sense of :func:`~.toolkit.is_empty`)."""
    merged: dict[str, Any] = {}
    for partial in partials:
        for key, value in (partial or {}).items():
            if not is_empty(value) and is_empty(merged.get(key)):
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

    - A regular price is kept only when above the price (the product is on sale), for the
      product and for each variant.
    - Then its variants decide what they can, by the one roll-up rule
      (:func:`~.toolkit.roll_up_variants`): with a priced variant, the product's price is the
      cheapest variant's and its regular price that variant's; its availability is the
      variants' when they settle it (:func:`~.toolkit.variants_availability`), else its own.
    """
    variants = [dict(v) for v in product.get("variants") or []]
    for variant in variants:
        variant["price"], variant["regular_price"] = _sale_pair(variant.get("price"), variant.get("regular_price"))
        variant.setdefault("options", {})
    product["variants"] = variants
    product["price"], product["regular_price"] = _sale_pair(product.get("price"), product.get("regular_price"))
    rolled = roll_up_variants(variants)
    if "price" in rolled:
        product["price"], product["regular_price"] = rolled["price"], rolled.get("regular_price")
    if "availability" in rolled:
        product["availability"] = rolled["availability"]
    return product
