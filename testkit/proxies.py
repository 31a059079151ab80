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
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import hashlib
import hmac
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Final
from urllib.parse import quote, urlsplit

HOST: Final = "127.0.0.1"
REALM: Final = "test"

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

BAN_STATUSES: Final = frozenset({403, 429, 503})

_HOP_BY_HOP: Final = frozenset(
    {"proxy-authorization", "proxy-connection", "connection", "keep-alive", "te", "trailer", "upgrade"}
)
_RESPONSE_HOP_BY_HOP: Final = frozenset({b"connection", b"keep-alive", b"proxy-connection"})
_FRAMING: Final = frozenset({"content-length", "transfer-encoding"})
_MAX_HEAD: Final = 64 * 1024
_POLL: Final = 0.02
_LINGER: Final = 2.0


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


class _Reject(Exception):  # noqa: N818 - control flow, not an error
    """Answer the client with ``status`` and close."""

    def __init__(self, status: int, outcome: str, message: str = "") -> None:
        super().__init__(message or HTTPStatus(status).phrase)
        self.status = status
        self.outcome = outcome


class _ClientGone(Exception):  # noqa: N818 - control flow, not an error
    """The client closed its connection before sending a complete request."""


@dataclass
class _Listener:
    sock: socket.socket
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class ForwardProxy:
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

    # -- one client connection (its own thread)

    def _serve_connection(self, conn: socket.socket, client_port: int) -> None:
        try:
            self._handle(conn, client_port)
        except OSError:  # the client went away, or close() cut the connection
            pass
        finally:
            _lingering_close(conn)
            self._track(conn, False)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _handle(self, conn: socket.socket, client_port: int) -> None:
        """Read, record and answer the connection's one request."""
        buf = bytearray()
        try:
            head = _read_head(conn, buf)
        except _ClientGone:
            return
        except _Reject as reject:  # a head too large to be a request
            conn.sendall(_error_page(reject.status))
            return
        received = time.monotonic()
        try:
            method, target, headers = _parse_request_head(head)
        except _Reject as reject:
            record = ProxiedRequest(0, received, "", "", False, None, outcome=reject.outcome, client_port=client_port)
            self._record(record)
            conn.sendall(_error_page(reject.status, str(reject)))
            return
        credentials = _parse_basic(_first(headers, "proxy-authorization"))
        valid = self._valid(credentials)
        record = ProxiedRequest(
            0, received, method, target, valid, credentials, client_port=client_port, headers=tuple(headers)
        )
        index = self._record(record)
        try:
            self._process(conn, buf, index, method, target, headers, valid)
        except _Reject as reject:
            self._settle(index, reject.outcome)
            conn.sendall(_error_page(reject.status, str(reject)))
        except _ClientGone:
            self._settle(index, CLIENT_GONE)
        except OSError:
            self._settle(index, CONNECTION_ERROR)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            self._settle(index, ERROR)
            conn.sendall(_local_response(500, [("Content-Type", "text/plain")], b"proxy error\n"))

    def _process(
        self,
        conn: socket.socket,
        buf: bytearray,
        index: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        valid: bool,
    ) -> None:
        denied = self.auth_required and not valid
        body = b""
        if method != "CONNECT":
            # Read the body even for a refusal: closing with unread bytes would send a TCP reset,
            # which can destroy the answer. A client waiting for "100 Continue" is not sent one
            # if it will be refused.
            expects = (_first(headers, "expect") or "").lower() == "100-continue"
            if not (expects and denied):
                if expects:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = _read_body(conn, buf, headers)
        if denied:
            raise _Reject(407, AUTH_REQUIRED)
        if method == "CONNECT":
            host, port = _parse_authority(target)
            authority = origin_form = ""
        else:
            host, port, authority, origin_form = _parse_absolute(target)
        ban_status = self._admit()
        if ban_status is not None:
            self._settle(index, CHALLENGED)
            conn.sendall(self._ban_page(ban_status, host))
        elif method == "CONNECT":
            self._tunnel(conn, buf, index, host, port)
        else:
            self._forward(conn, index, method, headers, body, host, port, authority, origin_form)

    def _valid(self, credentials: tuple[str, str] | None) -> bool:
        if credentials is None or self.username is None or self.password is None:
            return False
        user, password = credentials
        # Compared as UTF-8 bytes: compare_digest refuses non-ASCII str.
        return hmac.compare_digest(user.encode(), self.username.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        )

    def _admit(self) -> int | None:
        """Spend one request of the burn budget; the ban status if the proxy is banned."""
        with self._lock:
            if self._budget is None:
                return None
            if self._budget == 0:
                return self._ban_status
            self._budget -= 1
            return None

    def _forward(
        self,
        conn: socket.socket,
        index: int,
        method: str,
        headers: list[tuple[str, str]],
        body: bytes,
        host: str,
        port: int,
        authority: str,
        origin_form: str,
    ) -> None:
        forwarded = _forward_headers(headers, authority)
        self._update(index, forwarded_headers=tuple(forwarded))
        upstream = self._connect(host, port)
        try:
            head = f"{method} {origin_form} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in forwarded) + "\r\n"
            upstream.sendall(head.encode("latin-1") + body)
            self._relay_response(conn, upstream, index)
        finally:
            self._track(upstream, False)
            upstream.close()

    def _connect(self, host: str, port: int) -> socket.socket:
        try:
            upstream = socket.create_connection((host, port), timeout=min(self.timeout, 10.0))
        except OSError as exc:
            raise _Reject(502, BAD_GATEWAY, f"cannot reach {host}:{port}: {exc}") from exc
        upstream.settimeout(self.timeout)
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._track(upstream, True)
        return upstream

    def _relay_response(self, conn: socket.socket, upstream: socket.socket, index: int) -> None:
        """Relay the origin's answer: its head with ``Connection: close``, then every byte as is."""
        pending = bytearray()
        head_done = False
        while True:
            try:
                chunk = upstream.recv(65536)
            except ConnectionResetError:
                if not head_done:
                    self._update(index, outcome=UPSTREAM_CLOSED)
                    conn.sendall(pending)
                _reset(conn)  # mirror the origin's reset
                return
            if not chunk:
                break
            if head_done:
                conn.sendall(chunk)
                continue
            pending += chunk
            end = pending.find(b"\r\n\r\n")
            if end < 0 and len(pending) <= _MAX_HEAD:
                continue
            if end < 0:  # no head end in sight: not for the proxy to judge, pass it on
                head, rest, status = b"", bytes(pending), None
            else:
                head, status = _close_response_head(bytes(pending[: end + 4]))
                rest = bytes(pending[end + 4 :])
            self._update(index, outcome=FORWARDED, upstream_status=status)
            conn.sendall(head + rest)
            head_done = True
        if not head_done:  # the origin closed before a complete head: pass on what came, then close
            self._update(index, outcome=UPSTREAM_CLOSED)
            conn.sendall(pending)

    def _tunnel(self, conn: socket.socket, buf: bytearray, index: int, host: str, port: int) -> None:
        upstream = self._connect(host, port)
        try:
            self._update(index, outcome=TUNNELLED)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if buf:
                upstream.sendall(bytes(buf))
            self._pipe(conn, upstream)
        finally:
            self._track(upstream, False)
            upstream.close()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        """Copy bytes both ways until both sides have closed (or one errs, or both idle too long)."""
        with selectors.DefaultSelector() as selector:
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
            open_ends = 2
            while open_ends:
                events = selector.select(timeout=self.timeout)
                if not events:
                    return
                for key, _ in events:
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    target: socket.socket = key.data
                    try:
                        data = source.recv(65536)
                    except ConnectionResetError:
                        _reset(target)
                        return
                    if data:
                        target.sendall(data)
                        continue
                    selector.unregister(source)
                    open_ends -= 1
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)

    def _ban_page(self, status: int, host: str) -> bytes:
        with self._lock:
            self._rays += 1
            ray = hashlib.sha256(f"{self.name}:{self.port}:{self._rays}".encode()).hexdigest()[:16]
        body = challenge_page(host, ray).encode()
        headers = [
            ("Content-Type", "text/html; charset=UTF-8"),
            ("Accept-CH", "Sec-CH-UA-Bitness, Sec-CH-UA-Arch, Sec-CH-UA-Full-Version, Sec-CH-UA-Mobile"),
            ("Cache-Control", "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"),
            ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
            ("cf-mitigated", "challenge"),
            ("Cross-Origin-Embedder-Policy", "require-corp"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "same-origin"),
            ("Origin-Agent-Cluster", "?1"),
            ("Permissions-Policy", "accelerometer=(),autoplay=(),camera=(),clipboard-read=(),clipboard-write=()"),
            ("Referrer-Policy", "same-origin"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "SAMEORIGIN"),
            ("Vary", "Accept-Encoding"),
            ("Server", "cloudflare"),
            ("CF-RAY", f"{ray}-ATH"),
        ]
        return _local_response(status, headers, body)

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


