"""The export tree, from real crawls of the demo shop and from the database afterwards.

- A finished crawl writes ``exports/<site>/<crawl_id>/`` (full.csv, seo.csv, diff.csv,
  ``<site>.xlsx``), ``latest/`` copies and ``master.xlsx``; full.csv holds exactly the shop's
  products, in the documented column order, Greek intact, the formula-bait name as text.
- ``latest/`` follows the newest *finished* crawl: a crawl closed early leaves it alone.
- Any stored crawl is written again from the database with the same rows.
- Each file is recorded in ``exports`` with its sha256.
- Sightings: one row per product and crawl, whatever reruns and duplicates do.

Crawls run ``scrapy crawl`` in a subprocess (as in ``test_storage_robustness``), on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from demo_shops.catalog import FORMULA_BAIT_NAME
from ecommerce_scraper.exports.columns import FULL_COLUMNS, MASTER_CHANGES_COLUMNS, column_names
from ecommerce_scraper.exports.tree import switch_latest, write_crawl_exports, write_master
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import Crawl, CrawlProduct, Export
from ecommerce_scraper.storage.state import fingerprint, to_state
from ecommerce_scraper.storage.writer import CrawlWriter
from testkit import zygote
from testkit.crawling import (
    SITE,
    DemoShop,
    assert_finished,
    crawl,
    demo_shop,
    engine_for,
    start_crawl,
    wait_until,
)

from .conftest import ROOT, require_service, truth
from .test_export_files import _csv_fields

FILES = ("full.csv", "seo.csv", "diff.csv", f"{SITE}.xlsx", "report.html")


@pytest.fixture(scope="module")
def export_shop() -> Iterator[DemoShop]:
    with demo_shop(30) as shop:
        yield shop


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def csv_header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def crawl_status(url: str, crawl_id: str) -> str:
    with engine_for(url) as engine, engine.connect() as conn:
        return conn.scalar(select(Crawl.status).where(Crawl.site == SITE, Crawl.crawl_id == crawl_id))


def run(shop: DemoShop, url: str, exports: Path, feed: Path, **settings: object) -> str:
    result = crawl(shop.url(), url, exports, feed, **settings)
    if "CLOSESPIDER_ITEMCOUNT" in settings:
        assert result.returncode == 0, result.output[-4000:]
        assert "Spider closed (closespider_itemcount)" in result.output, result.output[-4000:]
    else:
        assert_finished(result)
    assert "could not write" not in result.output, result.output[-4000:]
    assert f"{SITE} crawl {result.crawl_id} exported to" in result.output
    assert f"'exports/{SITE}/files': 5" in result.output  # the stat, in the dumped stats
    return result.crawl_id


def test_crawls_write_the_tree_and_latest_follows_finished_crawls(
    export_shop: DemoShop, database_url: str, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    site_dir = exports / SITE
    export_shop.set_day(1)
    first = run(export_shop, database_url, exports, tmp_path / "first.jsonl")
    assert crawl_status(database_url, first) == "finished"

    folder = site_dir / first
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    # full.csv: exactly the shop's products, documented columns in order, Greek intact.
    expected = {p["product_id"]: p for p in truth(SITE, export_shop.root, products=30, day=1)}
    assert csv_header(folder / "full.csv") == column_names(FULL_COLUMNS)
    rows = read_csv(folder / "full.csv")
    assert sorted(row["product_id"] for row in rows) == sorted(expected)
    assert len(rows) == len(expected)
    by_id = {row["product_id"]: row for row in rows}
    greek = [pid for pid, product in expected.items() if any("\u0370" <= ch <= "\u03ff" for ch in product["name"])]
    assert greek, "the demo catalog should have Greek names"
    for pid in greek:
        assert by_id[pid]["name"] == expected[pid]["name"]
    for pid, product in expected.items():
        price = product.get("price")
        assert (Decimal(by_id[pid]["price"]) if by_id[pid]["price"] else None) == (
            Decimal(str(price)) if price is not None else None
        ), pid
        assert by_id[pid]["crawl_id"] == first
    # The formula bait is text: a leading quote in CSV, a string cell in Excel.
    bait = [row for row in rows if FORMULA_BAIT_NAME in row["name"]]
    assert [row["name"] for row in bait] == ["'" + FORMULA_BAIT_NAME]
    book = load_workbook(folder / f"{SITE}.xlsx")
    assert book.sheetnames == ["Products", "Variants", "Changes"]
    products = book["Products"]
    header = [cell.value for cell in products[1]]
    assert header == column_names(FULL_COLUMNS)
    id_col, name_col, price_col = header.index("product_id"), header.index("name"), header.index("price")
    sheet_rows = {row[id_col].value: row for row in products.iter_rows(min_row=2)}
    assert sorted(sheet_rows) == sorted(expected)
    bait_cells = [row[name_col] for row in sheet_rows.values() if row[name_col].value == FORMULA_BAIT_NAME]
    assert len(bait_cells) == 1 and bait_cells[0].data_type == "s"
    for pid, row in sheet_rows.items():
        assert row[name_col].value == expected[pid]["name"]
        assert row[price_col].value is None or row[price_col].data_type == "n"
    assert book["Variants"].max_row > 1  # the catalog has a product with variants
    assert (site_dir / "latest" / "full.csv").read_bytes() == (folder / "full.csv").read_bytes()
    master = load_workbook(exports / "master.xlsx")
    assert master.sheetnames == ["Summary", SITE, "All changes"]
    summary = [[cell.value for cell in row] for row in master["Summary"].iter_rows()]
    assert summary[1][:2] == [SITE, len(expected)]
    assert [c.value for c in master["All changes"][1]] == column_names(MASTER_CHANGES_COLUMNS)
    first_full = (folder / "full.csv").read_bytes()

    # A second finished crawl (the shop changed overnight) takes latest/.
    export_shop.set_day(2)
    try:
        second = run(export_shop, database_url, exports, tmp_path / "second.jsonl")
        assert crawl_status(database_url, second) == "finished"
        latest_full = (site_dir / "latest" / "full.csv").read_bytes()
        assert latest_full == (site_dir / second / "full.csv").read_bytes()
        assert read_csv(site_dir / second / "diff.csv"), "day 2 changed something"

        # A crawl closed early is partial: its files stay in its own folder, latest/ stays.
        third = run(export_shop, database_url, exports, tmp_path / "third.jsonl", CLOSESPIDER_ITEMCOUNT=3)
        assert crawl_status(database_url, third) == "partial"
        assert (site_dir / third / "full.csv").exists()
        assert (site_dir / "latest" / "full.csv").read_bytes() == latest_full
        summary = [
            [cell.value for cell in row] for row in load_workbook(exports / "master.xlsx")["Summary"].iter_rows()
        ]
        assert summary[1][header_index(summary[0], "status")] == "partial"
    finally:
        export_shop.set_day(1)

    # The first crawl, written again from the database: the same rows; latest/ stays.
    with engine_for(database_url) as engine:
        write_crawl_exports(engine, exports, SITE, first)
        write_master(engine, exports)
        with engine.connect() as conn:
            recorded = list(conn.execute(select(Export)))
    assert (folder / "full.csv").read_bytes() == first_full
    assert (site_dir / "latest" / "full.csv").read_bytes() == latest_full
    assert not [p for p in site_dir.iterdir() if p.name.startswith(".latest")]  # no staging left
    # Every file written is recorded with its checksum (the newest record of each path).
    newest: dict[str, Any] = {}
    for row in sorted(recorded, key=lambda r: r.id):
        newest[row.path] = row
    for crawl_id in (first, second, third):
        for name in FILES:
            row = newest[str(site_dir / crawl_id / name)]
            assert row.checksum == hashlib.sha256((site_dir / crawl_id / name).read_bytes()).hexdigest()
            assert row.crawl_id == crawl_id
    full_row = newest[str(folder / "full.csv")]
    assert full_row.kind == "full_csv" and full_row.rows == len(expected)
    master_row = newest[str(exports / "master.xlsx")]
    assert master_row.kind == "master_xlsx"
    assert master_row.checksum == hashlib.sha256((exports / "master.xlsx").read_bytes()).hexdigest()


def header_index(header: list[Any], name: str) -> int:
    return header.index(name)


def state(product_id: str, name: str, price: str) -> dict[str, Any]:
    return to_state(
        {
            "site": "shop",
            "product_id": product_id,
            "url": f"https://shop.example/{product_id}",
            "name": name,
            "price": Decimal(price),
            "currency": "EUR",
            "availability": "in_stock",
        }
    )


def sightings(url: str) -> list[tuple[str, str, str]]:
    with engine_for(url) as engine, engine.connect() as conn:
        rows = conn.execute(select(CrawlProduct.crawl_id, CrawlProduct.product_id, CrawlProduct.fingerprint))
        return sorted(tuple(row) for row in rows)


def test_sightings_keep_one_row_per_product_and_crawl(database_url: str, tmp_path: Path) -> None:
    engine = db.open_database(database_url)
    try:
        writer = CrawlWriter(engine, "shop", "c1", "shop")
        writer.start()
        one, two = state("p1", "Μαλλί", "4.50"), state("p2", "Wool", "3.00")
        writer.write_batch([one, two])
        better = to_state({**state("p1", "Μαλλί merino", "4.50"), "brand": "Drops"})
        writer.write_batch([better])  # a more complete duplicate of p1 in the same crawl replaces it
        writer.write_batch([better])  # a rerun batch
        writer.write_batch([one])  # a less complete copy again (after a resume): the better one stays
        writer.finish("finished", {})
        assert sightings(database_url) == sorted([("c1", "p1", fingerprint(better)), ("c1", "p2", fingerprint(two))])
        # The next crawl sees p1 unchanged: a sighting with the same fingerprint, no snapshot.
        later = CrawlWriter(engine, "shop", "c2", "shop")
        later.start()
        later.write_batch([better])
        later.finish("finished", {})
        assert ("c2", "p1", fingerprint(better)) in sightings(database_url)
        # Both crawls regenerate: c1 had two products, c2 one (the name c1 saw last).
        files = write_crawl_exports(engine, tmp_path, "shop", "c1")
        assert [p.name for p in files] == ["full.csv", "seo.csv", "diff.csv", "shop.xlsx", "report.html"]
        assert {r["product_id"]: r["name"] for r in read_csv(tmp_path / "shop" / "c1" / "full.csv")} == {
            "p1": "Μαλλί merino",
            "p2": "Wool",
        }
        write_crawl_exports(engine, tmp_path, "shop", "c2")
        c2 = read_csv(tmp_path / "shop" / "c2" / "full.csv")
        assert [(r["product_id"], r["price"], r["crawl_id"]) for r in c2] == [("p1", "4.50", "c2")]
        # c2 saw too few products to be trusted (partial): latest/ stays on c1.
        latest = (tmp_path / "shop" / "latest" / "full.csv").read_bytes()
        assert latest == (tmp_path / "shop" / "c1" / "full.csv").read_bytes()
        # A crawl without sightings (stored before they existed) is refused, not exported empty.
        with engine.begin() as conn:
            conn.execute(delete(CrawlProduct).where(CrawlProduct.crawl_id == "c2"))
        with pytest.raises(LookupError, match="no stored product list"):
            write_crawl_exports(engine, tmp_path, "shop", "c2")
    finally:
        engine.dispose()


def test_switch_latest_replaces_the_whole_folder(tmp_path: Path) -> None:
    site_dir = tmp_path / "shop"
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    (old / "full.csv").write_text("old")
    (old / "gone.csv").write_text("old only")
    (new / "full.csv").write_text("new")
    switch_latest(site_dir, [old / "full.csv", old / "gone.csv"])
    assert (site_dir / "latest" / "gone.csv").read_text() == "old only"
    switch_latest(site_dir, [new / "full.csv"])
    assert sorted(p.name for p in (site_dir / "latest").iterdir()) == ["full.csv"]
    assert (site_dir / "latest" / "full.csv").read_text() == "new"
    assert sorted(p.name for p in site_dir.iterdir()) == ["latest"]


def scrapy_export(url: str, exports: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "EXPORTS_DIR": str(exports)}
    cmd = [sys.executable, "-m", "scrapy", "export", *args]
    return zygote.run(cmd, cwd=ROOT, env=env, timeout=120)


def test_scrapy_export_rebuilds_stored_crawls(database_url: str, tmp_path: Path) -> None:
    engine = db.open_database(database_url)
    try:
        for crawl_id, products in (
            ("c1", [state("p1", "Μαλλί", "4.50"), state("p2", "Wool", "3.00")]),
            ("c2", [state("p1", "Μαλλί", "3.90"), state("p2", "Wool", "3.00")]),
        ):
            writer = CrawlWriter(engine, "shop", crawl_id, "shop")
            writer.start()
            writer.write_batch(products)
            writer.finish("finished", {})
    finally:
        engine.dispose()
    exports = tmp_path / "exports"

    result = scrapy_export(database_url, exports)
    assert result.returncode == 0, result.stderr[-3000:]
    # Without --crawl: the newest crawl (the newest finished one too), then the master workbook.
    assert sorted(p.name for p in (exports / "shop").iterdir()) == ["c2", "latest"]
    assert f"master workbook: {exports / 'master.xlsx'}" in result.stdout
    c2 = {r["product_id"]: r["price"] for r in read_csv(exports / "shop" / "latest" / "full.csv")}
    assert c2 == {"p1": "3.90", "p2": "3.00"}
    changes = read_csv(exports / "shop" / "c2" / "diff.csv")
    assert [(r["change_type"], r["product_id"], r["old"], r["new"]) for r in changes] == [
        ("price_down", "p1", "4.50", "3.90")
    ]
    master = load_workbook(exports / "master.xlsx")
    assert master.sheetnames == ["Summary", "shop", "All changes"]
    summary = [[cell.value for cell in row] for row in master["Summary"].iter_rows()]
    # products, in stock, on sale, average price (a number cell), changes of the last crawl
    assert summary[1][:6] == ["shop", 2, 2, 0, 3.45, 1]
    counts = dict(zip(summary[0], summary[1], strict=True))
    assert (counts["price_drops"], counts["price_rises"], counts["new"], counts["removed"]) == (1, 0, 0, 0)
    assert master["Summary"]["E2"].data_type == "n"

    # --crawl: an older crawl, written as it was; latest/ stays on the newest.
    result = scrapy_export(database_url, exports, "--site", "shop", "--crawl", "c1")
    assert result.returncode == 0, result.stderr[-3000:]
    c1 = {r["product_id"]: r["price"] for r in read_csv(exports / "shop" / "c1" / "full.csv")}
    assert c1 == {"p1": "4.50", "p2": "3.00"}
    assert (exports / "shop" / "latest" / "full.csv").read_bytes() == (
        exports / "shop" / "c2" / "full.csv"
    ).read_bytes()

    result = scrapy_export(database_url, exports, "--crawl", "nope")
    assert result.returncode == 1
    assert "no stored crawl matches" in result.stdout


# --- the tree's workbooks in LibreOffice; latest/ after a SIGKILL -----------------------------


def libreoffice_first_sheet(path: Path, out: Path) -> list[list[tuple[str, bool]]]:
    """The workbook's first sheet as LibreOffice reads it: (value, quoted) per cell, quoted = text."""
    # CSV filter tokens as in test_export_files: ',' '"' UTF-8, line 1, quote all text cells, raw values.
    options = "44,34,76,1,,0,true,true,false,false,false"
    proc = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{out}/lo-profile",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    converted = out / f"{path.stem}.csv"
    assert converted.exists(), proc.stdout + proc.stderr
    return [_csv_fields(line) for line in converted.read_text(encoding="utf-8").splitlines()]


