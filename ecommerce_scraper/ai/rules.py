"""Yarn attributes from a product's own words, by rules: Greek and English, no model.

:func:`extract_rules` reads the shop's attribute table (source ``structured``) and the name and
description (source ``rules``); :func:`parse_text` is the free-text half on its own. Every value
comes out in the form :func:`~ecommerce_scraper.ai.schema.found_values` gives, and the result
always validates (:meth:`Extraction.attributes` does not raise).

Matching runs on a *folded* copy of the text: lower case, accents and the Greek tonos dropped,
final sigma as sigma, one character for one character (so a match's span also cuts the original
text, which care phrases and colour names keep). HTML tags and entities go first, and only the
first :data:`MAX_TEXT_CHARS` characters are read. Numbers take a decimal comma (``3,5``); a
quantity of grams or metres written ``1.000`` / ``2,500`` (one separator, three digits) is
grouped thousands. Ranges take ``-``, ``–``, ``—``, ``έως``, ``to``.

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

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from w3lib.html import remove_tags, replace_entities

from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS, Extraction, YarnAttributes, found_values

#: Only this much of a text is read (a description is a few hundred characters).
MAX_TEXT_CHARS = 20_000
YARD_M = 0.9144
OUNCE_G = 28.349523125

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


# --- folding ---------------------------------------------------------------------------------


class _FoldTable(dict[int, str]):
    """``str.translate`` table: every character to exactly one folded character (filled lazily)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char.casefold())
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base == "ς":
            base = "σ"
        if len(base) != 1:  # "ß", "ﬁ", "½": keep one character so spans stay aligned
            lower = char.lower()
            base = lower if len(lower) == 1 else char
        self[code] = base
        return base


_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> str:
    """Lower case, no accents, final sigma as sigma; the same length as ``text``."""
    return text.translate(_FOLD_TABLE)


def _re(pattern: str) -> re.Pattern[str]:
    """Compile a pattern written with Greek accents against folded text.

    Only non-ASCII characters are folded, so ``\\S``, ``\\W``, ``\\D`` keep their meaning; the
    ASCII parts are written in lower case.
    """
    return re.compile("".join(c if c.isascii() else _FOLD_TABLE[ord(c)] for c in pattern))


def _alternation(words: Iterable[str]) -> str:
    """Regex alternatives, longest first (the regex tries them in order at each position)."""
    return "|".join(sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class _Text:
    raw: str  # cleaned original (what care phrases and colour names are cut from)
    low: str  # _fold(raw): what every pattern runs on

    @classmethod
    def of(cls, text: str) -> _Text:
        raw = _clean(text)
        low = _fold(raw)
        if "(" in low:  # "viscose (bamboo)" is bamboo; padded so spans stay aligned
            low = _BAMBOO_VISCOSE.sub(lambda m: "bamboo".ljust(len(m.group())), low)
        return cls(raw, low)


_BAMBOO_VISCOSE = _re(r"(?:viscose|βισκόζη)\s*\((?:from\s+|από\s+)?(?:bamboo|μπαμπού)\)")
_TAG_BREAK = re.compile(r"<\s*/?\s*(?:br|p|li|div|tr|td|h\d|ul|ol|dd|dt)\b[^>]*>", re.IGNORECASE)
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def _clean(text: str) -> str:
    text = text[:MAX_TEXT_CHARS].replace("\r", "\n")
    if "<" in text:
        text = remove_tags(_TAG_BREAK.sub("\n", text))
    if "&" in text:
        text = replace_entities(text)
    text = text.replace("\u2212", "-").replace("\u200b", "")
    return _NEWLINES.sub("\n", _HSPACE.sub(" ", text)).strip()


# --- numbers -------------------------------------------------------------------------------

# A number as shops print it, decimal comma or point; not a piece of a longer number or list.
_NUM = r"(?<![\d.,])\d{1,5}(?:[.,]\d{1,3})?(?![.,]?\d)"
_RANGE_SEP = r"\s*(?:-|–|—|έως|εως|to|μέχρι|ως)\s*"
_MM = r"(?:mm|χιλ(?:ιοστ\w*)?|χλστ?)\.?(?!\w)"
_GROUPED = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _quantity(text: str) -> float:
    """Grams or metres: ``1.000`` / ``2,500`` are grouped thousands, never 1 or 2.5."""
    if _GROUPED.fullmatch(text):
        return float(text.replace(".", "").replace(",", ""))
    return _number(text)


# --- fibres --------------------------------------------------------------------------------

# Canonical fibre -> words, most specific first: "extra fine merino wool" is merino wool, not wool,
# because merino comes first; "viscose from bamboo" is bamboo.
_FIBRES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("merino wool", (r"extra ?fine merino", r"super ?fine merino", r"merino", r"μεριν(?:ό|ο|ός|ού)")),
    ("kid mohair", (r"kid ?mohair", r"κιντ μοχέρ", r"kid μοχέρ")),
    ("baby alpaca", (r"baby alpaca", r"μπέιμπι αλπακά")),
    ("organic cotton", (r"organic cotton", r"(?:οργανικό|βιολογικό) βαμβάκι")),
    ("bamboo", (r"bamboo viscose", r"viscose (?:from|of) bamboo", r"bamboo", r"μπαμπού")),
    ("cashmere", (r"cashmere", r"κασμίρ\w*")),
    ("alpaca", (r"alpaca", r"αλπακ\w*", r"αλπάκ\w*")),
    ("mohair", (r"mohair", r"μοχέρ")),
    ("silk", (r"mulberry silk", r"silk", r"μετάξ\w*", r"μεταξωτ\w*")),
    ("cotton", (r"cotton", r"βαμβάκ\w*", r"βαμβακερ\w*")),
    ("linen", (r"linen", r"flax", r"λινό", r"λιν(?:ού|άρι|αριού)")),
    ("camel", (r"camel", r"καμήλ\w*")),
    ("yak", (r"yak", r"γιακ")),
    ("angora", (r"angora", r"αγκόρα")),
    ("wool", (r"virgin wool", r"new wool", r"lambs?'?s? ?wool", r"wool", r"μαλλί", r"μαλλιού")),
    ("acrylic", (r"acrylic", r"acryl", r"ακρυλικ\w*", r"ακριλικ\w*")),
    ("polyamide", (r"polyamide?", r"nylon", r"πολυαμίδ\w*", r"νάιλον", r"νάυλον")),
    ("polyester", (r"polyester", r"πολυεστέρ\w*", r"πολυέστερ")),
    ("viscose", (r"viscose", r"rayon", r"βισκόζ\w*")),
    ("metallic", (r"metallic", r"metal", r"lurex", r"λούρεξ", r"μεταλλικ\w*")),
    ("elastane", (r"elastane", r"spandex", r"lycra", r"ελαστάν\w*", r"λύκρα")),
    ("modal", (r"modal", r"μοντάλ")),
    ("lyocell", (r"lyocell", r"tencel", r"λυοσέλ")),
    ("polypropylene", (r"polypropylene", r"πολυπροπυλέν\w*")),
)
_FIBRE_GROUP = {f"f{i}": name for i, (name, _) in enumerate(_FIBRES)}
_FIBRE_RANK = {name: i for i, (name, _) in enumerate(_FIBRES)}
_FIBRE_WORD = _re(
    r"(?<!\w)(?:" + "|".join(f"(?P<f{i}>{'|'.join(words)})" for i, (_, words) in enumerate(_FIBRES)) + r")(?!\w)"
)
_PERCENT = _re(rf"(?P<pct>{_NUM})\s*%")
# What may stand between "75%" and its fibre: spaces and "of"; a delimiter ends the phrase.
_PHRASE_AFTER = re.compile(r"\s*(?:of\s+)?([^\d%,;/+&()\[\]:|\n.]{1,40})")
_PHRASE_DELIM = _re(r"[\d%,;/+&()\[\]:|\n.]|\s(?:-|–|—|και|and|με|with|ή|or)\s")
_NOT_FIBRE_LEAD = _re(r"(?:off|discount|sale|less|more|cheaper|έκπτωσ\w*|φθηνότερ\w*|λιγότερ\w*|περισσότερ\w*)$")
_SENTENCE_GAP = re.compile(r"[.;!?|](?:\s|$)|\n")
_LIST_SPLIT = _re(r"\s*(?:[,;/+&|]|\s-\s|\s(?:και|and)\s)\s*")