def basic_auth(username: str, password: str, encoding: str = "utf-8") -> str:
    """A ``Proxy-Authorization`` (or ``Authorization``) value: ``Basic base64(user:pass)``."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode(encoding)).decode("ascii")


def challenge_page(host: str = HOST, ray: str = "8a1b2c3d4e5f6a7b") -> str:
    """The HTML of a Cloudflare managed challenge ("Just a moment...") for ``host``."""
    return _CHALLENGE_HTML.replace("{host}", host).replace("{ray}", ray)


_CHALLENGE_HTML: Final = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>\
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\
<meta http-equiv="X-UA-Compatible" content="IE=Edge">\
<meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">\
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15;-webkit-text-size-adjust:100%;color:#313131;\
font-family:system-ui,-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}\
body{display:flex;flex-direction:column;height:100vh;min-height:100vh}.main-content{margin:8rem auto;max-width:60rem;\
padding-left:1.5rem}.h2{font-size:1.5rem;font-weight:500;line-height:2.25rem}</style>\
<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">\
<div class="main-content"><h1 class="zone-name-title h1">{host}</h1>\
<h2 id="challenge-running" class="h2">Checking if the site connection is secure</h2>\
<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper">\
<div class="heading-icon warning-icon"></div></span><span id="challenge-error-text">\
Enable JavaScript and cookies to continue</span></div></div></noscript>\
<div id="challenge-body-text" class="core-msg spacer">{host} needs to review the security of your connection \
before proceeding.</div><div id="challenge-success-text" class="h2">Verification successful</div></div></div>\
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "{host}",cType: 'managed',cNounce: '41926',cRay: '{ray}',\
cHash: 'c5a1f1e3b9d2a4e',cUPMDTk: "\\/?__cf_chl_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA",\
cFPWv: 'b',cTTimeMs: '1000',cMTimeMs: '390000',cTplV: 5,cTplB: 'cf',cK: "",\
fa: "\\/?__cf_chl_f_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA",md: "m0d3l",cRq: {ru: 'aHR0cDovL3t9Lw==',\
ra: 'TW96aWxsYS81LjA=',rm: 'R0VU',d: 'a1b2c3',t: 'MTcwMDAwMDAwMC4wMDAwMDA=',cT: Math.floor(Date.now() / 1000),m: 'x',\
i1: 'y',i2: 'z',zh: 'w',uh: 'v',hh: 'u'}};var cpo = document.createElement('script');\
cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray={ray}';window._cf_chl_opt.cOgUHash = \
location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;window._cf_chl_opt.cOgUQuery = \
location.search === '' && location.href.slice(0, location.href.length - window._cf_chl_opt.cOgUHash.length)\
.indexOf('?') !== -1 ? '?' : location.search;if (window.history && window.history.replaceState) {var ogU = \
location.pathname + window._cf_chl_opt.cOgUQuery + window._cf_chl_opt.cOgUHash;history.replaceState(null, null, \
"\\/?__cf_chl_rt_tk=q1w2e3r4t5y6u7i8o9p0-1700000000-0-gaNycGzNDRA" + window._cf_chl_opt.cOgUHash);\
cpo.onload = function() {history.replaceState(null, null, ogU);}}document.getElementsByTagName('head')[0]\
.appendChild(cpo);}());</script><div class="footer" role="contentinfo"><div class="footer-inner">\
<div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>{ray}</code></div></div>\
<div class="text-center" id="footer-text">Performance &amp; security by <a rel="noopener noreferrer" \
href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div>\
</div></div></body></html>"""


