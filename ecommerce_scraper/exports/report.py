"""The end-of-crawl HTML report and the exports' index page, written from the database.

::

    exports/<site>/<crawl_id>/report.html   one crawl: figures, biggest price moves, new and
                                            removed products, changes by type, two charts
    exports/index.html                      every shop's last crawl, with links

Each page is one self-contained file: inline CSS, charts as inline SVG drawn here, no script,
no external font, image or stylesheet, so it opens offline and prints. A Content-Security-Policy
``<meta>`` forbids every external resource and every script besides.

Decisions:

- Scraped text is untrusted. Templates autoescape everything; SVG is built with
  :class:`markupsafe.Markup`, whose ``format`` escapes each argument. A URL becomes a link only
  when it is http(s) with a host (:func:`safe_url`): never ``javascript:``, ``data:`` ...
- Memory stays flat with big catalogs: the crawl's products (:func:`.tree.crawl_states`) and
  changes (:func:`.tree.crawl_changes`) are streamed once each; the tables keep bounded heaps
  (:class:`_Top`: 10 biggest drops and rises, the first 50 new and removed products by name).
- Money is ``Decimal`` throughout (figures as in ``master.xlsx``: :class:`.tree.ShopSummary`);
  only SVG coordinates are floats.
- Price change buckets: a drop lands in a bucket up to zero (``-5 % … 0``) even when its
  rounded ``delta_pct`` reads 0.00, a rise in one from zero; a bound belongs to the bucket
  farther from zero (-10 % is in ``-20 … -10``, +10 % in ``10 … 20``).
- The product-count chart shows the shop's last 30 crawls up to this one: ``items_count``, or
  for a crawl that never closed (``items_count`` 0, status running/aborted) its sightings.
- Links to the crawl's files (diff.csv ...) are written only for files that exist when the
  report is written: write it after :func:`.tree.write_crawl_exports`. All links are relative,
  so a copy of the report in ``<site>/latest/`` works as well.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from ..storage.models import Crawl, CrawlProduct, Product
from .cells import to_datetime, to_decimal
from .csvfile import atomic_open
from .stored import (
    LATEST,
    MASTER_NAME,
    ShopSummary,
    crawl_changes,
    crawl_dir,
    crawl_row,
    crawl_states,
    file_names,
    has_sightings,
)
from .xlsxfile import CURRENCY_SYMBOLS

REPORT_NAME = "report.html"
INDEX_NAME = "index.html"
#: Rows of the biggest drops and rises tables.
TOP_MOVERS = 10
#: New and removed products listed at most (the rest: diff.csv).
MAX_LISTED = 50
#: Crawls in the product-count chart.
HISTORY_CRAWLS = 30

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

#: Non-finished statuses, in words.
STATUS_EXPLAINED: dict[str, str] = {
    "running": "This crawl has not closed (it is still running, or was stopped without closing): "
    "the figures are what it had stored when this report was written.",
    "partial": "This crawl is not trusted as complete: products it did not see were not marked removed, "
    "and latest/ still holds the previous finished crawl.",
    "failed": "This crawl failed: the figures cover only what it stored before failing; nothing was "
    "marked removed and latest/ was left as it was.",
    "cancelled": "This crawl was cancelled: the figures cover only what it stored; nothing was marked "
    "removed and latest/ was left as it was.",
    "aborted": "This crawl never finished (killed or crashed): the figures cover only what it stored; "
    "nothing was marked removed and latest/ was left as it was.",
}
#: status -> the badge's tone.
STATUS_TONES: dict[str, str] = {
    "finished": "ok",
    "running": "info",
    "partial": "warn",
    "failed": "bad",
    "cancelled": "warn",  # stopped on request: resumable, not an error
    "aborted": "bad",
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

MINUS = "\u2212"
_URL_SCHEMES = frozenset({"http", "https"})
_URL_DROPPED = str.maketrans("", "", "\t\n\r")  # what browsers drop from anywhere in a URL
_URL_TRIMMED = "".join(chr(code) for code in range(0x21))  # C0 controls and space, at the ends


# --- formatting -------------------------------------------------------------------------------


def safe_url(url: Any) -> str | None:
    """``url`` when it is an http(s) URL with a host (as a browser would read it), else ``None``.

    Browsers drop tabs and newlines anywhere in a URL and control characters at its ends, so
    ``"java\\tscript:..."`` is ``javascript:``: the check runs on the URL so cleaned.
    """
    if not isinstance(url, str):
        return None
    cleaned = url.translate(_URL_DROPPED).strip(_URL_TRIMMED)
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in _URL_SCHEMES or not parts.hostname:
        return None
    return cleaned


def currency_symbol(currency: str | None) -> str:
    code = (currency or "").strip().upper()
    return CURRENCY_SYMBOLS.get(code, code)


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """``€1,234.50``; a code or a longer symbol is followed by a space (``CHF 12.40``); ``—`` when absent."""
    if amount is None:
        return "—"
    exponent = amount.as_tuple().exponent
    places = min(4, max(2, -exponent)) if isinstance(exponent, int) else 2
    if places > 2 and amount == amount.quantize(Decimal("0.01")):
        places = 2  # 12.5000 from the database reads 12.50
    text = f"{abs(amount):,.{places}f}"
    sign = MINUS if amount < 0 else ""
    symbol = currency_symbol(currency)
    if not symbol:
        return f"{sign}{text}"
    return f"{sign}{symbol}{text}" if len(symbol) == 1 else f"{sign}{symbol}\u00a0{text}"


def percent(delta: Decimal | None, places: int = 1) -> str:
    """``−12.5%`` / ``+8.0%`` (a true minus sign); ``—`` when absent."""
    if delta is None:
        return "—"
    text = f"{abs(delta):,.{places}f}%"
    if delta < 0:
        return MINUS + text
    return "+" + text if delta > 0 else text


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def moment(value: Any) -> str:
    """``2025-03-01 09:30 UTC``; ``—`` when absent."""
    when = to_datetime(value)
    return "—" if when is None else when.strftime("%Y-%m-%d %H:%M UTC")


def duration(start: Any, end: Any) -> str:
    """``1 h 02 min``, ``3 min 12 s``, ``45 s``; ``—`` without both ends."""
    first, last = to_datetime(start), to_datetime(end)
    if first is None or last is None:
        return "—"
    seconds = max(0, round((last - first).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def share(part: int, whole: int) -> str:
    """``87%`` of ``whole`` (``""`` when whole is 0)."""
    if not whole:
        return ""
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal(1)):,}%"


# --- bounded lists ----------------------------------------------------------------------------

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


# --- what the report shows --------------------------------------------------------------------


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


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _name_key(change: dict[str, Any]) -> tuple[str, str]:
    return (_text(change.get("name")).casefold(), str(change.get("product_id")))


def _listed(row: dict[str, Any], delta: Decimal | None = None) -> Listed:
    return Listed(
        product_id=str(row.get("product_id")),
        name=_text(row.get("name")) or str(row.get("product_id")),
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


# --- reading the database ---------------------------------------------------------------------


def _collect_changes(engine: Engine, site: str, crawl_id: str) -> ChangeFigures:
    figures = ChangeFigures()
    for change in crawl_changes(engine, site, crawl_id):
        figures.add(change)
    return figures


def _collect_products(engine: Engine, site: str, crawl_id: str, wanted: dict[str, list[Listed]]) -> Figures:
    """Count the crawl's products; fill price, currency and availability of the ``wanted`` rows."""
    figures = Figures(ShopSummary(site))
    for state in crawl_states(engine, site, crawl_id):
        figures.summary.add(state)
        if state.get("availability") == "out_of_stock":
            figures.out_of_stock += 1
        for row in wanted.get(str(state.get("product_id")), ()):
            _fill(row, state)
    return figures


