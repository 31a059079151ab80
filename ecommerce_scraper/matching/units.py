"""What is matched: a product, or each colour (or size) of a page that sells them as variants.

Shops sell one colour of a yarn as a product of its own, or all its colours as variants of one
page; matching at the variant level lines both up. :func:`units_of` turns one stored product
state into its matchable units:

- a product whose variants are colours (every variant's options name a colour, by the attribute
  rules of :mod:`..ai.rules`, and at least two colours differ) gives one unit per variant: the
  product's state with the variant's ``sku``, ``gtin``, ``price``, ``regular_price``,
  ``availability`` (else the product's) and ``url`` (else the product's), and the variant's colour
  as the ``colour_code``/``colour_name`` attributes (read before the product's); its key is
  ``(site, "<product_id>#<variant>")``, the variant being its SKU, else its name, else its position;
- a product whose variants are sizes in millimetres (needles, hooks: every variant names one
  single size, at least two differ) gives one unit per size the same way, its size in
  :data:`SIZE_MM`;
- any other product is one unit, keyed ``(site, product_id)`` as before.

A unit state says which product it comes from (:data:`PRODUCT_ID`) and which variant
(:data:`VARIANT_ID`, :data:`VARIANT_NAME`; ``None`` for a whole product). The key format lives
here only: :func:`unit_key` builds it, :func:`product_key_of` reads it back. A pin or apart row
of ``config/matches.csv`` names a variant the same way (``product_id`` ``1234#SKU-RED``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..ai.field_readers import colour_value
from ..ai.folding import fold
from ..ai.rules import extract_rules
from ..ai.vocabulary import GRAMS, METRES, MM_RANGE
from .identity import ProductIdentity, ProductKey, identity_of, positive_decimal

#: Between the product id and the variant in a unit's key.
VARIANT_SEPARATOR = "#"
#: A unit state's extra fields: the shop's product id, the variant's id and name (``None``: whole product).
PRODUCT_ID = "unit_product_id"
VARIANT_ID = "variant_id"
VARIANT_NAME = "variant_name"
#: A size unit's size in millimetres (read by :func:`~.identity.identity_of` before the name's).
SIZE_MM = "unit_size_mm"


_CENTIMETRES = re.compile(r"\d\s*(?:cm|εκ)\.?(?!\w)")


def _is_measure(folded: str) -> bool:
    """A size, weight or length: what a variant's name must not hold to read as a colour."""
    return any(pattern.search(folded) for pattern in (MM_RANGE, GRAMS, METRES, _CENTIMETRES))


def unit_key(site: str, product_id: str, variant: str | None = None) -> ProductKey:
    """The key of a product (``variant`` ``None``) or of one of its variants."""
    return (site, product_id if variant is None else f"{product_id}{VARIANT_SEPARATOR}{variant}")


def product_key_of(key: ProductKey) -> ProductKey:
    """The product a unit key belongs to: ``(site, product_id)``."""
    site, unit = key
    return (site, unit.partition(VARIANT_SEPARATOR)[0])