# -- wire helpers ------------------------------------------------------------------------------


def _recv(sock: socket.socket, buf: bytearray) -> None:
    chunk = sock.recv(65536)
    if not chunk:
        raise _ClientGone
    buf += chunk


def _read_head(sock: socket.socket, buf: bytearray) -> bytes:
    """Read up to the blank line ending a request head (CRLF line ends); the rest stays in ``buf``."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[: end + 4])
            del buf[: end + 4]
            return head
        if len(buf) > _MAX_HEAD:
            raise _Reject(431, BAD_REQUEST)
        try:
            _recv(sock, buf)
        except (TimeoutError, ConnectionResetError) as exc:
            raise _ClientGone from exc


def _read_exact(sock: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        _recv(sock, buf)
    data = bytes(buf[:n])
    del buf[:n]
    return data


def _read_line(sock: socket.socket, buf: bytearray) -> bytes:
    while (end := buf.find(b"\n")) < 0:
        if len(buf) > _MAX_HEAD:
            raise _Reject(400, BAD_REQUEST, "chunk line too long")
        _recv(sock, buf)
    return _read_exact(sock, buf, end + 1)


def _read_body(sock: socket.socket, buf: bytearray, headers: list[tuple[str, str]]) -> bytes:
    """The request body as received (chunked bodies stay chunked, trailers included)."""
    if "chunked" in (_first(headers, "transfer-encoding") or "").lower():
        out = bytearray()
        while True:
            line = _read_line(sock, buf)
            out += line
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise _Reject(400, BAD_REQUEST, "bad chunk size") from exc
            if size == 0:
                while True:
                    trailer = _read_line(sock, buf)
                    out += trailer
                    if trailer.strip() == b"":
                        return bytes(out)
            out += _read_exact(sock, buf, size + 2)
    length = _first(headers, "content-length")
    if length is None:
        return b""
    try:
        n = int(length)
    except ValueError as exc:
        raise _Reject(400, BAD_REQUEST, "bad Content-Length") from exc
    if n < 0:
        raise _Reject(400, BAD_REQUEST, "bad Content-Length")
    return _read_exact(sock, buf, n)


def _parse_request_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    request_line = lines[0].split(" ")
    if len(request_line) != 3 or not request_line[2].startswith("HTTP/"):
        raise _Reject(400, BAD_REQUEST, "bad request line")
    method, target, _ = request_line
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise _Reject(400, BAD_REQUEST, "bad header line")
        headers.append((name, value.strip()))
    return method, target, headers


def _parse_absolute(target: str) -> tuple[str, int, str, str]:
    """``http://host:port/path?q`` -> host, port, authority (for ``Host``), origin-form target."""
    scheme, sep, rest = target.partition("://")
    if not sep:
        raise _Reject(400, BAD_REQUEST, "this is a proxy: send the absolute URL (or CONNECT)")
    if scheme.lower() != "http":
        raise _Reject(501, BAD_REQUEST, f"{scheme}:// is not forwarded; use CONNECT")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, origin_form = rest[:end], rest[end:].partition("#")[0]
    authority = netloc.rpartition("@")[2]
    try:
        parts = urlsplit(f"http://{authority}")
        host, port = parts.hostname, parts.port or 80
    except ValueError as exc:
        raise _Reject(400, BAD_REQUEST, "bad target") from exc
    if not host:
        raise _Reject(400, BAD_REQUEST, "no host in the target")
    if not origin_form.startswith("/"):
        origin_form = "/" + origin_form
    return host, port, authority, origin_form


