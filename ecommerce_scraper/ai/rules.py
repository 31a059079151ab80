"""Yarn attributes from a product's own words, by rules: Greek and English, no model.

:func:`extract_rules` reads the shop's attribute table (source ``structured``) and the name and
description (source ``rules``); :func:`parse_text` is the free-text half on its own. Every value
comes out in the form :func:`~ecommerce_scraper.ai.schema.found_values` gives, and the result
always validates (:meth:`Extraction.attributes` does not raise).

Matching runs on a *folded* copy of the text: lower case, accents and the Greek tonos dropped,
final sigma as sigma, one character for one character (so a match's span also cuts the original
text, which care phrases and colour names keep). HTML tags and entities go first, and only the
first :data:`~.folding.MAX_TEXT_CHARS` characters are read. Numbers take a decimal comma (``3,5``); a
quantity of grams or metres written ``1.000`` / ``2,500`` (one separator, three digits) is
grouped thousands. Ranges take ``-``, ``–``, ``—``, ``έως``, ``to``.

The work is shared out: :mod:`.folding` prepares the text, :mod:`.vocabulary` holds the words
and patterns (data only), :mod:`.field_readers` reads each field from free text and
:mod:`.product_type` the product's type; this module reads attribute tables, merges and validates.

Decisions:

* **Precedence**: the attribute table wins over the text, field by field (``Extraction.add``,
  structured first). Needle min and max always come together from one source, and so do a
  colour's name and code.
* **Product type**: the shop's own "Type" attribute; else a product noun in the *name* (by
  priority: kit, pattern, other, notion, hook, needles, yarn, so "Darning needles" and "Yarn
  bowl" are notions), then in the category and the breadcrumbs from the leaf up; else fibre or
  yarn-weight words in the same order ("Drops Merino Extra Fine", category "Βαμβάκι": yarn;
  "ChiaoGoo Red Lace" under "Κυκλικές βελόνες": needles); else the *description*, where the
  first product noun wins ("Soft yarn ... for knitting and crochet" is yarn) and a recommended
  tool ("Needles: 4 mm", "use 4 mm needles") is no product noun. "για πλέξιμο και βελονάκι",
  "knitting and crochet" and "free pattern" say nothing about the type. A type read from the
  category is a rule's inference: its source is ``rules``, not ``structured``.
* **Fibres**: English, lower case. Merino of any grade (extra fine, superfine) is
  ``merino wool``; ``kid mohair``, ``baby alpaca`` and ``organic cotton`` are kept apart from
  ``mohair``, ``alpaca`` and ``cotton`` (shops sell them as different yarns); nylon is
  ``polyamide``; bamboo viscose is ``bamboo``; lurex is ``metallic``; tencel is ``lyocell``.
  Free text needs a percentage (``75% μαλλί``, ``Wool 60%``); a percentage next to no fibre word
  ("20% off") is no fibre. Only a composition table entry ("Σύνθεση: Μαλλί, Μετάξι") gives fibres
  without percentages, and then the percentages stay empty: a lone fibre is not guessed as 100%.
  "Material: Bamboo" (a needle's material) is no fibre.
* **Units**: yards become metres (×0.9144, whole metres) only when no metres are given; ounces
  become grams the same way; kilograms become grams. Hook sizes are one number: a hook *range*
  ("hook 3.5-4.5 mm") gives no hook size. A hook or needle size needs ``mm`` unless it follows the
  word itself ("Βελονάκι: 3,5", "Βελόνες 3,5 - 4"); "για πλέξιμο και βελονάκι" has no size. A list
  of sizes ("Διαθέσιμα μεγέθη: 2,5, 3, 4 mm") is no size. US sizes are read only through the mm
  printed beside them ("US 6 (4 mm)"); a bare "US 6" is not converted.
* **Gauge**: stitches and rows over 10 cm; a gauge stated over another square is dropped, not
  scaled. Rows stay empty when only stitches are given.
* **Yarn weight**: the first weight term (name first); ``N ply`` by the Australian/NZ chart
  (2 lace, 3-4 fingering, 5 sport, 8 DK, 10 worsted, 12 bulky, 14 super bulky). "lace" next to
  pattern/stitch/shawl words is a lace pattern, not lace weight. Needles, hooks and notions get
  no yarn weight from their text ("ChiaoGoo Red Lace" needles have lace tips).
* **Care**: the sentence (from the clause) holding a washing word, in its own language; several
  such sentences are joined. "Superwash" alone is only used when no other care sentence exists.
* **Colour**: a single colour from a colour attribute or a "Χρώμα:/Colour:/col./shade" mention:
  the code is the digits part, the name the words part. A list of colours gives nothing.
* **Origin**: English country names; Greek ones are translated (England/Scotland/Wales are the
  United Kingdom). An unknown English proper name after "Made in" is kept as written; an unknown
  Greek one is dropped. Adjectives ("Ιταλικό νήμα", "Peruvian") are not read.
* **Never guessed**: anything from a number without its unit or keyword, percentages that do
  not add up (over 100), needle ranges written backwards, values outside the schema's bounds —
  such a field is dropped, the rest kept. Nothing here raises on any input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from ecommerce_scraper.ai.field_readers import (
    colour_value,
    country_at,
    fibres_unstated,
    own_size,
    read_care,
    read_colour,
    read_fibres,
    read_gauge,
    read_hook,
    read_length,
    read_needles,
    read_origin,
    read_weight,
    size_in,
    yarn_weight_of,
)
from ecommerce_scraper.ai.folding import FoldedText, fold
from ecommerce_scraper.ai.product_type import product_type_of, type_by_position, type_by_priority
from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS, Extraction, YarnAttributes, found_values
from ecommerce_scraper.ai.vocabulary import BARE_NUMBER, COLOUR_CODE, KEY_UNIT, KEYS, TOOL_TYPES

# Fields validated (and dropped) together: needle min and max only make sense as a pair.
_GROUPS: tuple[tuple[str, ...], ...] = (
    ("fibres",),
    ("weight_g",),
    ("length_m",),
    ("needle_mm_min", "needle_mm_max"),
    ("hook_mm",),
    ("gauge",),
    ("yarn_weight",),
    ("care",),
    ("colour_name",),
    ("colour_code",),
    ("product_type",),
    ("origin",),
)
# Fields taken from the text only together, where the table states none of them: a colour's
# name and code describe one colour, so they come from one place.
_MERGE_GROUPS: tuple[tuple[str, ...], ...] = (
    *(group for group in _GROUPS if group not in (("colour_name",), ("colour_code",))),
    ("colour_name", "colour_code"),
)
_EMPTY: dict[str, None] = dict.fromkeys(ATTRIBUTE_FIELDS)


# --- free text -------------------------------------------------------------------------------


def parse_text(text: str) -> dict[str, Any]:
    """What a free text (name, description) states, as :func:`found_values` gives it.

    The product type here is read as from a description: the first product noun, not counting
    recommended tools ("Needles: 4 mm" alone is no needles product). Fields that would not
    validate are left out.
    """
    if not isinstance(text, str) or not text.strip():
        return {}
    t = FoldedText.of(text)
    values = _parse_free(t)
    values["product_type"] = type_by_position(t.low)
    return _valid(values)


def _parse_free(t: FoldedText) -> dict[str, Any]:
    values: dict[str, Any] = {
        "fibres": read_fibres(t),
        "weight_g": read_weight(t),
        "length_m": read_length(t),
        "hook_mm": read_hook(t),
        "gauge": read_gauge(t),
        "yarn_weight": yarn_weight_of(t.low),
        "care": read_care(t),
        "origin": read_origin(t),
    }
    needles = read_needles(t)
    if needles:
        values["needle_mm_min"], values["needle_mm_max"] = needles
    values["colour_name"], values["colour_code"] = read_colour(t)
    return {name: value for name, value in values.items() if value is not None}


# --- attribute tables ------------------------------------------------------------------------


def _value_text(value: Any) -> str | None:
    """An attribute value as text; a list of several values as one comma-separated text."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (list, tuple)):
        parts = [part for part in (_value_text(v) for v in value[:20]) if part]
        return ", ".join(parts) if parts else None
    return None


