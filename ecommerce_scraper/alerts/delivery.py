"""Sending one message to one Apprise destination, with retries, and never logging a secret.

Apprise URLs carry credentials (``mailto://user:password@host``, tokens in webhook paths or in
the "host" of chat services). :func:`mask_destination` is the only form of a destination that
is printed or logged; Apprise's own log lines are captured while it works for us (they show
partial secrets) and their gist, scrubbed, becomes the failure's reason.

:func:`deliver` tries a destination ``retry_times + 1`` times, waiting ``backoff`` seconds before
the first retry and twice as long before each next one; a destination that never accepts is
logged once, at ERROR. It blocks: callers run it in a worker thread.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

MASK = "***"
#: Services whose URL names a real host (and, for e-mail, recipients in the path): the host is
#: shown. Any other scheme (tgram://, discord://, slack:// ...) keeps tokens where a host would be.
HOST_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys"})
#: Query parameters whose value is a secret.
_SECRET_PARAM = re.compile(r"pass|pwd|token|secret|key|auth|sig|signature|hash|code|webhook|private", re.IGNORECASE)
#: A path segment that looks like a token: long, or letters mixed with digits.
_TOKEN_SEGMENT = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[\w\-.~%]{12,}$|^[\w\-.~%]{24,}$")
_USERINFO_PASSWORD = re.compile(r"(://[^/\s:@]*:)[^@\s]*@")

Sender = Callable[[str, str, str], None]


class DeliveryError(Exception):
    """A destination did not accept a message; the message is safe to log (secrets masked)."""


@dataclass(frozen=True)
class DeliveryResult:
    destination: str  # masked
    ok: bool
    attempts: int
    error: str | None = None

    @property
    def retries(self) -> int:
        return self.attempts - 1


# --- masking ------------------------------------------------------------------------------------


def mask_destination(url: str) -> str:
    """``url`` with its secrets replaced by ``***``: the password of its user info, secret-looking
    query values and path segments, and host and path of services that keep tokens there.

    ``mailto://user:pass@host`` -> ``mailto://user:***@host``; ``tgram://bot-token/chat`` ->
    ``tgram://***``. Something that does not parse as a URL is all masked.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return MASK
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        userinfo = f"{user}:{MASK}" if colon else user
    if parts.scheme.lower() in HOST_SCHEMES:
        path = "/".join(MASK if _TOKEN_SEGMENT.match(segment) else segment for segment in parts.path.split("/"))
    else:
        hostport, path = MASK, "/" + MASK if parts.path.strip("/") else ""
    netloc = f"{userinfo}@{hostport}" if at else hostport
    return urlunsplit((parts.scheme, netloc, path, _mask_query(parts.query), ""))


def _mask_query(query: str) -> str:
    pairs = []
    for pair in query.split("&") if query else []:
        key, equals, value = pair.partition("=")
        pairs.append(f"{key}={MASK}" if equals and value and _SECRET_PARAM.search(key) else pair)
    return "&".join(pairs)


def _secrets_of(url: str) -> list[str]:
    """The raw secrets of ``url`` (password, secret query values, every non-public part)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return [url]
    secrets = [parts.password or ""]
    for pair in parts.query.split("&"):
        key, _, value = pair.partition("=")
        if _SECRET_PARAM.search(key):
            secrets.append(value)
    if parts.scheme.lower() not in HOST_SCHEMES:
        secrets += [parts.hostname or "", *parts.path.split("/")]
    return sorted((secret for secret in secrets if len(secret) >= 3), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (an error message about ``url``) without ``url``'s secrets, whole or abbreviated."""
    for secret in _secrets_of(url):
        text = text.replace(secret, MASK)
        # Apprise abbreviates secrets as first char ... last char.
        text = text.replace(f"{secret[0]}...{secret[-1]}", MASK)
    return _USERINFO_PASSWORD.sub(rf"\g<1>{MASK}@", text)


# --- Apprise ------------------------------------------------------------------------------------

#: The log records being captured in this context: Apprise runs a service in its worker threads
#: with a copy of the caller's context, so its lines are captured there too.
_capture: ContextVar[list[logging.LogRecord] | None] = ContextVar("apprise_log_capture", default=None)
_filter_lock = threading.Lock()
_filter_installed = False


class _CaptureFilter(logging.Filter):
    """Keeps the records of the ``apprise`` logger from threads that capture them."""

    def filter(self, record: logging.LogRecord) -> bool:
        records = _capture.get()
        if records is None:
            return True
        records.append(record)
        return False


@contextmanager
def captured_apprise_logs() -> Iterator[list[logging.LogRecord]]:
    """Apprise's log records of this context (thread), kept out of the log while the block runs."""
    global _filter_installed
    with _filter_lock:
        if not _filter_installed:
            logging.getLogger("apprise").addFilter(_CaptureFilter())
            _filter_installed = True
    records: list[logging.LogRecord] = []
    token = _capture.set(records)
    try:
        yield records
    finally:
        _capture.reset(token)


def _reason(records: list[logging.LogRecord], url: str, default: str) -> str:
    problems = [record.getMessage() for record in records if record.levelno >= logging.WARNING]
    text = "; ".join(dict.fromkeys(line.splitlines()[0] for line in problems if line.strip())) or default
    return scrub(text, url)


def apprise_problem(url: str) -> str | None:
    """Why Apprise can't use ``url`` (scrubbed), or ``None`` when it can."""
    import apprise

    with captured_apprise_logs() as records:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return _reason(records, url, "not a URL Apprise supports")
    return None


def send_once(url: str, title: str, body: str) -> None:
    """One attempt to send ``title``/``body`` to ``url``; raises :class:`DeliveryError`."""
    import apprise

    with captured_apprise_logs() as records:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise DeliveryError(_reason(records, url, "not a URL Apprise supports"))
        try:
            sent = notifier.notify(body=body, title=title)
        except Exception as exc:  # a plugin's own bug must not end the worker
            raise DeliveryError(scrub(f"{type(exc).__name__}: {exc}", url)) from None
    if not sent:
        raise DeliveryError(_reason(records, url, "the destination did not accept the message"))


def deliver(
    url: str,
    title: str,
    body: str,
    *,
    retry_times: int = 2,
    backoff: float = 2.0,
    send: Sender = send_once,
    sleep: Callable[[float], None] = time.sleep,
    what: str = "alert",
) -> DeliveryResult:
    """Send to ``url``, retrying with exponential backoff; a final failure is logged once (ERROR)."""
    destination = mask_destination(url)
    attempts = max(0, retry_times) + 1
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            send(url, title, body)
        except DeliveryError as exc:
            error = str(exc)
        else:
            return DeliveryResult(destination, True, attempt)
        if attempt < attempts:
            wait = backoff * 2 ** (attempt - 1)
            logger.info("%s to %s failed (%s); retrying in %.1f s", what, destination, error, wait)
            sleep(wait)
    logger.error("%s not delivered to %s after %d attempt(s): %s", what, destination, attempts, error)
    return DeliveryResult(destination, False, attempts, error)