def _fibre_of(phrase: str) -> str | None:
    """The most specific fibre a short phrase names (folded text), or None."""
    best: str | None = None
    for match in _FIBRE_WORD.finditer(phrase):
        name = _FIBRE_GROUP[match.lastgroup or ""]
        if best is None or _FIBRE_RANK[name] < _FIBRE_RANK[best]:
            best = name
    return best


def _fibre_after(low: str, end: int) -> str | None:
    match = _PHRASE_AFTER.match(low, end)
    if not match:
        return None
    phrase = match.group(1)
    cut = _PHRASE_DELIM.search(phrase)
    words = (phrase[: cut.start()] if cut else phrase).split()[:4]
    if not words or _NOT_FIBRE_LEAD.match(words[0]):
        return None
    return _fibre_of(" ".join(words))


def _fibre_before(low: str, start: int) -> str | None:
    chunk = low[max(0, start - 40) : start]
    delimiters = list(_PHRASE_DELIM.finditer(chunk))
    if delimiters:
        chunk = chunk[delimiters[-1].end() :]
    return _fibre_of(" ".join(chunk.split()[-4:]))


def _fibres(t: _Text) -> list[dict[str, Any]] | None:
    """The composition: percentages before their fibres ("75% μαλλί") or after ("Wool 60%").

    Percentages close together form a cluster; in each, the reading (fibre after or before the
    number) that names more of them wins. The first cluster adding up to 100 is the composition,
    else the first that does not pass 100.
    """
    if "%" not in t.low:
        return None
    clusters: list[list[re.Match[str]]] = []
    for match in _PERCENT.finditer(t.low):
        if clusters:
            gap = t.low[clusters[-1][-1].end() : match.start()]
            if len(gap) <= 60 and not _SENTENCE_GAP.search(gap):
                clusters[-1].append(match)
                continue
        clusters.append([match])
    fallback: list[dict[str, Any]] | None = None
    for cluster in clusters:
        after = [(m, _fibre_after(t.low, m.end())) for m in cluster]
        before = [(m, _fibre_before(t.low, m.start())) for m in cluster]
        found_after = [(m, f) for m, f in after if f]
        found_before = [(m, f) for m, f in before if f]
        chosen = found_after if len(found_after) >= len(found_before) else found_before
        if not chosen:
            continue
        shares = [{"fibre": fibre, "percent": _number(m.group("pct"))} for m, fibre in chosen]
        total = sum(share["percent"] for share in shares)
        if 99.5 <= total <= 100.5:
            return shares
        if total <= 100.5 and fallback is None:
            fallback = shares
    return fallback


def _fibres_unstated(value: str) -> list[dict[str, Any]] | None:
    """A composition entry without percentages ("Μαλλί, Μετάξι"): every part must be a fibre."""
    if any(ch.isdigit() or ch == "%" for ch in value):
        return None  # numbers that did not make a composition make no composition either
    parts = [part for part in _LIST_SPLIT.split(_fold(value).strip()) if part]
    if not parts or len(parts) > 6:
        return None
    fibres = [_fibre_of(part) for part in parts]
    if any(f is None for f in fibres):
        return None
    return [{"fibre": fibre, "percent": None} for fibre in fibres]


