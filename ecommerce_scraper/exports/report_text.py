"""How the report and the index page write values: money, percentages, counts, moments,
durations, one-line names, and links only to safe URLs.

Scraped text is untrusted: a URL becomes a link only when it is http(s) with a host
(:func:`safe_url`): never ``javascript:``, ``data:`` ... Money is ``Decimal`` throughout.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from .cells import to_datetime
from .xlsxfile import CURRENCY_SYMBOLS

MINUS = "\u2212"
_URL_SCHEMES = frozenset({"http", "https"})
_URL_DROPPED = str.maketrans("", "", "\t\n\r")  # what browsers drop from anywhere in a URL
_URL_TRIMMED = "".join(chr(code) for code in range(0x21))  # C0 controls and space, at the ends


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


def one_line(value: Any) -> str:
    """``value`` as text on one line (runs of whitespace as one space); ``""`` for ``None``."""
    return "" if value is None else " ".join(str(value).split())
