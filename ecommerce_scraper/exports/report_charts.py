"""The report's two charts as inline SVG: price changes by size, and products per crawl.

SVG is built with :class:`markupsafe.Markup`, whose ``format`` escapes each argument, so scraped
text in a tooltip stays text. Only SVG coordinates are floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import Markup

from .report_figures import BUCKETS, HistoryPoint
from .report_text import count, moment


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
