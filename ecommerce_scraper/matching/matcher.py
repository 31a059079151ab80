"""Grouping the same product across shops.

What is grouped are units (:mod:`.units`): a product, or one colour of a page selling its colours
as variants, so "product" below means a unit and a product key a unit key (a pin names a variant
as ``<product_id>#<variant sku>``).

Evidence, strongest first; every link joins two products of different shops:

1. ``pinned``: a ``pin`` row of the controls file forces two products into one group (confidence 1.0).
2. ``gtin``: the same valid GTIN (confidence 1.0).
3. ``name``: the same brand (after aliases), the same colour and :func:`name_confidence` at least
   :data:`MATCH_THRESHOLD`.

Links are taken strongest first (pins, GTINs, then names by falling confidence; ties by product
keys, so the result never depends on input order). A link that would break a rule is skipped:

- a group holds at most one product per shop (so of two products of one shop competing for a
  group, the one with the stronger link is in it; a shop is never matched to itself);
- an ``apart`` row keeps its two products in different groups (a pin of the same pair is an error);
- a GTIN or name link never joins groups holding two different GTINs, weights, sizes (mm) or colour codes
  (unknowns never veto, so the rule is checked on the whole group, not only on the pair).

A product's ``confidence`` and ``reason`` are those of the first (strongest) link that put it in
its group. Only groups of two or more products are returned.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .identity import ProductIdentity, ProductKey
from .units import identities_of

#: A name link counts from this confidence on. With the same line words every kind of colour
#: evidence passes, with or without both weights (the lowest: no colour on either side and one
#: weight unknown, 0.9 × 0.95 = 0.855); lines that differ by one word pass only when long and
#: otherwise certain (6 shared of 7: 0.857 × 1.0), never one word of three (Jaccard 0.67).
MATCH_THRESHOLD = 0.85

#: Changed whenever a change here or in :mod:`.identity` can change a result: the stored groups
#: (:mod:`.store`) computed by another version are redone from scratch.
MATCHER_VERSION = "2"  # 2: needle and hook sizes (identity.size_mm)

#: How much a length may differ (relative to the smaller one) before two products are different.
LENGTH_TOLERANCE = Decimal("0.10")

Reason = Literal["pinned", "gtin", "name"]
ControlAction = Literal["pin", "apart"]
CONTROL_COLUMNS = ("action", "site_a", "product_id_a", "site_b", "product_id_b")


@dataclass(frozen=True, slots=True)
class Member:
    """One product in a group and what put it there."""

    key: ProductKey
    confidence: float
    reason: Reason


@dataclass(frozen=True, slots=True)
class MatchGroup:
    """Products of different shops that are one product; members sorted by key."""

    match_id: str
    members: tuple[Member, ...]

    @property
    def keys(self) -> tuple[ProductKey, ...]:
        return tuple(member.key for member in self.members)


@dataclass(frozen=True, slots=True)
class MatchControls:
    """Manual decisions: pairs forced together (``pins``) and pairs kept apart (``apart``)."""

    pins: frozenset[frozenset[ProductKey]] = frozenset()
    apart: frozenset[frozenset[ProductKey]] = frozenset()


def load_controls(path: str | Path) -> MatchControls:
    """Read ``config/matches.csv`` (columns :data:`CONTROL_COLUMNS`; a missing file is no controls).

    Raises ``ValueError`` naming the line for an unknown action, a missing cell, a pair of one
    shop, or a pair both pinned and kept apart.
    """
    target = Path(path)
    if not target.exists():
        return MatchControls()
    pins: set[frozenset[ProductKey]] = set()
    apart: set[frozenset[ProductKey]] = set()
    with target.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in CONTROL_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{target}: missing columns {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            cells = {name: (row.get(name) or "").strip() for name in CONTROL_COLUMNS}
            if not any(cells.values()) or cells["action"].startswith("#"):
                continue
            if not all(cells.values()):
                raise ValueError(f"{target}:{line}: every column needs a value")
            pair = frozenset({(cells["site_a"], cells["product_id_a"]), (cells["site_b"], cells["product_id_b"])})
            if cells["site_a"] == cells["site_b"]:
                raise ValueError(f"{target}:{line}: a shop is never matched with itself")
            action = cells["action"].lower()
            if action == "pin":
                pins.add(pair)
            elif action == "apart":
                apart.add(pair)
            else:
                raise ValueError(f"{target}:{line}: unknown action {cells['action']!r} (pin or apart)")
    both = pins & apart
    if both:
        raise ValueError(f"{target}: pinned and kept apart: {sorted(sorted(pair) for pair in both)}")
    return MatchControls(frozenset(pins), frozenset(apart))


# --- confidence of a name link ------------------------------------------------------------------


def _jaccard(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def _lengths_agree(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= LENGTH_TOLERANCE * min(a, b)


def name_confidence(a: ProductIdentity, b: ProductIdentity) -> float:
    """How sure ``a`` and ``b`` are one product from brand, line, colour and sizes, in [0, 1].

    0 when: either brand is unknown or they differ; two valid GTINs differ; the colours differ, or
    one is known and the other not; both weights are known and differ; the sizes (mm: needles,
    hooks) differ, or one is known and the other not; both lengths are known and differ by more than
    :data:`LENGTH_TOLERANCE`. Otherwise the Jaccard similarity of the line
    words, times 0.95 for colours known by name only (codes: 1.0; no colour on either: 0.9), times
    0.95 when a weight is unknown (unless both sizes are known).
    """
    if a.brand is None or a.brand != b.brand:
        return 0.0
    if a.gtin is not None and b.gtin is not None and a.gtin != b.gtin:
        return 0.0
    if a.colour_code is not None and b.colour_code is not None:
        colour = 1.0 if a.colour_code == b.colour_code else 0.0
    elif a.colour_code is not None or b.colour_code is not None:
        colour = 0.0
    elif a.colour_name is not None and b.colour_name is not None:
        colour = 0.95 if a.colour_name == b.colour_name else 0.0
    elif a.colour_name is None and b.colour_name is None:
        colour = 0.9
    else:
        colour = 0.0
    if a.weight_g is not None and b.weight_g is not None and a.weight_g != b.weight_g:
        return 0.0
    if a.size_mm != b.size_mm:  # as colours: one size, a needle of one size; no size, the whole page
        return 0.0
    # A known, equal measure is full evidence: the weight of a yarn, the size of a needle or hook.
    both_weights = a.weight_g is not None and b.weight_g is not None
    weight = 1.0 if both_weights or (a.size_mm is not None and b.size_mm is not None) else 0.95
    if a.length_m is not None and b.length_m is not None and not _lengths_agree(a.length_m, b.length_m):
        return 0.0
    return round(_jaccard(a.line, b.line) * colour * weight, 4)


# --- grouping -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cluster:
    # Tuples, not sets: a cluster holds at most one product per shop and, but for pins, one
    # weight, size, colour code and GTIN, and a matching holds tens of thousands of clusters.
    keys: tuple[ProductKey, ...]
    sites: tuple[str, ...]
    gtins: tuple[str, ...] = ()
    weights: tuple[Decimal, ...] = ()
    sizes: tuple[Decimal, ...] = ()
    codes: tuple[str, ...] = ()


def _union(mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The distinct values of both (in no particular order)."""
    if not theirs or mine == theirs:
        return mine
    if not mine:
        return theirs
    return tuple({*mine, *theirs})