# --- weight and length ------------------------------------------------------------------------

_GRAMS_UNIT = r"(?P<unit>kgs?|κιλ(?:ά|ό)|g|gr|grs|gram|grams|gramm|γρ|γραμ|γραμμ\w*)\.?(?!\w)"
_GRAMS = _re(rf"(?P<n>{_NUM})\s*{_GRAMS_UNIT}")
_KEYED_GRAMS = _re(rf"(?<!\w)(?:βάρος|weight|weighs|net wt)(?!\w)[^\d\n;]{{0,20}}?(?P<n>{_NUM})\s*{_GRAMS_UNIT}")
_OUNCES = _re(rf"(?P<n>{_NUM})\s*(?:oz|ounces?|ουγγι\w*)\.?(?!\w)")
_METRES_UNIT = r"(?:m|mt|mtr|mtrs|mts|meters?|metres?|μ|μέτρα|μέτρων|μέτρο|μετ|μτ)\.?(?!\w)"
_METRES = _re(rf"(?P<n>{_NUM})\s*{_METRES_UNIT}")
_KEYED_METRES = _re(
    rf"(?<!\w)(?:μήκος|length|meterage|yardage|μετράζ)(?!\w)[^\d\n;]{{0,20}}?(?P<n>{_NUM})\s*{_METRES_UNIT}"
)
_YARDS = _re(rf"(?P<n>{_NUM})\s*(?:yds?|yards?|γιάρδ\w*)\.?(?!\w)")
_BARE_NUMBER = _re(rf"\s*(?P<n>{_NUM})\s*\.?\s*")


def _first(*matches: re.Match[str] | None) -> re.Match[str] | None:
    return next((m for m in matches if m is not None), None)


def _weight(t: _Text) -> float | None:
    match = _first(_KEYED_GRAMS.search(t.low), _GRAMS.search(t.low))
    if match:
        grams = _quantity(match.group("n"))
        return grams * 1000 if match.group("unit").startswith(("k", "κ")) else grams
    ounces = _OUNCES.search(t.low)
    return float(round(_number(ounces.group("n")) * OUNCE_G)) if ounces else None


def _length(t: _Text) -> float | None:
    match = _first(_KEYED_METRES.search(t.low), _METRES.search(t.low))
    if match:
        return _quantity(match.group("n"))
    yards = _YARDS.search(t.low)
    return float(round(_quantity(yards.group("n")) * YARD_M)) if yards else None


# --- needles and hooks ------------------------------------------------------------------------

_NEEDLE_WORD = _re(r"(?<!\w)(?:βελόν(?:ες|α|ων)|needles?|dpns?|ndls?)(?!\w)")
_HOOK_WORD = _re(r"(?<!\w)(?:βελονάκ(?:ι|ια|ιού|ιών)|crochet hooks?|hooks?|γάντζο\w*)(?!\w)")
_MM_RANGE = _re(rf"(?P<lo>{_NUM})(?:(?:\s*{_MM})?{_RANGE_SEP}(?P<hi>{_NUM}))?\s*{_MM}")
# "Βελόνες: 3,5 - 4", "Βελονάκι Νο 3,5": a number straight after the word needs no unit.
_BARE_SIZE = _re(
    rf"\s*[:=\-–]?\s*(?:(?:no|νο|nr|νούμερο|size|μέγεθος|#)\.?\s*:?\s*)?"
    rf"(?P<lo>{_NUM})(?:{_RANGE_SEP}(?P<hi>{_NUM}))?"
)
# What may follow a unitless size: nothing, punctuation, or a joining word; not a unit.
_AFTER_BARE_SIZE = _re(r"\s*(?:$|[,;)\]]|(?:και|and|or|ή|για|for|με|with)(?!\w))")
_LIST_BEFORE = re.compile(r"\d\s*,\s*$")
_CLAUSE_END = re.compile(r"[;!?\n|]|\.(?=\s+[^\d\s])|\.$")
_NUMBER_BEFORE_NEEDLES = _re(
    rf"{_MM_RANGE.pattern}\s+(?:(?:knitting|circular|straight|double[- ]pointed|πλεξίματος|κυκλικές|ίσιες)\s+)?"
    r"(?:needles?|βελόνες|βελόνα)(?!\w)"
)
_NUMBER_BEFORE_HOOK = _re(rf"{_MM_RANGE.pattern}\s+(?:crochet\s+)?(?:hooks?|βελονάκι)(?!\w)")

_Range = tuple[float, float]


def _window(low: str, start: int, stop: re.Pattern[str]) -> str:
    """The rest of the clause after a keyword (at most 48 characters), cut at ``stop``."""
    window = low[start : start + 48]
    for pattern in (_CLAUSE_END, stop):
        cut = pattern.search(window)
        if cut:
            window = window[: cut.start()]
    return window


def _size_in(window: str) -> tuple[float, float | None] | None:
    """(low, high or None) from a window: one mm size or range; else a unitless one up front."""
    tagged = list(_MM_RANGE.finditer(window))
    if len(tagged) > 1:
        return None  # "3.5 mm for the body, 4 mm for the rib": not one size
    if tagged:
        match = tagged[0]
        if _LIST_BEFORE.search(window[: match.start()]):
            return None  # "2,5, 3, 4 mm": a list of sizes
    else:
        match = _BARE_SIZE.match(window)
        if not match or not _AFTER_BARE_SIZE.match(window, match.end()):
            return None
    high = match.group("hi")
    return _number(match.group("lo")), _number(high) if high else None


def _needles(t: _Text) -> _Range | None:
    for word in _NEEDLE_WORD.finditer(t.low):
        size = _size_in(_window(t.low, word.end(), _HOOK_WORD))
        if size:
            low, high = size
            return low, high if high is not None else low
    match = _NUMBER_BEFORE_NEEDLES.search(t.low)
    if match:
        low = _number(match.group("lo"))
        return low, _number(match.group("hi")) if match.group("hi") else low
    return None


