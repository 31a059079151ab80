"""Reading each yarn attribute from folded text, one reader per field.

Fibres, weight and length, needle and hook sizes, gauge, yarn weight, care, colour and origin:
each reader takes a :class:`.folding.FoldedText` and returns the field's value or ``None``,
never guessing (see :mod:`.rules` for what is read and what is not). The words and patterns
they match are in :mod:`.vocabulary`.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from ecommerce_scraper.ai.folding import FoldedText, clean, fold
from ecommerce_scraper.ai.vocabulary import (
    AFTER_BARE_SIZE,
    BARE_SIZE,
    CARE_STRIP,
    CARE_WORD,
    CLAUSE_END,
    CODE_AFTER_WORD,
    COLON,
    COLOUR_CODE,
    COLOUR_LIST,
    COLOUR_WORD,
    COUNTRY,
    COUNTRY_GROUP,
    FIBRE_GROUP,
    FIBRE_RANK,
    FIBRE_WORD,
    GAUGE_PAIR,
    GAUGE_PAIR_ROWS_FIRST,
    GAUGE_STITCHES,
    GAUGE_WORD,
    GRAMS,
    GROUPED,
    HOOK_WORD,
    KEYED_GRAMS,
    KEYED_METRES,
    LIST_BEFORE,
    LIST_SPLIT,
    MAX_CARE_CLAUSE,
    METRES,
    MM_RANGE,
    NAME_TRIM,
    NEEDLE_WORD,
    NOT_A_COLOUR,
    NOT_COUNTRIES,
    NOT_FIBRE_LEAD,
    NUMBER_BEFORE_HOOK,
    NUMBER_BEFORE_NEEDLES,
    ORIGIN_LEAD,
    OUNCE_G,
    OUNCES,
    PERCENT,
    PHRASE_AFTER,
    PHRASE_DELIM,
    PLY_WEIGHTS,
    PROPER_NAME,
    SENTENCE_END,
    SENTENCE_GAP,
    SQUARE,
    STITCHES_OVER_10,
    YARD_M,
    YARDS,
    YARN_WEIGHT,
)

# --- numbers -------------------------------------------------------------------------------


def number(text: str) -> float:
    return float(text.replace(",", "."))


def quantity(text: str) -> float:
    """Grams or metres: ``1.000`` / ``2,500`` are grouped thousands, never 1 or 2.5."""
    if GROUPED.fullmatch(text):
        return float(text.replace(".", "").replace(",", ""))
    return number(text)


# --- fibres --------------------------------------------------------------------------------


def _fibre_of(phrase: str) -> str | None:
    """The most specific fibre a short phrase names (folded text), or None."""
    best: str | None = None
    for match in FIBRE_WORD.finditer(phrase):
        name = FIBRE_GROUP[match.lastgroup or ""]
        if best is None or FIBRE_RANK[name] < FIBRE_RANK[best]:
            best = name
    return best


def _fibre_after(low: str, end: int) -> str | None:
    match = PHRASE_AFTER.match(low, end)
    if not match:
        return None
    phrase = match.group(1)
    cut = PHRASE_DELIM.search(phrase)
    words = (phrase[: cut.start()] if cut else phrase).split()[:4]
    if not words or NOT_FIBRE_LEAD.match(words[0]):
        return None
    return _fibre_of(" ".join(words))


def _fibre_before(low: str, start: int) -> str | None:
    chunk = low[max(0, start - 40) : start]
    delimiters = list(PHRASE_DELIM.finditer(chunk))
    if delimiters:
        chunk = chunk[delimiters[-1].end() :]
    return _fibre_of(" ".join(chunk.split()[-4:]))


def read_fibres(t: FoldedText) -> list[dict[str, Any]] | None:
    """The composition: percentages before their fibres ("75% μαλλί") or after ("Wool 60%").

    Percentages close together form a cluster; in each, the reading (fibre after or before the
    number) that names more of them wins. The first cluster adding up to 100 is the composition,
    else the first that does not pass 100.
    """
    if "%" not in t.low:
        return None
    clusters: list[list[re.Match[str]]] = []
    for match in PERCENT.finditer(t.low):
        if clusters:
            gap = t.low[clusters[-1][-1].end() : match.start()]
            if len(gap) <= 60 and not SENTENCE_GAP.search(gap):
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
        shares = [{"fibre": fibre, "percent": number(m.group("pct"))} for m, fibre in chosen]
        total = sum(share["percent"] for share in shares)
        if 99.5 <= total <= 100.5:
            return shares
        if total <= 100.5 and fallback is None:
            fallback = shares
    return fallback


def fibres_unstated(value: str) -> list[dict[str, Any]] | None:
    """A composition entry without percentages ("Μαλλί, Μετάξι"): every part must be a fibre."""
    if any(ch.isdigit() or ch == "%" for ch in value):
        return None  # numbers that did not make a composition make no composition either
    parts = [part for part in LIST_SPLIT.split(fold(value).strip()) if part]
    if not parts or len(parts) > 6:
        return None
    fibres = [_fibre_of(part) for part in parts]
    if any(f is None for f in fibres):
        return None
    return [{"fibre": fibre, "percent": None} for fibre in fibres]


# --- weight and length ------------------------------------------------------------------------


def _first(*matches: re.Match[str] | None) -> re.Match[str] | None:
    return next((m for m in matches if m is not None), None)


def read_weight(t: FoldedText) -> float | None:
    match = _first(KEYED_GRAMS.search(t.low), GRAMS.search(t.low))
    if match:
        grams = quantity(match.group("n"))
        return grams * 1000 if match.group("unit").startswith(("k", "κ")) else grams
    ounces = OUNCES.search(t.low)
    return float(round(number(ounces.group("n")) * OUNCE_G)) if ounces else None


def read_length(t: FoldedText) -> float | None:
    match = _first(KEYED_METRES.search(t.low), METRES.search(t.low))
    if match:
        return quantity(match.group("n"))
    yards = YARDS.search(t.low)
    return float(round(quantity(yards.group("n")) * YARD_M)) if yards else None


# --- needles and hooks ------------------------------------------------------------------------

_Range = tuple[float, float]


def _window(low: str, start: int, stop: re.Pattern[str]) -> str:
    """The rest of the clause after a keyword (at most 48 characters), cut at ``stop``."""
    window = low[start : start + 48]
    for pattern in (CLAUSE_END, stop):
        cut = pattern.search(window)
        if cut:
            window = window[: cut.start()]
    return window


def size_in(window: str) -> tuple[float, float | None] | None:
    """(low, high or None) from a window: one mm size or range; else a unitless one up front."""
    tagged = list(MM_RANGE.finditer(window))
    if len(tagged) > 1:
        return None  # "3.5 mm for the body, 4 mm for the rib": not one size
    if tagged:
        match = tagged[0]
        if LIST_BEFORE.search(window[: match.start()]):
            return None  # "2,5, 3, 4 mm": a list of sizes
    else:
        match = BARE_SIZE.match(window)
        if not match or not AFTER_BARE_SIZE.match(window, match.end()):
            return None
    high = match.group("hi")
    return number(match.group("lo")), number(high) if high else None


def read_needles(t: FoldedText) -> _Range | None:
    for word in NEEDLE_WORD.finditer(t.low):
        size = size_in(_window(t.low, word.end(), HOOK_WORD))
        if size:
            low, high = size
            return low, high if high is not None else low
    match = NUMBER_BEFORE_NEEDLES.search(t.low)
    if match:
        low = number(match.group("lo"))
        return low, number(match.group("hi")) if match.group("hi") else low
    return None


def read_hook(t: FoldedText) -> float | None:
    for word in HOOK_WORD.finditer(t.low):
        size = size_in(_window(t.low, word.end(), NEEDLE_WORD))
        if size:
            return size[0] if size[1] is None else None  # a hook range is no one hook size
    match = NUMBER_BEFORE_HOOK.search(t.low)
    if match and not match.group("hi"):
        return number(match.group("lo"))
    return None


def own_size(name: str, *, single: bool) -> _Range | None:
    """A needle or hook product's own size in its name: the one mm figure there."""
    tagged = list(MM_RANGE.finditer(fold(clean(name))))
    if len(tagged) != 1:
        return None
    low = number(tagged[0].group("lo"))
    high = number(tagged[0].group("hi")) if tagged[0].group("hi") else low
    if single and high != low:
        return None
    return low, high


