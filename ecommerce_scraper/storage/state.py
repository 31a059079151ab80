"""A product's stored state and the pure functions around it (no database here).

- :func:`to_state` turns a Product item (or dict) into a JSON-safe dict: every field of
  :data:`~ecommerce_scraper.items.PRODUCT_FIELDS`, money as plain decimal strings
  (``"12.50"``), so a state survives JSON (SQLite, PostgreSQL JSONB) without a float.
- :func:`fingerprint` hashes what the shop shows (:data:`CONTENT_FIELDS`), not crawl
  noise: two crawls of an unchanged product give the same fingerprint, whatever their
  time, crawl id, URL (tracking parameters, category path), key order or variant order.
- :func:`identity_key`, :func:`completeness` and :func:`replaces` (the one dedup rule) serve
  deduplication.

Every function accepts a Product item, a plain dict item (``Decimal`` prices) or a state
(string prices) alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from itemadapter import ItemAdapter

from ..items import PRODUCT_FIELDS, VARIANT_FIELDS

#: Fields that describe the product as the shop shows it: the fingerprint covers these.
#: Left out: identity (site, product_id), crawl noise (url: tracking parameters, which
#: category path led there; scraped_at, crawl_id), and derived values (fingerprint, ai).
_NOT_CONTENT = frozenset({"site", "product_id", "url", "scraped_at", "crawl_id", "fingerprint", "ai"})
CONTENT_FIELDS: tuple[str, ...] = tuple(f for f in PRODUCT_FIELDS if f not in _NOT_CONTENT)

#: Money keys, at product level and inside each variant.
MONEY_FIELDS: frozenset[str] = frozenset({"price", "regular_price"})


def to_state(item: Any) -> dict[str, Any]:
    """A JSON-safe dict of every Product field, in export order.

    Money becomes a plain decimal string with at least two decimals (``"12.50"``,
    ``"1000.00"``, ``"0.125"``); datetimes become ISO 8601 strings; tuples become lists;
    everything else is kept as it is. Fields the item lacks are ``None``.
    """
    adapter = _adapter(item)
    state: dict[str, Any] = {}
    for field in PRODUCT_FIELDS:
        value = adapter.get(field)
        if field == "variants":
            state[field] = _variants_state(value)
        else:
            state[field] = _json_safe(value, money=field in MONEY_FIELDS)
    return state


def money_to_state(value: Decimal) -> str:
    """``Decimal`` -> plain decimal string: at least 2 decimals, more only when significant.

    ``Decimal("12.5")`` -> ``"12.50"``, ``Decimal("12.500")`` -> ``"12.50"``,
    ``Decimal("1E+3")`` -> ``"1000.00"``, ``Decimal("0.125")`` -> ``"0.125"``.
    """
    if not value.is_finite():
        raise ValueError(f"money must be finite, got {value}")
    if value == 0:
        value = Decimal(0)  # no "-0.00"
    places = max(2, _significant_decimal_places(value))
    # Exact: ``places`` is never fewer than the value's significant decimals, so nothing rounds.
    return f"{value:.{places}f}"


def from_state_money(value: Any) -> Decimal | None:
    """A state's (or item's) money value -> ``Decimal``; ``None`` when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))  # the shortest repr, not the binary expansion
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def fingerprint(item_or_state: Any) -> str:
    """sha256 (hex) of the canonical JSON of the content fields.

    Canonical form: keys sorted; strings whitespace-normalized (runs collapsed, ends
    stripped); money normalized (``12.5`` == ``"12.50"`` == ``Decimal("12.500")``);
    ``None``, missing, empty strings, empty lists and empty dicts all alike (left out);
    variants sorted (by sku, then name, then options); list order otherwise kept
    (images: the main image comes first; breadcrumbs: the path).
    """
    return _hash(canonical_content(item_or_state))


def fingerprint_and_completeness(item_or_state: Any) -> tuple[str, int]:
    """:func:`fingerprint` and :func:`completeness` from one normalization of the item (the
    dedup stage needs both for every item)."""
    document = canonical_content(item_or_state)
    return _hash(document), _score(document)


