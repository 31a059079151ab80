"""``demo catalog``'s ``match_group``: which products of the seven demo shops are one real product.

A product (or, on a page of colour or size variants, each variant) is a real product
(:attr:`~.catalog.DemoProduct.real`). Its ``match_group`` (contract) is that real product's key
when at least two of the seven shops, built with the same products/day/seed, sell it that day,
and ``None`` otherwise; the product of a page of colour or size variants has ``None``, its variants
their own. The pages never show it.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from .catalog import PROFILES, DemoProduct, build_catalog


@lru_cache(maxsize=8)
def shared_reals(products: int, day: int, seed: int) -> frozenset[str]:
    """The real products at least two shops sell on ``day``."""
    sites: dict[str, set[str]] = defaultdict(set)
    for site in PROFILES:
        for product in build_catalog(site, products, day, seed).products:
            for real in (product.real, *(variant.real for variant in product.variants)):
                if real is not None:
                    sites[real].add(site)
    return frozenset(real for real, where in sites.items() if len(where) >= 2)


def match_groups(product: DemoProduct, products: int, day: int, seed: int) -> tuple[str | None, list[str | None]]:
    """The ``match_group`` of ``product`` and of each of its variants, in order."""
    shared = shared_reals(products, day, seed)

    def group(real: str | None) -> str | None:
        return real if real in shared else None

    return group(product.real), [group(variant.real) for variant in product.variants]