# --- gauge -----------------------------------------------------------------------------------


def _square_ok(low: str, start: int, end: int) -> bool:
    """False when the text says the gauge is over some square other than 10 cm / 4 in."""
    for chunk in (low[end : end + 30], low[max(0, start - 25) : start]):
        square = SQUARE.search(chunk)
        if square:
            size = int(square.group("size"))
            return size == (10 if square.group("unit") in ("cm", "εκ") else 4)
    return True


def read_gauge(t: FoldedText) -> dict[str, float | None] | None:
    for pattern in (GAUGE_PAIR, GAUGE_PAIR_ROWS_FIRST):
        match = pattern.search(t.low)
        if match:
            if not _square_ok(t.low, match.start(), match.end()):
                return None
            return {"stitches": number(match.group("st")), "rows": number(match.group("rows"))}
    for word in GAUGE_WORD.finditer(t.low):
        match = GAUGE_STITCHES.search(_window(t.low, word.end(), NEEDLE_WORD))
        if match:
            start = word.end() + match.start()
            if _square_ok(t.low, start, word.end() + match.end()):
                return {"stitches": number(match.group("st")), "rows": None}
            return None
    match = STITCHES_OVER_10.search(t.low)
    return {"stitches": number(match.group("st")), "rows": None} if match else None


