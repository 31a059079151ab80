"""The loopback forward proxies of :mod:`tests.proxies`, driven by urllib and raw sockets: forwarding and
credentials (bans, faults, CONNECT, concurrency and a real Scrapy crawl: test_proxies_helper_faults.py)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from demo_shops.server import DemoServer, start_in_thread
from testkit.proxies import (
    AUTH_REQUIRED,
    FORWARDED,
    ForwardProxy,
    basic_auth,
)

USER = "scraper"
# Needs percent-encoding in a URL, has a colon and a non-ASCII letter (Scrapy sends it in Latin-1).
PASSWORD = "s3cret p@ss:wörd/1"  # noqa: S105 - a test credential
CHALLENGE_MARKERS = (
    "<title>Just a moment...</title>",
    "challenge-platform",
    "_cf_chl_opt",
    "Checking if the site connection is secure",
    "Enable JavaScript and cookies to continue",
)


# -- fixtures and helpers ------------------------------------------------------------------------


def _start_shop(faults: str | None = None) -> DemoServer:
    server, _ = start_in_thread(products=12, day=1, seed=1, faults=faults)
    return server


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a healthy demo server."""
    server = _start_shop()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def fetch(url: str, proxy: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET through ``proxy`` (a proxy URL; None: directly), without raising on HTTP errors."""
    opener = build_opener(ProxyHandler({"http": proxy} if proxy else {}))
    try:
        with opener.open(Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def exchange(port: int, data: bytes, timeout: float = 10) -> tuple[bytes, bool]:
    """Send raw bytes to ``127.0.0.1:port``, read until the peer closes: (bytes, ended with a reset)."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            return bytes(received), True
    return bytes(received), False


def split(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """A raw HTTP response: status, headers (lower-case names), body as sent."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def get_request(url: str, authorization: str | None = None, extra: str = "") -> bytes:
    """A raw absolute-form GET, as a client sends it to a proxy."""
    host = url.split("/")[2]
    auth = f"Proxy-Authorization: {authorization}\r\n" if authorization else ""
    return f"GET {url} HTTP/1.1\r\nHost: {host}\r\n{auth}{extra}Connection: close\r\n\r\n".encode()


def shop_log(root: str) -> list[dict]:
    """What the demo server's knitshop has served so far."""
    return json.loads(fetch(f"{root}/__demo__/requests?site=knitshop")[2])


class ScriptedOrigin:
    """An origin that records each raw request (head and body) and answers with fixed bytes."""

    def __init__(self, answer: bytes, *, reset: bool = False) -> None:
        self.answer = answer
        self.reset = reset
        self.received: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.02)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = bytearray()
                while not self._complete(bytes(data)) and (chunk := conn.recv(65536)):
                    data += chunk
                self.received.append(bytes(data))
                if self.reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                else:
                    conn.sendall(self.answer)

    @staticmethod
    def _complete(data: bytes) -> bool:
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return False
        if b"transfer-encoding: chunked" in head.lower():
            return body.endswith(b"0\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                return len(body) >= int(line.split(b":")[1])
        return True

    def __enter__(self) -> ScriptedOrigin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


# -- forwarding ----------------------------------------------------------------------------------


def test_forwards_plain_http_with_credentials(shop: str) -> None:
    url = f"{shop}/knitshop/"
    direct = fetch(url)
    before = len(shop_log(shop))
    with ForwardProxy("p", username=USER, password=PASSWORD) as proxy:
        status, headers, body = fetch(url, proxy.url_with_credentials)  # urllib adds Proxy-Authorization
        assert proxy.url == f"http://127.0.0.1:{proxy.port}"
        assert PASSWORD not in proxy.url
        (record,) = proxy.requests
        assert proxy.errors == []

    assert (status, body) == (200, direct[2])
    assert headers["content-length"] == direct[1]["content-length"]
    assert headers["set-cookie"] == direct[1]["set-cookie"]
    assert headers["connection"] == "close"
    assert (record.method, record.target, record.path) == ("GET", url, "/knitshop/")
    assert record.had_valid_auth
    assert record.credentials == (USER, PASSWORD)
    assert (record.outcome, record.upstream_status) == (FORWARDED, 200)
    assert record.header("Proxy-Authorization") == basic_auth(USER, PASSWORD)
    forwarded = {name.lower(): value for name, value in record.forwarded_headers}
    assert "proxy-authorization" not in forwarded  # the shop never sees the proxy credentials
    assert forwarded["host"] == shop.removeprefix("http://")
    assert forwarded["connection"] == "close"
    assert [row["path"] for row in shop_log(shop)[before:]] == ["/knitshop/"]


def test_origin_gets_origin_form_without_hop_by_hop_headers_and_answer_is_relayed_as_is() -> None:
    answer = (
        b"HTTP/1.1 201 Created\r\nX-Spaced:  a  b \r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
        b"X-Hop: 1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\nhello"
    )
    with ScriptedOrigin(answer) as origin, ForwardProxy(username="u", password="p") as proxy:  # noqa: S106
        request = (
            f"POST http://127.0.0.1:{origin.port}/a/b?c=d&e HTTP/1.1\r\nHost: wrong.example\r\n"
            f"Proxy-Authorization: {basic_auth('u', 'p')}\r\nProxy-Connection: keep-alive\r\n"
            "Connection: keep-alive, X-Secret\r\nX-Secret: hop\r\nKeep-Alive: 300\r\nTE: trailers\r\n"
            "Upgrade: h2c\r\nX-Kept: yes\r\nContent-Length: 11\r\n\r\nhello=world"
        )
        raw, reset = exchange(proxy.port, request.encode())
        chunked = (
            f"PUT http://127.0.0.1:{origin.port}/up HTTP/1.1\r\nProxy-Authorization: {basic_auth('u', 'p')}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        exchange(proxy.port, chunked.encode())
        assert proxy.errors == []

    assert (
        origin.received[0]
        == (
            f"POST /a/b?c=d&e HTTP/1.1\r\nHost: 127.0.0.1:{origin.port}\r\nX-Kept: yes\r\nContent-Length: 11\r\n"
            "Connection: close\r\n\r\nhello=world"
        ).encode()
    )
    assert (
        origin.received[1]
        == (
            f"PUT /up HTTP/1.1\r\nHost: 127.0.0.1:{origin.port}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            "\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        ).encode()
    )
    # Byte for byte, but for the connection headers: a proxy answers with its own.
    assert not reset
    assert raw == (
        b"HTTP/1.1 201 Created\r\nX-Spaced:  a  b \r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n"
        b"Connection: close\r\n\r\nhello"
    )


def test_demo_answer_arrives_byte_for_byte(shop: str) -> None:
    url = f"{shop}/knitshop/"
    with ForwardProxy() as proxy:
        proxied, _ = exchange(proxy.port, get_request(url))
    direct, _ = exchange(
        int(shop.rsplit(":", 1)[1]),
        f"GET /knitshop/ HTTP/1.1\r\nHost: {url.split('/')[2]}\r\nConnection: close\r\n\r\n".encode(),
    )

    def without_date(raw: bytes) -> bytes:
        return b"\r\n".join(line for line in raw.split(b"\r\n") if not line.startswith(b"Date: "))

    head, _, body = direct.partition(b"\r\n\r\n")
    assert without_date(proxied) == without_date(head + b"\r\nConnection: close\r\n\r\n" + body)


# -- credentials ---------------------------------------------------------------------------------


def test_missing_or_wrong_credentials_get_407_without_contacting_the_shop(shop: str) -> None:
    url = f"{shop}/knitshop/"
    before = len(shop_log(shop))
    with ForwardProxy(username=USER, password=PASSWORD) as proxy:
        answers = [
            fetch(url, proxy.url),
            fetch(url, proxy.url, {"Proxy-Authorization": basic_auth(USER, "wrong")}),
            fetch(url, proxy.url, {"Proxy-Authorization": "Bearer x"}),
            # Scrapy's default HTTPPROXY_AUTH_ENCODING is Latin-1: accepted as well as UTF-8.
            fetch(url, proxy.url, {"Proxy-Authorization": basic_auth(USER, PASSWORD, "latin-1")}),
        ]
        records = proxy.requests
        assert (proxy.auth_failures, proxy.forwarded) == (3, 1)
    for status, headers, body in answers[:3]:
        assert status == 407
        assert headers["proxy-authenticate"] == 'Basic realm="test"'
        assert headers["connection"] == "close"
        assert b"Proxy Authentication Required" in body
    assert answers[3][0] == 200
    assert [r.outcome for r in records] == [AUTH_REQUIRED, AUTH_REQUIRED, AUTH_REQUIRED, FORWARDED]
    assert [r.had_valid_auth for r in records] == [False, False, False, True]
    assert [r.credentials for r in records] == [None, (USER, "wrong"), None, (USER, PASSWORD)]
    assert all(r.forwarded_headers == () for r in records[:3])
    assert len(shop_log(shop)) == before + 1

    with ForwardProxy() as open_proxy:  # no credentials: anything goes, nothing counts as valid
        assert fetch(url, open_proxy.url, {"Proxy-Authorization": basic_auth("a", "b")})[0] == 200
        assert open_proxy.url_with_credentials == open_proxy.url
        (record,) = open_proxy.requests
        assert (record.had_valid_auth, record.credentials) == (False, ("a", "b"))