def _hook(t: _Text) -> float | None:
    for word in _HOOK_WORD.finditer(t.low):
        size = _size_in(_window(t.low, word.end(), _NEEDLE_WORD))
        if size:
            return size[0] if size[1] is None else None  # a hook range is no one hook size
    match = _NUMBER_BEFORE_HOOK.search(t.low)
    if match and not match.group("hi"):
        return _number(match.group("lo"))
    return None


def _own_size(name: str, *, single: bool) -> _Range | None:
    """A needle or hook product's own size in its name: the one mm figure there."""
    tagged = list(_MM_RANGE.finditer(_fold(_clean(name))))
    if len(tagged) != 1:
        return None
    low = _number(tagged[0].group("lo"))
    high = _number(tagged[0].group("hi")) if tagged[0].group("hi") else low
    if single and high != low:
        return None
    return low, high


# --- gauge -----------------------------------------------------------------------------------

_ST = r"(?:sts?|stitch(?:es)?|πόντοι|πόντους|πόντων|πόντ\.|θηλιές|θηλειές|θηλιών|π\.(?!χ))"
_ROWS = r"(?:rows?|rnds?|r\.|σειρές|σειρών|σειρ\.|σ\.)"
_GLUE = r"\s*(?:x|×|χ|&|and|και|,|/|\+|by)?\s*"
_GAUGE_NUM = r"(?<![\d.,\-–])\d{1,3}(?:[.,]\d)?(?![.,]?\d)"
_GAUGE_PAIR = _re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w){_GLUE}(?P<rows>{_GAUGE_NUM})\s*{_ROWS}(?!\w)")
_GAUGE_PAIR_ROWS_FIRST = _re(rf"(?P<rows>{_GAUGE_NUM})\s*{_ROWS}(?!\w){_GLUE}(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)")
_GAUGE_WORD = _re(r"(?<!\w)(?:δείγμα|gauge|tension|πυκνότητα|πλεκτική πυκνότητα)(?!\w)")
_GAUGE_STITCHES = _re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)")
_STITCHES_OVER_10 = _re(rf"(?P<st>{_GAUGE_NUM})\s*{_ST}(?!\w)\s*(?:=|in|to|over|σε|ανά|:)\s*10\s*(?:cm|εκ)")
# The square a gauge is measured over, when stated: "= 10x10 εκ.", "over 4 in", "σε 5 εκ."
_SQUARE = _re(r"(?P<size>\d{1,2})\s*(?:[x×χ]\s*\d{1,2}\s*)?(?P<unit>cm|εκ|in(?:ch(?:es)?)?|\")(?!\w)")


def _square_ok(low: str, start: int, end: int) -> bool:
    """False when the text says the gauge is over some square other than 10 cm / 4 in."""
    for chunk in (low[end : end + 30], low[max(0, start - 25) : start]):
        square = _SQUARE.search(chunk)
        if square:
            size = int(square.group("size"))
            return size == (10 if square.group("unit") in ("cm", "εκ") else 4)
    return True


def _gauge(t: _Text) -> dict[str, float | None] | None:
    for pattern in (_GAUGE_PAIR, _GAUGE_PAIR_ROWS_FIRST):
        match = pattern.search(t.low)
        if match:
            if not _square_ok(t.low, match.start(), match.end()):
                return None
            return {"stitches": _number(match.group("st")), "rows": _number(match.group("rows"))}
    for word in _GAUGE_WORD.finditer(t.low):
        match = _GAUGE_STITCHES.search(_window(t.low, word.end(), _NEEDLE_WORD))
        if match:
            start = word.end() + match.start()
            if _square_ok(t.low, start, word.end() + match.end()):
                return {"stitches": _number(match.group("st")), "rows": None}
            return None
    match = _STITCHES_OVER_10.search(t.low)
    return {"stitches": _number(match.group("st")), "rows": None} if match else None


# --- yarn weight -----------------------------------------------------------------------------

_YARN_WEIGHTS: tuple[tuple[str, str], ...] = (  # multi-word terms first: "super chunky" before "chunky"
    ("super_bulky", r"super[\s-]?bulky|super[\s-]?chunky|extra[\s-]?chunky|jumbo"),
    ("dk", r"light[\s-]?worsted|double[\s-]?knit(?:ting)?|dk"),
    # "lace" beside pattern words is a lace pattern, not lace weight
    ("lace", r"lace[\s-]?weight|cobweb|lace(?!\s+(?:pattern|stitch|knit|work|shawl|edging|motif|panel|chart))"),
    ("fingering", r"fingering|sock(?![\s-]*(?:needles?|blockers?))"),
    ("sport", r"sport(?:[\s-]?weight)?"),
    ("worsted", r"worsted|afghan"),
    ("aran", r"aran"),
    ("bulky", r"bulky|chunky"),
)
_PLY_WEIGHTS = {1: "lace", 2: "lace", 3: "fingering", 4: "fingering", 5: "sport", 8: "dk", 10: "worsted"}
_PLY_WEIGHTS |= {12: "bulky", 14: "super_bulky"}
_YARN_WEIGHT = _re(
    r"(?<![\w.,])(?:(?P<ply>\d{1,2})[\s-]?ply|"
    + "|".join(f"(?P<{name}>{words})" for name, words in _YARN_WEIGHTS)
    + r")(?!\w)"
)


def _yarn_weight_of(low: str) -> str | None:
    for match in _YARN_WEIGHT.finditer(low):
        if match.lastgroup == "ply":
            weight = _PLY_WEIGHTS.get(int(match.group("ply")))
            if weight:
                return weight
            continue
        return match.lastgroup
    return None


