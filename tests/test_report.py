"""The end-of-crawl HTML report and the exports' index page (``exports/report.py``).

Crawls are written through the storage writer (as in ``test_export_tree``), on SQLite and
PostgreSQL: a small shop's day 1 and day 2, where day 2 has price drops and rises, a sale, new
and removed products, a product named ``<script>alert(1)</script>`` and ``javascript:`` URLs.
The report's figures, tables and charts are read back from the HTML; the page must escape
scraped text, link only http(s) URLs and load nothing from anywhere. Last, headless Chromium
opens the file: no console error, both charts drawn, a screenshot that is not blank.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector
from sqlalchemy import Engine, delete

from ecommerce_scraper.exports.report import write_index, write_report
from ecommerce_scraper.exports.report_charts import histogram_svg, history_svg
from ecommerce_scraper.exports.report_figures import MAX_LISTED, HistoryPoint, _Top, bucket_of
from ecommerce_scraper.exports.report_text import money, percent, safe_url
from ecommerce_scraper.exports.tree import write_crawl_exports, write_master
from ecommerce_scraper.settings import PLAYWRIGHT_LAUNCH_OPTIONS
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import CrawlProduct
from ecommerce_scraper.storage.state import to_state
from ecommerce_scraper.storage.writer import CrawlWriter

from .conftest import chromium_path, require_service
from .db import record_unseen_as_gone, sqlite_url

SITE = "yarnshop"
SCRIPT_NAME = "<script>alert(1)</script>"
EVIL_URLS = ("javascript:alert(1)", " java\tscript:alert(document.cookie)")


def state(
    product_id: str,
    name: str,
    price: str,
    *,
    site: str = SITE,
    regular: str | None = None,
    availability: str = "in_stock",
    url: str | None = None,
) -> dict[str, Any]:
    return to_state(
        {
            "site": site,
            "product_id": product_id,
            "url": url if url is not None else f"https://{site}.example/p/{product_id}",
            "name": name,
            "price": Decimal(price),
            "regular_price": Decimal(regular) if regular else None,
            "currency": "EUR",
            "availability": availability,
        }
    )


DAY_1 = [
    state("p1", "Merino", "10.00"),
    state("p2", "Alpaca", "20.00"),
    state("p3", "Cotton", "5.00"),
    state("p4", "Mohair", "8.00", availability="out_of_stock"),
    state("p5", "Silk", "30.00"),
    state("p6", "Bamboo", "12.00"),
    state("p7", "Tweed", "4.00"),  # gone on day 2
    state("p8", SCRIPT_NAME, "6.00", url=EVIL_URLS[0]),
]
DAY_2 = [
    state("p1", "Merino", "7.00"),  # -30 %: the biggest drop
    state("p2", "Alpaca", "18.00"),  # -10 %
    state("p3", "Cotton", "5.50"),  # +10 %
    state("p4", "Mohair", "8.00", availability="out_of_stock"),
    state("p5", "Silk", "36.00"),  # +20 %: the biggest rise
    state("p6", "Bamboo", "9.00", regular="12.00"),  # -25 % and on sale
    state("p8", SCRIPT_NAME, "6.60", url=EVIL_URLS[0]),  # +10 %
    state("p9", "Νέο μαλλί", "3.50"),  # new
    state("p10", "Chunky", "15.00", url=EVIL_URLS[1]),  # new, a disguised javascript: URL
]


def write_crawl(
    engine: Engine, site: str, crawl_id: str, states: list[dict[str, Any]], reason: str = "finished"
) -> None:
    writer = CrawlWriter(engine, site, crawl_id, site)
    writer.start()
    writer.write_batch(states)
    record_unseen_as_gone(writer)
    writer.finish(reason, {"response_received_count": 40})


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.open_database(database_url)
    yield engine
    engine.dispose()


def two_day_shop(engine: Engine, exports: Path) -> Path:
    """Day 1 and day 2 of the shop, their export files, day 2's report."""
    write_crawl(engine, SITE, "c1", DAY_1)
    write_crawl(engine, SITE, "c2", DAY_2)
    write_crawl_exports(engine, exports, SITE, "c1")
    files = write_crawl_exports(engine, exports, SITE, "c2")
    # The crawl's files include its report, and latest/ a copy of it (c2 is the newest finished).
    report = exports / SITE / "c2" / "report.html"
    assert report in files
    assert (exports / SITE / "latest" / "report.html").read_bytes() == report.read_bytes()
    return report


