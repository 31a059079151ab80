"""How long a server asks to be left alone: ``retry-after-ms``, or ``Retry-After`` in seconds or as
an HTTP date (RFC 9110 10.2.3). Shared by the shops' retries and the AI client's."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any


def retry_after_seconds(headers: Mapping[Any, Any], now: float | None = None) -> float | None:
    """Seconds to wait (a date in the past: 0); ``None`` when the headers ask nothing readable.

    ``headers`` may be Scrapy's (bytes values), an HTTP client's or a plain mapping of strings.
    """
    milliseconds = _header(headers, "retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = _header(headers, "retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _header(headers: Mapping[Any, Any], name: str) -> str:
    raw = headers.get(name)
    if raw is None:  # a plain dict keeps the case it was given
        raw = next((value for key, value in headers.items() if _text(key).lower() == name), None)
    if isinstance(raw, list | tuple):
        raw = raw[0] if raw else None
    return _text(raw).strip() if raw is not None else ""


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)