def _fill(row: Listed, state: Any) -> None:
    row.price = to_decimal(state.get("price"))
    row.currency = _text(state.get("currency")) or None
    row.availability = _text(state.get("availability")) or None


def _fill_removed(engine: Engine, site: str, removed: list[Listed]) -> None:
    """Removed products' last known price: the ``products`` row (at most :data:`MAX_LISTED`)."""
    if not removed:
        return
    by_id = {row.product_id: row for row in removed}
    query = select(Product.product_id, Product.price, Product.currency, Product.availability).where(
        Product.site == site, Product.product_id.in_(list(by_id))
    )
    with engine.connect() as connection:
        for product_id, price, currency, availability in connection.execute(query):
            _fill(by_id[product_id], {"price": price, "currency": currency, "availability": availability})


def _history(engine: Engine, crawl: Any, products: int) -> list[HistoryPoint]:
    """The shop's last :data:`HISTORY_CRAWLS` crawls up to ``crawl``, oldest first."""
    with Session(engine) as session:
        rows = session.execute(
            select(Crawl.crawl_id, Crawl.started_at, Crawl.items_count, Crawl.status)
            .where(
                Crawl.site == crawl.site,
                or_(
                    Crawl.started_at < crawl.started_at,
                    and_(Crawl.started_at == crawl.started_at, Crawl.id <= crawl.id),
                ),
            )
            .order_by(Crawl.started_at.desc(), Crawl.id.desc())
            .limit(HISTORY_CRAWLS)
        ).all()
        unclosed = [row.crawl_id for row in rows if not row.items_count and row.status in ("running", "aborted")]
        sightings: dict[str, int] = {}
        if unclosed:
            sightings = dict(
                session.execute(
                    select(CrawlProduct.crawl_id, func.count())
                    .where(CrawlProduct.site == crawl.site, CrawlProduct.crawl_id.in_(unclosed))
                    .group_by(CrawlProduct.crawl_id)
                ).all()
            )
    points = []
    for row in reversed(rows):
        current = row.crawl_id == crawl.crawl_id
        seen = products if current else (row.items_count or sightings.get(row.crawl_id, 0))
        points.append(HistoryPoint(row.crawl_id, to_datetime(row.started_at), seen, row.status, current))
    return points