# A shop's tables use a few dozen keys, each met on every product: read each once.
@lru_cache(maxsize=4096)
def _kind_of_key(key: str) -> str | None:
    low = fold(key)
    return next((kind for pattern, kind in KEYS if pattern.search(low)), None)


def _with_unit(value: str, key: str, default_unit: str) -> str:
    """A bare number gets the unit the key names ("Length (yds)": "137") or the default one."""
    if not BARE_NUMBER.fullmatch(fold(value)):
        return value
    unit = KEY_UNIT.search(fold(key))
    return f"{value.strip().rstrip('.')} {unit.group() if unit else default_unit}"


def _structured_values(kind: str, key: str, value: str, product_type: str | None) -> dict[str, Any]:
    """The fields one attribute entry states (its key already says which)."""
    bare_ok = product_type not in TOOL_TYPES  # "Μήκος: 80" of a circular needle is no yarn length
    t = FoldedText.of(value)
    out: dict[str, Any] = {}
    if kind in ("composition", "material"):
        out["fibres"] = read_fibres(t) or (fibres_unstated(t.raw) if kind == "composition" else None)
    elif kind == "weight":
        out["weight_g"] = read_weight(FoldedText.of(_with_unit(value, key, "g")) if bare_ok else t)
        out["yarn_weight"] = None if out["weight_g"] else yarn_weight_of(t.low)
    elif kind == "length":
        out["length_m"] = read_length(FoldedText.of(_with_unit(value, key, "m")) if bare_ok else t)
    elif kind == "yarn_weight":
        bare = BARE_NUMBER.fullmatch(t.low)
        out["yarn_weight"] = yarn_weight_of(f"{bare.group('n')} ply" if bare else t.low)
    elif kind in ("needles", "size") and (kind == "needles" or product_type == "needles"):
        size = size_in(t.low)
        if size:
            out["needle_mm_min"], out["needle_mm_max"] = size[0], size[1] if size[1] is not None else size[0]
    elif kind in ("hook", "size") and (kind == "hook" or product_type == "hook"):
        size = size_in(t.low)
        out["hook_mm"] = size[0] if size and size[1] is None else None
    elif kind == "gauge":
        out["gauge"] = read_gauge(FoldedText.of(f"gauge: {t.raw}"))
    elif kind == "care":
        out["care"] = t.raw if 0 < len(t.raw) <= 400 and any(ch.isalpha() for ch in t.raw) else read_care(t)
    elif kind == "colour":
        out["colour_name"], out["colour_code"] = colour_value(t.raw)
    elif kind == "colour_code":
        code = COLOUR_CODE.fullmatch(t.low.strip())
        out["colour_code"] = t.raw.strip()[code.start("code") : code.end("code")] if code else None
    elif kind == "origin":
        out["origin"] = country_at(t.raw, t.low, 0) or read_origin(t)
    elif kind == "product_type":
        out["product_type"] = type_by_priority(t.raw)
    return {name: v for name, v in out.items() if v is not None}


