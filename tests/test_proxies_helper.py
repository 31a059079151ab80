"""The loopback forward proxies of :mod:`tests.proxies`, driven by urllib, raw sockets and a real
Scrapy crawl (in a subprocess, as the Twisted reactor can't restart in the test process)."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from demo_shops.server import DemoServer, start_in_thread
from testkit.proxies import (
    AUTH_REQUIRED,
    BAD_GATEWAY,
    CHALLENGED,
    FORWARDED,
    PENDING,
    TUNNELLED,
    UPSTREAM_CLOSED,
    ForwardProxy,
    basic_auth,
    proxy_pool,
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


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[str, str]]:
    """Demo servers whose every store request fails one way: ``{"reset": url, ...}``."""
    servers = {
        "reset": _start_shop("reset=1.0"),
        "truncate": _start_shop("truncate=1.0"),
        "429": _start_shop("429=1.0,retry_after=3"),
        "slow": _start_shop("slow=1.0,slow_seconds=3"),
    }
    yield {name: f"http://127.0.0.1:{server.server_port}" for name, server in servers.items()}
    for server in servers.values():
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


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


# -- bans, dead proxies, faults ------------------------------------------------------------------


def test_burn_after_serves_a_cloudflare_challenge_until_healed(shop: str) -> None:
    url = f"{shop}/knitshop/"
    before = len(shop_log(shop))
    with ForwardProxy(username=USER, password=PASSWORD) as proxy:
        proxy.burn_after(2)
        answers = [fetch(url, proxy.url_with_credentials) for _ in range(4)]
        assert proxy.burned
        assert len(shop_log(shop)) == before + 2  # challenged requests never reach the shop
        assert [r.outcome for r in proxy.requests] == [FORWARDED, FORWARDED, CHALLENGED, CHALLENGED]
        assert all(r.had_valid_auth for r in proxy.requests)
        proxy.heal()
        assert not proxy.burned
        assert fetch(url, proxy.url_with_credentials)[0] == 200
        variants = []
        for status in (429, 503):
            proxy.burn_after(0, status=status)
            variants.append(fetch(url, proxy.url_with_credentials))
        assert (proxy.forwarded, proxy.challenged) == (3, 4)
        with pytest.raises(ValueError, match="status"):
            proxy.burn_after(1, status=404)
        assert proxy.errors == []

    assert [status for status, _, _ in answers] == [200, 200, 403, 403]
    for _status, headers, body in [*answers[2:], *variants]:
        assert headers["server"] == "cloudflare"
        assert headers["cf-mitigated"] == "challenge"
        assert headers["content-type"].startswith("text/html")
        assert "cf-ray" in headers
        assert int(headers["content-length"]) == len(body)
        text = body.decode()
        assert all(marker in text for marker in CHALLENGE_MARKERS), text
        assert "127.0.0.1" in text  # the zone is the shop's host
    assert [status for status, _, _ in variants] == [429, 503]


def test_a_dead_proxy_refuses_connections_until_it_listens_again(shop: str) -> None:
    url = f"{shop}/knitshop/"
    with ForwardProxy() as proxy:
        port = proxy.port
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)  # an open connection dies too
        time.sleep(0.05)
        proxy.stop_listening()
        assert not proxy.listening
        assert idle.recv(1) == b""
        idle.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        with pytest.raises(URLError) as info:
            fetch(url, proxy.url)
        assert isinstance(info.value.reason, ConnectionRefusedError)
        proxy.start_listening()
        assert proxy.port == port
        assert fetch(url, proxy.url)[0] == 200
        assert proxy.errors == []


def test_unreachable_origin_gets_502() -> None:
    with ForwardProxy() as proxy:
        status, headers, _ = fetch(f"http://127.0.0.1:{free_port()}/x", proxy.url)
        (record,) = proxy.requests
    assert status == 502
    assert headers["connection"] == "close"
    assert (record.outcome, record.upstream_status) == (BAD_GATEWAY, None)


def test_upstream_faults_pass_through(faulty: dict[str, str]) -> None:
    with ForwardProxy() as proxy:
        # The shop hangs up without answering: so does the proxy.
        raw, _ = exchange(proxy.port, get_request(f"{faulty['reset']}/knitshop/"))
        assert raw == b""
        with pytest.raises((http.client.RemoteDisconnected, URLError)):
            fetch(f"{faulty['reset']}/knitshop/", proxy.url)
        # A truncated body stays truncated, and the connection is closed.
        raw, _ = exchange(proxy.port, get_request(f"{faulty['truncate']}/knitshop/"))
        status, headers, body = split(raw)
        assert status == 200
        assert 0 < len(body) < int(headers["content-length"])
        with pytest.raises(http.client.IncompleteRead):
            fetch(f"{faulty['truncate']}/knitshop/", proxy.url)
        # A 429 keeps its Retry-After.
        status, headers, body = fetch(f"{faulty['429']}/knitshop/", proxy.url)
        assert (status, headers["retry-after"]) == (429, "3")
        assert body == b"<html><body>Try again later</body></html>"
        outcomes = [(r.outcome, r.upstream_status) for r in proxy.requests]
        assert proxy.errors == []
    assert outcomes == [(UPSTREAM_CLOSED, None)] * 2 + [(FORWARDED, 200)] * 2 + [(FORWARDED, 429)]


def test_an_origin_reset_reaches_the_client_as_a_reset() -> None:
    with ScriptedOrigin(b"", reset=True) as origin, ForwardProxy() as proxy:
        raw, reset = exchange(proxy.port, get_request(f"http://127.0.0.1:{origin.port}/"))
        assert proxy.requests[0].outcome == UPSTREAM_CLOSED
    assert (raw, reset) == (b"", True)


# -- CONNECT -------------------------------------------------------------------------------------


def test_connect_tunnels_with_the_same_credentials_check(shop: str) -> None:
    authority = shop.removeprefix("http://")
    direct_body = fetch(f"{shop}/knitshop/")[2]
    connect = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    inner = f"GET /knitshop/ HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n".encode()
    with ForwardProxy(username=USER, password=PASSWORD) as proxy:
        auth = f"Proxy-Authorization: {basic_auth(USER, PASSWORD)}\r\n"
        raw, _ = exchange(proxy.port, (connect + auth + "\r\n").encode() + inner)
        denied, _ = exchange(proxy.port, (connect + "\r\n").encode())
        proxy.burn_after(0)
        banned, _ = exchange(proxy.port, (connect + auth + "\r\n").encode())
        outcomes = [(r.method, r.target, r.outcome) for r in proxy.requests]
        assert proxy.tunnelled == 1
        assert proxy.errors == []

    established, _, tunnelled = raw.partition(b"\r\n\r\n")
    assert established == b"HTTP/1.1 200 Connection established"
    status, _, body = split(tunnelled)
    assert (status, body) == (200, direct_body)
    assert split(denied)[0] == 407
    assert split(banned)[0] == 403
    assert all(marker in split(banned)[2].decode() for marker in CHALLENGE_MARKERS)
    assert outcomes == [
        ("CONNECT", authority, TUNNELLED),
        ("CONNECT", authority, AUTH_REQUIRED),
        ("CONNECT", authority, CHALLENGED),
    ]


# -- concurrency, shutdown, pools ----------------------------------------------------------------


def _proxy_threads(proxy: ForwardProxy) -> list[threading.Thread]:
    prefix = f"proxy-{proxy.name}-{proxy.port}"
    return [thread for thread in threading.enumerate() if thread.name.startswith(prefix)]


def test_concurrent_requests_and_a_quick_close_with_connections_open(shop: str, faulty: dict[str, str]) -> None:
    urls = [f"{shop}/knitshop/", f"{shop}/knitshop/10-nimata", f"{shop}/knitshop/1_index_sitemap.xml"] * 4
    expected = {url: fetch(url)[2] for url in set(urls)}
    proxy = ForwardProxy("busy", username=USER, password=PASSWORD)
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        answers = list(pool.map(lambda url: fetch(url, proxy.url_with_credentials), urls))
    assert [(status, body) for status, _, body in answers] == [(200, expected[url]) for url in urls]
    assert proxy.forwarded == len(urls)

    # Left open: an idle connection, an idle tunnel, and a request waiting for a slow shop.
    idle = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    tunnel = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    authority = shop.removeprefix("http://")
    auth = basic_auth(USER, PASSWORD)
    tunnel.sendall(f"CONNECT {authority} HTTP/1.1\r\nProxy-Authorization: {auth}\r\n\r\n".encode())
    assert tunnel.recv(100).startswith(b"HTTP/1.1 200")
    slow = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    slow.sendall(get_request(f"{faulty['slow']}/knitshop/", auth))
    deadline = time.monotonic() + 5
    while not [r for r in proxy.requests if r.outcome == PENDING] and time.monotonic() < deadline:
        time.sleep(0.01)

    started = time.monotonic()
    proxy.close()
    assert time.monotonic() - started < 1
    assert _proxy_threads(proxy) == []
    for sock in (idle, tunnel, slow):
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(65536) == b""
        sock.close()
    assert proxy.errors == []
    proxy.close()  # idempotent


def test_proxy_pool_starts_and_closes_several_proxies(shop: str) -> None:
    with proxy_pool(3, username=USER, password=PASSWORD) as proxies:
        assert [p.name for p in proxies] == ["proxy0", "proxy1", "proxy2"]
        assert len({p.port for p in proxies}) == 3
        for proxy in proxies:
            assert fetch(f"{shop}/knitshop/", proxy.url_with_credentials)[0] == 200
            assert proxy.requests[0].had_valid_auth
    for proxy in proxies:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", proxy.port), timeout=5).close()


# -- a real Scrapy crawl -------------------------------------------------------------------------

SPIDER = """
import json
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

