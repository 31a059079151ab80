"""Decompression bombs and oversized pages don't take the machine (issue 11).

Real crawls of the knitshop demo shop (PrestaShop: sitemaps, then listing pages), served by the
demo server with a robots.txt of the test's choosing and, at chosen paths, a gzip bomb (1.25 GiB
of zeros, about 1.3 MB gzipped, past even Scrapy's default DOWNLOAD_MAXSIZE of 1 GiB), a page
past DOWNLOAD_MAXSIZE as it is, or a broken .gz. Each crawl
runs as a user runs it (``scrapy crawl`` in a subprocess) and its peak RSS is read from the
kernel when it exits (``wait4``), so no spike between two samples is missed.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo_shops.catalog import build_catalog
from demo_shops.server import DemoHandler, DemoServer, DemoState, Faults
from demo_shops.stores import store_for
from ecommerce_scraper.settings import DOWNLOAD_MAXSIZE, SITEMAP_MAX_SIZE
from testkit.crawling import SITE, crawl_command, crawl_env, read_feed

from .conftest import ROOT, TEST_PRODUCTS
from .db import sqlite_url

BOMB_SIZE = 1_280 * 2**20  # 1.25 GiB unpacked
PEAK_RSS_LIMIT_MB = 600
BOMB_SITEMAP = f"{SITE}/sitemap-products.xml.gz"


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """gzip of BOMB_SIZE zeros; made once (7 s) and kept in the temporary folder between sessions."""
    path = Path(tempfile.gettempdir()) / f"ecommerce-scraper-bomb-{BOMB_SIZE}.gz"
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        zeros = bytes(2**20)
        with gzip.open(partial, "wb") as out:
            for _ in range(BOMB_SIZE // len(zeros)):
                out.write(zeros)
        partial.replace(path)
    return path.read_bytes()


# --- the demo shops, with bombs ----------------------------------------------------------------


@dataclass
class Bombs:
    """What the server does differently from the demo shops."""

    #: path (relative to the server root) -> (body, headers) served instead of the demo's page
    paths: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    #: knitshop's sitemaps in robots.txt, relative to the server root; the demo's own with None
    sitemaps: list[str] | None = None


class BombHandler(DemoHandler):
    server: BombServer

    def do_GET(self) -> None:  # noqa: N802 - http.server names it
        path = urlsplit(self.path).path.lstrip("/")
        bombs = self.server.bombs
        if path in bombs.paths:
            return self._reply(*bombs.paths[path])
        if path == "robots.txt" and bombs.sitemaps is not None:
            return self._reply(self._robots_txt(bombs.sitemaps).encode(), {"Content-Type": "text/plain"})
        return super().do_GET()

    def _robots_txt(self, sitemaps: list[str]) -> str:
        host = self.headers.get("Host")
        store = self.server.state.stores[SITE]
        rules = [f"Disallow: /{SITE}/{rule}" for rule in store.robots_disallow()]
        return "\n".join(["User-agent: *", *rules, "", *[f"Sitemap: http://{host}/{path}" for path in sitemaps], ""])

    def _reply(self, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(200)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler hung up: it had heard enough
            self.close_connection = True


class BombServer(DemoServer):
    def __init__(self, bombs: Bombs) -> None:
        super().__init__(0, DemoState(products=TEST_PRODUCTS, day=1, seed=1, faults=Faults()))
        self.RequestHandlerClass = BombHandler
        self.bombs = bombs

    @property
    def shop_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/{SITE}/"


@pytest.fixture
def serve() -> Iterator[Callable[[Bombs], BombServer]]:
    """Starts servers for the test; each stops when it ends."""
    servers: list[BombServer] = []

    def start(bombs: Bombs) -> BombServer:
        server = BombServer(bombs)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def products(shop_url: str) -> dict[str, str]:
    """The shop's true products: page path (relative to the server root) -> product id."""
    store = store_for(build_catalog(SITE, TEST_PRODUCTS, 1, 1))
    truths = (store.truth(product, shop_url) for product in store.catalog.products)
    return {urlsplit(truth["url"]).path.lstrip("/"): truth["product_id"] for truth in truths}


# --- crawling, with the crawl's peak memory ----------------------------------------------------


@dataclass
class MeasuredCrawl:
    returncode: int
    output: str
    product_ids: set[str]
    peak_rss_mb: float


def crawl_measured(shop_url: str, tmp_path: Path, timeout: float = 240) -> MeasuredCrawl:
    feed, log = tmp_path / "out.jsonl", tmp_path / "crawl.log"
    env = crawl_env(sqlite_url(tmp_path), tmp_path / "exports")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            crawl_command(shop_url, feed, {}), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env
        )
    deadline = time.monotonic() + timeout
    while True:
        # wait4 reports the child's own peak RSS (ru_maxrss, KiB), kept by the kernel.
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            os.kill(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.1)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8", errors="replace")
    print(f"crawl: exit {proc.returncode}, peak RSS {usage.ru_maxrss / 1024:.0f} MB")
    ids = {item["product_id"] for item in read_feed(feed)}
    return MeasuredCrawl(proc.returncode, output, ids, usage.ru_maxrss / 1024)