def figure(page: Selector, name: str) -> str:
    return page.css(f"#fig-{name} .value::text").get("").strip()


def text_of(node: Selector) -> str:
    return " ".join(" ".join(node.css("::text").getall()).split())


def table_rows(page: Selector, section: str) -> list[list[str]]:
    return [[text_of(cell) for cell in row.css("td")] for row in page.css(f"{section} tbody tr")]


def assert_self_contained(html: str, allowed_links: set[str]) -> None:
    """No script, no external resource; http(s) only in product links; never javascript:."""
    page = Selector(text=html)
    assert "<script" not in html.lower()
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?\s*(https?:)?//", html)
    assert not page.css("[src], script, iframe, object, embed, img, link[rel=stylesheet]")
    assert page.css("link::attr(href)").getall() == ["data:,"]  # the favicon: nothing to fetch
    assert {node.root.tag for node in page.css("[href]")} <= {"a", "link"}
    for href in page.css("a::attr(href)").getall():
        assert "javascript" not in re.sub(r"\s", "", href).lower(), href
        scheme = re.match(r"^([a-z][a-z0-9+.-]*):", href.strip(), re.IGNORECASE)
        assert scheme is None or href in allowed_links, href
    csp = page.css('meta[http-equiv="Content-Security-Policy"]::attr(content)').get("")
    assert "default-src 'none'" in csp