# --- care ------------------------------------------------------------------------------------

_CARE_WORD = _re(
    r"(?<!\w)(?:πλύσ\w*|πλύν\w*|πλέν\w*|πλυντ\w*|στεγνό καθάρισμα|στεγνοκαθάρισ\w*|στεγνωτήρι\w*"
    r"|σιδέρ\w*|χλώρι\w*|λευκαντικ\w*|hand ?wash\w*|machine ?wash\w*|wash\w*|dry ?clean\w*|tumble"
    r"|στέγνω\w*|bleach\w*|iron(?:ing)?|(?:dry|lay) flat|superwash)(?!\w)"
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|\n|\|")
_CARE_STRIP = " -–—:,.;"
_MAX_CARE_CLAUSE = 200


def _care_clauses_end(low: str, start: int, end: int) -> int:
    """Where the care clauses from ``start`` stop: at the first comma clause without a care word."""
    comma = low.find(",", start, end)
    while comma >= 0:
        following = low.find(",", comma + 1, end)
        if not _CARE_WORD.search(low, comma + 1, following if following >= 0 else end):
            return comma
        comma = following
    return end


def _care(t: _Text) -> str | None:
    if not _CARE_WORD.search(t.low):
        return None
    ends = [m.start() for m in _SENTENCE_END.finditer(t.low)]
    phrases: list[str] = []
    superwash: str | None = None
    seen_sentences: set[int] = set()
    for word in _CARE_WORD.finditer(t.low):
        index = bisect.bisect_left(ends, word.start())
        if index in seen_sentences:
            continue
        seen_sentences.add(index)
        start = ends[index - 1] + 1 if index else 0
        end = ends[index] if index < len(ends) else len(t.low)
        clause = max(t.low.rfind(",", start, word.start()), t.low.rfind(":", start, word.start()))
        start = clause + 1 if clause >= 0 else start
        end = _care_clauses_end(t.low, word.end(), end)
        phrase = t.raw[start:end].strip(_CARE_STRIP)
        if word.group() == "superwash" and len(_CARE_WORD.findall(t.low, start, end)) == 1:
            superwash = superwash or t.raw[word.start() : word.end()]
            continue
        if len(phrase) > _MAX_CARE_CLAUSE:
            comma = t.low.find(",", word.end(), end)
            phrase = t.raw[word.start() : comma if comma >= 0 else end].strip(_CARE_STRIP)
        if phrase and len(phrase) <= _MAX_CARE_CLAUSE and phrase not in phrases:
            phrases.append(phrase)
    while phrases and len(". ".join(phrases)) > 400:
        phrases.pop()
    return ". ".join(phrases) if phrases else superwash


# --- colour ----------------------------------------------------------------------------------

_COLOUR_WORD = _re(
    r"(?<!\w)(?:κωδ\w*\s+χρώματος|colou?r\s+code|χρώμα|χρωματισμός|απόχρωση|colou?r|shade|col\.?)(?![a-zα-ω])"
)
_COLOUR_CODE = _re(r"(?<!\w)(?:(?:no|nr|νο|κωδ|code|#)\.?\s*)?(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)(?!\w)")
_CODE_AFTER_WORD = _re(
    r"\s*[:#]?\s*(?:(?:no|nr|νο|κωδ|code)\.?\s*:?\s*)?(?P<code>[a-z]{0,3}-?\d{1,6}[a-z]?)(?!\w)"
    r"(?!\s*(?:%|mm|cm|εκ|g|gr|γρ|m|μ|yds?)(?!\w))"
)
_COLOUR_LIST = _re(r"[,;/|]|\s(?:και|and|&|ή|or)\s")
_NOT_A_COLOUR = _re(
    r"as (?:pictured|shown)|see |picture|photo|φωτογραφ\w*|various|assorted|διάφορ\w*|δείτε|βλ\."
    r"|επιλογ\w*|choose|select"
)
_NAME_TRIM = " ()[]#:-–—.,"
_COLON = re.compile(r"\s*[:\-–]\s*")


def _colour_value(value: str) -> tuple[str | None, str | None]:
    """(name, code) of one colour as a shop writes it: "Κόκκινο 01", "Red (102)", "0100 Off White"."""
    low = _fold(value)
    if _COLOUR_LIST.search(low):
        return None, None  # a list of colours is no colour
    codes = list(_COLOUR_CODE.finditer(low))
    if len(codes) > 1:
        return None, None
    code = value[codes[0].start("code") : codes[0].end("code")] if codes else None
    name = value
    if codes:
        name = value[: codes[0].start()] + " " + value[codes[0].end() :]
    name = " ".join(name.replace("()", " ").replace("[]", " ").split()).strip(_NAME_TRIM)
    name = " ".join(name.replace("()", " ").split())
    if (
        not name
        or any(ch.isdigit() for ch in name)
        or not any(ch.isalpha() for ch in name)
        or len(name) > 40
        or len(name.split()) > 4
        or ":" in name
        or _NOT_A_COLOUR.search(_fold(name))
        or _COLOUR_WORD.search(_fold(name))
    ):
        name = None
    return name, code


def _colour(t: _Text) -> tuple[str | None, str | None]:
    for word in _COLOUR_WORD.finditer(t.low):
        is_code_word = "code" in word.group() or word.group().startswith("κωδ")
        colon = _COLON.match(t.low, word.end())
        if colon and not is_code_word:  # "Colour: 0100 Off White": a name and a code
            window = _window(t.low, colon.end(), _CLAUSE_END)
            name, code = _colour_value(t.raw[colon.end() : colon.end() + len(window)])
            if name or code:
                return name, code
            continue
        match = _CODE_AFTER_WORD.match(t.low, word.end())  # "χρώμα 105", "col. 0100": a code only
        if match:
            return None, t.raw[match.start("code") : match.end("code")]
    return None, None


# --- origin ----------------------------------------------------------------------------------

_COUNTRIES: dict[str, tuple[str, ...]] = {
    "Italy": ("italy", "ιταλία"),
    "Peru": ("peru", "περού"),
    "Turkey": ("turkey", "türkiye", "τουρκία"),
    "Greece": ("greece", "ελλάδα", "ελλάς"),
    "Germany": ("germany", "γερμανία"),
    "Norway": ("norway", "νορβηγία"),
    "Denmark": ("denmark", "δανία"),
    "Spain": ("spain", "ισπανία"),
    "Portugal": ("portugal", "πορτογαλία"),
    "France": ("france", "γαλλία"),
    "China": ("china", "κίνα"),
    "India": ("india", "ινδία"),
    "Japan": ("japan", "ιαπωνία"),
    "Uruguay": ("uruguay", "ουρουγουάη"),
    "Bolivia": ("bolivia", "βολιβία"),
    "Argentina": ("argentina", "αργεντινή"),
    "Chile": ("chile", "χιλή"),
    "Brazil": ("brazil", "βραζιλία"),
    "South Africa": ("south africa", "νότια αφρική", "νότιο αφρική"),
    "United Kingdom": (
        "united kingdom",
        r"u\.?k\.?",
        "great britain",
        "britain",
        "england",
        "scotland",
        "wales",
        "αγγλία",
        "σκωτία",
        "ηνωμένο βασίλειο",
        "μεγάλη βρετανία",
    ),
    "Ireland": ("ireland", "ιρλανδία"),
    "Iceland": ("iceland", "ισλανδία"),
    "United States": ("united states", r"u\.?s\.?a\.?", "ηπα", "ηνωμένες πολιτείες"),
    "Canada": ("canada", "καναδά", "καναδάς"),
    "Lithuania": ("lithuania", "λιθουανία"),
    "Latvia": ("latvia", "λετονία"),
    "Estonia": ("estonia", "εσθονία"),
    "Poland": ("poland", "πολωνία"),
    "Czech Republic": ("czech republic", "czechia", "τσεχία"),
    "Romania": ("romania", "ρουμανία"),
    "Bulgaria": ("bulgaria", "βουλγαρία"),
    "Hungary": ("hungary", "ουγγαρία"),
    "Austria": ("austria", "αυστρία"),
    "Switzerland": ("switzerland", "ελβετία"),
    "Belgium": ("belgium", "βέλγιο"),
    "Netherlands": ("netherlands", "holland", "ολλανδία"),
    "Sweden": ("sweden", "σουηδία"),
    "Finland": ("finland", "φινλανδία"),
    "Cyprus": ("cyprus", "κύπρος", "κύπρο"),
    "Egypt": ("egypt", "αίγυπτος", "αίγυπτο"),
    "Pakistan": ("pakistan", "πακιστάν"),
    "Bangladesh": ("bangladesh", "μπανγκλαντές"),
    "Vietnam": ("vietnam", "viet nam", "βιετνάμ"),
    "Indonesia": ("indonesia", "ινδονησία"),
    "Mongolia": ("mongolia", "μογγολία"),
    "Nepal": ("nepal", "νεπάλ"),
    "Australia": ("australia", "αυστραλία"),
    "New Zealand": ("new zealand", "νέα ζηλανδία"),
}
_COUNTRY_GROUP = {f"c{i}": name for i, name in enumerate(_COUNTRIES)}
# Greek feminine names also stand in the genitive ("προϊόν Ιταλίας"): an optional final sigma.
_COUNTRY = _re(
    r"(?:"
    + "|".join(
        f"(?P<c{i}>{_alternation(w + ('ς?' if not w.isascii() else '') for w in words)})"
        for i, words in enumerate(_COUNTRIES.values())
    )
    + r")(?!\w)"
)
_ORIGIN_LEAD = _re(
    r"(?<!\w)(?:made in|produced in|manufactured in|spun in|product of|country of origin|"
    r"χώρα (?:προέλευσης|κατασκευής|παραγωγής)|προέλευση|origin|"
    r"(?:κατασκευάζεται|κατασκευάστηκε|κατασκευασμέν\w*|παράγεται|παράχθηκε|φτιαγμέν\w*|φτιάχνεται|"
    r"παρασκευάζεται|προέρχεται από)(?:\s+(?:στην|στη|στο|στον|στις|στους|την|το))?)(?!\w)"
    r"\s*[:\-–]?\s*(?:(?:the|στην|στη|στο|στις|στους)\s+)?"
)
_NOT_COUNTRIES = frozenset({"Europe", "European Union", "Asia", "Africa", "America", "South America", "Unknown"})
_PROPER_NAME = re.compile(r"[A-Z][a-z]{2,}(?: [A-Z][a-z]+){0,2}(?![\w])")


def _country_at(raw: str, low: str, pos: int) -> str | None:
    match = _COUNTRY.match(low, pos)
    if match:
        return _COUNTRY_GROUP[match.lastgroup or ""]
    proper = _PROPER_NAME.match(raw, pos)
    return proper.group() if proper and proper.group() not in _NOT_COUNTRIES else None


def _origin(t: _Text) -> str | None:
    for lead in _ORIGIN_LEAD.finditer(t.low):
        country = _country_at(t.raw, t.low, lead.end())
        if country:
            return country
    return None


# --- product type ----------------------------------------------------------------------------

_TYPE_WORDS: tuple[tuple[str, str], ...] = (  # in priority order (for names and categories)
    ("kit", r"κιτ|kits?"),
    (
        "pattern",
        r"πατρόν|patterns?|σχέδι(?:ο|α) (?:πλεξίματος|πλεκτικής|για πλέξιμο)|οδηγίες πλεξίματος"
        r"|βιβλί(?:ο|α)|e-?books?|books?|περιοδικ\w*|magazines?",
    ),
    ("other", r"gift ?cards?|δωροκάρτ\w*|δωροεπιταγ\w*|vouchers?"),
    (
        "notion",
        r"μαρκαδόρ\w*|markers?|τσάντ\w*|bags?|ψαλίδ\w*|scissors|snips|μεζούρ\w*|μετροταινί\w*"
        r"|tape measures?|measuring tapes?|κουμπ(?:ί|ιά|ιών)|buttons?|stitch holders?|counters?"
        r"|μετρητ(?:ής|ές|ών)|needle gauges?|θήκ(?:η|ες)|cases?"
        r"|βελόν(?:ες|α) (?:ραψίματος|μαλλιού|ταπισερί\w*)|(?:darning|tapestry|yarn|sewing|cable|wool) needles?"
        r"|βοηθητικ\w* βελόν\w*|pom[\s-]?pom makers?|blocking (?:mats?|pins|wires?|boards?)"
        r"|(?:ball|yarn) winders?|swifts?|yarn bowls?|αξεσουάρ|accessor(?:y|ies)|notions?|καρφίτσ\w*|organi[sz]ers?",
    ),
    ("hook", r"βελονάκ(?:ι|ια|ιού|ιών)|crochet hooks?|hooks?"),
    ("needles", r"βελόν(?:ες|α|ων)|needles?|dpns?"),
    ("yarn", r"νήμα|νήματα|νημάτων|yarns?|κουβάρ(?:ι|ια|ιών)|skeins?|hanks?|μαλλί|μαλλιά|wool balls?"),
)
_TYPE_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, _re(rf"(?<!\w)(?:{words})(?!\w)")) for kind, words in _TYPE_WORDS
)
# Crafts and freebies, not products: "για πλέξιμο και βελονάκι" is a yarn's use, not a hook.
_NOT_A_PRODUCT = _re(
    r"(?:πλέξιμο|πλέξη|πλεκτική)\s+(?:και|ή|&)\s+βελονάκι(?!\w)|(?:για|με)\s+βελονάκι(?!\w)"
    r"|knitting\s+(?:and|or|&)\s+crochet|free\s+patterns?|δωρεάν\s+(?:πατρόν|σχέδι\w*)"
    r"|with\s+(?:a\s+)?(?:free\s+)?pattern|με\s+(?:δωρεάν\s+)?πατρόν"
)