def assert_finished(run: MeasuredCrawl) -> None:
    assert run.returncode == 0, run.output[-4000:]
    assert "Spider closed (finished)" in run.output, run.output[-4000:]


def log_lines(run: MeasuredCrawl, level: str, text: str) -> list[str]:
    return [line for line in run.output.splitlines() if f"] {level}: " in line and text in line]


def stat(run: MeasuredCrawl, name: str) -> int | None:
    found = re.search(rf"'{re.escape(name)}': (\d+)", run.output)
    return int(found.group(1)) if found else None


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("good_sitemap", "encoding"),
    [
        pytest.param(True, None, id="beside-a-good-sitemap"),
        pytest.param(False, None, id="alone-then-listing-pages"),
        pytest.param(False, "gzip", id="content-encoding-then-listing-pages"),
    ],
)
def test_a_sitemap_bomb_is_skipped_with_one_warning(
    serve: Callable[[Bombs], BombServer], bomb: bytes, tmp_path: Path, good_sitemap: bool, encoding: str | None
) -> None:
    # "content-encoding": the .gz sent as gzip on the wire, so Scrapy unpacks it before the spider sees it.
    headers = {"Content-Type": "application/x-gzip", **({"Content-Encoding": encoding} if encoding else {})}
    sitemaps = [BOMB_SITEMAP] + ([f"{SITE}/1_index_sitemap.xml"] if good_sitemap else [])
    server = serve(Bombs({BOMB_SITEMAP: (bomb, headers)}, sitemaps))
    run = crawl_measured(server.shop_url, tmp_path)

    assert_finished(run)
    assert run.product_ids == set(products(server.shop_url).values())  # every product, by another route
    bomb_url = server.shop_url + BOMB_SITEMAP.removeprefix(f"{SITE}/")
    warnings = log_lines(run, "WARNING", f"sitemap {bomb_url}")
    assert len(warnings) == 1, run.output[-4000:]
    assert f"{SITEMAP_MAX_SIZE} bytes" in warnings[0] and "SITEMAP_MAX_SIZE" in warnings[0]
    assert stat(run, "sitemaps/too_large") == 1
    if not good_sitemap:
        assert "no usable sitemap; crawling listing pages" in run.output
    assert run.peak_rss_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


def test_a_broken_gzip_sitemap_is_skipped_and_listing_pages_crawled(
    serve: Callable[[Bombs], BombServer], tmp_path: Path
) -> None:
    broken = b"\x1f\x8b\x08\x00" + b"not deflate data" * 64  # a gzip header, then garbage
    server = serve(Bombs({BOMB_SITEMAP: (broken, {"Content-Type": "application/x-gzip"})}, [BOMB_SITEMAP]))
    run = crawl_measured(server.shop_url, tmp_path)

    assert_finished(run)
    assert run.product_ids == set(products(server.shop_url).values())
    bomb_url = server.shop_url + BOMB_SITEMAP.removeprefix(f"{SITE}/")
    assert len(log_lines(run, "WARNING", f"sitemap {bomb_url} is not readable gzip")) == 1, run.output[-4000:]
    assert "no usable sitemap; crawling listing pages" in run.output
    assert stat(run, "sitemaps/unreadable") == 1


@pytest.mark.parametrize("encoding", ["gzip", None], ids=["gzip-bomb", "plain-40-MiB"])
def test_a_page_past_download_maxsize_is_dropped_counted_and_logged(
    serve: Callable[[Bombs], BombServer], bomb: bytes, tmp_path: Path, encoding: str | None
) -> None:
    # gzip: 1.3 MB on the wire that would unpack to 1.25 GiB; plain: 40 MiB as it is, Content-Length first.
    body = bomb if encoding else b"<html><body>" + b" " * (40 * 2**20) + b"</body></html>"
    headers = {"Content-Type": "text/html; charset=utf-8", **({"Content-Encoding": encoding} if encoding else {})}
    server = serve(Bombs())
    pages = products(server.shop_url)
    page = sorted(pages)[0]
    server.bombs.paths[page] = (body, headers)
    run = crawl_measured(server.shop_url, tmp_path)

    assert_finished(run)
    assert run.product_ids == set(pages.values()) - {pages[page]}  # only that page's product is missing
    page_url = server.shop_url + page.removeprefix(f"{SITE}/")
    warnings = log_lines(run, "WARNING", page_url)  # Scrapy's own, with the sizes, then the spider's one line
    assert len(warnings) == 2 and all(str(DOWNLOAD_MAXSIZE) in line for line in warnings), run.output[-4000:]
    assert f"{SITE}: product page {page_url} failed (too_large: over DOWNLOAD_MAXSIZE" in warnings[1]
    assert stat(run, "pages/failed/too_large") == 1
    assert run.peak_rss_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"
