"""What changed between two states of one product: pure functions, no database.

:func:`diff_states` compares the previous state with the new one (states from
:func:`~.state.to_state`, or items) and returns :class:`ChangeRecord` rows for the
``changes`` table, in a fixed order: the product-level rules below in the order listed,
then the variants sorted by key.

Conventions
- Money is compared as ``Decimal`` (``"12.5"`` equals ``"12.50"``) and written as a plain
  decimal string with at least 2 decimals (``"12.50"``); never a float.
- Text is compared and written whitespace-normalized (runs collapsed, ends stripped);
  empty text counts as ``None``. Written values longer than 500 characters are cut to
  their first 499 characters plus ``"…"`` (500 in all).
- ``delta_pct`` = (new - old) / old * 100, quantized to 0.01 with ROUND_HALF_UP; ``None``
  when either price is missing or the old price is 0.

Rules
1. ``old`` is None -> ``[ChangeRecord("new")]`` and nothing else.
2. price (field ``"price"``): both present and different -> ``price_down`` / ``price_up``
   with old/new and ``delta_pct``; one present and the other ``None`` (price on request
   appeared or went) -> ``price_changed`` with old/new (either may be ``None``), no delta.
3. regular_price (field ``"regular_price"``): ``None`` -> value: ``sale_started``
   (old ``None``, new = the regular price); value -> ``None``: ``sale_ended`` (old = the
   regular price, new ``None``); value -> other value (still on sale): nothing (the price
   change, if any, is reported by rule 2).
4. availability (field ``"availability"``), when old != new:
   new is ``out_of_stock`` (from anything, ``None`` included) -> ``out_of_stock``;
   old is ``out_of_stock`` and new is a known value -> ``back_in_stock``;
   any other difference (in_stock <-> backorder/preorder, known -> ``None`` because the
   shop stopped saying, ``None`` -> in_stock/backorder/preorder) -> ``availability_changed``.
5. name (field ``"name"``) changed -> ``renamed`` with old/new names.
6. each of :data:`WATCHED_FIELDS`, in that order, changed -> ``field_changed`` with the
   field name and old/new values (lists/dicts written as sorted-key JSON). A URL whose scheme
   or host alone changed is not a change of the product: the shop moved (the writer records
   that once per crawl, as ``shop_moved``).
7. variants, matched by key: sku, else name, else the options as
   ``json.dumps(options, sort_keys=True, ensure_ascii=False)`` (all whitespace-normalized;
   when two variants of one state share a key, the first in fingerprint order counts).
   Keys sorted; per key:
   only in new -> ``variant_added`` (variant_sku = key, new = its price or ``None``);
   only in old -> ``variant_removed`` (variant_sku = key, old = its price or ``None``);
   in both -> ``variant_price_changed`` (field ``"price"``, old/new, ``delta_pct`` as in rule
   2 when both are present) if the price differs, then ``variant_stock_changed`` (field
   ``"availability"``, old/new availability) if the availability differs.

A product that a clean crawl no longer finds gets :func:`removed_change`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from itemadapter import ItemAdapter

from .state import canonical_value, canonical_variants, from_state_money, money_to_state, normalize_text

#: Fields reported as ``field_changed`` (rule 6), in report order.
WATCHED_FIELDS: tuple[str, ...] = (
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

#: Fields holding a URL of the shop: a change of scheme or host alone is the shop's, not the product's.
URL_FIELDS = frozenset({"canonical_url"})

#: Longest old/new value written to a change row.
MAX_VALUE_CHARS = 500

OUT_OF_STOCK = "out_of_stock"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ChangeRecord:
    """One row of the ``changes`` table, before site/crawl/product columns are added."""

    change_type: str
    field: str | None = None
    variant_sku: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    delta_pct: Decimal | None = None


def diff_states(old: Mapping[str, Any] | Any | None, new: Mapping[str, Any] | Any) -> list[ChangeRecord]:
    """The changes from ``old`` to ``new`` (see the module docstring for the rules)."""
    if old is None:
        return [ChangeRecord("new")]
    before, after = _get(old), _get(new)
    return [
        *_price_changes(from_state_money(before("price")), from_state_money(after("price"))),
        *_sale_changes(from_state_money(before("regular_price")), from_state_money(after("regular_price"))),
        *_availability_changes(normalize_text(before("availability")), normalize_text(after("availability"))),
        *_rename(normalize_text(before("name")), normalize_text(after("name"))),
        *_field_changes(before, after),
        *_variant_changes(before("variants"), after("variants")),
    ]


def removed_change(old_state: Mapping[str, Any] | Any) -> ChangeRecord:
    """The change recorded when a clean, complete crawl no longer finds a product."""
    return ChangeRecord("removed")


def delta_pct(old: Decimal | None, new: Decimal | None) -> Decimal | None:
    """(new - old) / old * 100 to 0.01, ROUND_HALF_UP; ``None`` without both prices or when old is 0."""
    if old is None or new is None or old == 0:
        return None
    return ((new - old) / old * 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _get(item_or_state: Any) -> Any:
    source = ItemAdapter(item_or_state) if ItemAdapter.is_item(item_or_state) else item_or_state
    return source.get


def _money(value: Decimal | None) -> str | None:
    return None if value is None else money_to_state(value)


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_VALUE_CHARS:
        return text
    return text[: MAX_VALUE_CHARS - 1] + "…"


def _display(value: Any) -> str | None:
    """A field value as compared and written: normalized text, or sorted-key JSON for lists/dicts."""
    canonical = canonical_value(value)
    if canonical is None or isinstance(canonical, str):
        return canonical
    return json.dumps(canonical, sort_keys=True, ensure_ascii=False)


def _price_changes(old: Decimal | None, new: Decimal | None) -> list[ChangeRecord]:
    if old == new or (old is None and new is None):
        return []
    if old is None or new is None:
        return [ChangeRecord("price_changed", "price", None, _money(old), _money(new))]
    change_type = "price_down" if new < old else "price_up"
    return [ChangeRecord(change_type, "price", None, _money(old), _money(new), delta_pct(old, new))]


def _sale_changes(old: Decimal | None, new: Decimal | None) -> list[ChangeRecord]:
    if old is None and new is not None:
        return [ChangeRecord("sale_started", "regular_price", None, None, _money(new))]
    if old is not None and new is None:
        return [ChangeRecord("sale_ended", "regular_price", None, _money(old), None)]
    return []  # no sale either time, or still on sale (a price change is rule 2's)


def _availability_changes(old: str | None, new: str | None) -> list[ChangeRecord]:
    if old == new:
        return []
    if new == OUT_OF_STOCK:
        change_type = "out_of_stock"
    elif old == OUT_OF_STOCK and new is not None:
        change_type = "back_in_stock"
    else:
        change_type = "availability_changed"
    return [ChangeRecord(change_type, "availability", None, old, new)]


def _rename(old: str | None, new: str | None) -> list[ChangeRecord]:
    if old == new:
        return []
    return [ChangeRecord("renamed", "name", None, _clip(old), _clip(new))]


def _field_changes(before: Any, after: Any) -> list[ChangeRecord]:
    records = []
    for field in WATCHED_FIELDS:
        old, new = _display(before(field)), _display(after(field))
        if old != new and not (field in URL_FIELDS and _same_page(old, new)):
            records.append(ChangeRecord("field_changed", field, None, _clip(old), _clip(new)))
    return records


def host_of(url: Any) -> str | None:
    """``scheme://host`` of a URL, or ``None``."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