def variant_colour(variant: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(colour name, colour code) of a variant: its options read as an attribute table is (a
    colour key: "Χρώμα", "Colour"...); a variant without options, its name when that reads as a
    colour name *and* code ("Λευκό 04", "001 Κόκκινο"), never as a size or weight ("3 mm", "100 g")."""
    options = variant.get("options")
    if isinstance(options, Mapping) and options:
        items = tuple(options.items())
        if all(isinstance(key, str) and isinstance(value, str) for key, value in items):
            return _options_colour(items)
        return _colour_of_options(options)
    text = variant.get("name")
    if not isinstance(text, str) or _is_measure(fold(text)):
        return None, None
    name, code = colour_value(text)
    return (name, code) if name and code else (None, None)


@lru_cache(maxsize=1 << 12)
def _options_colour(items: tuple[tuple[str, str], ...]) -> tuple[str | None, str | None]:
    # A catalog repeats a few hundred colour options over its variants: each is read once.
    return _colour_of_options(dict(items))


def _colour_of_options(options: Mapping[str, Any]) -> tuple[str | None, str | None]:
    values = extract_rules(attributes=options).values
    name, code = values.get("colour_name"), values.get("colour_code")
    return (name if isinstance(name, str) else None), (str(code) if code is not None else None)


def variant_size_mm(variant: Mapping[str, Any]) -> Decimal | None:
    """A needle's or hook's size of a variant: one single size in millimetres in its options'
    values (else its name), such as "4,5 mm" or "Size: 4.5mm"; a range, several sizes or none: ``None``."""
    options = variant.get("options")
    texts = list(options.values()) if isinstance(options, Mapping) and options else [variant.get("name")]
    sizes = set()
    for text in texts:
        if not isinstance(text, str):
            continue
        for match in MM_RANGE.finditer(fold(text)):
            if match.group("hi") is not None:
                return None
            if (size := positive_decimal(match.group("lo"))) is not None:
                sizes.add(size)
    return sizes.pop() if len(sizes) == 1 else None


def _size_variants(state: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Decimal]] | None:
    variants = state.get("variants")
    if not isinstance(variants, list) or len(variants) < 2:
        return None
    found = []
    for variant in variants:
        size = variant_size_mm(variant) if isinstance(variant, Mapping) else None
        if size is None:
            return None
        found.append((variant, size))
    if len({size for _, size in found}) < 2:
        return None
    return found


def _colour_variants(state: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str | None, str | None]] | None:
    variants = state.get("variants")
    if not isinstance(variants, list) or len(variants) < 2:
        return None
    found = []
    for variant in variants:
        if not isinstance(variant, Mapping):
            return None
        name, code = variant_colour(variant)
        if name is None and code is None:
            return None
        found.append((variant, name, code))
    if len({(name, code) for _, name, code in found}) < 2:
        return None
    return found


def units_of(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The matchable units of one stored product state (see the module's docstring); a unit state
    is its own one unit."""
    if PRODUCT_ID in state:
        return [dict(state)]
    product_id = str(state["product_id"])
    attributes = state.get("attributes") if isinstance(state.get("attributes"), Mapping) else {}
    colours = _colour_variants(state)
    if colours is not None:
        return _variant_units(
            state,
            [
                (variant, {"attributes": {**attributes, "colour_code": code, "colour_name": name}})
                for variant, name, code in colours
            ],
        )
    sizes = _size_variants(state)
    if sizes is not None:
        return _variant_units(state, [(variant, {SIZE_MM: size}) for variant, size in sizes])
    return [{**state, PRODUCT_ID: product_id, VARIANT_ID: None, VARIANT_NAME: None}]


def _variant_units(
    state: Mapping[str, Any], variants: list[tuple[Mapping[str, Any], dict[str, Any]]]
) -> list[dict[str, Any]]:
    """One unit per variant: the product's state with the variant's own fields and ``extra``."""
    site, product_id = str(state["site"]), str(state["product_id"])
    units = []
    seen: set[str] = set()
    for position, (variant, extra) in enumerate(variants, start=1):
        ref = str(variant.get("sku") or variant.get("name") or position)
        if ref in seen:  # two variants with one SKU: told apart by position
            ref = f"{ref}@{position}"
        seen.add(ref)
        units.append(
            {
                **state,
                "product_id": unit_key(site, product_id, ref)[1],
                "sku": variant.get("sku"),
                "gtin": variant.get("gtin"),
                "price": variant.get("price"),
                "regular_price": variant.get("regular_price"),
                "availability": variant.get("availability") or state.get("availability"),
                "url": variant.get("url") or state.get("url"),
                "variants": [],
                PRODUCT_ID: product_id,
                VARIANT_ID: ref,
                VARIANT_NAME: variant.get("name"),
                **extra,
            }
        )
    return units


def expand(states: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every state's units, in order."""
    for state in states:
        yield from units_of(state)


def identities_of(state: Mapping[str, Any]) -> list[ProductIdentity]:
    """The units one stored product state is matched as, each with its identity: the one step from
    a state to what is matched, for everything that matches stored states
    (:func:`~.matcher.match_products`, :mod:`.rematch`, the persisted groups of :mod:`.sync`)."""
    return [identity_of(unit) for unit in units_of(state)]