# --- yarn weight -----------------------------------------------------------------------------


def yarn_weight_of(low: str) -> str | None:
    for match in YARN_WEIGHT.finditer(low):
        if match.lastgroup == "ply":
            weight = PLY_WEIGHTS.get(int(match.group("ply")))
            if weight:
                return weight
            continue
        return match.lastgroup
    return None


# --- care ------------------------------------------------------------------------------------


def _care_clauses_end(low: str, start: int, end: int) -> int:
    """Where the care clauses from ``start`` stop: at the first comma clause without a care word."""
    comma = low.find(",", start, end)
    while comma >= 0:
        following = low.find(",", comma + 1, end)
        if not CARE_WORD.search(low, comma + 1, following if following >= 0 else end):
            return comma
        comma = following
    return end


def read_care(t: FoldedText) -> str | None:
    if not CARE_WORD.search(t.low):
        return None
    ends = [m.start() for m in SENTENCE_END.finditer(t.low)]
    phrases: list[str] = []
    superwash: str | None = None
    seen_sentences: set[int] = set()
    for word in CARE_WORD.finditer(t.low):
        index = bisect.bisect_left(ends, word.start())
        if index in seen_sentences:
            continue
        seen_sentences.add(index)
        start = ends[index - 1] + 1 if index else 0
        end = ends[index] if index < len(ends) else len(t.low)
        clause = max(t.low.rfind(",", start, word.start()), t.low.rfind(":", start, word.start()))
        start = clause + 1 if clause >= 0 else start
        end = _care_clauses_end(t.low, word.end(), end)
        phrase = t.raw[start:end].strip(CARE_STRIP)
        if word.group() == "superwash" and len(CARE_WORD.findall(t.low, start, end)) == 1:
            superwash = superwash or t.raw[word.start() : word.end()]
            continue
        if len(phrase) > MAX_CARE_CLAUSE:
            comma = t.low.find(",", word.end(), end)
            phrase = t.raw[word.start() : comma if comma >= 0 else end].strip(CARE_STRIP)
        if phrase and len(phrase) <= MAX_CARE_CLAUSE and phrase not in phrases:
            phrases.append(phrase)
    while phrases and len(". ".join(phrases)) > 400:
        phrases.pop()
    return ". ".join(phrases) if phrases else superwash


# --- colour ----------------------------------------------------------------------------------


def colour_value(value: str) -> tuple[str | None, str | None]:
    """(name, code) of one colour as a shop writes it: "Κόκκινο 01", "Red (102)", "0100 Off White"."""
    low = fold(value)
    if COLOUR_LIST.search(low):
        return None, None  # a list of colours is no colour
    codes = list(COLOUR_CODE.finditer(low))
    if len(codes) > 1:
        return None, None
    code = value[codes[0].start("code") : codes[0].end("code")] if codes else None
    name = value
    if codes:
        name = value[: codes[0].start()] + " " + value[codes[0].end() :]
    name = " ".join(name.replace("()", " ").replace("[]", " ").split()).strip(NAME_TRIM)
    name = " ".join(name.replace("()", " ").split())
    if (
        not name
        or any(ch.isdigit() for ch in name)
        or not any(ch.isalpha() for ch in name)
        or len(name) > 40
        or len(name.split()) > 4
        or ":" in name
        or NOT_A_COLOUR.search(fold(name))
        or COLOUR_WORD.search(fold(name))
    ):
        name = None
    return name, code


def read_colour(t: FoldedText) -> tuple[str | None, str | None]:
    for word in COLOUR_WORD.finditer(t.low):
        is_code_word = "code" in word.group() or word.group().startswith("κωδ")
        colon = COLON.match(t.low, word.end())
        if colon and not is_code_word:  # "Colour: 0100 Off White": a name and a code
            window = _window(t.low, colon.end(), CLAUSE_END)
            name, code = colour_value(t.raw[colon.end() : colon.end() + len(window)])
            if name or code:
                return name, code
            continue
        match = CODE_AFTER_WORD.match(t.low, word.end())  # "χρώμα 105", "col. 0100": a code only
        if match:
            return None, t.raw[match.start("code") : match.end("code")]
    return None, None


# --- origin ----------------------------------------------------------------------------------


def country_at(raw: str, low: str, pos: int) -> str | None:
    match = COUNTRY.match(low, pos)
    if match:
        return COUNTRY_GROUP[match.lastgroup or ""]
    proper = PROPER_NAME.match(raw, pos)
    return proper.group() if proper and proper.group() not in NOT_COUNTRIES else None


def read_origin(t: FoldedText) -> str | None:
    for lead in ORIGIN_LEAD.finditer(t.low):
        country = country_at(t.raw, t.low, lead.end())
        if country:
            return country
    return None