# A tool named as a yarn's recommendation, in a description: "Needles: 4 mm", "use 4 mm needles".
_RECOMMENDED_TOOL = _re(
    r"(?<!\w)(?:needles?|βελόν(?:ες|α|ων)|βελονάκι|(?:crochet\s+)?hooks?)(?:\s+(?:size|μέγεθος))?\s*:"
    r"|(?<!\w)(?:recommended|suggested|προτεινόμεν\w*|use|με|on|with)\s+(?:\S+\s+)?"
    r"(?:needles?|βελόν(?:ες|α)|βελονάκι|(?:crochet\s+)?hooks?)(?!\w)"
)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _yarn_words(low: str) -> bool:
    """Fibre or yarn-weight words: a yarn, when no product noun says otherwise."""
    return bool(_FIBRE_WORD.search(low) or _yarn_weight_of(low))


def _type_by_priority(text: str, *, weak: bool = True) -> str | None:
    """A name's or category's product type: the highest-priority product noun, else (``weak``)
    yarn words."""
    low = _NOT_A_PRODUCT.sub(_blank, _fold(_clean(text)))
    for kind, pattern in _TYPE_RES:
        if pattern.search(low):
            return kind
    return "yarn" if weak and _yarn_words(low) else None


def _type_by_position(low: str) -> str | None:
    """A description's product type: the first product noun it uses, else yarn words.

    A tool recommended for a yarn ("Needles: 4 mm", "use 4 mm needles") is no product noun.
    """
    low = _RECOMMENDED_TOOL.sub(_blank, _NOT_A_PRODUCT.sub(_blank, low))
    best: tuple[tuple[int, int, int], str] | None = None
    for priority, (kind, pattern) in enumerate(_TYPE_RES):
        match = pattern.search(low)
        if match:
            key = (match.start(), -len(match.group()), priority)
            if best is None or key < best[0]:
                best = (key, kind)
    if best:
        return best[1]
    return "yarn" if _yarn_words(low) else None