def _parse_authority(target: str) -> tuple[str, int]:
    try:
        parts = urlsplit(f"//{target}")
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise _Reject(400, BAD_REQUEST, "bad CONNECT target") from exc
    if not host or port is None:
        raise _Reject(400, BAD_REQUEST, "CONNECT needs host:port")
    return host, port


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def _parse_basic(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    return (user, password) if sep else None


def _forward_headers(headers: list[tuple[str, str]], authority: str) -> list[tuple[str, str]]:
    """The client's headers minus hop-by-hop ones, ``Host`` set to the target, ``Connection: close``."""
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() in ("connection", "proxy-connection")
        for token in value.split(",")
    }
    drop = (_HOP_BY_HOP | named | {"host", "expect"}) - _FRAMING
    return [("Host", authority), *((k, v) for k, v in headers if k.lower() not in drop), ("Connection", "close")]


def _close_response_head(head: bytes) -> tuple[bytes, int | None]:
    """The origin's response head with its connection headers replaced by ``Connection: close``."""
    lines = head[:-4].split(b"\r\n")
    status_parts = lines[0].split(b" ", 2)
    status = int(status_parts[1]) if len(status_parts) > 1 and status_parts[1].isdigit() else None
    named = {
        token.strip().lower()
        for line in lines[1:]
        if line.partition(b":")[0].strip().lower() == b"connection"
        for token in line.partition(b":")[2].split(b",")
    }
    drop = (_RESPONSE_HOP_BY_HOP | named) - {b"content-length", b"transfer-encoding"}
    kept = [line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in drop]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n", status


def _local_response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A complete answer made by the proxy itself (it closes the connection after it)."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        *(f"{name}: {value}" for name, value in headers),
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _error_page(status: int, message: str = "") -> bytes:
    phrase = HTTPStatus(status).phrase
    text = message or phrase
    body = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1><p>{text}</p></body></html>\n"
    headers = [("Server", "forward-proxy"), ("Content-Type", "text/html")]
    if status == 407:
        headers.append(("Proxy-Authenticate", f'Basic realm="{REALM}"'))
    return _local_response(status, headers, body.encode("utf-8"))


def _lingering_close(sock: socket.socket) -> None:
    """Close gracefully: send FIN, then read until the client closes (briefly), so bytes the client
    sent that we did not read can't turn the close into a reset that destroys our answer."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(_LINGER)
        deadline = time.monotonic() + _LINGER
        while time.monotonic() < deadline and sock.recv(65536):
            pass
    with contextlib.suppress(OSError):
        sock.close()


def _reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), as an origin's reset passed on."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