def _is_first_crawl(engine: Engine, crawl: Any) -> bool:
    with engine.connect() as connection:
        earlier = connection.execute(
            select(Crawl.id)
            .where(
                Crawl.site == crawl.site,
                or_(
                    Crawl.started_at < crawl.started_at,
                    and_(Crawl.started_at == crawl.started_at, Crawl.id < crawl.id),
                ),
            )
            .limit(1)
        ).first()
    return earlier is None


# --- charts (inline SVG) ----------------------------------------------------------------------


def _n(value: float) -> str:
    """An SVG coordinate."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_step(span: float, ticks: int = 4) -> int:
    """An integer tick step (1, 2, 5 × 10^k) giving about ``ticks`` intervals over ``span``."""
    if span <= 0:
        return 1
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(1, int(factor * magnitude))
    return max(1, int(10 * magnitude))


def _axis(low: int, high: int, ticks: int = 4) -> tuple[int, int, list[int]]:
    """A y domain ``[lo, hi]`` on nice ticks covering ``low..high`` (counts: integers)."""
    step = nice_step(high - low if high > low else max(high, 1), ticks)
    lo = (low // step) * step
    hi = max(lo + step, -(-high // step) * step)
    return lo, hi, list(range(lo, hi + 1, step))


@dataclass(frozen=True)
class _Frame:
    """A chart's plotting area inside its SVG."""

    width: int = 560
    height: int = 260
    left: int = 64
    right: int = 16
    top: int = 18
    bottom: int = 56

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        return self.height - self.bottom


def _y_grid(frame: _Frame, lo: int, hi: int, ticks: Iterable[int]) -> list[Markup]:
    parts = []
    for tick in ticks:
        y = frame.base - (tick - lo) / (hi - lo) * frame.inner_height
        parts.append(
            Markup('<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>').format(
                frame.left, frame.width - frame.right, _n(y), _n(y)
            )
        )
        parts.append(
            Markup('<text class="tick" x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>').format(
                frame.left - 8, _n(y), count(tick)
            )
        )
    return parts