class _Grouping:
    def __init__(self, identities: Mapping[ProductKey, ProductIdentity], controls: MatchControls) -> None:
        self.identities = identities
        self.apart = controls.apart
        #: only products met by a link get a cluster (most products of a catalog match nothing)
        self.cluster_of: dict[ProductKey, _Cluster] = {}
        self.joined: dict[ProductKey, Member] = {}

    def _cluster(self, key: ProductKey) -> _Cluster:
        cluster = self.cluster_of.get(key)
        if cluster is None:
            identity = self.identities[key]
            cluster = self.cluster_of[key] = _Cluster(
                keys=(key,),
                sites=(identity.site,),
                gtins=(identity.gtin,) if identity.gtin else (),
                weights=(identity.weight_g,) if identity.weight_g is not None else (),
                sizes=(identity.size_mm,) if identity.size_mm is not None else (),
                codes=(identity.colour_code,) if identity.colour_code else (),
            )
        return cluster

    def link(self, a: ProductKey, b: ProductKey, confidence: float, reason: Reason) -> None:
        left, right = self._cluster(a), self._cluster(b)
        if left is right or not set(left.sites).isdisjoint(right.sites):
            return
        if self.apart and any(frozenset({x, y}) in self.apart for x in left.keys for y in right.keys):
            return
        if reason != "pinned":
            for mine, theirs in ((left.weights, right.weights), (left.sizes, right.sizes), (left.codes, right.codes)):
                if len(_union(mine, theirs)) > 1:
                    return
            if reason == "name" and len(_union(left.gtins, right.gtins)) > 1:
                return
        left.keys += right.keys  # distinct clusters: no key in both
        left.sites += right.sites  # disjoint (above)
        left.gtins = _union(left.gtins, right.gtins)
        left.weights = _union(left.weights, right.weights)
        left.sizes = _union(left.sizes, right.sizes)
        left.codes = _union(left.codes, right.codes)
        for key in right.keys:
            self.cluster_of[key] = left
        for key in (a, b):
            self.joined.setdefault(key, Member(key, confidence, reason))

    def groups(self) -> list[MatchGroup]:
        seen: set[int] = set()
        found: list[tuple[str, tuple[Member, ...]]] = []
        for cluster in self.cluster_of.values():
            if id(cluster) in seen or len(cluster.keys) < 2:
                continue
            seen.add(id(cluster))
            members = tuple(self._member(key) for key in sorted(cluster.keys))
            found.append((group_identity_key([self.identities[key] for key in cluster.keys]), members))
        return _with_ids(found)

    def _member(self, key: ProductKey) -> Member:
        # A product joined only as the far end of links taken before it: the weakest link's member.
        return self.joined.get(key) or Member(key, 1.0, "pinned")


