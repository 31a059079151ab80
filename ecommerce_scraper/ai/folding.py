"""The text every yarn rule reads: cleaned of HTML, cut to :data:`MAX_TEXT_CHARS`, and folded.

Folding is lower case, accents and the Greek tonos dropped, final sigma as sigma, one character
for one character, so a match's span in the folded text also cuts the original (which care
phrases and colour names keep). Patterns are written with Greek accents and compiled against
folded text by :func:`folded_re`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from w3lib.html import remove_tags, replace_entities

#: Only this much of a text is read (a description is a few hundred characters).
MAX_TEXT_CHARS = 20_000


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


def fold(text: str) -> str:
    """Lower case, no accents, final sigma as sigma; the same length as ``text``."""
    return text.translate(_FOLD_TABLE)


def folded_re(pattern: str) -> re.Pattern[str]:
    """Compile a pattern written with Greek accents against folded text.

    Only non-ASCII characters are folded, so ``\\S``, ``\\W``, ``\\D`` keep their meaning; the
    ASCII parts are written in lower case.
    """
    return re.compile("".join(c if c.isascii() else _FOLD_TABLE[ord(c)] for c in pattern))


def alternation(words: Iterable[str]) -> str:
    """Regex alternatives, longest first (the regex tries them in order at each position)."""
    return "|".join(sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class FoldedText:
    raw: str  # cleaned original (what care phrases and colour names are cut from)
    low: str  # fold(raw): what every pattern runs on

    @classmethod
    def of(cls, text: str) -> FoldedText:
        raw = clean(text)
        low = fold(raw)
        if "(" in low:  # "viscose (bamboo)" is bamboo; padded so spans stay aligned
            low = _BAMBOO_VISCOSE.sub(lambda m: "bamboo".ljust(len(m.group())), low)
        return cls(raw, low)


_BAMBOO_VISCOSE = folded_re(r"(?:viscose|βισκόζη)\s*\((?:from\s+|από\s+)?(?:bamboo|μπαμπού)\)")
_TAG_BREAK = re.compile(r"<\s*/?\s*(?:br|p|li|div|tr|td|h\d|ul|ol|dd|dt)\b[^>]*>", re.IGNORECASE)
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def clean(text: str) -> str:
    text = text[:MAX_TEXT_CHARS].replace("\r", "\n")
    if "<" in text:
        text = remove_tags(_TAG_BREAK.sub("\n", text))
    if "&" in text:
        text = replace_entities(text)
    text = text.replace("\u2212", "-").replace("\u200b", "")
    return _NEWLINES.sub("\n", _HSPACE.sub(" ", text)).strip()