def _svg(chart_id: str, frame: _Frame, title: str, description: str, body: Sequence[Markup]) -> Markup:
    head = Markup(
        '<svg id="{id}" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(id=chart_id, w=frame.width, h=frame.height, title=title, desc=description)
    return head + Markup("").join(body) + Markup("</svg>")


def histogram_svg(buckets: Sequence[int], chart_id: str = "price-changes") -> Markup:
    """Bars of price changes by % bucket: drops green, rises red; a tooltip per bar."""
    frame = _Frame()
    total = sum(buckets)
    lo, hi, ticks = _axis(0, max(buckets, default=0))
    body = _y_grid(frame, lo, hi, ticks)
    slot = frame.inner_width / len(BUCKETS)
    bar_width = slot * 0.72
    for index, ((label, span), value) in enumerate(zip(BUCKETS, buckets, strict=True)):
        tone = "down" if index < len(BUCKETS) // 2 else "up"
        x = frame.left + index * slot + (slot - bar_width) / 2
        height = value / hi * frame.inner_height
        what = "price drop" if tone == "down" else "price rise"
        tooltip = f"{span}: {count(value)} {what}{'' if value == 1 else 's'}"
        body.append(
            Markup('<rect class="bar {}" x="{}" y="{}" width="{}" height="{}" rx="2"><title>{}</title></rect>').format(
                tone, _n(x), _n(frame.base - height), _n(bar_width), _n(height), tooltip
            )
        )
        if value:
            body.append(
                Markup('<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                    _n(x + bar_width / 2), _n(frame.base - height - 5), count(value)
                )
            )
        body.append(
            Markup('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                _n(x + bar_width / 2), _n(frame.base + 16), label
            )
        )
    body.append(
        Markup('<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>').format(
            frame.left, frame.width - frame.right, _n(frame.base), _n(frame.base)
        )
    )
    body += _axis_titles(frame, "Price change (%)", "Products")
    if not total:
        body.append(_empty_note(frame, "No price drops or rises in this crawl"))
    drops, rises = sum(buckets[:4]), sum(buckets[4:])
    description = (
        f"{count(drops)} price drops and {count(rises)} price rises by size: "
        + "; ".join(f"{span}: {count(value)}" for (_, span), value in zip(BUCKETS, buckets, strict=True))
        + "."
    )
    return _svg(chart_id, frame, "Price changes by size (%)", description, body)


def history_svg(points: Sequence[HistoryPoint], chart_id: str = "product-history") -> Markup:
    """The shop's product count over its past crawls: a line with a marker and tooltip per crawl."""
    frame = _Frame()
    values = [point.products for point in points]
    low, high = min(values, default=0), max(values, default=0)
    # A zero baseline, unless the counts differ but sit close together (differences would vanish).
    lo, hi, ticks = _axis(low if high * 0.6 <= low < high else 0, high)
    body = _y_grid(frame, lo, hi, ticks)
    slots = max(len(points) - 1, 1)

    def x_of(index: int) -> float:
        if len(points) == 1:
            return frame.left + frame.inner_width / 2
        return frame.left + 12 + index * (frame.inner_width - 24) / slots

    def y_of(value: int) -> float:
        return frame.base - (value - lo) / (hi - lo) * frame.inner_height

    coordinates = [(x_of(index), y_of(point.products)) for index, point in enumerate(points)]
    if len(coordinates) > 1:
        line = " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)
        first_x, last_x = coordinates[0][0], coordinates[-1][0]
        area = f"{_n(first_x)},{_n(frame.base)} {line} {_n(last_x)},{_n(frame.base)}"
        body.append(Markup('<polygon class="area" points="{}"/>').format(area))
        body.append(Markup('<polyline class="line" points="{}"/>').format(line))
    date_format = _date_format([point.started_at for point in points])
    for index in _label_indexes(len(points)):
        point = points[index]
        label = point.started_at.strftime(date_format) if point.started_at else "?"
        body.append(
            Markup('<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>').format(
                _n(coordinates[index][0]), _n(frame.base + 16), label
            )
        )
    for (x, y), point in zip(coordinates, points, strict=True):
        kind = "ok" if point.status == "finished" else "warn"
        tooltip = f"{moment(point.started_at)} · {count(point.products)} products · {point.status} · {point.crawl_id}"
        if point.current:
            body.append(Markup('<circle class="halo" cx="{}" cy="{}" r="8.5"/>').format(_n(x), _n(y)))
            anchor = "end" if x > frame.left + frame.inner_width * 0.8 else "middle"
            body.append(
                Markup('<text class="value" x="{}" y="{}" text-anchor="{}">{}</text>').format(
                    _n(x + (6 if anchor == "end" else 0)), _n(max(y - 14, 10)), anchor, count(point.products)
                )
            )
        body.append(
            Markup('<circle class="dot {}{}" cx="{}" cy="{}" r="{}"><title>{}</title></circle>').format(
                kind, " current" if point.current else "", _n(x), _n(y), 5 if point.current else 3.5, tooltip
            )
        )
    body.append(
        Markup('<line class="axis" x1="{}" x2="{}" y1="{}" y2="{}"/>').format(
            frame.left, frame.width - frame.right, _n(frame.base), _n(frame.base)
        )
    )
    body += _axis_titles(frame, "Crawl start (UTC)", "Products")
    if len(points) == 1:
        body.append(_empty_note(frame, "First crawl: the trend starts here", y=frame.top + 14))
    description = (
        f"Products seen by the shop's last {len(points)} crawls: "
        + "; ".join(f"{moment(p.started_at)}: {count(p.products)} ({p.status})" for p in points)
        + "."
    )
    return _svg(chart_id, frame, "Products per crawl", description, body)


def _date_format(moments: Sequence[datetime | None]) -> str:
    """Dates on the x axis: times when the crawls fit in two days, else days (with the year when they span years)."""
    known = [when for when in moments if when is not None]
    if len(known) > 1 and max(known) - min(known) < timedelta(days=2):
        return "%b %d %H:%M" if max(known).date() != min(known).date() else "%H:%M"
    if known and max(known).year != min(known).year:
        return "%Y-%m-%d"
    return "%b %d"


def _label_indexes(length: int, most: int = 6) -> list[int]:
    """Which x positions get a date label: all when few, else about ``most`` evenly, the last included."""
    if length <= most:
        return list(range(length))
    step = math.ceil((length - 1) / (most - 1))
    chosen = list(range(0, length - 1, step))
    if length - 1 - chosen[-1] < step / 2:
        chosen.pop()  # too close to the last label
    return [*chosen, length - 1]


def _axis_titles(frame: _Frame, x_title: str, y_title: str) -> list[Markup]:
    middle_y = frame.top + frame.inner_height / 2
    return [
        Markup('<text class="axis-title" x="{}" y="{}" text-anchor="middle">{}</text>').format(
            _n(frame.left + frame.inner_width / 2), frame.height - 10, x_title
        ),
        Markup(
            '<text class="axis-title" x="12" y="{y}" text-anchor="middle" transform="rotate(-90 12 {y})">{t}</text>'
        ).format(y=_n(middle_y), t=y_title),
    ]


def _empty_note(frame: _Frame, text: str, y: float | None = None) -> Markup:
    return Markup('<text class="empty" x="{}" y="{}" text-anchor="middle">{}</text>').format(
        _n(frame.left + frame.inner_width / 2), _n(y if y is not None else frame.top + frame.inner_height / 2), text
    )


# --- pages --------------------------------------------------------------------------------------


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=PackageLoader("ecommerce_scraper.exports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(money=money, percent=percent, count=count, moment=moment, share=share)
    return environment


def _write(path: Path, html: str) -> Path:
    with atomic_open(path) as handle:
        handle.write(html.encode("utf-8"))
    return path


def _previous_finished(points: Sequence[HistoryPoint]) -> HistoryPoint | None:
    before = [point for point in points if not point.current and point.status == "finished"]
    return before[-1] if before else None


def report_context(engine: Engine, exports_dir: str | os.PathLike[str], site: str, crawl_id: str) -> dict[str, Any]:
    """Everything report.html shows (streams the crawl's changes, then its products)."""
    crawl = crawl_row(engine, site, crawl_id)
    if crawl.items_count and not has_sightings(engine, site, crawl_id):
        # Stored before sightings existed (revision 0002): "0 products" would be a lie.
        raise LookupError(f"crawl {crawl_id!r} of {site!r} has no stored product list: no report")
    changes = _collect_changes(engine, site, crawl_id)
    drops, rises = changes.drops.items(), changes.rises.items()
    new, removed = changes.new.items(), changes.removed.items()
    wanted: dict[str, list[Listed]] = {}
    for row in (*drops, *rises, *new):
        wanted.setdefault(row.product_id, []).append(row)
    figures = _collect_products(engine, site, crawl_id, wanted)
    _fill_removed(engine, site, removed)
    history = _history(engine, crawl, figures.summary.products)
    previous = _previous_finished(history)
    folder = crawl_dir(exports_dir, site, crawl_id)
    files = [{"name": name, "kind": kind} for kind, name in file_names(site).items() if (folder / name).exists()]
    summary = figures.summary
    return {
        "crawl": crawl,
        "site": site,
        "status": crawl.status,
        "status_tone": STATUS_TONES.get(crawl.status, "bad"),
        "status_explained": STATUS_EXPLAINED.get(crawl.status, ""),
        "finished": crawl.status == "finished",
        "shop_moved": (crawl.stats or {}).get("shop_moved"),
        "responses": int((crawl.stats or {}).get("response_received_count") or 0),
        "duration": duration(crawl.started_at, crawl.finished_at),
        "first_crawl": _is_first_crawl(engine, crawl),
        "figures": figures,
        "summary": summary,
        "currency": summary.currency,
        "currencies": sorted(summary.currencies),
        "previous": previous,
        "products_delta": summary.products - previous.products if previous else None,
        "changes": changes,
        "change_rows": changes.type_rows(),
        "drops": drops,
        "rises": rises,
        "new": new,
        "removed": removed,
        "histogram": histogram_svg(changes.buckets),
        "history": history_svg(history),
        "history_points": history,
        "buckets": [(span, value) for (_, span), value in zip(BUCKETS, changes.buckets, strict=True)],
        "files": files,
        "diff_csv": file_names(site)["diff_csv"],
        "has_diff": (folder / file_names(site)["diff_csv"]).exists(),
        "generated_at": datetime.now(UTC),
    }


def write_report(engine: Engine, exports_dir: str | os.PathLike[str], site: str, crawl_id: str) -> Path:
    """Write ``exports/<site>/<crawl_id>/report.html`` (atomically) and return its path.

    ``LookupError`` when the crawl is not stored, or has no product list (stored before sightings).
    """
    context = report_context(engine, exports_dir, site, crawl_id)
    html = _templates().get_template(REPORT_NAME).render(context)
    return _write(crawl_dir(exports_dir, site, crawl_id) / REPORT_NAME, html)


@dataclass
class ShopEntry:
    site: str
    crawl: Any
    finished: Any | None
    latest_href: str | None
    latest_label: str
    report_href: str | None
    tone: str


def _shop_entries(engine: Engine, exports: Path) -> list[ShopEntry]:
    with Session(engine) as session:
        crawls = session.execute(select(Crawl).order_by(Crawl.site, Crawl.started_at.desc(), Crawl.id.desc())).scalars()
        last: dict[str, Any] = {}
        last_finished: dict[str, Any] = {}
        for crawl in crawls:
            last.setdefault(crawl.site, crawl)
            if crawl.status == "finished":
                last_finished.setdefault(crawl.site, crawl)
        session.expunge_all()
    entries = []
    for site in sorted(last):
        crawl = last[site]
        latest = exports / site / LATEST
        if (latest / REPORT_NAME).is_file():
            latest_href, latest_label = f"{site}/{LATEST}/{REPORT_NAME}", "Latest report"
        elif latest.is_dir():
            latest_href, latest_label = f"{site}/{LATEST}/", "Latest files"
        else:
            latest_href, latest_label = None, ""
        own = crawl_dir(exports, site, crawl.crawl_id)
        if (own / REPORT_NAME).is_file():
            report_href: str | None = f"{site}/{crawl.crawl_id}/{REPORT_NAME}"
        elif own.is_dir():
            report_href = f"{site}/{crawl.crawl_id}/"
        else:
            report_href = None
        finished = last_finished.get(site)
        entries.append(
            ShopEntry(
                site=site,
                crawl=crawl,
                finished=finished if finished is not None and finished is not crawl else None,
                latest_href=latest_href,
                latest_label=latest_label,
                report_href=report_href,
                tone=STATUS_TONES.get(crawl.status, "bad"),
            )
        )
    return entries


def write_index(engine: Engine, exports_dir: str | os.PathLike[str]) -> Path:
    """Write ``exports/index.html``: every shop's last crawl (status, time, products, changes)
    with links to ``<site>/latest/report.html``, the last crawl's own report and ``master.xlsx``."""
    exports = Path(exports_dir)
    entries = _shop_entries(engine, exports)
    html = (
        _templates()
        .get_template(INDEX_NAME)
        .render(
            shops=entries,
            master=MASTER_NAME if (exports / MASTER_NAME).is_file() else None,
            generated_at=datetime.now(UTC),
            attention=sum(1 for entry in entries if entry.crawl.status != "finished"),
            duration=duration,
        )
    )
    return _write(exports / INDEX_NAME, html)


__all__ = [
    "INDEX_NAME",
    "REPORT_NAME",
    "bucket_of",
    "histogram_svg",
    "history_svg",
    "money",
    "percent",
    "safe_url",
    "write_index",
    "write_report",
]
