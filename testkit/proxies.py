"""Small HTTP forwarding proxies on loopback, for tests of proxy rotation, bans and credentials.

:class:`ForwardProxy` listens on a free ``127.0.0.1`` port (stdlib only: a listening socket, an
accept thread and one daemon thread per client connection) and forwards requests to an origin,
normally the demo shop (:mod:`demo_shops.server`). Every request is recorded
(:class:`ProxiedRequest`) with its ``time.monotonic()`` arrival time, whether it carried the
proxy's credentials and what became of it, so tests can assert how a crawler rotated, rested and
authenticated its proxies. :meth:`ForwardProxy.burn_after` makes the proxy's "IP" banned by the
shop after a number of requests (a Cloudflare challenge page instead of the shop's answer),
:meth:`ForwardProxy.stop_listening` makes it dead (connections refused), and
:func:`proxy_pool` starts several at once.

Faithful, as far as an HTTP client (Scrapy's HTTP/1.1 client, urllib) can tell:

* plain HTTP forward proxying: the request comes in absolute-form (``GET http://host:port/path
  HTTP/1.1``), goes to the origin in origin-form (``GET /path HTTP/1.1``) with ``Host`` set to the
  target's authority (RFC 9112 3.2.2) and the body as received (``Content-Length`` or chunked);
* ``Proxy-Authorization: Basic ...`` checking when the proxy has credentials (UTF-8 or Latin-1, as
  Scrapy's ``HTTPPROXY_AUTH_ENCODING`` sends them): missing or wrong credentials get ``407 Proxy
  Authentication Required`` with ``Proxy-Authenticate: Basic realm="test"``, before the origin is
  contacted;
* hop-by-hop headers are not forwarded (``Proxy-Authorization``, ``Proxy-Connection``,
  ``Connection``, ``Keep-Alive``, ``TE``, ``Trailer``, ``Upgrade`` and any header the
  ``Connection`` header names), so the origin never sees the proxy credentials;
* the origin's answer is relayed byte for byte (status line, headers in order, body), so faults
  pass through: a truncated body stays truncated (and the client connection is closed), a 429's
  ``Retry-After`` stays, and an origin that hangs up without answering leaves the client with a
  closed connection and no response (with a TCP reset if the origin reset);
* ``CONNECT host:port`` tunnels (``200 Connection established``, then bytes both ways, half-closes
  passed on), with the same credentials check;
* an unreachable origin gets ``502 Bad Gateway``; a dead proxy (:meth:`ForwardProxy.stop_listening`)
  refuses connections, as a stopped process's port does;
* the ban page (:meth:`ForwardProxy.burn_after`) is what Cloudflare's managed challenge sends:
  ``403`` (or 429/503), ``Server: cloudflare``, ``cf-mitigated: challenge``, ``cf-ray``,
  ``Content-Type: text/html; charset=UTF-8``, the no-store and cross-origin headers, and a
  "Just a moment..." interstitial (``challenge-platform`` script, ``_cf_chl_opt``, "Checking if the
  site connection is secure", "Enable JavaScript and cookies to continue").

Simplified:

* one request per client connection: the proxy answers and closes. The relayed response's
  ``Connection``/``Keep-Alive`` headers are replaced by ``Connection: close`` (a proxy must not pass
  on hop-by-hop headers; every other byte is the origin's), so Scrapy's connection pool does not
  keep the connection and never reuses a closed one; the proxy's own answers (407, 502, ban page)
  say ``Connection: close`` too. After answering, the proxy half-closes and reads until the client
  closes (at most 2 s), so unread client bytes can't turn the close into a reset;
* only ``http://`` targets are forwarded (``https://`` in absolute-form gets 501: use CONNECT);
  origin-form requests (a client that doesn't know it talks to a proxy) get 400;
* no ``Via``/``X-Forwarded-For`` headers, no caching, no request pipelining, ``Expect:
  100-continue`` is answered by the proxy itself;
* while banned, a CONNECT gets the ban page instead of a tunnel (a real shop's ban would come
  inside the TLS tunnel, where a proxy can't write);
* the burn budget counts requests let through (forwarded or tunnelled), whatever the origin
  answers, so with concurrent clients exactly ``n`` get through.

Unexpected exceptions in connection threads are collected in :attr:`ForwardProxy.errors` (the
client gets a 500) and never printed; network errors (a client or origin going away) are normal
and not collected.

This module is the proxy's control (addresses, bans, records, life cycle) and :func:`proxy_pool`;
a client connection is served by :mod:`testkit.proxy_connections`, on the wire helpers of
:mod:`testkit.proxy_wire`; the ban page is :mod:`testkit.proxy_ban`'s, the records
:mod:`testkit.proxy_records`'. Everything a test uses is importable from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import quote

from testkit.proxy_ban import BAN_STATUSES, ban_page, challenge_page
from testkit.proxy_connections import ClientConnections
from testkit.proxy_records import (
    AUTH_REQUIRED,
    BAD_GATEWAY,
    BAD_REQUEST,
    CHALLENGED,
    CLIENT_GONE,
    CONNECTION_ERROR,
    ERROR,
    FORWARDED,
    PENDING,
    TUNNELLED,
    UPSTREAM_CLOSED,
    ProxiedRequest,
)
from testkit.proxy_wire import HOST, REALM, basic_auth

_POLL: Final = 0.02


@dataclass
class _Listener:
    sock: socket.socket
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class ForwardProxy(ClientConnections):
    """An HTTP forward proxy on ``127.0.0.1`` (plain forwarding and CONNECT); serves from construction.

    With ``username``/``password`` every request must carry them in ``Proxy-Authorization: Basic``
    (:attr:`url_with_credentials` is the proxy URL a client puts them in). ``timeout`` is how long
    a connection may stay idle (client or origin) before the proxy gives up on it.
    """

    def __init__(
        self,
        name: str = "proxy",
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        self.name = name
        self.username = username
        self.password = password
        self.timeout = timeout
        self.host: str = HOST
        #: unexpected exceptions raised while handling connections (each answered with a 500)
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._records: list[ProxiedRequest] = []
        self._budget: int | None = None  # None: not burning; n: requests still let through
        self._ban_status = 403
        self._sockets: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: _Listener | None = None
        self._closed = False
        self._rays = 0
        self.port: int = 0
        self._listen(0)
        self.url: str = f"http://{self.host}:{self.port}"

    # -- addresses

    @property
    def auth_required(self) -> bool:
        """Whether the proxy has credentials (and answers 407 without them)."""
        return self.username is not None

    @property
    def url_with_credentials(self) -> str:
        """``http://user:pass@127.0.0.1:PORT`` (percent-encoded), or :attr:`url` without credentials."""
        if self.username is None or self.password is None:
            return self.url
        return f"http://{quote(self.username, safe='')}:{quote(self.password, safe='')}@{self.host}:{self.port}"

    @property
    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` value for this proxy's credentials (UTF-8), or None."""
        if self.username is None or self.password is None:
            return None
        return basic_auth(self.username, self.password)

    # -- bans

    def burn_after(self, n: int, *, status: int = 403) -> None:
        """Let ``n`` more requests through, then answer every request with a ban page (``status``:
        403, 429 or 503) without contacting the origin, until :meth:`heal`. ``n=0`` bans now."""
        if n < 0:
            raise ValueError("n must be >= 0")
        if status not in BAN_STATUSES:
            raise ValueError(f"status must be one of {sorted(BAN_STATUSES)}")
        with self._lock:
            self._budget = n
            self._ban_status = status

    def heal(self) -> None:
        """Lift the ban (and any pending :meth:`burn_after`): forward everything again."""
        with self._lock:
            self._budget = None

    @property
    def burned(self) -> bool:
        """Whether requests get the ban page now."""
        with self._lock:
            return self._budget == 0

    def _admit(self) -> int | None:
        """Spend one request of the burn budget; the ban status if the proxy is banned."""
        with self._lock:
            if self._budget is None:
                return None
            if self._budget == 0:
                return self._ban_status
            self._budget -= 1
            return None

    def _ban_page(self, status: int, host: str) -> bytes:
        with self._lock:
            self._rays += 1
            ray = hashlib.sha256(f"{self.name}:{self.port}:{self._rays}".encode()).hexdigest()[:16]
        return ban_page(status, host, ray)

    # -- inspection

    @property
    def requests(self) -> list[ProxiedRequest]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._records)

    def counts(self) -> Counter[str]:
        """Requests by outcome."""
        return Counter(record.outcome for record in self.requests)

    @property
    def forwarded(self) -> int:
        """Requests forwarded to the origin and answered by it (tunnels not included)."""
        return self.counts()[FORWARDED]

    @property
    def tunnelled(self) -> int:
        """CONNECT tunnels established."""
        return self.counts()[TUNNELLED]

    @property
    def challenged(self) -> int:
        """Requests answered with the ban page."""
        return self.counts()[CHALLENGED]

    @property
    def auth_failures(self) -> int:
        """Requests answered 407 (credentials missing or wrong)."""
        return self.counts()[AUTH_REQUIRED]

    def reset(self) -> None:
        """Forget the recorded requests and errors (the ban state stays)."""
        with self._lock:
            self._records.clear()
            self.errors.clear()

    # -- life cycle

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def stop_listening(self, *, drop_connections: bool = True) -> None:
        """Make the proxy dead: close the listening socket, so new connections are refused, and (by
        default) cut the open ones, in-flight requests and tunnels included."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop.set()
            if listener.thread is not None:
                listener.thread.join(timeout=5)
            listener.sock.close()
        if drop_connections:
            self._drop_connections()

    def start_listening(self) -> None:
        """Listen again on the same port after :meth:`stop_listening` (no-op if listening)."""
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._listener is None:
            self._listen(self.port)

    def close(self) -> None:
        """Stop listening, close every open connection and wait for their threads; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.stop_listening(drop_connections=True)
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                threads = list(self._threads)
            if not threads or time.monotonic() > deadline:
                break
            self._drop_connections()
            for thread in threads:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> ForwardProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        auth = " auth" if self.auth_required else ""
        return f"<ForwardProxy {self.name} {self.url}{auth}>"

    # -- listening (accept thread)

    def _listen(self, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(128)
            sock.settimeout(_POLL)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        listener = _Listener(sock)
        listener.thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"proxy-{self.name}-{self.port}", daemon=True
        )
        self._listener = listener
        listener.thread.start()

    def _accept_loop(self, listener: _Listener) -> None:
        while not listener.stop.is_set():
            try:
                conn, address = listener.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(self.timeout)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(
                target=self._serve_connection,
                args=(conn, address[1]),
                name=f"proxy-{self.name}-{self.port}-conn",
                daemon=True,
            )
            with self._lock:
                self._sockets.add(conn)
                self._threads.add(thread)
            thread.start()

    def _drop_connections(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _track(self, sock: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    # -- records

    def _record(self, record: ProxiedRequest) -> int:
        with self._lock:
            index = len(self._records)
            self._records.append(replace(record, index=index))
            return index

    def _settle(self, index: int, outcome: str) -> None:
        """Set the outcome of a request still pending (a later failure doesn't undo "forwarded")."""
        with self._lock:
            if self._records[index].outcome == PENDING:
                self._records[index] = replace(self._records[index], outcome=outcome)

    def _update(self, index: int, **changes: object) -> None:
        with self._lock:
            self._records[index] = replace(self._records[index], **changes)  # type: ignore[arg-type]


@contextlib.contextmanager
def proxy_pool(n: int, *, username: str | None = None, password: str | None = None) -> Iterator[list[ForwardProxy]]:
    """``n`` proxies (``proxy0``, ``proxy1``...), all with the same credentials; closed on exit."""
    with contextlib.ExitStack() as stack:
        proxies = [
            stack.enter_context(ForwardProxy(f"proxy{i}", username=username, password=password)) for i in range(n)
        ]
        yield proxies


__all__ = [
    "AUTH_REQUIRED",
    "BAD_GATEWAY",
    "BAD_REQUEST",
    "BAN_STATUSES",
    "CHALLENGED",
    "CLIENT_GONE",
    "CONNECTION_ERROR",
    "ERROR",
    "FORWARDED",
    "HOST",
    "PENDING",
    "REALM",
    "TUNNELLED",
    "UPSTREAM_CLOSED",
    "ForwardProxy",
    "ProxiedRequest",
    "basic_auth",
    "challenge_page",
    "proxy_pool",
]