def test_crawl_workbooks_open_in_libreoffice_with_numbers_and_safe_text(
    export_shop: DemoShop, database_url: str, tmp_path: Path
) -> None:
    require_service(shutil.which("libreoffice") is not None, "LibreOffice")
    exports = tmp_path / "exports"
    export_shop.set_day(1)
    crawl_id = run(export_shop, database_url, exports, tmp_path / "items.jsonl")
    expected = {p["product_id"]: p for p in truth(SITE, export_shop.root, products=30, day=1)}

    products = libreoffice_first_sheet(exports / SITE / crawl_id / f"{SITE}.xlsx", tmp_path / "lo-site")
    header = [value for value, _ in products[0]]
    assert header == column_names(FULL_COLUMNS)
    rows = [dict(zip(header, row, strict=True)) for row in products[1:]]
    assert sorted(row["product_id"][0] for row in rows) == sorted(expected)
    bait = [row["name"] for row in rows if FORMULA_BAIT_NAME in row["name"][0]]
    assert bait == [(FORMULA_BAIT_NAME, True)]  # shown as written, a text cell: nothing evaluated
    for row in rows:
        price = expected[row["product_id"][0]].get("price")
        if price is None:
            assert row["price"] == ("", False)
        else:
            assert row["price"][1] is False, row  # unquoted: a numeric cell
            assert Decimal(row["price"][0]) == Decimal(str(price))

    summary = libreoffice_first_sheet(exports / "master.xlsx", tmp_path / "lo-master")
    header = [value for value, _ in summary[0]]
    shop = dict(zip(header, summary[1], strict=True))
    assert shop["site"] == (SITE, True)
    assert shop["products"] == (str(len(expected)), False)
    assert shop["in_stock"][1] is False and shop["average_price"][1] is False
    assert Decimal(shop["average_price"][0]) > 0