def group_identity_key(identities: Iterable[ProductIdentity]) -> str:
    """What a group is, whatever its members: its GTIN, else brand, line, colour and weight.

    The line is the most common among members (ties: the smallest); the key does not change when
    another shop's product joins with the same identity.
    """
    members = list(identities)
    gtins = sorted({identity.gtin for identity in members if identity.gtin})
    if len(gtins) == 1:
        return f"gtin:{gtins[0]}"
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    for identity in members:
        counts[identity.line] += 1
    line = min(counts, key=lambda candidate: (-counts[candidate], candidate))
    brand = min((identity.brand for identity in members if identity.brand), default="")
    colour = min((identity.colour or "" for identity in members), key=lambda text: (text == "", text))
    weight = min((str(identity.weight_g) for identity in members if identity.weight_g is not None), default="")
    size = min((str(identity.size_mm) for identity in members if identity.size_mm is not None), default="")
    return f"name:{brand}|{' '.join(line)}|{colour}|{weight}" + (f"|{size}mm" if size else "")


def _short_hash(text: str) -> str:
    return "m" + hashlib.sha256(text.encode()).hexdigest()[:10]


def _with_ids(found: list[tuple[str, tuple[Member, ...]]]) -> list[MatchGroup]:
    """Each group's ``match_id``: a hash of its identity key; of keys shared, a hash with its first product."""
    counts: dict[str, int] = defaultdict(int)
    for identity_key, _ in found:
        counts[identity_key] += 1
    groups = []
    for identity_key, members in found:
        text = identity_key if counts[identity_key] == 1 else f"{identity_key}#{members[0].key[0]}/{members[0].key[1]}"
        groups.append(MatchGroup(_short_hash(text), members))
    return sorted(groups, key=lambda group: (group.match_id, group.keys))


