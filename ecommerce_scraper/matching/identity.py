"""A product's shop-independent identity, read from its stored state.

A state is the storage's product dict (``site, product_id, url, name, brand, sku, gtin, price,
regular_price, availability, attributes``, maybe ``ai``). Yarn attributes (:class:`YarnAttributes`
fields) are read from ``attributes`` (plain values or ``{"value": ...}`` entries) and then ``ai``.

The identity:

- ``gtin``: GTIN-8/12/13/14 whose check digit is right, as 14 digits (``0`` padded, so a UPC-A and
  its EAN-13 are one); anything else is ignored.
- ``brand``: folded (case, accents), Greek written in Latin (:mod:`.transliterate`), letters and
  digits only, then :data:`BRAND_ALIASES`. Nothing else: ``Ντροπς`` is ``ntrops``, not ``drops``.
- ``line``: the name's words minus the brand, colour words and the colour code and name, weights and
  lengths (``50 g``, ``(50γρ)``, ``100μ``), fibre shares (``100% ...``), packaging and shop noise
  (:data:`NOISE_WORDS`); transliterated, Greek tool and accessory names in English
  (:data:`SAME_WORDS`), sorted, without repeats (word order does not count).
- ``colour_code``: the attribute, else the code after a colour word in the name (``χρώμα 01``), else
  a code ending the name (``... Extra Fine 01``); lower case, digit runs without leading zeros.
- ``colour_name``: the attribute, folded and transliterated.
- ``weight_g``, ``length_m``: the attributes, else the first weight/length in the name (Decimal).
- ``size_mm``: a needle's or hook's size, the first single size in millimetres in the name
  (``4 mm``, ``4,5mm``, ``3.5 χιλ.``; a range such as ``3-4 mm`` is a recommendation, not a size,
  and is left out); cut from the line, so ``4 mm`` and ``4mm`` read the same. A unit of a page
  selling sizes as variants has its variant's size (``unit_size_mm``, :mod:`.units`). A yarn (a
  product with a weight) has none: millimetres in its name recommend needles.
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from ..ai.folding import fold
from ..ai.vocabulary import GRAMS, METRES, MM_RANGE, PERCENT
from .transliterate import greek_to_latin

#: (site, product_id): a product of one shop.
ProductKey = tuple[str, str]

#: Brands that are one under different spellings, written as :func:`brand_key` gives them (no
#: spaces) -> the one brand. Deliberately short: only spellings seen on shops, never a guess.
BRAND_ALIASES: dict[str, str] = {
    "dropsdesign": "drops",
    "garnstudio": "drops",
    "yarnartyarns": "yarnart",
    "katiayarns": "katia",
    "alizeyarn": "alize",
    "lanagrossayarns": "lanagrossa",
}

#: Words that say nothing about which product line it is (written as they appear; compared folded
#: and transliterated): packaging, fibre nouns of shop titles, colour words, units, shop noise.
NOISE_WORDS: tuple[str, ...] = (
    # packaging and generic nouns
    "νήμα",
    "νήματα",
    "yarn",
    "yarns",
    "κουβάρι",
    "κουβάρια",
    "κουβαράκι",
    "μαλλί",
    "μαλλιά",
    "ball",
    "skein",
    "τεμ",
    "τεμάχιο",
    "τεμάχια",
    "pcs",
    "pieces",
    # colour words
    "χρώμα",
    "χρώματος",
    "απόχρωση",
    "colour",
    "color",
    "col",
    "shade",
    "κωδ",
    "κωδικός",
    "no",
    "nr",
    # units left alone by a number-less mention
    "g",
    "gr",
    "γρ",
    "m",
    "μ",
    "μέτρα",
    # shop noise
    "νέο",
    "νεο",
    "new",
    "sale",
    "προσφορά",
    "offer",
    "hot",
    "έκπτωση",
)

#: Greek names of tools and accessories -> the English ones shops write for the same thing, so a
#: Greek and an English shop's "Κυκλικές βελόνες KnitPro Bamboo" and "Circular needles KnitPro
#: Bamboo" have one line. Longer phrases are read first ("βελόνες ραψίματος" before "βελόνες").
SAME_WORDS: dict[str, str] = {
    "κυκλικές βελόνες": "circular needles",
    "ίσιες βελόνες": "straight needles",
    "βελόνες ραψίματος": "darning needles",
    "μετρητής βελονών": "needle gauge",
    "βελόνες": "needles",
    "βελονάκι": "crochet hook",
    "μετροταινία": "tape measure",
    "μαρκαδόροι πλέξης": "stitch markers",
    "τσάντα πλεκτικής": "knitting bag",
}

_WORD = re.compile(r"[^\W_]+")
_COLOUR_WORD_THEN_CODE = re.compile(
    r"(?<!\w)(?:χρωμα(?:τοσ)?|αποχρωση|colou?r|shade|col|κωδ\w*|code|no|nr|νο)\.?\s*[:#]?\s*"
    r"(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)(?!\w)"
)
_TRAILING_CODE = re.compile(r"(?<!\w)#?(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)\W*$")
_DIGITS = re.compile(r"\d+")


def latin(text: str) -> str:
    """``text`` folded (case, accents) and transliterated to Latin letters."""
    return greek_to_latin(fold(text))


def words(text: str) -> list[str]:
    """The folded, transliterated words of ``text`` (letters and digits)."""
    return _WORD.findall(latin(text))


_NOISE: frozenset[str] = frozenset(word for entry in NOISE_WORDS for word in words(entry))
_SAME: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = tuple(
    sorted(
        ((tuple(words(greek)), tuple(words(english))) for greek, english in SAME_WORDS.items()),
        key=lambda pair: -len(pair[0]),
    )
)


_SAME_FIRST: frozenset[str] = frozenset(phrase[0] for phrase, _ in _SAME)


def _in_english(tokens: list[str]) -> list[str]:
    """``tokens`` with every :data:`SAME_WORDS` phrase written the English way."""
    out: list[str] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        # Most words start no phrase: the phrases are tried only for those that do.
        found = token in _SAME_FIRST and next(
            (same for same in _SAME if tuple(tokens[position : position + len(same[0])]) == same[0]), None
        )
        if found:
            phrase, english = found
            out.extend(english)
            position += len(phrase)
        else:
            out.append(token)
            position += 1
    return out


@dataclass(frozen=True, slots=True)
class ProductIdentity:
    """What says which product it is, whatever the shop; ``None`` where unknown."""

    site: str
    product_id: str
    gtin: str | None
    brand: str | None
    line: tuple[str, ...]
    colour_code: str | None
    colour_name: str | None
    weight_g: Decimal | None
    length_m: Decimal | None
    size_mm: Decimal | None = None

    @property
    def key(self) -> ProductKey:
        return (self.site, self.product_id)

    @property
    def colour(self) -> str | None:
        """The colour to compare on: the code when known, else the name."""
        if self.colour_code is not None:
            return f"#{self.colour_code}"
        return self.colour_name


# --- one object for equal values --------------------------------------------------------------
# A matching holds every identity of a catalog at once (200,000 units at 100,000 products): equal
# brands, words, lines and measures are one object each, not one per unit (about 900 bytes a unit
# before, most of them repeated strings, tuples and Decimals).


def _text(value: str | None) -> str | None:
    return None if value is None else sys.intern(value)


@lru_cache(maxsize=1 << 16)
def _line(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sys.intern(word) for word in words)


@lru_cache(maxsize=1 << 12)
def _decimal_of(text: str) -> Decimal:
    return Decimal(text)


def _measure(value: Decimal | None) -> Decimal | None:
    # Keyed by the text, not the value: Decimal("50") == Decimal("50.0"), and what is stored is the text.
    return None if value is None else _decimal_of(str(value))


def shared_identity(
    site: str,
    product_id: str,
    gtin: str | None,
    brand: str | None,
    line: tuple[str, ...],
    colour_code: str | None,
    colour_name: str | None,
    weight_g: Decimal | None,
    length_m: Decimal | None,
    size_mm: Decimal | None = None,
) -> ProductIdentity:
    """A :class:`ProductIdentity` of these values whose repeated parts are shared with the others'."""
    return ProductIdentity(
        sys.intern(site),
        product_id,
        gtin,
        _text(brand),
        _line(line),
        _text(colour_code),
        _text(colour_name),
        _measure(weight_g),
        _measure(length_m),
        _measure(size_mm),
    )


