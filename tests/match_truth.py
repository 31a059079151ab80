"""The demo truth's ``match_group`` beside the matcher's groups: pairwise precision and recall.

A truth unit is ``(site, product_id, variant sku)`` (``None`` for a whole product), with its
``match_group`` and the GTIN the shop prints. The true pairs are every two units of different
shops sharing a ``match_group``, taken from the truth itself, so a unit the crawl lost or never
split into its variants counts as missed; the predicted pairs are every two units in one match
group, read back to truth units through the unit states.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from demo_shops.catalog import PROFILES
from ecommerce_scraper.matching.identity import ProductKey
from ecommerce_scraper.matching.matcher import MatchGroup
from ecommerce_scraper.matching.units import PRODUCT_ID, VARIANT_ID
from ecommerce_scraper.pipelines.attributes import rule_extraction
from ecommerce_scraper.storage.state import to_state

from .conftest import truth

TruthKey = tuple[str, str, str | None]
Pair = tuple[TruthKey, TruthKey]


@dataclass(frozen=True)
class TruthUnit:
    group: str | None
    gtin: str | None


def truth_units(products: int, day: int, root: str = "http://127.0.0.1:8800/") -> dict[TruthKey, TruthUnit]:
    """Every unit of the seven demo shops' truth (``demo catalog``), whole products and variants."""
    units: dict[TruthKey, TruthUnit] = {}
    for site in PROFILES:
        for product in truth(site, root, products, day):
            units[(site, product["product_id"], None)] = TruthUnit(product["match_group"], product["gtin"])
            for variant in product["variants"]:
                units[(site, product["product_id"], variant["sku"])] = TruthUnit(variant["match_group"], None)
    return units


def truth_states(products: int, day: int, root: str = "http://127.0.0.1:8800/") -> list[dict[str, Any]]:
    """The truth as the pipeline stores it: each product's state with its rule-read attributes (``ai``)."""
    states = []
    for site in PROFILES:
        for product in truth(site, root, products, day):
            state = to_state(product)
            state["ai"] = rule_extraction(product).item_value()
            states.append(state)
    return states


def truth_key(unit: Mapping[str, Any]) -> TruthKey:
    """The truth unit a unit state is (a variant by its SKU, as ``demo catalog`` lists it)."""
    return (str(unit["site"]), str(unit[PRODUCT_ID]), unit["sku"] if unit[VARIANT_ID] is not None else None)


def _pair(a: TruthKey, b: TruthKey) -> Pair:
    return (a, b) if a <= b else (b, a)  # type: ignore[operator]


@dataclass
class Scores:
    predicted: set[Pair]
    true: set[Pair]
    gtin_true: set[Pair]
    per_shops: dict[tuple[str, str], Counter] = field(default_factory=dict)

    @property
    def hits(self) -> set[Pair]:
        return self.predicted & self.true

    @property
    def precision(self) -> float:
        return len(self.hits) / len(self.predicted) if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return len(self.hits) / len(self.true) if self.true else 1.0

    @property
    def gtin_coverage(self) -> float:
        return len(self.gtin_true & self.predicted) / len(self.gtin_true) if self.gtin_true else 1.0

    def __str__(self) -> str:
        shops = ", ".join(
            f"{a}~{b} {c['hits']}/{c['true']}t/{c['predicted']}p" for (a, b), c in sorted(self.per_shops.items())
        )
        wrong = sorted(self.predicted - self.true)[:5]
        missed = sorted(self.true - self.predicted)[:5]
        return (
            f"precision {self.precision:.4f} ({len(self.hits)}/{len(self.predicted)}), recall {self.recall:.4f}"
            f" ({len(self.hits)}/{len(self.true)}), GTIN pairs matched {len(self.gtin_true & self.predicted)}"
            f"/{len(self.gtin_true)}; per shop pair hits/true/predicted: {shops}; wrong: {wrong}; missed: {missed}"
        )


def score(
    groups: Iterable[MatchGroup], units: Mapping[ProductKey, Mapping[str, Any]], expected: Mapping[TruthKey, TruthUnit]
) -> Scores:
    """Pairwise precision and recall of ``groups`` (keys: unit keys of ``units``) against ``expected``."""
    predicted = {
        _pair(truth_key(units[a]), truth_key(units[b]))
        for group in groups
        for a, b in itertools.combinations(group.keys, 2)
    }
    by_group: dict[str, list[TruthKey]] = defaultdict(list)
    for key, unit in expected.items():
        if unit.group is not None:
            by_group[unit.group].append(key)
    true = {_pair(a, b) for keys in by_group.values() for a, b in itertools.combinations(keys, 2) if a[0] != b[0]}
    gtin_true = {pair for pair in true if expected[pair[0]].gtin and expected[pair[1]].gtin}
    per_shops: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for kind, pairs in (("predicted", predicted), ("true", true), ("hits", predicted & true)):
        for a, b in pairs:
            per_shops[tuple(sorted((a[0], b[0])))][kind] += 1  # type: ignore[index]
    return Scores(predicted, true, gtin_true, dict(per_shops))


def assert_meets_goal(scores: Scores, *, min_pairs: int, min_gtin_pairs: int) -> None:
    """Issue 15's goal: pairwise precision >= 0.99, recall >= 0.95, every GTIN-bearing pair matched
    (on at least ``min_pairs`` true pairs, ``min_gtin_pairs`` of them with GTINs: never vacuous)."""
    true_pairs, gtin_pairs = len(scores.true), len(scores.gtin_true)
    assert true_pairs >= min_pairs and gtin_pairs >= min_gtin_pairs, f"too little overlap to measure: {scores}"
    assert scores.precision >= 0.99, str(scores)
    assert scores.recall >= 0.95, str(scores)
    assert scores.gtin_coverage == 1.0, str(scores)