def test_report_of_a_crawl_with_changes(engine: Engine, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    path = two_day_shop(engine, exports)
    assert path == exports / SITE / "c2" / "report.html"
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        ["full.csv", "seo.csv", "diff.csv", f"{SITE}.xlsx", "report.html"]
    )  # written atomically: no temporary file left
    html = path.read_text(encoding="utf-8")
    page = Selector(text=html)

    assert page.css("h1::text").get() == SITE
    assert page.css("#status::text").get() == "finished"
    assert not page.css("#not-finished")
    # Headline figures: 9 products, p4 out of stock, p6 on sale; (7+18+5.5+8+36+9+6.6+3.5+15)/9.
    assert figure(page, "products") == "9"
    assert figure(page, "in-stock") == "8"
    assert figure(page, "out-of-stock") == "1"
    assert figure(page, "on-sale") == "1"
    assert figure(page, "average-price") == "€12.07"
    assert figure(page, "errors") == "0"
    assert figure(page, "changes") == "10"
    counts = {node.attrib["data-type"]: node.css("::text").get() for node in page.css("#change-types [data-type]")}
    assert counts == {"new": "2", "removed": "1", "price_down": "3", "price_up": "3", "sale_started": "1"}

    # The biggest moves first; names link to the product, old -> new price, delta.
    drops = table_rows(page, "#drops")
    assert [row[0].split()[0] for row in drops] == ["Merino", "Bamboo", "Alpaca"]
    assert drops[0][1:] == ["€10.00 → €7.00", "−30.0%"]
    assert page.css("#drops tbody tr a.name::attr(href)").get() == (f"https://{SITE}.example/p/p1")
    rises = table_rows(page, "#rises")
    assert [row[0] for row in rises] == ["Silk p5", "Cotton p3", f"{SCRIPT_NAME} p8"]  # ties: first detected first
    assert rises[0][1:] == ["€30.00 → €36.00", "+20.0%"]
    assert [row[0] for row in table_rows(page, "#new-products")] == ["Chunky p10", "Νέο μαλλί p9"]
    assert table_rows(page, "#new-products")[1][1] == "€3.50"
    assert table_rows(page, "#removed-products") == [["Tweed p7", "€4.00"]]
    assert not page.css(".more")  # short lists: nothing left out

    # Charts: 8 buckets with tooltips (drops -30 and -25 in the first), a point per crawl.
    bars = page.css("svg#price-changes rect.bar")
    assert len(bars) == 8
    assert [bar.css("title::text").get() for bar in bars][:2] == [
        "−20 % or more: 2 price drops",
        "−20 % to −10 %: 1 price drop",
    ]
    assert bars[6].css("title::text").get() == "+10 % to +20 %: 2 price rises"
    assert page.css("svg#price-changes title::text").get() == "Price changes by size (%)"
    assert page.css("svg#price-changes desc::text").get().startswith("3 price drops and 3 price rises")
    assert len(page.css("svg#product-history circle.dot")) == 2
    assert page.css("svg#product-history .axis-title::text").getall() == ["Crawl start (UTC)", "Products"]

    # Untrusted text is escaped; javascript: URLs are not links.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    script_cell = page.css("#rises tbody tr")[2]
    assert script_cell.css(".name::text").get() == SCRIPT_NAME and not script_cell.css("a.name")
    assert not page.xpath("//*[@href[contains(translate(., 'JAVASCRIPT', 'javascript'), 'javascript')]]")
    product_links = {f"https://{SITE}.example/p/{pid}" for pid in ("p1", "p2", "p3", "p5", "p6", "p7", "p9")}
    assert set(page.css("a.name::attr(href)").getall()) <= product_links
    assert_self_contained(html, product_links)
    # The crawl's files are linked relatively.
    assert {"diff.csv", "full.csv", f"{SITE}.xlsx", "../../index.html"} <= set(
        page.css("footer a::attr(href)").getall()
    )


def test_the_exports_report_is_the_one_read_from_the_database(engine: Engine, tmp_path: Path) -> None:
    """write_crawl_exports counts the report's figures in the passes that write the files (and reads
    only the listed products' states again): the page is the one write_report reads alone."""
    exports = tmp_path / "exports"
    written = two_day_shop(engine, exports).read_text(encoding="utf-8")
    alone = write_report(engine, exports, SITE, "c2").read_text(encoding="utf-8")

    def page(html: str) -> str:
        return re.sub(r"Generated [^<]*", "", html)

    assert "€3.50" in written and page(written) == page(alone)


