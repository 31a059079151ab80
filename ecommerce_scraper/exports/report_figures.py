"""What a crawl's report counts: its products and its changes, each in one pass.

Memory stays flat with big catalogs: the tables keep bounded heaps (:class:`_Top`: 10 biggest
drops and rises, the first 50 new and removed products by name), whatever the crawl's size.

Price change buckets: a drop lands in a bucket up to zero (``-5 % … 0``) even when its rounded
``delta_pct`` reads 0.00, a rise in one from zero; a bound belongs to the bucket farther from
zero (-10 % is in ``-20 … -10``, +10 % in ``10 … 20``).
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from .cells import to_decimal
from .report_text import one_line, safe_url
from .stored import ShopSummary

#: Rows of the biggest drops and rises tables.
TOP_MOVERS = 10
#: New and removed products listed at most (the rest: diff.csv).
MAX_LISTED = 50

#: Change types in the order the report lists them, with their labels.
CHANGE_LABELS: dict[str, str] = {
    "new": "New products",
    "removed": "Removed products",
    "price_down": "Price drops",
    "price_up": "Price rises",
    "price_changed": "Price appeared or went",
    "sale_started": "Sale started",
    "sale_ended": "Sale ended",
    "out_of_stock": "Out of stock",
    "back_in_stock": "Back in stock",
    "availability_changed": "Availability changed",
    "renamed": "Renamed",
    "field_changed": "Other field changed",
    "variant_added": "Variant added",
    "variant_removed": "Variant removed",
    "variant_price_changed": "Variant price changed",
    "variant_stock_changed": "Variant stock changed",
}
#: The colour of a change type's bar (drops green, rises red as in the workbooks; others neutral).
CHANGE_TONES: dict[str, str] = {
    "price_down": "down",
    "price_up": "up",
    "new": "info",
    "removed": "muted",
    "out_of_stock": "warn",
    "back_in_stock": "info",
}
#: Histogram buckets of price change %: (label, tooltip range).
BUCKETS: tuple[tuple[str, str], ...] = (
    ("≤ −20", "−20 % or more"),
    ("−20…−10", "−20 % to −10 %"),
    ("−10…−5", "−10 % to −5 %"),
    ("−5…0", "−5 % to 0 %"),
    ("0…5", "0 % to +5 %"),
    ("5…10", "+5 % to +10 %"),
    ("10…20", "+10 % to +20 %"),
    ("≥ 20", "+20 % or more"),
)
_DROP_BOUNDS = (Decimal(-20), Decimal(-10), Decimal(-5))  # buckets 0, 1, 2; else 3
_RISE_BOUNDS = (Decimal(20), Decimal(10), Decimal(5))  # buckets 7, 6, 5; else 4


T = TypeVar("T")


class _Reversed:
    """Inverts the order of a key: a min-heap of these keeps the smallest keys."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return other.key < self.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.key == other.key

    __hash__ = None  # type: ignore[assignment]


class _Top(Generic[T]):
    """The ``size`` items with the largest keys (``smallest=True``: the smallest), seen in one pass.

    Memory is ``size`` entries however many are offered; among equal keys the first offered wins.
    """

    def __init__(self, size: int, *, smallest: bool = False) -> None:
        self.size = size
        self.smallest = smallest
        self.offered = 0
        self._heap: list[tuple[Any, int, T]] = []
        self._sequence = itertools.count()

    def offer(self, key: Any, item: T | Callable[[], T]) -> None:
        """Offer an item; a callable is called only when the item is kept."""
        self.offered += 1
        if self.size <= 0:
            return
        ranked = _Reversed(key) if self.smallest else key
        entry_key = (ranked, -next(self._sequence))
        if len(self._heap) >= self.size and not self._heap[0][:2] < entry_key:
            return
        value = item() if callable(item) else item
        entry = (*entry_key, value)
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, entry)
        else:
            heapq.heapreplace(self._heap, entry)

    def items(self) -> list[T]:
        """Best first."""
        return [entry[2] for entry in sorted(self._heap, key=lambda entry: entry[:2], reverse=True)]

    @property
    def more(self) -> int:
        """How many offered items were left out."""
        return self.offered - len(self._heap)