def match_identities(
    identities: Iterable[ProductIdentity], controls: MatchControls | None = None, *, threshold: float = MATCH_THRESHOLD
) -> list[MatchGroup]:
    """Group ``identities`` (products of several shops; see the module's docstring)."""
    controls = controls or MatchControls()
    by_key = {identity.key: identity for identity in sorted(identities, key=lambda identity: identity.key)}
    grouping = _Grouping(by_key, controls)
    for pair in sorted(sorted(pair) for pair in controls.pins):
        if len(pair) == 2 and all(key in by_key for key in pair):
            grouping.link(pair[0], pair[1], 1.0, "pinned")
    by_gtin: dict[str, list[ProductKey]] = defaultdict(list)
    for key, identity in by_key.items():
        if identity.gtin:
            by_gtin[identity.gtin].append(key)
    for keys in by_gtin.values():
        for index, a in enumerate(keys):
            for b in keys[index + 1 :]:
                grouping.link(a, b, 1.0, "gtin")
    for confidence, a, b in _name_links(by_key, threshold):
        grouping.link(a, b, confidence, "name")
    return grouping.groups()


def block_of(identity: ProductIdentity) -> tuple[str, str] | None:
    """Products meet by name only within a block: the same brand and colour (``None``: no brand)."""
    if identity.brand is None:
        return None
    return (identity.brand, identity.colour or "")


def fewest_shared_words(threshold: float) -> float:
    """How many words two *different* lines must share to reach ``threshold`` by name: with ``k``
    shared, their Jaccard is at most ``k / (k + 1)``. A line of fewer words links only to the same line."""
    floor = threshold - 0.0001  # confidences are rounded to 4 places
    if floor <= 0:
        return 0
    if floor >= 1:
        return math.inf
    return math.ceil(floor / (1 - floor) - 1e-9)


def name_block(identity: ProductIdentity, threshold: float) -> tuple[str, str, str] | None:
    """A finer block that still holds every unit a name link may join ``identity`` to: its block
    (:func:`block_of`), then its line when the line is shorter than :func:`fewest_shared_words`
    (it can only meet the same line), else ``*`` (long lines meet long lines). ``None``: no brand."""
    block = block_of(identity)
    if block is None:
        return None
    words = set(identity.line)
    return (*block, " ".join(sorted(words)) if len(words) < fewest_shared_words(threshold) else "*")


class NameIndex:
    """Who a name link may join a unit to, over a map of identities: by block, then by line word.

    Re-matching follows these links, not whole blocks: a block without colour (needles, yarns whose
    colour is not written) holds thousands. For a unit with ``n`` line words, any other of Jaccard
    ``>= t`` shares one of its ``n - ceil(t n) + 1`` rarest words (pigeonhole), so only the units
    holding those words are compared: exact, and about as costly as the few units found.
    """

    def __init__(self, identities: Mapping[ProductKey, ProductIdentity] | None = None) -> None:
        self.identities: dict[ProductKey, ProductIdentity] = {}
        self.blocks: dict[tuple[str, str], list[ProductKey]] = defaultdict(list)
        #: block -> word -> keys, made for a block when it is first asked about (most never are)
        self.words: dict[tuple[str, str], dict[str, list[ProductKey]]] = {}
        for identity in (identities or {}).values():
            self.add(identity)

    def add(self, identity: ProductIdentity) -> None:
        """Index one more unit (a unit is added once)."""
        self.identities[identity.key] = identity
        block = block_of(identity)
        if block is None:
            return
        self.blocks[block].append(identity.key)
        holders = self.words.get(block)
        if holders is not None:
            for word in set(identity.line):
                holders[word].append(identity.key)

    def _holders(self, block: tuple[str, str]) -> dict[str, list[ProductKey]]:
        holders = self.words.get(block)
        if holders is None:
            holders = self.words[block] = defaultdict(list)
            for key in self.blocks.get(block, ()):
                for word in set(self.identities[key].line):
                    holders[word].append(key)
        return holders

    def neighbours(self, identity: ProductIdentity, threshold: float = MATCH_THRESHOLD) -> list[ProductKey]:
        """Keys of another shop's units ``identity`` reaches ``threshold`` with by name."""
        block = block_of(identity)
        holders = self._holders(block) if block is not None else None
        if not holders or not identity.line:
            return []  # no line words: a Jaccard of 0, never a name link
        words = sorted(set(identity.line), key=lambda word: (len(holders.get(word, ())), word))
        overlap = max(1, math.ceil((threshold - 0.0001) * len(words) - 1e-9))  # rounded confidences
        if threshold <= 0:
            overlap = 1
            words = list(holders)
        candidates: set[ProductKey] = set()
        for word in words[: len(words) - overlap + 1]:
            candidates.update(holders.get(word, ()))
        mine, floor = set(identity.line), threshold - 0.0001
        found = []
        for key in candidates:
            other = self.identities[key]
            if other.site == identity.site:
                continue
            shared = len(mine.intersection(other.line))  # the Jaccard first: most candidates stop here
            if (
                shared / (len(mine) + len(set(other.line)) - shared) >= floor
                and name_confidence(identity, other) >= threshold
            ):
                found.append(key)
        return found