def _same_page(old: str | None, new: str | None) -> bool:
    """Two URLs that differ only in scheme and host (http -> https, a new domain, a staging copy)."""
    if old is None or new is None:
        return False
    a, b = urlsplit(old), urlsplit(new)
    return (a.path, a.query) == (b.path, b.query)


def _variant_changes(old_variants: Any, new_variants: Any) -> list[ChangeRecord]:
    old_by_key, new_by_key = _variants_by_key(old_variants), _variants_by_key(new_variants)
    records: list[ChangeRecord] = []
    for key in sorted(old_by_key.keys() | new_by_key.keys()):
        old, new = old_by_key.get(key), new_by_key.get(key)
        if old is None:
            records.append(ChangeRecord("variant_added", None, key, None, _money(_variant_price(new))))
        elif new is None:
            records.append(ChangeRecord("variant_removed", None, key, _money(_variant_price(old)), None))
        else:
            records += _variant_updates(key, old, new)
    return records


def _variant_updates(key: str, old: dict[str, Any], new: dict[str, Any]) -> list[ChangeRecord]:
    records = []
    old_price, new_price = _variant_price(old), _variant_price(new)
    if old_price != new_price:
        delta = delta_pct(old_price, new_price)
        records.append(ChangeRecord("variant_price_changed", "price", key, _money(old_price), _money(new_price), delta))
    old_stock, new_stock = normalize_text(old.get("availability")), normalize_text(new.get("availability"))
    if old_stock != new_stock:
        records.append(ChangeRecord("variant_stock_changed", "availability", key, old_stock, new_stock))
    return records


def _variants_by_key(variants: Any) -> dict[str, dict[str, Any]]:
    by_key: dict[str, dict[str, Any]] = {}
    # Fingerprint order is independent of the shop's order, so duplicates resolve the same way.
    for variant in canonical_variants(variants) or []:
        by_key.setdefault(variant_key(variant), variant)
    return by_key


def variant_key(variant: Mapping[str, Any]) -> str:
    """How a variant is matched across crawls: sku, else name, else its options as sorted-key JSON."""
    for field in ("sku", "name"):
        value = _display(variant.get(field))
        if value:
            return value
    options = canonical_value(variant.get("options"))
    return "" if options is None else json.dumps(options, sort_keys=True, ensure_ascii=False)


def _variant_price(variant: Mapping[str, Any] | None) -> Decimal | None:
    return None if variant is None else from_state_money(variant.get("price"))