def latest_files(site_dir: Path) -> dict[str, tuple[str, int]]:
    """latest/'s files: name -> (sha256, inode); a rewritten or replaced file changes its inode."""
    return {
        path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_ino)
        for path in sorted((site_dir / "latest").iterdir())
    }


def test_sigkill_mid_crawl_leaves_latest_on_the_previous_complete_crawl(
    export_shop: DemoShop, database_url: str, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    site_dir = exports / SITE
    export_shop.set_day(1)
    complete = run(export_shop, database_url, exports, tmp_path / "complete.jsonl")
    before = latest_files(site_dir)
    assert sorted(before) == sorted(FILES)
    for name, (checksum, _) in before.items():
        assert checksum == hashlib.sha256((site_dir / complete / name).read_bytes()).hexdigest()
    latest_inode = (site_dir / "latest").stat().st_ino

    batch = 5
    # One request at a time, a little apart: slow enough to be killed once some batches are in.
    killed = start_crawl(
        export_shop.url(),
        database_url,
        exports,
        tmp_path / "killed.jsonl",
        STORAGE_BATCH_SIZE=batch,
        CONCURRENT_REQUESTS=1,
        DOWNLOAD_DELAY=0.03,
    )
    try:
        with engine_for(database_url) as poll:
            wait_until(lambda: sightings_of_running_crawl(poll) >= 2 * batch, killed)
    finally:
        killed.kill()
    assert killed.proc.returncode == -signal.SIGKILL
    with engine_for(database_url) as engine, engine.connect() as conn:
        rows = conn.execute(select(Crawl.crawl_id, Crawl.status).where(Crawl.site == SITE))
        statuses = {row.crawl_id: row.status for row in rows}
    assert statuses[complete] == "finished"
    [killed_id] = [crawl_id for crawl_id, status in statuses.items() if status == "running"]

    assert (site_dir / "latest").stat().st_ino == latest_inode  # the same folder, never switched
    assert latest_files(site_dir) == before  # same files, same checksums, none rewritten
    assert not [p for p in site_dir.iterdir() if p.name.startswith(".latest")]
    # Whatever the killed crawl left, it is outside latest/ (and complete files only, if any).
    leftovers = sorted(p.name for p in (site_dir / killed_id).iterdir()) if (site_dir / killed_id).exists() else []
    assert set(leftovers) <= set(FILES), leftovers


def sightings_of_running_crawl(engine: Engine) -> int:
    """Products the running crawl has committed so far (0 until it has started)."""
    try:
        with engine.connect() as conn:
            running = select(Crawl.crawl_id).where(Crawl.site == SITE, Crawl.status == "running")
            query = select(func.count()).select_from(CrawlProduct).where(CrawlProduct.crawl_id.in_(running))
            return conn.scalar(query) or 0
    except SQLAlchemyError:
        return 0
