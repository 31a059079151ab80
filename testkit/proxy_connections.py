"""One client connection of a test proxy, served in its own thread: read, check credentials,
then forward the request, open a CONNECT tunnel, or answer with the ban page or an error."""

from __future__ import annotations

import contextlib
import hmac
import selectors
import socket
import threading
import time

from testkit.proxy_records import (
    AUTH_REQUIRED,
    BAD_GATEWAY,
    CHALLENGED,
    CLIENT_GONE,
    CONNECTION_ERROR,
    ERROR,
    FORWARDED,
    TUNNELLED,
    UPSTREAM_CLOSED,
    ProxiedRequest,
)
from testkit.proxy_wire import (
    MAX_HEAD,
    ClientGone,
    Reject,
    close_response_head,
    close_with_reset,
    error_page,
    first_header,
    forward_headers,
    lingering_close,
    local_response,
    parse_absolute,
    parse_authority,
    parse_basic,
    parse_request_head,
    read_body,
    read_head,
)


class ClientConnections:
    """How :class:`~testkit.proxies.ForwardProxy` serves a client connection, in that connection's thread.

    The proxy provides the state: ``timeout``, ``errors``, ``_lock``, the credentials
    (``username``, ``password``, ``auth_required``), the ban budget (``_admit``, ``_ban_page``),
    the records (``_record``, ``_settle``, ``_update``) and the open sockets (``_track``).
    """

    def _serve_connection(self, conn: socket.socket, client_port: int) -> None:
        try:
            self._handle(conn, client_port)
        except OSError:  # the client went away, or close() cut the connection
            pass
        finally:
            lingering_close(conn)
            self._track(conn, False)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _handle(self, conn: socket.socket, client_port: int) -> None:
        """Read, record and answer the connection's one request."""
        buf = bytearray()
        try:
            head = read_head(conn, buf)
        except ClientGone:
            return
        except Reject as reject:  # a head too large to be a request
            conn.sendall(error_page(reject.status))
            return
        received = time.monotonic()
        try:
            method, target, headers = parse_request_head(head)
        except Reject as reject:
            record = ProxiedRequest(0, received, "", "", False, None, outcome=reject.outcome, client_port=client_port)
            self._record(record)
            conn.sendall(error_page(reject.status, str(reject)))
            return
        credentials = parse_basic(first_header(headers, "proxy-authorization"))
        valid = self._valid(credentials)
        record = ProxiedRequest(
            0, received, method, target, valid, credentials, client_port=client_port, headers=tuple(headers)
        )
        index = self._record(record)
        try:
            self._process(conn, buf, index, method, target, headers, valid)
        except Reject as reject:
            self._settle(index, reject.outcome)
            conn.sendall(error_page(reject.status, str(reject)))
        except ClientGone:
            self._settle(index, CLIENT_GONE)
        except OSError:
            self._settle(index, CONNECTION_ERROR)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            self._settle(index, ERROR)
            conn.sendall(local_response(500, [("Content-Type", "text/plain")], b"proxy error\n"))

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
            expects = (first_header(headers, "expect") or "").lower() == "100-continue"
            if not (expects and denied):
                if expects:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = read_body(conn, buf, headers)
        if denied:
            raise Reject(407, AUTH_REQUIRED)
        if method == "CONNECT":
            host, port = parse_authority(target)
            authority = origin_form = ""
        else:
            host, port, authority, origin_form = parse_absolute(target)
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
        forwarded = forward_headers(headers, authority)
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
            raise Reject(502, BAD_GATEWAY, f"cannot reach {host}:{port}: {exc}") from exc
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
                close_with_reset(conn)  # mirror the origin's reset
                return
            if not chunk:
                break
            if head_done:
                conn.sendall(chunk)
                continue
            pending += chunk
            end = pending.find(b"\r\n\r\n")
            if end < 0 and len(pending) <= MAX_HEAD:
                continue
            if end < 0:  # no head end in sight: not for the proxy to judge, pass it on
                head, rest, status = b"", bytes(pending), None
            else:
                head, status = close_response_head(bytes(pending[: end + 4]))
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
                        close_with_reset(target)
                        return
                    if data:
                        target.sendall(data)
                        continue
                    selector.unregister(source)
                    open_ends -= 1
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