def test_first_crawl_long_lists_and_a_crawl_with_no_products(engine: Engine, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    products = [state(f"p{i:03d}", f"Yarn {i:03d}", f"{i % 7 + 2}.50", site="big") for i in range(MAX_LISTED + 10)]
    write_crawl(engine, "big", "b1", products)
    page = Selector(text=write_report(engine, exports, "big", "b1").read_text(encoding="utf-8"))
    assert figure(page, "products") == str(MAX_LISTED + 10)
    assert "first crawl of this shop" in text_of(page.css("#fig-products")[0])
    assert "every product is new" in text_of(page.css("#new-products")[0])
    rows = table_rows(page, "#new-products")
    assert len(rows) == MAX_LISTED and rows[0][0] == "Yarn 000 p000"  # by name
    assert text_of(page.css("#new-products .more")[0]) == "… and 10 more new products, see diff.csv."
    assert "No price drops or rises in this crawl" in page.css("svg#price-changes .empty::text").get()
    assert [float(h) for h in page.css("svg#price-changes rect.bar::attr(height)").getall()] == [0.0] * 8
    assert len(page.css("svg#product-history circle.dot")) == 1  # a single point, no line
    assert not page.css("svg#product-history polyline")

    # The next crawl saw nothing: partial, and the page says so at the top.
    write_crawl(engine, "big", "b2", [], reason="closespider_timeout")
    html = write_report(engine, exports, "big", "b2").read_text(encoding="utf-8")
    page = Selector(text=html)
    assert page.css("#status::text").get() == "partial"
    alert = text_of(page.css("#not-finished")[0])
    assert "Partial crawl:" in alert and "saw 0 products" in alert and "not marked removed" in alert
    assert page.css("header.top.tone-warn")
    assert (figure(page, "products"), figure(page, "in-stock"), figure(page, "average-price")) == ("0", "0", "—")
    assert "▼ −60" in text_of(page.css("#fig-products")[0])
    assert "marks nothing removed" in text_of(page.css("#removed-products")[0])
    assert len(page.css("svg#product-history circle.dot")) == 2
    assert_self_contained(html, set())

    # A crawl stored without its product list (before sightings) or not at all: no report.
    with engine.begin() as connection:
        connection.execute(delete(CrawlProduct).where(CrawlProduct.crawl_id == "b1"))
    with pytest.raises(LookupError, match="no stored product list"):
        write_report(engine, exports, "big", "b1")
    with pytest.raises(LookupError, match="no crawl 'nope'"):
        write_report(engine, exports, "big", "nope")


def test_index_links_every_shop(engine: Engine, tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    report = two_day_shop(engine, exports)
    write_crawl(
        engine, "other", "o1", [state("x1", "Wool <b>bold</b>", "3.00", site="other")], reason="closespider_timeout"
    )
    write_master(engine, exports)

    path = write_index(engine, exports)
    assert path == exports / "index.html"
    html = path.read_text(encoding="utf-8")
    page = Selector(text=html)
    rows = {row.attrib["data-site"]: row for row in page.css("tbody tr")}
    assert list(rows) == ["other", SITE]
    shop = rows[SITE]
    assert shop.css("a.latest::attr(href)").get() == f"{SITE}/latest/report.html"
    assert shop.css("a.last::attr(href)").get() == f"{SITE}/c2/report.html"
    assert [text_of(cell) for cell in shop.css("td.num")] == ["9", "10", "0"]
    assert shop.css(".badge::text").get() == "finished"
    # A shop whose only crawl did not finish: flagged, no latest/, its folder not written.
    other = rows["other"]
    assert other.css(".badge::text").get() == "partial" and "tone-warn" in other.attrib["class"]
    assert not other.css("a") and "no files yet" in text_of(other)
    assert page.css("a#master::attr(href)").get() == "master.xlsx"
    assert "1 shop's last crawl did not finish" in text_of(page.css(".alert")[0])
    assert_self_contained(html, set())
    for href in page.css("a::attr(href)").getall():  # every link resolves
        assert (exports / href).exists(), href
    assert (exports / SITE / "latest" / "report.html").read_bytes() == report.read_bytes()


# --- the pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example/p/1?a=1&b=2", "https://shop.example/p/1?a=1&b=2"),
        ("  HTTP://shop.example/x ", "HTTP://shop.example/x"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        (" java\tscript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("https:javascript:alert(1)", None),
        ("//shop.example/p/1", None),
        ("/p/1", None),
        ("https://", None),
        ("http://[::1", None),
        (None, None),
        (42, None),
    ],
)
def test_safe_url(url: Any, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_money_and_percent_formats() -> None:
    assert money(Decimal("12.4"), "EUR") == "€12.40"
    assert money(Decimal("1234.5000"), "EUR") == "€1,234.50"
    assert money(Decimal("0.125"), "USD") == "$0.125"
    assert money(Decimal("12.40"), "CHF") == "CHF\u00a012.40"
    assert money(Decimal("12.40"), None) == "12.40"
    assert money(None, "EUR") == "—"
    assert percent(Decimal("-12.50")) == "−12.5%"
    assert percent(Decimal("8")) == "+8.0%"
    assert percent(Decimal("0")) == "0.0%"


@pytest.mark.parametrize(
    ("change_type", "delta", "bucket"),
    [
        ("price_down", "-50", 0),
        ("price_down", "-20", 0),
        ("price_down", "-19.99", 1),
        ("price_down", "-10", 1),
        ("price_down", "-5", 2),
        ("price_down", "-4.99", 3),
        ("price_down", "0.00", 3),  # a drop rounded to 0.00 % is still a drop
        ("price_up", "0.00", 4),
        ("price_up", "4.99", 4),
        ("price_up", "5", 5),
        ("price_up", "10", 6),
        ("price_up", "20", 7),
        ("price_up", "300", 7),
    ],
)
def test_price_change_buckets(change_type: str, delta: str, bucket: int) -> None:
    assert bucket_of(change_type, Decimal(delta)) == bucket


def test_top_keeps_only_n_items() -> None:
    top: _Top[int] = _Top(3)
    built: list[int] = []
    for value in [5, 1, 9, 7, 9, 3, 8, 2]:
        top.offer(value, lambda value=value: built.append(value) or value)
    assert top.items() == [9, 9, 8]
    assert (top.offered, top.more) == (8, 5)
    assert len(top._heap) == 3
    assert built == [5, 1, 9, 7, 9, 8]  # rows are made only when kept
    smallest: _Top[str] = _Top(2, smallest=True)
    for name in ["delta", "alpha", "charlie", "bravo"]:
        smallest.offer(name, name)
    assert smallest.items() == ["alpha", "bravo"]


def test_charts_escape_their_text_and_handle_no_data() -> None:
    empty = histogram_svg([0] * 8)
    assert "No price drops or rises" in empty and 'height="0"' in empty
    point = HistoryPoint('<x onload="alert(1)">', None, 0, "running", current=True)
    chart = history_svg([point])
    assert "<x onload" not in chart and "&lt;x onload=&#34;alert(1)&#34;&gt;" in chart
    assert 'class="dot warn current"' in chart


# --- in Chromium --------------------------------------------------------------------------------


def png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB(A) rows of an 8-bit PNG (filters undone)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    position, idat, header = 8, b"", b""
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    step = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * step
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(row[i : i + 3]) for row in rows for i in range(0, len(row), step)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_service(chromium_path() is not None, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=PLAYWRIGHT_LAUNCH_OPTIONS["args"]
        )
        yield chromium
        chromium.close()


@pytest.mark.browser
def test_report_renders_in_chromium(browser: Any, tmp_path: Path) -> None:
    engine = db.open_database(sqlite_url(tmp_path))
    try:
        report = two_day_shop(engine, tmp_path / "exports")
    finally:
        engine.dispose()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(report.as_uri(), wait_until="load")
        assert page.title() == f"{SITE} · finished crawl c2"
        for chart in ("#price-changes", "#product-history"):
            box = page.locator(f"svg{chart}").bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100, (chart, box)
        assert page.locator("svg#price-changes rect.bar").count() == 8
        assert page.locator("#fig-average-price .value").inner_text() == "€12.07"
        shot = page.screenshot(full_page=True)
        chart = page.locator("svg#price-changes").screenshot()
        page.goto("about:blank")
        blank = page.screenshot(full_page=True)
    finally:
        page.close()
    assert errors == []
    assert requests == [report.as_uri()]  # the page itself; nothing else fetched
    assert shot.startswith(b"\x89PNG") and len(shot) > 30_000 and shot != blank
    width, height, pixels = png_pixels(chart)
    assert width > 200 and height > 100
    colours = set(pixels)
    assert len(colours) > 20  # text, grid, bars: not a blank image
    assert any(g > r + 60 and g > b + 30 for r, g, b in colours)  # green drop bars
    assert any(r > g + 60 and r > b + 40 for r, g, b in colours)  # red rise bars
