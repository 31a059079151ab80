"""The demo HTTP server: every demo store under ``/<site>/`` on one loopback port.

Also serves the host-wide ``/robots.txt`` (robots.txt is per host, so it gathers every
store's rules and sitemaps), and ``/__demo__/`` control endpoints for tests: the log of
requested paths and switching the catalog day.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from .catalog import PROFILES, build_catalog
from .store import DemoRequest, DemoResponse, Store
from .stores import store_for

logger = logging.getLogger(__name__)

# A 1x1 transparent GIF for every product image.
_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@dataclass
class Faults:
    """Share of store requests that fail, by kind (0..1 each)."""

    server_error: float = 0.0
    too_many_requests: float = 0.0
    truncate: float = 0.0
    reset: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 1.5
    retry_after: int = 1
    #: a shop down for maintenance: every page of this site answers 503 with Retry-After
    busy_site: str = ""
    #: from this catalog day on (0: never), product pages lose their price markup, as after a redesign
    #: the spider does not know (PrestaShop's knitshop; ``broken_prices=D``)
    broken_prices: int = 0

    _KEYS: ClassVar[dict[str, str]] = {
        "5xx": "server_error",
        "429": "too_many_requests",
        "truncate": "truncate",
        "reset": "reset",
        "slow": "slow",
    }

    @classmethod
    def parse(cls, spec: str | None) -> Faults:
        """``"5xx=0.1,429=0.05,truncate=0.02,reset=0.02,slow=0.05"``; ``"all"`` is that mix
        (``"all,slow_seconds=0.5"`` changes a part of it); ``"busy=atmosphere,retry_after=30"``: every
        page of one shop answers 503 with ``Retry-After``; ``"broken_prices=3"``: from day 3 on, product
        pages show no price (knitshop)."""
        if not spec:
            return cls()
        spec = spec.replace("all", "5xx=0.1,429=0.05,truncate=0.02,reset=0.02,slow=0.05")
        faults = cls()
        for part in spec.split(","):
            key, _, value = part.partition("=")
            key = key.strip()
            if key == "slow_seconds":
                faults.slow_seconds = float(value)
            elif key == "retry_after":
                faults.retry_after = int(value)
            elif key == "busy":
                faults.busy_site = value.strip()
            elif key == "broken_prices":
                faults.broken_prices = int(value)
            elif key in cls._KEYS:
                setattr(faults, cls._KEYS[key], float(value))
            else:
                known = [*cls._KEYS, "slow_seconds", "retry_after", "busy", "broken_prices"]
                raise ValueError(f"unknown fault {key!r}; known: {', '.join(known)}")
        return faults


@dataclass
class DemoState:
    products: int
    day: int
    seed: int
    faults: Faults
    stores: dict[str, Store] = field(default_factory=dict)
    #: (site, path+query, status, arrival time as time.time()): the shops' request log
    requests: list[tuple[str, str, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: path -> status: pages that answer only that status (``/__demo__/fail``), e.g. products whose
    #: page is broken (503) or gone (404) while the sitemap still lists them
    failing: dict[str, int] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)
        self.load_day(self.day)

    def load_day(self, day: int) -> None:
        self.day = day
        stores = {}
        for site in PROFILES:
            try:
                stores[site] = store_for(build_catalog(site, self.products, day, self.seed))
            except ImportError as exc:  # one missing store must not take the others down
                logger.error("demo store %s unavailable: %s", site, exc)
        self.stores = stores


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DemoServer
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def _dispatch(self, head: bool = False) -> None:
        self._arrived = time.time()
        state = self.server.state
        parts = urlsplit(self.path)
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_port}"
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = parts.path
        if path == "/robots.txt":
            return self._send(self._robots(host), head)
        if path.startswith("/__demo__/"):
            return self._send(self._control(path, parse_qs(parts.query)), head)
        site, _, rest = path.lstrip("/").partition("/")
        store = state.stores.get(site)
        if store is None:
            return self._send(self._index(host) if path == "/" else DemoResponse.not_found(), head)
        if not path.startswith(f"/{site}/"):
            return self._send(DemoResponse.redirect(f"/{site}/"), head)
        if rest.startswith("media/"):
            return self._send(DemoResponse(_PIXEL, 200, "image/gif"), head)
        failing = state.failing.get(path)
        if failing is not None:
            page = DemoResponse(f"<html><body><h1>{failing}</h1></body></html>", failing)
            return self._send(page, head, site, parts)
        if state.faults.busy_site == site:
            headers = {"Retry-After": str(state.faults.retry_after)}
            maintenance = DemoResponse("<html><body>Down for maintenance</body></html>", 503, headers=headers)
            return self._send(maintenance, head, site, parts)
        fault = self._fault()
        if fault == "reset":
            self._record(site, parts, 0)
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return None
        if fault in ("5xx", "429"):
            status = 503 if fault == "5xx" else 429
            headers = {"Retry-After": str(state.faults.retry_after)} if status == 429 else {}
            return self._send(
                DemoResponse("<html><body>Try again later</body></html>", status, headers=headers), head, site, parts
            )
        if fault == "slow":
            time.sleep(state.faults.slow_seconds)
        request = DemoRequest(
            method=self.command,
            path=rest,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            store_url=f"http://{host}/{site}/",
            prices_hidden=0 < state.faults.broken_prices <= state.day,
        )
        try:
            response = store.handle(request)
        except Exception:  # a broken store page must show up as a 500, not kill the server
            logger.exception("demo store %s failed on %s", site, self.path)
            response = DemoResponse("<h1>500</h1>", 500)
        self._send(response, head, site, parts, truncate=fault == "truncate")
        return None

    def _fault(self) -> str | None:
        faults = self.server.state.faults
        with self.server.state.lock:
            roll = self.server.state.rng.random()
        for name, share in (
            ("5xx", faults.server_error),
            ("429", faults.too_many_requests),
            ("truncate", faults.truncate),
            ("reset", faults.reset),
            ("slow", faults.slow),
        ):
            if roll < share:
                return name
            roll -= share
        return None

    def _record(self, site: str, parts, status: int) -> None:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        with self.server.state.lock:
            self.server.state.requests.append((site, target, status, self._arrived))

    def _send(
        self, response: DemoResponse, head: bool, site: str | None = None, parts=None, truncate: bool = False
    ) -> None:
        body = response.body.encode() if isinstance(response.body, str) else response.body
        if site is not None:
            self._record(site, parts, response.status)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if head:
            return
        if truncate:
            # Promise the whole body, send a third of it, hang up: a truncated download.
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)

    def _robots(self, host: str) -> DemoResponse:
        lines = ["User-agent: *"]
        sitemaps = []
        for site, store in self.server.state.stores.items():
            lines += [f"Disallow: /{site}/{rule}" for rule in store.robots_disallow()]
            sitemaps += [f"Sitemap: http://{host}/{site}/{path}" for path in store.sitemap_paths()]
        return DemoResponse("\n".join([*lines, "", *sitemaps, ""]), 200, "text/plain; charset=utf-8")

    def _index(self, host: str) -> DemoResponse:
        links = "".join(
            f'<li><a href="/{site}/">{site}</a> ({store.platform})</li>'
            for site, store in self.server.state.stores.items()
        )
        return DemoResponse(f"<html><head><title>Demo stores</title></head><body><ul>{links}</ul></body></html>")

    def _control(self, path: str, query: dict[str, list[str]]) -> DemoResponse:
        state = self.server.state
        if path == "/__demo__/requests":
            site = (query.get("site") or [None])[0]
            with state.lock:
                logged = [entry for entry in state.requests if site in (None, entry[0])]
            rows = [{"site": s, "path": p, "status": st, "time": t} for s, p, st, t in logged]
            return DemoResponse.json(rows)
        if path == "/__demo__/reset":
            with state.lock:
                state.requests.clear()
            return DemoResponse.json({"ok": True})
        if path == "/__demo__/faults":  # ?spec=5xx=0.1,429=0.05 (empty: none); as --faults
            try:
                faults = Faults.parse((query.get("spec") or [""])[0])
            except ValueError as exc:
                return DemoResponse(str(exc), 400, "text/plain")
            with state.lock:
                state.faults = faults
            return DemoResponse.json({"ok": True})
        if path == "/__demo__/fail":  # ?status=503&path=/site/p1&path=/site/p2 (no path: none fail)
            status = int((query.get("status") or ["503"])[0])
            with state.lock:
                state.failing = dict.fromkeys(query.get("path") or [], status)
            return DemoResponse.json({"failing": len(state.failing)})
        if path == "/__demo__/day":
            day = int((query.get("d") or [state.day])[0])
            with state.lock:
                state.load_day(day)
            return DemoResponse.json({"day": state.day})
        return DemoResponse.not_found()


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, state: DemoState, host: str = "127.0.0.1") -> None:
        self.state = state
        super().__init__((host, port), DemoHandler)


def serve(
    port: int = 0, products: int = 40, day: int = 1, seed: int = 1, faults: str | None = None, host: str = "127.0.0.1"
) -> DemoServer:
    """Create (not start) a server; ``port=0`` picks a free one (``server.server_port``)."""
    return DemoServer(port, DemoState(products=products, day=day, seed=seed, faults=Faults.parse(faults)), host)


def start_in_thread(**kwargs: object) -> tuple[DemoServer, threading.Thread]:
    """Start a server in a daemon thread (for tests); stop it with ``server.shutdown()``."""
    server = serve(**kwargs)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, name="demo-server", daemon=True)
    thread.start()
    return server, thread
