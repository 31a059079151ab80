"""Matching measured on the demo truth (issue 15): ``demo catalog``'s ``match_group`` contract, the
shops' overlap, pairwise precision and recall of the matcher, and the traps, each on its own.

In process: the seven truths turned into states as the pipeline stores them (rule-read attributes).
What the spiders really crawled is measured in tests/test_changes.py (the ``demo_days`` crawl).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable

import pytest

from demo_shops.__main__ import catalog_lines
from demo_shops.catalog import PROFILES, build_catalog
from demo_shops.stores import store_for
from ecommerce_scraper.matching.identity import ProductKey
from ecommerce_scraper.matching.matcher import MatchGroup, match_products
from ecommerce_scraper.matching.units import expand

from .demo_pages import DemoSite
from .match_truth import Pair, Scores, TruthKey, assert_meets_goal, score, truth_states, truth_units

PRODUCTS = 150  # about 1,300 units in seven shops: every kind of overlap and trap, in a few seconds
ROOT = "http://127.0.0.1:8800/"


@pytest.fixture(scope="module")
def matched() -> tuple[list[MatchGroup], dict[ProductKey, dict], Scores]:
    """Day 2 of the seven demo shops (products added and removed since day 1), matched."""
    states = truth_states(PRODUCTS, 2)
    units = {(unit["site"], unit["product_id"]): unit for unit in expand(states)}
    groups = match_products(states)
    return groups, units, score(groups, units, truth_units(PRODUCTS, 2))


def test_matching_the_demo_truth_meets_the_goal(matched: tuple[list[MatchGroup], dict, Scores]) -> None:
    """Issue 15's goal: pairwise precision >= 0.99, recall >= 0.95, every GTIN-bearing pair matched."""
    _, _, scores = matched
    assert_meets_goal(scores, min_pairs=1000, min_gtin_pairs=20)
    print(f"\ndemo truth, {PRODUCTS} products x 7 shops, day 2: {scores}")


def test_a_colour_sold_as_a_variant_and_as_a_product_is_matched(
    matched: tuple[list[MatchGroup], dict, Scores],
) -> None:
    _, _, scores = matched
    mixed = {(a, b) for a, b in scores.true if (a[2] is None) != (b[2] is None)}
    assert len(mixed) > 100, "the truth should sell colours as variants at one shop and as products at another"
    assert mixed <= scores.predicted, sorted(mixed - scores.predicted)[:5]


# --- the match_group contract ----------------------------------------------------------------


def _lines(site: str, products: int = 24, day: int = 1, seed: int = 1) -> list[dict]:
    import json

    return [json.loads(line) for line in catalog_lines(site, products, day, seed, ROOT)]


def test_match_group_is_one_value_per_real_product_and_null_when_one_shop_sells_it() -> None:
    sites_of: dict[str, list[str]] = defaultdict(list)
    real_sites: dict[str, set[str]] = defaultdict(set)
    product_groups: list[tuple[object, list[object]]] = []
    for site in PROFILES:
        catalog = build_catalog(site, 24)
        for product, line in zip(catalog.products, _lines(site), strict=True):
            product_groups.append((line["match_group"], [v["match_group"] for v in line["variants"]]))
            pairs = [(product.real, line["match_group"])]
            pairs += [(v.real, row["match_group"]) for v, row in zip(product.variants, line["variants"], strict=True)]
            for real, group in pairs:
                if real is not None:
                    real_sites[real].add(site)
                if group is not None:
                    assert group == real
                    sites_of[group].append(site)
    assert sites_of, "no product shared at 24 products a shop"
    for group, sites in sites_of.items():
        assert len(sites) == len(set(sites)) >= 2, (group, sites)  # one product per shop, two shops or more
    shared = {real for real, sites in real_sites.items() if len(sites) >= 2}
    assert shared == set(sites_of)  # every real product two shops sell has its group; the others null
    assert len(real_sites) > len(shared), "some real product should be sold by one shop only (null)"
    # A page of colour variants: the product's match_group is null, its variants carry theirs.
    assert any(group is None and any(variants) for group, variants in product_groups)


def test_demo_catalog_is_a_pure_function_of_products_day_and_seed() -> None:
    assert _lines("ili_ili") == _lines("ili_ili")
    assert _lines("ili_ili", seed=2) != _lines("ili_ili")
    day1 = {line["product_id"]: line for line in _lines("knitshop", day=1)}
    day2 = {line["product_id"]: line for line in _lines("knitshop", day=2)}
    kept = day1.keys() & day2.keys()
    assert kept and all(day1[pid]["name"] == day2[pid]["name"] for pid in kept)  # a product stays itself