def _hash(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_content(item_or_state: Any) -> dict[str, Any]:
    """The normalized content fields that :func:`fingerprint` hashes (empty ones left out)."""
    adapter = _adapter(item_or_state)
    document: dict[str, Any] = {}
    for field in CONTENT_FIELDS:
        raw = adapter.get(field)
        value = canonical_variants(raw) if field == "variants" else _canonical(raw, money=field in MONEY_FIELDS)
        if value is not None:
            document[field] = value
    return document


def canonical_variants(variants: Any) -> list[dict[str, Any]] | None:
    """Variants normalized and sorted by (sku, name, options JSON), so their order is not content."""
    if not isinstance(variants, list | tuple) or not variants:
        return None
    present = [v for v in map(_canonical_variant, variants) if v is not None]
    present.sort(key=_variant_sort_key)
    return present or None


def canonical_value(value: Any) -> Any:
    """One value normalized as :func:`fingerprint` sees it (``None`` for every kind of empty)."""
    return _canonical(value)


def canonical_variant(variant: Any) -> dict[str, Any] | None:
    """One variant normalized as :func:`fingerprint` sees it (money as decimal strings)."""
    return _canonical_variant(variant)


def identity_key(item_or_state: Any) -> tuple[str, str]:
    """(site, product_id); falls back to (site, canonical_url), then (site, url)."""
    adapter = _adapter(item_or_state)
    site = _text(adapter.get("site")) or ""
    for field in ("product_id", "canonical_url", "url"):
        value = _text(adapter.get(field))
        if value:
            return site, value
    return site, ""


def completeness(item_or_state: Any) -> int:
    """How many content fields are non-empty, plus one per filled field of each variant.

    The dedup rule (:func:`replaces`) keeps the most complete of duplicates.
    """
    return _score(canonical_content(item_or_state))


def _score(document: dict[str, Any]) -> int:
    score = len(document)
    for variant in document.get("variants", []):
        score += sum(1 for field in VARIANT_FIELDS if variant.get(field) is not None)
    return score


def replaces(copy_completeness: int, kept_completeness: int) -> bool:
    """The one dedup rule: whether a later copy of a product met again in the same crawl (same
    :func:`identity_key`) replaces the copy kept so far.

    The most complete copy wins (:func:`completeness`); among equally complete copies the first
    one stays. :class:`~ecommerce_scraper.pipelines.dedup.DedupPipeline` applies it to the
    crawl's items; the crawl writer asks it too, for the copies the pipeline cannot remember
    (a crawl resumed after a stop, items loaded from the spool).
    """
    return copy_completeness > kept_completeness


def normalize_text(value: Any) -> str | None:
    """Whitespace-normalized text (runs collapsed, ends stripped); ``None`` when empty."""
    text = _text(value)
    if text is None:
        return None
    return " ".join(text.split()) or None


def _adapter(item: Any) -> ItemAdapter | Mapping[str, Any]:
    if ItemAdapter.is_item(item):
        return ItemAdapter(item)
    if isinstance(item, Mapping):
        return item
    raise TypeError(f"expected a Product item or a mapping, got {type(item).__name__}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return money_to_state(value) if value.is_finite() else None
    return str(value).strip()


def _significant_decimal_places(value: Decimal) -> int:
    # Counted from the digits rather than with Decimal.normalize(), which rounds to the
    # context precision (28 digits).
    sign_digits_exponent = value.as_tuple()
    digits = list(sign_digits_exponent.digits)
    exponent = sign_digits_exponent.exponent
    if not isinstance(exponent, int):  # "n", "N", "F": not finite, never reaches here
        return 0
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent)


def _json_safe(value: Any, money: bool = False) -> Any:
    """JSON-safe copy; ``money`` marks a price/regular_price value (product or variant)."""
    if money:
        amount = from_state_money(value)
        if amount is not None:
            return money_to_state(amount)
        # Not a number: kept as text rather than lost (validation rejects such items anyway).
        return None if value is None or isinstance(value, bool) else str(value)
    # Plain leaves first: this runs on the reactor thread for every field of every item, and
    # ItemAdapter.is_item (below) is by far the slowest check.
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return money_to_state(value) if value.is_finite() else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if ItemAdapter.is_item(value):  # dataclass/attrs/pydantic items
        return _json_safe(ItemAdapter(value).asdict())
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, set | frozenset):
        return [_json_safe(v) for v in sorted(value, key=str)]
    return str(value)


def _variants_state(variants: Any) -> Any:
    if not isinstance(variants, list | tuple):
        return _json_safe(variants)
    return [_variant_state(variant) for variant in variants]


def _variant_state(variant: Any) -> Any:
    mapping = _as_mapping(variant)
    if mapping is None:
        return _json_safe(variant)
    return {str(k): _json_safe(v, money=k in MONEY_FIELDS) for k, v in mapping.items()}


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if ItemAdapter.is_item(value):
        return ItemAdapter(value).asdict()
    return None


def _canonical(value: Any, money: bool = False) -> Any:
    """Normalized value for hashing; ``None`` for every kind of empty."""
    if money:
        amount = from_state_money(value)
        return money_to_state(amount) if amount is not None else normalize_text(value)
    if value is None:
        return None
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, Decimal):
        return money_to_state(value) if value.is_finite() else None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    mapping = _as_mapping(value)
    if mapping is not None:
        return _canonical_mapping(mapping)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value] or None
    return normalize_text(value)


def _canonical_mapping(mapping: Mapping[str, Any], money_keys: bool = False) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    for raw_key, raw_value in mapping.items():
        key = normalize_text(raw_key) or ""
        canonical = _canonical(raw_value, money=money_keys and key in MONEY_FIELDS)
        if canonical is not None:
            result[key] = canonical
    return result or None


def _canonical_variant(variant: Any) -> dict[str, Any] | None:
    mapping = _as_mapping(variant)
    if mapping is None:
        value = _canonical(variant)
        return None if value is None else {"value": value}
    return _canonical_mapping(mapping, money_keys=True)


def _variant_sort_key(variant: dict[str, Any]) -> tuple[str, str, str, str]:
    def as_text(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)

    options = json.dumps(variant.get("options"), sort_keys=True, ensure_ascii=False)
    # The whole variant breaks ties, so equal keys still sort the same way every time.
    whole = json.dumps(variant, sort_keys=True, ensure_ascii=False)
    return as_text(variant.get("sku") or ""), as_text(variant.get("name") or ""), options, whole
