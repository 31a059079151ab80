"""The real yarns the seven demo shops sell: one universe, shared, so shops overlap as real ones do.

A real product is a yarn family (brand, line, ball weight) in one colour; it has one true EAN-13
and a key (:func:`real_key`) that the truth (``demo catalog``'s ``match_group``) is made of and
the pages never show. Each shop sells a subset, page by page (:func:`yarn_pages`): in rounds of
twelve colour codes, it carries each family of a pool with some probability, as one page with
the colours as variants or as one single product per colour. The pool grows with the catalog
size (about a quarter of ``products`` families), so small catalogs overlap as much as large ones.

The traps a matcher must not fall into are built in, first in every pool: one line in two ball
sizes (Drops Merino Extra Fine 50 g and 100 g, same colours) and one line name of two brands
(Drops and Lana Grossa Merino Extra Fine, same weight and length); every family also comes in
many colours.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Literal

from .catalog_content import _BRANDS_YARN, _COLOURS, _SHADES, _TWO_SIZE_LINES, _YARN_LINES
from .draws import ean13, rng_for, shop_price, slugify

#: What a yarn slot of a catalog needs: any page, a single product, or a page of four colours.
Need = Literal["any", "single", "variants"]

COLOURS_PER_ROUND = 12
#: The families first in every pool (brand, line, ball weight): one line in two ball sizes, one
#: line name of two brands (same weight and length).
_TRAPS = (
    ("Drops", "Merino Extra Fine", 50),
    ("Drops", "Merino Extra Fine", 100),
    ("Lana Grossa", "Merino Extra Fine", 50),
)
#: The chance a shop carries a family in a round, and that it sells it as one page of variants.
CARRY_SHARE = 0.6
VARIANT_PAGE_SHARE = 0.35


@dataclass(frozen=True)
class Family:
    """A yarn line of one brand in one ball size."""

    brand: str
    line: str
    weight: int  # grams
    length: int  # metres
    fibres: tuple[tuple[int, str], ...]
    needles: tuple[str, str]

    @cached_property
    def key(self) -> str:
        return f"{slugify(self.brand)}/{slugify(self.line)}/{self.weight}g"

    def rrp(self, seed: int) -> Decimal:
        """The brand's recommended price; shops set theirs around it."""
        return _rrp(self.key, seed)


@dataclass(frozen=True)
class Colour:
    code: int
    name_el: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_el if language == "el" else self.name_en


@dataclass(frozen=True)
class YarnPage:
    """One product page of a shop: a family in one colour (a single product) or in several (variants)."""

    family: Family
    colours: tuple[Colour, ...]
    variants: bool


@lru_cache(maxsize=1024)
def _rrp(key: str, seed: int) -> Decimal:
    return shop_price(rng_for(seed, "rrp", key), 3, 14)


def colour(code: int) -> Colour:
    """Colour ``code`` (1-based): the twelve named colours, then their dark and light shades, then again."""
    name_el, name_en, _ = _COLOURS[(code - 1) % len(_COLOURS)]
    shade_el, shade_en = _SHADES[((code - 1) // len(_COLOURS)) % len(_SHADES)]
    return Colour(code, f"{shade_el} {name_el}".strip(), f"{shade_en} {name_en}".strip())


def real_key(family: Family, shade: Colour) -> str:
    """The real product's key: what ``match_group`` is made of (never shown in a page)."""
    return f"{family.key}/{shade.code:03d}"


def real_ean(family: Family, shade: Colour, seed: int) -> str:
    """The real product's one EAN-13, the same at every shop that prints it."""
    number = rng_for(seed, "ean", real_key(family, shade)).randrange(10**10)
    return ean13(f"40{number:010d}")


@lru_cache(maxsize=8)
def families(seed: int) -> tuple[Family, ...]:
    """Every family: the traps first (see the module's docstring), then the rest in a seeded order."""
    every = []
    for brand in _BRANDS_YARN:
        for line, fibres, weight, length, needles in _YARN_LINES:
            every.append(Family(brand, line, weight, length, fibres, needles))
            if line in _TWO_SIZE_LINES:
                every.append(Family(brand, line, weight * 2, length * 2, fibres, needles))
    traps = [next(family for family in every if (family.brand, family.line, family.weight) == t) for t in _TRAPS]
    rest = [family for family in every if family not in traps]
    rng_for(seed, "families").shuffle(rest)
    return (*traps, *rest)


def pool(products: int, seed: int) -> tuple[Family, ...]:
    """The families shops of ``products`` products draw from."""
    every = families(seed)
    return every[: min(len(every), max(5, products // 4))]


def _pages(site: str, products: int, seed: int) -> Iterator[YarnPage]:
    """The shop's yarn pages, in the order its catalog takes them (endless: colour codes grow)."""
    families_ = pool(products, seed)
    for round_ in itertools.count():
        codes = range(round_ * COLOURS_PER_ROUND + 1, (round_ + 1) * COLOURS_PER_ROUND + 1)
        order = sorted(families_, key=lambda family: rng_for(seed, site, "order", round_, family.key).random())
        for family in order:
            rng = rng_for(seed, site, "carry", round_, family.key)
            if rng.random() >= CARRY_SHARE:
                continue
            if rng.random() < VARIANT_PAGE_SHARE:
                chosen = sorted(rng.sample(codes, rng.randint(2, 6)))
                yield YarnPage(family, tuple(colour(code) for code in chosen), True)
            else:
                for code in sorted(rng.sample(codes, rng.randint(1, 4))):
                    yield YarnPage(family, (colour(code),), False)


def _fits(page: YarnPage, need: Need) -> bool:
    if need == "single":
        return not page.variants
    if need == "variants":
        return page.variants and len(page.colours) >= 4
    return True


@lru_cache(maxsize=64)
def yarn_pages(site: str, products: int, seed: int, needs: tuple[Need | None, ...]) -> tuple[YarnPage | None, ...]:
    """The page of each catalog slot (``needs[i]``: what slot ``i`` needs; ``None``: no yarn slot).

    Slots take pages in order, each the first page it fits (pages skipped wait for the next slot
    that fits them), so slot ``i``'s page depends only on the slots before it: a catalog that
    grows day by day keeps its pages. A shop never sells one real product on two pages.
    """
    source = _pages(site, products, seed)
    waiting: list[YarnPage] = []
    out: list[YarnPage | None] = []
    for need in needs:
        if need is None:
            out.append(None)
            continue
        found = next((page for page in waiting if _fits(page, need)), None)
        if found is not None:
            waiting.remove(found)
        else:
            for page in source:
                if _fits(page, need):
                    found = page
                    break
                waiting.append(page)
        assert found is not None  # the source never ends
        if need == "variants":  # the special page of exactly four colours (its first four)
            found = YarnPage(found.family, found.colours[:4], True)
        out.append(found)
    return tuple(out)