def test_match_group_is_never_shown_in_the_pages() -> None:
    for site in PROFILES:
        demo = DemoSite(site, 24)
        for product in demo.products[:8]:
            text = demo.response(demo.product_url(product)).text
            for real in (product.real, *(variant.real for variant in product.variants)):
                assert real is None or real not in text, (site, product.name)
            assert "match_group" not in text


def test_the_shops_write_one_product_differently() -> None:
    """Greek and Latin, word order, packaging words, colour code forms; GTIN at some shops only."""
    names: dict[str, dict[str, str]] = defaultdict(dict)
    gtins: dict[str, dict[str, str | None]] = defaultdict(dict)
    for site in PROFILES:
        for product in build_catalog(site, 24).products:
            if product.kind == "yarn" and product.real and not product.variants:
                names[product.real][site] = product.name
                gtins[product.real][site] = product.gtin
    shared = {real: by_site for real, by_site in names.items() if len(by_site) >= 3}
    assert shared
    for by_site in shared.values():
        assert len(set(by_site.values())) == len(by_site)  # every shop writes it its own way
    every_name = [name for by_site in names.values() for name in by_site.values()]
    assert any(re.search("[α-ωΑ-Ω]", name) for name in every_name)
    assert any(not re.search("[α-ωΑ-Ω]", name) for name in every_name)
    assert any("Μερινό" in name for name in every_name) and any("Merino" in name for name in every_name)
    with_and_without = [g for g in gtins.values() if any(g.values()) and not all(g.values())]
    assert with_and_without, "a shared product should have its GTIN printed at one shop and not at another"
    assert len({gtin for g in gtins.values() for gtin in g.values() if gtin}) > 1
    for by_site in gtins.values():  # one true EAN-13 per real product, the same wherever printed
        assert len({gtin for gtin in by_site.values() if gtin}) <= 1


# --- the traps: pairs of different real products a matcher must keep apart ------------------------


def _reals(products: int, day: int, kind: str = "yarn") -> dict[TruthKey, str]:
    """Every unit's real product of that kind, even those one shop sells (yarns
    ``brand/line/<weight>g/<code>``; tools ``<kind>/<type-brand-material>/<size>mm``)."""
    reals = {}
    for site in PROFILES:
        catalog = build_catalog(site, products, day)
        store = store_for(catalog)
        for product in catalog.products:
            if product.kind != kind:
                continue
            product_id = store.product_id(product, f"{ROOT}{site}/")
            if product.real:
                reals[(site, product_id, None)] = product.real
            for variant in product.variants:
                if variant.real:
                    reals[(site, product_id, variant.sku)] = variant.real
    return reals


def _trap_pairs(differ: Callable[[list[str], list[str]], bool], kind: str = "yarn") -> set[Pair]:
    """Pairs of units of two shops whose real products (split brand, line, weight, colour; for a
    tool kind, type-brand-material, size) ``differ`` so."""
    reals = _reals(PRODUCTS, 2, kind)
    by_line: dict[str, list[TruthKey]] = defaultdict(list)
    for key, real in reals.items():
        by_line[real.split("/")[1]].append(key)
    pairs = set()
    for keys in by_line.values():
        for a, b in itertools.combinations(sorted(keys), 2):
            if a[0] != b[0] and differ(reals[a].split("/"), reals[b].split("/")):
                pairs.add((a, b))
    return pairs


def _assert_apart(matched: tuple[list[MatchGroup], dict, Scores], traps: set[Pair]) -> None:
    _, _, scores = matched
    assert len(traps) > 20, "the demo truth should hold this trap"
    caught = traps & scores.predicted
    assert not caught, f"{len(caught)} of {len(traps)} trap pairs matched, e.g. {sorted(caught)[:3]}"


def test_trap_same_line_other_colour(matched: tuple[list[MatchGroup], dict, Scores]) -> None:
    _assert_apart(matched, _trap_pairs(lambda a, b: a[:3] == b[:3] and a[3] != b[3]))


def test_trap_same_line_and_colour_other_weight(matched: tuple[list[MatchGroup], dict, Scores]) -> None:
    """Drops Merino Extra Fine 01 in a 50 g and a 100 g ball."""
    _assert_apart(matched, _trap_pairs(lambda a, b: a[0] == b[0] and a[2] != b[2] and a[3] == b[3]))


def test_trap_two_brands_with_the_same_line(matched: tuple[list[MatchGroup], dict, Scores]) -> None:
    """Drops and Lana Grossa Merino Extra Fine, same weight, length and colour."""
    _assert_apart(matched, _trap_pairs(lambda a, b: a[0] != b[0] and a[2:] == b[2:]))


def test_trap_same_needles_other_size(matched: tuple[list[MatchGroup], dict, Scores]) -> None:
    """KnitPro Bamboo circular needles of 4 mm and of 5 mm: each size is its own product."""
    _assert_apart(matched, _trap_pairs(lambda a, b: a[2] != b[2], kind="needles"))