def _product_type(
    name: str | None, category: str | None, breadcrumbs: Sequence[str] | None, description: str | None
) -> str | None:
    """Product nouns of the name, then of the category and breadcrumbs (leaf first); then yarn
    words in the same order ("ChiaoGoo Red Lace" under "Κυκλικές βελόνες" is needles); then the
    description."""
    texts = [text for text in (name, category, *reversed(list(breadcrumbs or ()))) if isinstance(text, str) and text]
    for weak in (False, True):
        for text in texts:
            kind = _type_by_priority(text, weak=weak)
            if kind:
                return kind
    return _type_by_position(_Text.of(description).low) if description else None


# --- free text -------------------------------------------------------------------------------


def parse_text(text: str) -> dict[str, Any]:
    """What a free text (name, description) states, as :func:`found_values` gives it.

    The product type here is read as from a description: the first product noun, not counting
    recommended tools ("Needles: 4 mm" alone is no needles product). Fields that would not
    validate are left out.
    """
    if not isinstance(text, str) or not text.strip():
        return {}
    t = _Text.of(text)
    values = _parse_free(t)
    values["product_type"] = _type_by_position(t.low)
    return _valid(values)


def _parse_free(t: _Text) -> dict[str, Any]:
    values: dict[str, Any] = {
        "fibres": _fibres(t),
        "weight_g": _weight(t),
        "length_m": _length(t),
        "hook_mm": _hook(t),
        "gauge": _gauge(t),
        "yarn_weight": _yarn_weight_of(t.low),
        "care": _care(t),
        "origin": _origin(t),
    }
    needles = _needles(t)
    if needles:
        values["needle_mm_min"], values["needle_mm_max"] = needles
    values["colour_name"], values["colour_code"] = _colour(t)
    return {name: value for name, value in values.items() if value is not None}


