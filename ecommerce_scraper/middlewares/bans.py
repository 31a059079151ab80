"""Is this response a ban of the proxy that fetched it? Rules tuned for shops.

A ban says something about the *proxy's address*, not the page, so it must not be confused
with a shop having a bad moment:

- **Ban**: a challenge or captcha page (Cloudflare "Just a moment...", ``cf-mitigated``,
  reCAPTCHA/hCaptcha, PerimeterX, DataDome, Incapsula, Akamai "Access Denied") with status
  403, 429 or 503, or with 200 (some shops serve the interstitial with 200); any plain 403
  (the shop refused this address); 407 (the proxy refused our credentials); a redirect to a
  login, captcha or "are you a robot" page; an empty 200 HTML page; the proxy unreachable:
  connection refused, its host name not resolving, no route to its host, the CONNECT tunnel
  refused. A proxied request connects to the proxy, never to the shop (the proxy resolves and
  reaches the shop, and answers 502 when it can't), so these failures are the proxy's.
- **Not a ban**: a plain 429 or 503 (the shop is busy: retried with its Retry-After, the proxy
  stays in use), 404 and other statuses, timeouts and connection resets mid-answer (the shop's
  as likely as the proxy's: unknown, the proxy keeps its standing).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import HtmlResponse, Response
from twisted.internet.error import NoRouteError

#: How much of a body is searched for challenge markers (they sit near the top).
SNIFF_BYTES = 64 * 1024

#: marker (lower case) -> which wall it is
CHALLENGE_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"cf-chl", "cloudflare"),
    (b"challenge-platform", "cloudflare"),
    (b"<title>just a moment", "cloudflare"),
    (b"attention required! | cloudflare", "cloudflare"),
    (b"cf-error-details", "cloudflare"),
    (b"g-recaptcha", "recaptcha"),
    (b"h-captcha", "hcaptcha"),
    (b"hcaptcha.com", "hcaptcha"),
    (b"px-captcha", "perimeterx"),
    (b"_pxhd", "perimeterx"),
    (b"captcha-delivery.com", "datadome"),
    (b"datadome", "datadome"),
    (b"incapsula incident", "incapsula"),
    (b"_incapsula_resource", "incapsula"),
    (b"are you a robot", "robot check"),
    (b"are you a human", "robot check"),
    (b"verify you are human", "robot check"),
    (b"unusual traffic", "robot check"),
    (b"<title>access denied</title>", "access denied"),
)
_CHALLENGE_HEADERS: tuple[tuple[bytes, bytes, str], ...] = (
    (b"cf-mitigated", b"challenge", "cloudflare"),
    (b"x-datadome", b"", "datadome"),
)
#: Where a shop sends a visitor it won't serve.
_WALL_PATH = re.compile(r"login|log-in|signin|sign-in|captcha|challenge|robot|blocked|denied|cdn-cgi", re.IGNORECASE)
#: An HTML page this small has no product and no listing.
EMPTY_PAGE_BYTES = 64


def challenge_of(response: Response) -> str | None:
    """Which challenge or captcha wall the response is, if any."""
    for name, value, wall in _CHALLENGE_HEADERS:
        header = response.headers.get(name)
        if header is not None and value in header.lower():
            return wall
    head = response.body[:SNIFF_BYTES].lower()
    for marker, wall in CHALLENGE_MARKERS:
        if marker in head:
            return wall
    return None


def response_ban_reason(request: Request, response: Response) -> str | None:
    """Why ``response`` means the proxy was banned; ``None`` when it does not."""
    status = response.status
    if status == 407:
        return "407 proxy authentication required"
    if status in (301, 302, 303, 307, 308):
        location = (response.headers.get("Location") or b"").decode("latin-1")
        path = urlsplit(location).path + "?" + urlsplit(location).query
        return f"redirect to {location}" if _WALL_PATH.search(path) else None
    wall = challenge_of(response) if status in (200, 403, 429, 503) else None
    if wall is not None:
        return f"{status} {wall} challenge"
    if status == 403:
        return "403 forbidden"
    if status == 200 and _is_html(response) and len(response.body.strip()) < EMPTY_PAGE_BYTES:
        return "empty page"
    return None


#: What a download through a proxy that can't be reached raises. Scrapy 2.19's HTTP handlers
#: (and scrapy-playwright's, which hands them every request not for the browser) wrap Twisted's
#: ConnectionRefusedError and DNSLookupError in Scrapy's own types, so Twisted's can no longer
#: arrive; a host with no route to it still comes as Twisted's NoRouteError (not wrapped).
PROXY_UNREACHABLE: tuple[type[BaseException], ...] = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    NoRouteError,
    TunnelError,
)


def exception_ban_reason(exception: BaseException) -> str | None:
    """Why ``exception`` means the proxy failed; ``None`` when it may as well be the shop."""
    if isinstance(exception, PROXY_UNREACHABLE):
        return f"proxy unreachable ({type(exception).__name__})"
    return None


def _is_html(response: Response) -> bool:
    content_type = (response.headers.get("Content-Type") or b"").lower()
    return b"html" in content_type or isinstance(response, HtmlResponse)


class ShopBanPolicy:
    """The policy object scrapy-rotating-proxies' ban detection asks (``ROTATING_PROXY_BAN_POLICY``)."""

    def response_is_ban(self, request: Request, response: Response) -> bool:
        reason = response_ban_reason(request, response)
        if reason is not None:
            request.meta["_ban_reason"] = reason
        return reason is not None

    def exception_is_ban(self, request: Request, exception: BaseException) -> bool | None:
        reason = exception_ban_reason(exception)
        if reason is not None:
            request.meta["_ban_reason"] = reason
            return True
        return None
