"""A product's type (yarn, needles, hook, notion, pattern, kit, other) from its own words.

From a name or a category the highest-priority product noun wins (:func:`type_by_priority`);
from a description the first one, recommended tools not counting (:func:`type_by_position`);
:func:`product_type_of` tries the name, the category and the breadcrumbs, then the description.
The rule in full is in :mod:`.rules`' docstring.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ecommerce_scraper.ai.field_readers import yarn_weight_of
from ecommerce_scraper.ai.folding import FoldedText, clean, fold
from ecommerce_scraper.ai.vocabulary import FIBRE_WORD, NOT_A_PRODUCT, RECOMMENDED_TOOL, TYPE_RES


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def _yarn_words(low: str) -> bool:
    """Fibre or yarn-weight words: a yarn, when no product noun says otherwise."""
    return bool(FIBRE_WORD.search(low) or yarn_weight_of(low))


def type_by_priority(text: str, *, weak: bool = True) -> str | None:
    """A name's or category's product type: the highest-priority product noun, else (``weak``)
    yarn words."""
    low = NOT_A_PRODUCT.sub(_blank, fold(clean(text)))
    for kind, pattern in TYPE_RES:
        if pattern.search(low):
            return kind
    return "yarn" if weak and _yarn_words(low) else None


def type_by_position(low: str) -> str | None:
    """A description's product type: the first product noun it uses, else yarn words.

    A tool recommended for a yarn ("Needles: 4 mm", "use 4 mm needles") is no product noun.
    """
    low = RECOMMENDED_TOOL.sub(_blank, NOT_A_PRODUCT.sub(_blank, low))
    best: tuple[tuple[int, int, int], str] | None = None
    for priority, (kind, pattern) in enumerate(TYPE_RES):
        match = pattern.search(low)
        if match:
            key = (match.start(), -len(match.group()), priority)
            if best is None or key < best[0]:
                best = (key, kind)
    if best:
        return best[1]
    return "yarn" if _yarn_words(low) else None


def product_type_of(
    name: str | None, category: str | None, breadcrumbs: Sequence[str] | None, description: str | None
) -> str | None:
    """Product nouns of the name, then of the category and breadcrumbs (leaf first); then yarn
    words in the same order ("ChiaoGoo Red Lace" under "Κυκλικές βελόνες" is needles); then the
    description."""
    texts = [text for text in (name, category, *reversed(list(breadcrumbs or ()))) if isinstance(text, str) and text]
    for weak in (False, True):
        for text in texts:
            kind = type_by_priority(text, weak=weak)
            if kind:
                return kind
    return type_by_position(FoldedText.of(description).low) if description else None