# --- GTIN ------------------------------------------------------------------------------------


def gtin_check_digit(body: str) -> int:
    """The GS1 check digit of ``body`` (the digits before it): weights 3, 1, 3 ... from the right."""
    total = sum(int(digit) * (3 if position % 2 == 0 else 1) for position, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def valid_gtin(value: Any) -> str | None:
    """``value`` as a 14-digit GTIN when it is a GTIN-8/12/13/14 with the right check digit, else ``None``.

    Spaces and hyphens are ignored; all zeros is no GTIN.
    """
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(" ", "").replace("-", "")
    if not text.isascii() or not text.isdigit() or len(text) not in (8, 12, 13, 14) or not text.strip("0"):
        return None
    if gtin_check_digit(text[:-1]) != int(text[-1]):
        return None
    return text.zfill(14)


# --- brand, colour, sizes --------------------------------------------------------------------


def brand_key(brand: Any) -> str | None:
    """The brand as one comparable word: folded, Latin, letters and digits only, then aliases."""
    if not isinstance(brand, str):
        return None
    joined = "".join(words(brand))
    if not joined:
        return None
    return BRAND_ALIASES.get(joined, joined)


def colour_code_key(code: Any) -> str | None:
    """A colour code comparable across shops: folded, no spaces, hyphens or ``#``, digit runs without leading zeros."""
    if code is None or isinstance(code, bool):
        return None
    text = "".join(words(str(code)))
    if not text:
        return None
    return _DIGITS.sub(lambda match: str(int(match.group())), text)


def positive_decimal(value: Any) -> Decimal | None:
    """A measure as a ``Decimal`` above 0 (decimal comma or point; whole numbers as such, ``10``
    not ``1E+1``), else ``None``."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number <= 0:
        return None
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def yarn_value(state: Mapping[str, Any], name: str) -> Any:
    """Yarn attribute ``name`` of a state: from ``attributes``, else ``ai`` (``{"value": ...}`` unwrapped)."""
    for source in ("attributes", "ai"):
        found = state.get(source)
        if isinstance(found, Mapping):
            value = found.get(name)
            if isinstance(value, Mapping):
                value = value.get("value")
            if value is not None and value != "":
                return value
    return None


def _grams(match: re.Match[str]) -> Decimal | None:
    number = positive_decimal(match.group("n"))
    if number is None:
        return None
    unit = match.group("unit")
    return positive_decimal(number * 1000) if unit.startswith(("kg", "κιλ")) else number


# --- the name --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NameParts:
    line: tuple[str, ...]
    colour_code: str | None
    weight_g: Decimal | None
    length_m: Decimal | None
    size_mm: Decimal | None


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every span replaced by a space (spans of the same text, any order)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


def _read_name(
    name: str, brand_words: frozenset[str], colour_code: str | None, colour_words: frozenset[str]
) -> _NameParts:
    low = fold(name)  # one character per character: spans cut the folded text
    spans: list[tuple[int, int]] = []
    weight = length = None
    for match in GRAMS.finditer(low):
        weight = weight if weight is not None else _grams(match)
        spans.append(match.span())
    for match in METRES.finditer(low):
        length = length if length is not None else positive_decimal(match.group("n"))
        spans.append(match.span())
    size = None
    for match in MM_RANGE.finditer(low):
        if match.group("hi") is None:  # "3-4 mm" recommends needles; "4 mm" is the tool's size
            size = size if size is not None else positive_decimal(match.group("lo"))
        spans.append(match.span())
    for match in PERCENT.finditer(low):  # "100% μαλλί merino": the share and the fibre after it
        after = re.match(r"\s*[^\W\d_]+", low[match.end() :])
        spans.append((match.start(), match.end() + (after.end() if after else 0)))
    rest = _cut(low, spans)
    found_code = None
    code_match = _COLOUR_WORD_THEN_CODE.search(rest) or _TRAILING_CODE.search(rest)
    if code_match is not None:
        found_code = colour_code_key(code_match.group("code"))
        rest = _cut(rest, [code_match.span("code")])
    code = colour_code or found_code
    line = set()
    for word in _in_english(_WORD.findall(greek_to_latin(rest))):
        if word in _NOISE or word in brand_words or word in colour_words:
            continue
        if code is not None and colour_code_key(word) == code:
            continue
        line.add(word)
    return _NameParts(tuple(sorted(line)), found_code, weight, length, size)


def identity_of(state: Mapping[str, Any]) -> ProductIdentity:
    """The identity of one stored product state (see the module's docstring)."""
    brand_text = state.get("brand") if isinstance(state.get("brand"), str) else None
    brand_words = frozenset(words(brand_text)) if brand_text else frozenset()
    code = colour_code_key(yarn_value(state, "colour_code"))
    colour_name_value = yarn_value(state, "colour_name")
    colour_words = frozenset(words(colour_name_value)) if isinstance(colour_name_value, str) else frozenset()
    parts = _read_name(str(state.get("name") or ""), brand_words, code, colour_words)
    weight = positive_decimal(yarn_value(state, "weight_g"))
    length = positive_decimal(yarn_value(state, "length_m"))
    size = positive_decimal(state.get("unit_size_mm")) or parts.size_mm
    return shared_identity(
        site=str(state["site"]),
        product_id=str(state["product_id"]),
        gtin=valid_gtin(state.get("gtin")),
        brand=brand_key(brand_text),
        line=parts.line,
        colour_code=code or parts.colour_code,
        colour_name=" ".join(sorted(colour_words)) or None,
        weight_g=weight if weight is not None else parts.weight_g,
        length_m=length if length is not None else parts.length_m,
        # A yarn (it has a weight) names its needles by a recommendation, never by its own size.
        size_mm=None if weight is not None or parts.weight_g is not None else size,
    )


# --- the identity stored (match_units.identity) ----------------------------------------------


@cache
def _field_kinds() -> dict[str, str]:
    """Each :class:`ProductIdentity` field's kind for JSON: ``decimal``, ``tuple`` or ``plain``."""
    hints = typing.get_type_hints(ProductIdentity)
    kinds = {}
    for spec in fields(ProductIdentity):
        hint = hints[spec.name]
        args = typing.get_args(hint)
        if hint is Decimal or Decimal in args:
            kinds[spec.name] = "decimal"
        elif typing.get_origin(hint) is tuple or any(typing.get_origin(arg) is tuple for arg in args):
            kinds[spec.name] = "tuple"
        else:
            kinds[spec.name] = "plain"
    return kinds


def identity_fields() -> tuple[str, ...]:
    """The names of :class:`ProductIdentity`'s fields (what a stored identity holds)."""
    return tuple(_field_kinds())


def identity_to_json(identity: ProductIdentity) -> dict[str, Any]:
    """``identity`` as JSON-safe values (``Decimal`` as a string, tuples as lists)."""
    out: dict[str, Any] = {}
    for name, kind in _field_kinds().items():
        value = getattr(identity, name)
        if value is not None and kind == "decimal":
            value = str(value)
        elif value is not None and kind == "tuple":
            value = list(value)
        out[name] = value
    return out


def identity_from_json(data: Mapping[str, Any]) -> ProductIdentity:
    """The identity :func:`identity_to_json` wrote (equal to the one it was given)."""
    values: dict[str, Any] = {}
    for name, kind in _field_kinds().items():
        value = data.get(name)
        if value is not None and kind == "decimal":
            value = Decimal(value)
        elif value is not None and kind == "tuple":
            value = tuple(value)
        values[name] = value
    return shared_identity(**values)
