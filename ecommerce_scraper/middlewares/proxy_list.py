"""The proxies to rotate: where they come from, what a valid one is, and how one is shown.

Sources, first found wins: the ``PROXIES`` environment variable, the ``PROXY_LIST`` setting
(both: URLs separated by commas, spaces or newlines), the file ``PROXY_LIST_PATH`` (default
``config/proxies.txt``: one URL per line, ``#`` comments). A proxy is
``http(s)://[user:password@]host:port``; a bare ``host:port`` means ``http://``. Anything else
(no port, a path) is refused at start-up with the file and line, credentials masked.

SOCKS (``socks4://``, ``socks5://``...) is refused too, with what to use instead: Scrapy's HTTP
client has no SOCKS support, and the handlers that add some are not for production (Scrapy
2.19's own httpx handler says so; scrapy-download-handlers-incubator's come as-is, on Scrapy's
private APIs) and would replace the http(s) handler that scrapy-playwright is. Providers that
sell SOCKS give an HTTP(S) endpoint for the same proxy; else a local SOCKS-to-HTTP bridge does.

A proxy is never shown with its credentials: :func:`mask_proxy` is the only way one reaches a
log line, a stat, an export or an error message, and :class:`CredentialsFilter` scrubs them
from every log record anyway (a library or a traceback may quote a URL whole).
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import UsageError

DEFAULT_PROXY_LIST_PATH = Path(__file__).resolve().parent.parent.parent / "config" / "proxies.txt"
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Proxy:
    url: str  # as given (with credentials): only ever handed to Scrapy's HttpProxyMiddleware
    name: str  # scheme://host:port, what is shown
    secrets: tuple[str, ...]  # the credentials as they may appear in text


def mask_proxy(url: str) -> str:
    """``http://user:pass@host:8080`` -> ``http://host:8080`` (the proxy's public name)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = parts.hostname or "?"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"


def parse_proxy(text: str, where: str) -> Proxy:
    """One proxy URL, validated; ``UsageError`` naming ``where`` (file:line) when it can't be used."""
    raw = text.strip()
    url = raw if "://" in raw else f"http://{raw}"
    shown = _masked_for_errors(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UsageError(f"{where}: {shown!r} is not a proxy URL", print_help=False) from None
    if parts.scheme.startswith("socks"):
        raise UsageError(
            f"{where}: {mask_proxy(url)} is a SOCKS proxy, which Scrapy can't use: list the provider's HTTP(S) "
            "proxy URL for it instead (http://user:password@host:port), or run a local SOCKS-to-HTTP bridge "
            "and list that",
            print_help=False,
        )
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{where}: {shown!r}: only http:// and https:// proxies are supported", print_help=False)
    if not parts.hostname or port is None:
        raise UsageError(f"{where}: {shown!r}: a proxy needs a host and a port", print_help=False)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"{where}: {shown!r}: a proxy URL has no path", print_help=False)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    # As they may appear in text: raw, URL-decoded, and inside a Proxy-Authorization header.
    forms = {parts.password, password, parts.username, user}
    if user or password:
        forms.add(base64.b64encode(f"{user}:{password}".encode()).decode())
    # A one- or two-letter user name can't be scrubbed from text without mangling it.
    secrets = tuple(value for value in forms if value and len(value) >= 3)
    return Proxy(url=url, name=mask_proxy(url), secrets=secrets)


def _masked_for_errors(url: str) -> str:
    # An error message shows where the problem is, never the password (nor the user name).
    return re.sub(r"(?<=://)[^/@\s]*@", "***@", url)


def load_proxies(settings: Mapping[str, object], environ: Mapping[str, str] | None = None) -> list[Proxy]:
    """The configured proxies (see the module docstring); ``[]`` when none are."""
    env = os.environ if environ is None else environ
    if env.get("PROXIES", "").strip():
        return _parse_all(_split(env["PROXIES"]), "PROXIES (environment)")
    listed = settings.get("PROXY_LIST")
    if listed:
        entries = _split(listed) if isinstance(listed, str) else [str(entry) for entry in listed]  # type: ignore[union-attr]
        return _parse_all(entries, "PROXY_LIST (setting)")
    path = Path(str(settings.get("PROXY_LIST_PATH") or DEFAULT_PROXY_LIST_PATH))
    if not path.is_file():
        return []
    proxies = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if entry:
            proxies.append(parse_proxy(entry, f"{path}:{number}"))
    return _unique(proxies)


def _split(text: str) -> list[str]:
    return [entry for entry in _SEPARATORS.split(text) if entry]


def _parse_all(entries: Iterable[str], where: str) -> list[Proxy]:
    return _unique(parse_proxy(entry, f"{where}, entry {index}") for index, entry in enumerate(entries, 1))


def _unique(proxies: Iterable[Proxy]) -> list[Proxy]:
    seen: dict[str, Proxy] = {}
    for proxy in proxies:
        seen.setdefault(proxy.name, proxy)
    return list(seen.values())


class CredentialsFilter(logging.Filter):
    """Replaces proxy credentials in every log record (message, arguments, traceback) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first: a password containing the user name is scrubbed whole.
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        scrubbed = self.scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True