# --- attribute tables ------------------------------------------------------------------------

# Attribute name -> what its value holds, first match wins ("Yarn weight" before "Weight",
# "Hook size" and "Needle size" before "Size").
_KEYS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (_re(pattern), kind)
    for pattern, kind in (
        (r"κωδ\w* χρώμ|colou?r ?(?:code|no|nr|number)|shade ?(?:code|no|nr|number)", "colour_code"),
        (r"χρώμ|χρωματ|απόχρωσ|colou?r|shade", "colour"),
        (r"βελονάκ|hook", "hook"),
        (r"δείγμα|gauge|tension|πυκνότητ", "gauge"),
        (r"βελόν|needle", "needles"),
        (r"σύνθεσ|σύσταση|composition|fib(?:re|er)|περιεκτικ|content|(?<!\w)ίν(?:α|ες)(?!\w)", "composition"),
        (r"υλικ|material", "material"),
        (r"πάχος|yarn ?weight|weight ?(?:class|category|group)|(?<!\w)ply|thickness|standard weight", "yarn_weight"),
        (r"βάρος|weight|net wt", "weight"),
        (r"μήκος|length|meterage|yardage|μετράζ|(?<!\w)μέτρα(?!\w)", "length"),
        (r"φροντίδ|πλύσ|care|wash|συντήρησ", "care"),
        (r"προέλευσ|origin|χώρα|country|made in|κατασκευ", "origin"),
        (r"τύπος|είδος|(?<!\w)type|category|κατηγορία", "product_type"),
        (r"μέγεθος|size|νούμερο|διάμετρος|diameter", "size"),
    )
)
_KEY_UNIT = _re(r"(?<!\w)(?:yds?|yards?|oz|ounces?|kg|g|gr|m|mm)(?!\w)")
_TOOL_TYPES = ("needles", "hook", "notion")


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


def _kind_of_key(key: str) -> str | None:
    low = _fold(key)
    return next((kind for pattern, kind in _KEYS if pattern.search(low)), None)


def _with_unit(value: str, key: str, default_unit: str) -> str:
    """A bare number gets the unit the key names ("Length (yds)": "137") or the default one."""
    if not _BARE_NUMBER.fullmatch(_fold(value)):
        return value
    unit = _KEY_UNIT.search(_fold(key))
    return f"{value.strip().rstrip('.')} {unit.group() if unit else default_unit}"


def _structured_values(kind: str, key: str, value: str, product_type: str | None) -> dict[str, Any]:
    """The fields one attribute entry states (its key already says which)."""
    bare_ok = product_type not in _TOOL_TYPES  # "Μήκος: 80" of a circular needle is no yarn length
    t = _Text.of(value)
    out: dict[str, Any] = {}
    if kind in ("composition", "material"):
        out["fibres"] = _fibres(t) or (_fibres_unstated(t.raw) if kind == "composition" else None)
    elif kind == "weight":
        out["weight_g"] = _weight(_Text.of(_with_unit(value, key, "g")) if bare_ok else t)
        out["yarn_weight"] = None if out["weight_g"] else _yarn_weight_of(t.low)
    elif kind == "length":
        out["length_m"] = _length(_Text.of(_with_unit(value, key, "m")) if bare_ok else t)
    elif kind == "yarn_weight":
        bare = _BARE_NUMBER.fullmatch(t.low)
        out["yarn_weight"] = _yarn_weight_of(f"{bare.group('n')} ply" if bare else t.low)
    elif kind in ("needles", "size") and (kind == "needles" or product_type == "needles"):
        size = _size_in(t.low)
        if size:
            out["needle_mm_min"], out["needle_mm_max"] = size[0], size[1] if size[1] is not None else size[0]
    elif kind in ("hook", "size") and (kind == "hook" or product_type == "hook"):
        size = _size_in(t.low)
        out["hook_mm"] = size[0] if size and size[1] is None else None
    elif kind == "gauge":
        out["gauge"] = _gauge(_Text.of(f"gauge: {t.raw}"))
    elif kind == "care":
        out["care"] = t.raw if 0 < len(t.raw) <= 400 and any(ch.isalpha() for ch in t.raw) else _care(t)
    elif kind == "colour":
        out["colour_name"], out["colour_code"] = _colour_value(t.raw)
    elif kind == "colour_code":
        code = _COLOUR_CODE.fullmatch(t.low.strip())
        out["colour_code"] = t.raw.strip()[code.start("code") : code.end("code")] if code else None
    elif kind == "origin":
        out["origin"] = _country_at(t.raw, t.low, 0) or _origin(t)
    elif kind == "product_type":
        out["product_type"] = _type_by_priority(t.raw)
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
    product_type = stated_type or _product_type(name, category, breadcrumbs, description)
    structured = _valid(_parse_attributes(attributes, product_type))

    text = "\n".join(part for part in (name, description) if part)
    rules = _parse_free(_Text.of(text)) if text.strip() else {}
    if name and product_type in ("needles", "hook") and "needle_mm_min" not in rules and "hook_mm" not in rules:
        own = _own_size(name, single=product_type == "hook")
        if own and product_type == "needles":
            rules["needle_mm_min"], rules["needle_mm_max"] = own
        elif own:
            rules["hook_mm"] = own[0]
    if product_type and not stated_type:
        rules["product_type"] = product_type
    if product_type in _TOOL_TYPES:  # "ChiaoGoo Red Lace" needles: lace tips, not lace weight
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
