"""The loopback forward proxies of :mod:`tests.proxies`: bans, dead proxies, faults, CONNECT, concurrency and
pools, and a real Scrapy crawl (in a subprocess, as the Twisted reactor can't restart in the test process)."""

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
from urllib.error import URLError

import pytest

from demo_shops.__main__ import catalog_lines
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
from testkit.web import free_port

from .test_proxies_helper import (
    CHALLENGE_MARKERS,
    PASSWORD,
    USER,
    ScriptedOrigin,
    _start_shop,
    exchange,
    fetch,
    get_request,
    shop_log,
    split,
)


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
        # The demo's first product, wherever the catalog puts it (its URL is the canonical one: no redirect).
        "product": json.loads(next(catalog_lines("knitshop", 12, 1, 1, f"{shop}/")))["url"],
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
