"""Deterministic draws the demo catalogs are made with: seeded randomness, shop prices, slugs.

Every draw is a pure function of its parts (``rng_for(seed, site, index, "draft")``), so a
catalog never depends on the order it is built in.
"""

from __future__ import annotations

import hashlib
import random
from decimal import ROUND_HALF_UP, Decimal

from .catalog_content import _FIBRE_EL

CENT = Decimal("0.01")


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded by ``parts`` (the same parts, the same draws)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def money(value: Decimal | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def shop_price(rng: random.Random, low: float, high: float) -> Decimal:
    """A price a shop would set: x.50 or x.90 or x.00."""
    whole = rng.randint(int(low), int(high))
    return money(Decimal(whole) + Decimal(rng.choice(("0.00", "0.50", "0.90", "0.95"))))


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def fibres_text(fibres: tuple[tuple[int, str], ...], language: str) -> str:
    if language == "el":
        return ", ".join(f"{pct}% {_FIBRE_EL[f]}" for pct, f in fibres)
    return ", ".join(f"{pct}% {f.capitalize()}" for pct, f in fibres)


def ean13(body12: str) -> str:
    """``body12`` (12 digits) with its EAN-13 check digit, as real barcodes have."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)