@dataclass
class Listed:
    """One product row of a table (a mover, a new or a removed product)."""

    product_id: str
    name: str
    url: str | None
    old: Decimal | None = None
    new: Decimal | None = None
    delta: Decimal | None = None
    price: Decimal | None = None
    currency: str | None = None
    availability: str | None = None


@dataclass
class Figures:
    """The crawl's products, counted in one pass."""

    summary: ShopSummary
    out_of_stock: int = 0

    @property
    def other_availability(self) -> int:
        return self.summary.products - self.summary.in_stock - self.out_of_stock


@dataclass
class ChangeFigures:
    """The crawl's changes, in one pass."""

    total: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    drops: _Top[Listed] = field(default_factory=lambda: _Top(TOP_MOVERS))
    rises: _Top[Listed] = field(default_factory=lambda: _Top(TOP_MOVERS))
    new: _Top[Listed] = field(default_factory=lambda: _Top(MAX_LISTED, smallest=True))
    removed: _Top[Listed] = field(default_factory=lambda: _Top(MAX_LISTED, smallest=True))
    #: price_down/price_up without a delta (the old price was 0): counted, not ranked.
    unranked: int = 0

    def add(self, change: dict[str, Any]) -> None:
        self.total += 1
        kind = str(change.get("change_type"))
        self.by_type[kind] += 1
        if kind in ("price_down", "price_up"):
            delta = to_decimal(change.get("delta_pct"))
            if delta is None:
                self.unranked += 1
                return
            self.buckets[bucket_of(kind, delta)] += 1
            top = self.drops if kind == "price_down" else self.rises
            top.offer(abs(delta), lambda: _listed(change, delta=delta))
        elif kind in ("new", "removed"):
            top = self.new if kind == "new" else self.removed
            top.offer(_name_key(change), lambda: _listed(change))

    def type_rows(self) -> list[dict[str, Any]]:
        """One row per change type seen, in :data:`CHANGE_LABELS` order, then unknown types."""
        known = [kind for kind in CHANGE_LABELS if self.by_type.get(kind)]
        others = sorted(kind for kind in self.by_type if kind not in CHANGE_LABELS)
        most = max(self.by_type.values(), default=0)
        return [
            {
                "type": kind,
                "label": CHANGE_LABELS.get(kind, kind.replace("_", " ").capitalize()),
                "count": self.by_type[kind],
                "width": f"{max(1.0, 100 * self.by_type[kind] / most):.1f}",
                "tone": CHANGE_TONES.get(kind, "neutral"),
            }
            for kind in (*known, *others)
        ]


def bucket_of(change_type: str, delta: Decimal) -> int:
    """The histogram bucket of a price change (see the module docstring)."""
    if change_type == "price_down":
        for index, bound in enumerate(_DROP_BOUNDS):
            if delta <= bound:
                return index
        return 3
    for index, bound in enumerate(_RISE_BOUNDS):
        if delta >= bound:
            return 7 - index
    return 4


def _name_key(change: dict[str, Any]) -> tuple[str, str]:
    return (one_line(change.get("name")).casefold(), str(change.get("product_id")))


def _listed(row: dict[str, Any], delta: Decimal | None = None) -> Listed:
    return Listed(
        product_id=str(row.get("product_id")),
        name=one_line(row.get("name")) or str(row.get("product_id")),
        url=safe_url(row.get("url")),
        old=to_decimal(row.get("old_value")),
        new=to_decimal(row.get("new_value")),
        delta=delta,
    )


@dataclass
class HistoryPoint:
    crawl_id: str
    started_at: datetime | None
    products: int
    status: str
    current: bool = False