def _parse_attributes(attributes: Mapping[str, Any], product_type: str | None) -> dict[str, Any]:
    """Each field from the first attribute entry that states it."""
    values: dict[str, Any] = {}
    for key, raw_value in list(attributes.items())[:200]:
        value = _value_text(raw_value)
        if not value or not value.strip() or not isinstance(key, (str, int)):
            continue
        kind = _kind_of_key(str(key))
        if kind is None:
            continue
        for name, found in _structured_values(kind, str(key), value, product_type).items():
            values.setdefault(name, found)
    return values


# --- validation and the public entry -------------------------------------------------------


def _model(values: Mapping[str, Any]) -> YarnAttributes | None:
    try:
        return YarnAttributes.model_validate({**_EMPTY, **values})
    except (ValidationError, ValueError, TypeError):
        return None


def _valid(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as :func:`found_values` gives them, without the field groups that fail validation."""
    model = _model(values)
    if model is None:
        kept: dict[str, Any] = {}
        for group in _GROUPS:
            part = {name: values[name] for name in group if name in values}
            if part and _model({**kept, **part}) is not None:
                kept.update(part)
        model = _model(kept) or YarnAttributes.empty()
    return found_values(model)


def extract_rules(
    *,
    name: str | None = None,
    description: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    category: str | None = None,
    breadcrumbs: Sequence[str] | None = None,
) -> Extraction:
    """Yarn attributes from a product's attribute table (``structured``) and text (``rules``).

    See the module docstring for what is read and what is never guessed. Never raises on odd
    input; the result always validates.
    """
    name = name if isinstance(name, str) else None
    description = description if isinstance(description, str) else None
    attributes = attributes if isinstance(attributes, Mapping) else {}
    category = category if isinstance(category, str) else None
    if isinstance(breadcrumbs, str) or not isinstance(breadcrumbs, Sequence):
        breadcrumbs = None

    stated_type = _parse_attributes(
        {k: v for k, v in attributes.items() if _kind_of_key(str(k)) == "product_type"}, None
    ).get("product_type")
    product_type = stated_type or product_type_of(name, category, breadcrumbs, description)
    structured = _valid(_parse_attributes(attributes, product_type))

    text = "\n".join(part for part in (name, description) if part)
    rules = _parse_free(FoldedText.of(text)) if text.strip() else {}
    if name and product_type in ("needles", "hook") and "needle_mm_min" not in rules and "hook_mm" not in rules:
        own = own_size(name, single=product_type == "hook")
        if own and product_type == "needles":
            rules["needle_mm_min"], rules["needle_mm_max"] = own
        elif own:
            rules["hook_mm"] = own[0]
    if product_type and not stated_type:
        rules["product_type"] = product_type
    if product_type in TOOL_TYPES:  # "ChiaoGoo Red Lace" needles: lace tips, not lace weight
        rules.pop("yarn_weight", None)

    found = _valid(rules)
    extraction = Extraction()
    extraction.add(structured, "structured")
    for group in _MERGE_GROUPS:  # a group from the text only where the table says nothing of it
        if not any(field in extraction.values for field in group):
            extraction.add({field: found[field] for field in group if field in found}, "rules")
    if _model(extraction.values) is None:  # cannot happen field by field; kept as a last guard
        extraction = Extraction()
        extraction.add(structured, "structured")
    return extraction