PLAN = json.loads(open(sys.argv[1]).read())
OUT = sys.argv[2]


class ThroughProxies(scrapy.Spider):
    name = "through_proxies"
    results = []

    async def start(self):
        for key, url, proxy in PLAN:
            yield scrapy.Request(
                url, meta={"proxy": proxy, "key": key}, dont_filter=True, callback=self.parse, errback=self.failed
            )

    def parse(self, response):
        self.results.append({
            "key": response.meta["key"],
            "url": response.url,
            "status": response.status,
            "sha256": __import__("hashlib").sha256(response.body).hexdigest(),
            "text": response.text if response.status != 200 else "",
            "headers": {k.decode().lower(): v[0].decode() for k, v in response.headers.items()},
            "sent_proxy_authorization": b"Proxy-Authorization" in response.request.headers,
            "meta_proxy": response.meta["proxy"],
        })

    def failed(self, failure):
        self.results.append({
            "key": failure.request.meta["key"],
            "error": type(failure.value).__name__,
            "detail": repr(failure.value),
        })

    def closed(self, reason):
        with open(OUT, "w") as out:
            json.dump(self.results, out)


process = CrawlerProcess(settings={
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "ROBOTSTXT_OBEY": False,
    "LOG_LEVEL": "INFO",
    "REMOTE_CONTROL_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "RETRY_ENABLED": False,
    "HTTPERROR_ALLOW_ALL": True,
    "DOWNLOAD_TIMEOUT": 10,
})
process.crawl(ThroughProxies)
process.start()
"""


def test_scrapy_crawls_through_the_proxies(shop: str, faulty: dict[str, str], tmp_path: Path) -> None:
    pages = {
        "home": f"{shop}/knitshop/",
        "category": f"{shop}/knitshop/10-nimata",
        "product": f"{shop}/knitshop/malli/1-rico-design-sock-yarn-4ply-0-5200000000016.html",
        "sitemap": f"{shop}/knitshop/1_index_sitemap.xml",
    }
    expected = {key: hashlib.sha256(fetch(url)[2]).hexdigest() for key, url in pages.items()}
    with proxy_pool(2, username=USER, password=PASSWORD) as (good, banned):
        banned.burn_after(0)
        wrong = good.url_with_credentials.replace("s3cret", "wrong")
        plan = [
            *[[key, url, good.url_with_credentials] for key, url in pages.items()],
            ["banned", pages["product"], banned.url_with_credentials],
            ["wrong_password", pages["home"], wrong],
            ["reset", f"{faulty['reset']}/knitshop/", good.url_with_credentials],
            ["truncate", f"{faulty['truncate']}/knitshop/", good.url_with_credentials],
            ["429", f"{faulty['429']}/knitshop/", good.url_with_credentials],
        ]
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        (tmp_path / "spider.py").write_text(SPIDER)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(tmp_path / "spider.py"), str(tmp_path / "plan.json"), str(tmp_path / "out.json")],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        elapsed = time.monotonic() - started
        good_requests, banned_requests = good.requests, banned.requests
        assert good.errors == banned.errors == []

    assert proc.returncode == 0, proc.stderr
    assert elapsed < 30, "the crawl hung on a proxied connection"
    results = {row["key"]: row for row in json.loads((tmp_path / "out.json").read_text())}
    assert set(results) == {key for key, _, _ in plan}
    assert PASSWORD not in proc.stdout + proc.stderr
    assert "s3cret" not in proc.stdout + proc.stderr

    # Every page arrived whole, through the proxy, with the credentials turned into a header.
    for key, url in pages.items():
        row = results[key]
        assert (row["status"], row["url"], row["sha256"]) == (200, url, expected[key]), row
        assert row["sent_proxy_authorization"]
        assert row["meta_proxy"] == good.url  # Scrapy took the credentials out of meta["proxy"]
    by_target = {r.target: r for r in good_requests if r.had_valid_auth and r.upstream_status == 200}
    for url in pages.values():
        record = by_target[url]
        assert record.credentials == (USER, PASSWORD)
        assert record.header("Proxy-Authorization") == basic_auth(USER, PASSWORD, "latin-1")
        assert not any(name.lower() == "proxy-authorization" for name, _ in record.forwarded_headers)

    banned_row = results["banned"]
    assert banned_row["status"] == 403
    assert banned_row["headers"]["cf-mitigated"] == "challenge"
    assert banned_row["headers"]["server"] == "cloudflare"
    assert all(marker in banned_row["text"] for marker in CHALLENGE_MARKERS)
    assert [(r.outcome, r.had_valid_auth) for r in banned_requests] == [(CHALLENGED, True)]

    assert results["wrong_password"]["status"] == 407
    assert results["wrong_password"]["headers"]["proxy-authenticate"] == 'Basic realm="test"'
    assert sum(r.outcome == AUTH_REQUIRED for r in good_requests) == 1

    # The shop hung up: no response, the connection closed (Scrapy 2.19: DownloadFailedError).
    assert "error" in results["reset"], results["reset"]
    assert "ConnectionDone" in results["reset"]["detail"] or "ConnectionLost" in results["reset"]["detail"]
    # Fewer bytes than Content-Length promised: data loss (Scrapy 2.19: ResponseDataLossError).
    assert "DataLoss" in results["truncate"].get("error", ""), results["truncate"]
    assert results["429"]["status"] == 429
    assert results["429"]["headers"]["retry-after"] == "3"
