"""Bad input gets a clear error and loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ecommerce_scraper.config import ConfigError, load_sites
from testkit import zygote

from .conftest import ROOT, run_crawl

GOOD_PRODUCT = """<!DOCTYPE html><html><head><title>Merino 50g</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "Product", "name": "Merino 50g",
"sku": "M-50", "offers": {"@type": "Offer", "price": "4.90", "priceCurrency": "EUR",
"availability": "https://schema.org/InStock"}}</script></head>
<body><h1>Merino 50g</h1><p class="price">4,90 €</p></body></html>"""

PAGES = {
    "/good": GOOD_PRODUCT,
    "/no-product": "<!DOCTYPE html><html><head><title>About us</title></head>"
    "<body><h1>About us</h1><p>We love yarn.</p></body></html>",
    # Cut off by the server before the price and before </html>.
    "/truncated": "<!DOCTYPE html><html><head><title>Alpaca</title></head><body><h1>Alpaca Soft</h1><div class=",
    "/bad-price": """<!DOCTYPE html><html><head><title>Mohair</title></head><body>
<div class="product"><h1>Kid Mohair</h1><div class="price">Τιμή: ??? €</div>
<div class="stock">Διαθέσιμο</div><form><button>Προσθήκη στο καλάθι</button></form></div></body></html>""",
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = PAGES.get(self.path, "").encode()
        if self.path == "/robots.txt":
            body = b"User-agent: *\nDisallow:\n"
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def pages_root() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_bad_pages_lose_nothing_and_invent_nothing(pages_root: str, tmp_path: Path) -> None:
    urls = ",".join(f"{pages_root}{p}" for p in PAGES)
    items, proc = run_crawl("generic", tmp_path, f"url={urls}", "follow=false")
    assert proc.returncode == 0, proc.stderr[-2000:]
    by_name = {i["name"]: i for i in items}
    # The good page is extracted whatever its neighbours do.
    assert by_name["Merino 50g"]["price"] == "4.90"
    # A product whose price can't be read is kept, without a price (never 0), and reported.
    assert "Kid Mohair" in by_name
    assert by_name["Kid Mohair"]["price"] is None
    assert by_name["Kid Mohair"]["availability"] == "in_stock"
    assert "could not read a price from" in proc.stderr
    # No product from a page without product data, nor from a truncated page.
    assert set(by_name) == {"Merino 50g", "Kid Mohair"}
    assert "stays truncated" in proc.stderr
    assert "'pages/truncated_retried': 2" in proc.stderr


def _crawl_with_config(config_text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    config = tmp_path / "sites.json"
    config.write_text(config_text, encoding="utf-8")
    return zygote.run(
        [sys.executable, "-m", "scrapy", "crawl", "knitshop", "-s", "LOG_LEVEL=INFO"],
        cwd=ROOT,
        env={**os.environ, "SITES_CONFIG": str(config)},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        ('{"sites": {"knitshop": {"base_url": "https://k.example/",}}}', "not valid JSON"),
        ('{"sites": {"knitshop": {"base_url": "ftp://k.example/"}}}', "sites.knitshop.base_url"),
        ('{"sites": {"knitshop": {"base_url": "https://k.example/", "rate_limit": -1}}}', "sites.knitshop.rate_limit"),
        ('{"sites": {"knitshop": {"base_url": "https://k.example/", "platform": "wix"}}}', "sites.knitshop.platform"),
        ('{"sites": {"knitshop": {"base_url": "https://k.example/", "colour": "red"}}}', "sites.knitshop.colour"),
        ('{"sites": {"atmosphere": {"base_url": "https://a.example/"}}}', "sites.knitshop: missing"),
        (
            '{"sites": {"knitshop": {"base_url": "https://k.example/", "schedule": "61 3 * * *"}}}',
            "sites.knitshop.schedule: Value error, '61 3 * * *' is not a cron expression",
        ),
        ('{"sites": {"knitshop": {"base_url": "https://k.example/", "proxies": "maybe"}}}', "sites.knitshop.proxies"),
    ],
)
def test_broken_config_fails_at_start_naming_file_and_field(config_text: str, expected: str, tmp_path: Path) -> None:
    proc = _crawl_with_config(config_text, tmp_path)
    assert proc.returncode != 0
    assert expected in proc.stderr
    assert str(tmp_path / "sites.json") in proc.stderr or "config/sites.json" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Spider opened" not in proc.stderr  # nothing was crawled


def test_load_sites_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_sites(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"sites": {"x": {"base_url": "https://x.example", "currency": "euro"}}}))
    with pytest.raises(ConfigError, match=r"broken\.json: sites\.x\.currency"):
        load_sites(broken)


def test_shipped_config_is_valid() -> None:
    sites = load_sites()
    assert set(sites.sites) == {
        "atmosphere",
        "sittingknitting",
        "knitshop",
        "ili_ili",
        "triskeli",
        "manefa",
        "cityknitting",
    }
    assert all(s.base_url.startswith("https://") for s in sites.sites.values())


def test_generic_spider_rejects_bad_arguments(tmp_path: Path) -> None:
    _, proc = run_crawl("generic", tmp_path, "url=http://127.0.0.1:9/", "follow=maybe")
    assert "follow='maybe': expected true or false" in proc.stderr
