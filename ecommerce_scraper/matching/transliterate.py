"""Greek to Latin letters, deterministic: a simplified ELOT 743 on folded text.

Input is text folded by :func:`ecommerce_scraper.ai.folding.fold` (lower case, no accents, final
sigma as sigma); Latin letters, digits and everything else pass through unchanged.

Simplifications of ELOT 743 (every choice is context-free except the digraph pairs below):

- ``ου`` → ``ou``; ``αι`` → ``ai``, ``ει`` → ``ei``, ``οι`` → ``oi`` (letter by letter anyway);
- ``αυ`` → ``av``, ``ευ`` → ``ev``, ``ηυ`` → ``iv`` (never ``af``/``ef``: one spelling per word);
- ``μπ`` → ``mp``, ``ντ`` → ``nt``, ``γκ`` → ``gk``, ``γγ`` → ``ng``, ``γξ`` → ``nx``, ``γχ`` → ``nch``:
  never ``b``/``d``, so ``ΝΤΡΟΠΣ`` reads ``ntrops`` and stays apart from ``drops`` (brands meet only
  through :data:`~ecommerce_scraper.matching.identity.BRAND_ALIASES`);
- ``θ`` → ``th``, ``χ`` → ``ch``, ``ψ`` → ``ps``, ``ξ`` → ``x``, ``η`` → ``i``, ``υ`` → ``y``, ``ω`` → ``o``.

So ``μερινο`` → ``merino``, ``μαλλι`` → ``malli``, ``κουβαρι`` → ``kouvari``.
"""

from __future__ import annotations

import re

_LETTERS: dict[str, str] = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}

_DIGRAPHS: dict[str, str] = {
    "ου": "ou",
    "αυ": "av",
    "ευ": "ev",
    "ηυ": "iv",
    "γγ": "ng",
    "γξ": "nx",
    "γχ": "nch",
}

_PATTERN = re.compile("|".join([*_DIGRAPHS, *_LETTERS]))


def greek_to_latin(folded: str) -> str:
    """``folded`` with every Greek letter written in Latin letters (see the module's table)."""
    if folded.isascii():
        return folded
    return _PATTERN.sub(lambda match: _DIGRAPHS.get(match.group()) or _LETTERS[match.group()], folded)