def _name_links(
    by_key: Mapping[ProductKey, ProductIdentity], threshold: float
) -> Iterator[tuple[float, ProductKey, ProductKey]]:
    blocks: dict[tuple[str, str], list[tuple[ProductKey, ProductIdentity]]] = defaultdict(list)
    for key, identity in by_key.items():
        block = block_of(identity)
        if block is not None:
            blocks[block].append((key, identity))
    links = []
    for members in blocks.values():
        for i, j in _candidate_pairs([identity for _, identity in members], threshold):
            (key_a, a), (key_b, b) = members[i], members[j]
            if a.site == b.site:
                continue
            confidence = name_confidence(a, b)
            if confidence >= threshold:
                # by_key's own key tuples: a link list of a catalog would otherwise hold two new ones a link
                links.append((-confidence, key_a, key_b))
    links.sort()  # strongest first, then by keys; no key function: it would build a tuple a link
    for negated, a, b in links:
        yield -negated, a, b


def _candidate_pairs(members: list[ProductIdentity], threshold: float) -> Iterable[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of a block that may reach ``threshold``: every pair whose
    line words have a Jaccard similarity of at least ``threshold`` (a confidence never exceeds it).

    A block can hold thousands (needles of one brand have no colour), so not every pair is tried:
    members are gathered by line; lines meet by the prefix filter of set-similarity joins (with
    each line's words rarest first, two lines of Jaccard >= t share a word among the first
    ``n - ceil(t n) + 1`` of each, ``n`` its word count), and only lines whose Jaccard reaches the
    threshold give their members' pairs. Exact: no pair that could link is left out.
    """
    if threshold <= 0 or len(members) < 16:  # small blocks: every pair is cheaper than the index
        return ((i, j) for i in range(len(members)) for j in range(i + 1, len(members)))
    floor = threshold - 0.0001  # confidences are rounded to 4 places: a Jaccard just below counts
    by_line: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, identity in enumerate(members):
        if identity.line:
            by_line[identity.line].append(index)
    lines = list(by_line)
    frequency: dict[str, int] = defaultdict(int)
    for line in lines:
        for word in set(line):
            frequency[word] += 1
    holders: dict[str, list[int]] = defaultdict(list)
    for number, line in enumerate(lines):
        words = sorted(set(line), key=lambda word: (frequency[word], word))
        overlap = max(1, math.ceil(floor * len(words) - 1e-9))
        for word in words[: len(words) - overlap + 1]:
            holders[word].append(number)
    line_pairs = {(number, number) for number in range(len(lines))}
    for numbers in holders.values():
        for position, first in enumerate(numbers):
            for second in numbers[position + 1 :]:
                if _jaccard(lines[first], lines[second]) >= floor:
                    line_pairs.add((first, second))
    # Each pair once, without a set of them all (a block of needles gives millions): members of
    # two lines are two disjoint sets, and those of one line give each pair once as i < j.
    return (
        (i, j) if i < j else (j, i)
        for first, second in sorted(line_pairs)
        for i in by_line[lines[first]]
        for j in by_line[lines[second]]
        if i < j or (i != j and first != second)
    )


def match_products(
    states: Iterable[Mapping[str, Any]], controls: MatchControls | None = None, *, threshold: float = MATCH_THRESHOLD
) -> list[MatchGroup]:
    """Group stored product states: each one's units and their identities (:func:`~.units.identities_of`:
    a page's colour variants one by one), then :func:`match_identities`. The groups' keys are unit
    keys (:func:`~.units.unit_key`)."""
    return match_identities(
        (identity for state in states for identity in identities_of(state)), controls, threshold=threshold
    )
