"""What a failed request means, in words a shop owner understands and keys the stats can count.

Scrapy 2.19 wraps Twisted's network errors in its own types (``scrapy.exceptions.Download…Error``,
``CannotResolveHostError``); the Twisted ones are matched too, for handlers that still raise them.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError
from twisted.python.failure import Failure

#: Statuses that say the page is gone for good: evidence that its product was removed.
GONE_STATUSES = frozenset({404, 410})

_NETWORK_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, DNSLookupError), "DNS lookup failed"),
    ((DownloadConnectionRefusedError, TxConnectionRefusedError), "connection refused"),
    ((DownloadTimeoutError, TxTimeoutError, TCPTimedOutError), "no answer in time"),
)
_TLS_WORDS = ("ssl", "tls", "certificate", "handshake")


def failure_cause(failure: Failure) -> str:
    """A short key for why a request failed: ``http_503``, ``robots``, or the exception's name."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return "robots" if "robots.txt" in str(failure.value) else "ignored"
    return type(failure.value).__name__


def is_gone(cause: str) -> bool:
    """Whether the cause says the page is gone (404/410), rather than that it could not be read."""
    return cause.startswith("http_") and int(cause[5:]) in GONE_STATUSES


def unreachable_reason(failure: Failure) -> str | None:
    """Why a shop can't be reached at all (DNS, refused, timeout, TLS), or ``None`` when it answered."""
    for types, reason in _NETWORK_REASONS:
        if failure.check(*types):
            return reason
    if failure.check(HttpError, IgnoreRequest):
        return None
    text = f"{type(failure.value).__name__} {failure.getErrorMessage()}".lower()
    if any(word in text for word in _TLS_WORDS):
        return "TLS handshake failed"
    return None


def original_url(request: Request) -> str:
    """The URL a request was made for, before any redirect."""
    redirects = request.meta.get("redirect_urls")
    return redirects[0] if redirects else request.url
