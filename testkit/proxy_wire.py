"""The HTTP/1.1 wire as the test proxies speak it: reading requests, parsing targets and
credentials, the headers passed on, the proxy's own answers and how connections are closed.

Stdlib only, byte for byte: see :mod:`testkit.proxies` for what is faithful and what is simplified.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email.utils
import socket
import struct
import time
from http import HTTPStatus
from typing import Final
from urllib.parse import urlsplit

from testkit.proxy_records import BAD_REQUEST

HOST: Final = "127.0.0.1"
REALM: Final = "test"

_HOP_BY_HOP: Final = frozenset(
    {"proxy-authorization", "proxy-connection", "connection", "keep-alive", "te", "trailer", "upgrade"}
)
_RESPONSE_HOP_BY_HOP: Final = frozenset({b"connection", b"keep-alive", b"proxy-connection"})
_FRAMING: Final = frozenset({"content-length", "transfer-encoding"})
MAX_HEAD: Final = 64 * 1024
_LINGER: Final = 2.0


class Reject(Exception):  # noqa: N818 - control flow, not an error
    """Answer the client with ``status`` and close."""

    def __init__(self, status: int, outcome: str, message: str = "") -> None:
        super().__init__(message or HTTPStatus(status).phrase)
        self.status = status
        self.outcome = outcome


class ClientGone(Exception):  # noqa: N818 - control flow, not an error
    """The client closed its connection before sending a complete request."""


def basic_auth(username: str, password: str, encoding: str = "utf-8") -> str:
    """A ``Proxy-Authorization`` (or ``Authorization``) value: ``Basic base64(user:pass)``."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode(encoding)).decode("ascii")


def _recv(sock: socket.socket, buf: bytearray) -> None:
    chunk = sock.recv(65536)
    if not chunk:
        raise ClientGone
    buf += chunk


def read_head(sock: socket.socket, buf: bytearray) -> bytes:
    """Read up to the blank line ending a request head (CRLF line ends); the rest stays in ``buf``."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[: end + 4])
            del buf[: end + 4]
            return head
        if len(buf) > MAX_HEAD:
            raise Reject(431, BAD_REQUEST)
        try:
            _recv(sock, buf)
        except (TimeoutError, ConnectionResetError) as exc:
            raise ClientGone from exc


def _read_exact(sock: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        _recv(sock, buf)
    data = bytes(buf[:n])
    del buf[:n]
    return data


def _read_line(sock: socket.socket, buf: bytearray) -> bytes:
    while (end := buf.find(b"\n")) < 0:
        if len(buf) > MAX_HEAD:
            raise Reject(400, BAD_REQUEST, "chunk line too long")
        _recv(sock, buf)
    return _read_exact(sock, buf, end + 1)


def read_body(sock: socket.socket, buf: bytearray, headers: list[tuple[str, str]]) -> bytes:
    """The request body as received (chunked bodies stay chunked, trailers included)."""
    if "chunked" in (first_header(headers, "transfer-encoding") or "").lower():
        out = bytearray()
        while True:
            line = _read_line(sock, buf)
            out += line
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise Reject(400, BAD_REQUEST, "bad chunk size") from exc
            if size == 0:
                while True:
                    trailer = _read_line(sock, buf)
                    out += trailer
                    if trailer.strip() == b"":
                        return bytes(out)
            out += _read_exact(sock, buf, size + 2)
    length = first_header(headers, "content-length")
    if length is None:
        return b""
    try:
        n = int(length)
    except ValueError as exc:
        raise Reject(400, BAD_REQUEST, "bad Content-Length") from exc
    if n < 0:
        raise Reject(400, BAD_REQUEST, "bad Content-Length")
    return _read_exact(sock, buf, n)


def parse_request_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    request_line = lines[0].split(" ")
    if len(request_line) != 3 or not request_line[2].startswith("HTTP/"):
        raise Reject(400, BAD_REQUEST, "bad request line")
    method, target, _ = request_line
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise Reject(400, BAD_REQUEST, "bad header line")
        headers.append((name, value.strip()))
    return method, target, headers


def parse_absolute(target: str) -> tuple[str, int, str, str]:
    """``http://host:port/path?q`` -> host, port, authority (for ``Host``), origin-form target."""
    scheme, sep, rest = target.partition("://")
    if not sep:
        raise Reject(400, BAD_REQUEST, "this is a proxy: send the absolute URL (or CONNECT)")
    if scheme.lower() != "http":
        raise Reject(501, BAD_REQUEST, f"{scheme}:// is not forwarded; use CONNECT")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    netloc, origin_form = rest[:end], rest[end:].partition("#")[0]
    authority = netloc.rpartition("@")[2]
    try:
        parts = urlsplit(f"http://{authority}")
        host, port = parts.hostname, parts.port or 80
    except ValueError as exc:
        raise Reject(400, BAD_REQUEST, "bad target") from exc
    if not host:
        raise Reject(400, BAD_REQUEST, "no host in the target")
    if not origin_form.startswith("/"):
        origin_form = "/" + origin_form
    return host, port, authority, origin_form


def parse_authority(target: str) -> tuple[str, int]:
    try:
        parts = urlsplit(f"//{target}")
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise Reject(400, BAD_REQUEST, "bad CONNECT target") from exc
    if not host or port is None:
        raise Reject(400, BAD_REQUEST, "CONNECT needs host:port")
    return host, port


def first_header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name), None)


def parse_basic(value: str | None) -> tuple[str, str] | None:
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


def forward_headers(headers: list[tuple[str, str]], authority: str) -> list[tuple[str, str]]:
    """The client's headers minus hop-by-hop ones, ``Host`` set to the target, ``Connection: close``."""
    named = {
        token.strip().lower()
        for key, value in headers
        if key.lower() in ("connection", "proxy-connection")
        for token in value.split(",")
    }
    drop = (_HOP_BY_HOP | named | {"host", "expect"}) - _FRAMING
    return [("Host", authority), *((k, v) for k, v in headers if k.lower() not in drop), ("Connection", "close")]


def close_response_head(head: bytes) -> tuple[bytes, int | None]:
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


def local_response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A complete answer made by the proxy itself (it closes the connection after it)."""
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        *(f"{name}: {value}" for name, value in headers),
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def error_page(status: int, message: str = "") -> bytes:
    phrase = HTTPStatus(status).phrase
    text = message or phrase
    body = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1><p>{text}</p></body></html>\n"
    headers = [("Server", "forward-proxy"), ("Content-Type", "text/html")]
    if status == 407:
        headers.append(("Proxy-Authenticate", f'Basic realm="{REALM}"'))
    return local_response(status, headers, body.encode("utf-8"))


def lingering_close(sock: socket.socket) -> None:
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


def close_with_reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER 0), as an origin's reset passed on."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
