"""What a test proxy records of each request: its outcome and a :class:`ProxiedRequest` snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

# Outcomes of a request (ProxiedRequest.outcome).
PENDING: Final = "pending"  # still being handled
FORWARDED: Final = "forwarded"  # the origin's response head was relayed (upstream_status is set)
TUNNELLED: Final = "tunnelled"  # a CONNECT tunnel was established
CHALLENGED: Final = "challenged"  # banned: the challenge page was sent, the origin not contacted
AUTH_REQUIRED: Final = "auth_required"  # 407: credentials missing or wrong
BAD_GATEWAY: Final = "bad_gateway"  # 502: the origin could not be reached
UPSTREAM_CLOSED: Final = "upstream_closed"  # the origin hung up before a complete response head
BAD_REQUEST: Final = "bad_request"  # 400/431/501: not a request this proxy forwards
CLIENT_GONE: Final = "client_gone"  # the client went away before the request was complete
CONNECTION_ERROR: Final = "connection_error"  # a socket error first (someone hung up or timed out)
ERROR: Final = "error"  # an unexpected exception (see ForwardProxy.errors); the client got a 500


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy received (a snapshot; ``outcome`` is :data:`PENDING` while in flight)."""

    index: int
    monotonic: float
    """``time.monotonic()`` when the request head had arrived."""
    method: str
    target: str
    """The request target: an absolute URL, or ``host:port`` for CONNECT."""
    had_valid_auth: bool
    """The request carried this proxy's credentials (always False for a proxy without credentials)."""
    credentials: tuple[str, str] | None
    """The Basic credentials the client sent, decoded, whether right or wrong; None if none."""
    outcome: str = PENDING
    upstream_status: int | None = None
    """The origin's status code, when its response head arrived."""
    client_port: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    """Request headers as received from the client, in order (``Proxy-Authorization`` included)."""
    forwarded_headers: tuple[tuple[str, str], ...] = ()
    """Headers sent on to the origin (empty if nothing was forwarded)."""

    @property
    def path(self) -> str:
        """The target's path and query (``""`` for CONNECT)."""
        if self.method == "CONNECT":
            return ""
        parts = urlsplit(self.target)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def header(self, name: str) -> str | None:
        """The first request header called ``name`` (case-insensitive), as received."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)
