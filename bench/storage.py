"""Storage throughput and memory at catalog scale, printed (never asserted).

``.venv/bin/python -m bench.storage [--products N]`` (default 100,000; ``make bench`` runs it last):

1. Three crawls of one N-product shop written through ``CrawlWriter.write_batch`` in batches of
   500 (the pipeline's default), into a temporary SQLite file and into a fresh schema of the
   PostgreSQL database ``test`` (dropped afterwards): a first crawl (all new: inserts, snapshots,
   ``new`` changes), a second with nothing changed (only ``last_seen`` updates), a third with 5%
   of the products changed (prices, stock, variants: the diff against the previous state).
2. Each crawl runs in its own subprocess, so its peak RSS (``ru_maxrss``) is that crawl's alone.
3. Beside them, in the same run, the floor: the catalog's first-crawl product rows (the same 16
   columns and JSON states) written raw into a scratch table without indexes, by ``COPY`` on
   PostgreSQL and one ``executemany`` per batch on SQLite; and on PostgreSQL ``COPY`` of narrow
   rows (three short text columns), the figure issue 16 quotes (about 300,000 rows/s).
   Each crawl also prints its CPU seconds (the writing process, plus on PostgreSQL the server's
   backend), steadier than wall time on a shared machine, and the load average when it ran.
4. What a crawl's reactor pays: the per-item work it does itself (the dedup pipeline's
   fingerprint and completeness, ``to_state``), and how late a 5 ms timer in the main thread
   fires while another thread writes batches (the pipeline's ``deferToThread``): the writes
   themselves never run on the reactor, but they hold the GIL while in Python code.

Products are synthetic (Greek names, ``Decimal`` prices, 0-4 variants, SEO fields), built one
at a time from their index into temporary files once (on every core), and streamed from there by
each crawl: nothing ever holds the catalog, so memory stays flat whatever N is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from queue import Queue
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ecommerce_scraper.storage.batch import PRODUCT_COLUMNS, product_values
from ecommerce_scraper.storage.bulk import BulkWriter, json_text
from ecommerce_scraper.storage.db import DatabaseError, mask_url, open_database
from ecommerce_scraper.storage.models import Product
from ecommerce_scraper.storage.state import fingerprint_and_completeness, to_state
from ecommerce_scraper.storage.writer import CrawlWriter, iter_chunks

from .catalog import (
    SITE,
    check_states,
    prepare_states,
    product_item,
    read_states,
    write_states,
)
from .cpu import ServerCpu, load_average

ROOT = Path(__file__).resolve().parent.parent

BATCH_SIZE = 500  # STORAGE_BATCH_SIZE's default
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STALL_PRODUCTS = 3_000  # products written by a worker thread while the main thread ticks
STALL_TICK_S = 0.005

#: issue 16's goals, rows/s: (database, crawl) -> goal
GOALS: dict[tuple[str, int], int] = {("PG", 1): 30_000, ("PG", 2): 50_000, ("SQLite", 1): 20_000, ("SQLite", 2): 20_000}

#: crawl number -> its label
CRAWLS: dict[int, str] = {
    1: "1st crawl: all new",
    2: "2nd crawl: unchanged",
    3: "3rd crawl: 5% changed (diff)",
}


def reactor_states(products: int, crawl: int, timings: list[float]) -> Iterator[dict[str, Any]]:
    """States built as a crawl does, item by item; the reactor's share is timed into ``timings[0]``."""
    for index in range(products):
        item = product_item(index, crawl)
        started = time.perf_counter()
        # What runs on the reactor per item: DedupPipeline (fingerprint and completeness), then to_state.
        item["fingerprint"], _ = fingerprint_and_completeness(item)
        state = to_state(item)
        timings[0] += time.perf_counter() - started
        yield state


# --- one crawl, in a subprocess -------------------------------------------------------------


def run_crawl(url: str, crawl: int, paths: list[Path]) -> dict[str, Any]:
    """Write crawl ``crawl`` of the catalog in ``paths`` into ``url`` and close it; figures as a dict."""
    engine = open_database(url)
    base_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    writer = CrawlWriter(engine, SITE, f"bench-{crawl}", "bench")
    writer.start()
    stand_in_for_autovacuum = _autovacuum_off(engine)
    batch_seconds: list[float] = []
    products = changes = 0
    analyze_seconds = cpu_seconds = 0.0
    server = ServerCpu(engine)
    for batch in iter_chunks(read_states(paths, crawl), BATCH_SIZE):
        products += len(batch)
        batch_started, cpu_started = time.perf_counter(), time.process_time()
        changes += writer.write_batch(batch)
        cpu_seconds += time.process_time() - cpu_started
        batch_seconds.append(time.perf_counter() - batch_started)
        if stand_in_for_autovacuum and len(batch_seconds) == 1:
            server.pause()
            analyze_seconds = _analyze(engine)
            server.resume()
    server_seconds = server.seconds()
    finish_started = time.perf_counter()
    outcome = writer.finish("finished", {"response_received_count": products})
    finish_seconds = time.perf_counter() - finish_started
    engine.dispose()
    return {
        "products": products,
        "batches": len(batch_seconds),
        "changes": changes,
        "status": outcome.status,
        "write_seconds": sum(batch_seconds),
        "cpu_seconds": cpu_seconds,
        "server_cpu_seconds": server_seconds,
        "load": load_average(),
        "batch_mean": statistics.fmean(batch_seconds),
        "batch_max": max(batch_seconds),
        "finish_seconds": finish_seconds,
        "analyze_seconds": analyze_seconds if stand_in_for_autovacuum else None,
        "wall_seconds": time.perf_counter() - started,
        "base_rss_mb": base_rss_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _autovacuum_off(engine: Engine) -> bool:
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        return connection.execute(text("SHOW autovacuum")).scalar() == "off"


def _analyze(engine: Engine) -> float:
    """ANALYZE the tables the writer reads, as autovacuum does when a table has grown (PostgreSQL
    plans a batch's lookup as a scan of every product of the shop while a table has no statistics)."""
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE products, snapshots, changes"))
        connection.commit()
    return time.perf_counter() - started


def run_raw(url: str, paths: list[Path]) -> dict[str, Any]:
    """The floor: the first crawl's product rows written raw (``COPY`` on PostgreSQL, ``executemany``
    on SQLite, the writer's own :class:`~ecommerce_scraper.storage.bulk.BulkWriter`) into a scratch
    table without indexes, a transaction per batch; on PostgreSQL also narrow rows. Rows are
    built before each batch's clock starts."""
    engine = open_database(url)
    wide = Table("bench_raw_products", MetaData(), *(Column(c, Product.__table__.c[c].type) for c in PRODUCT_COLUMNS))
    narrow = Table("bench_raw_narrow", MetaData(), *(Column(c, String(64)) for c in ("site", "product_id", "fp")))
    figures: dict[str, Any] = {"load": load_average()}
    for table in (wide, narrow) if engine.dialect.name == "postgresql" else (wide,):
        table.create(engine)
        seconds = cpu = 0.0
        rows_written = 0
        server = ServerCpu(engine)
        for batch in iter_chunks(read_states(paths, 1), BATCH_SIZE):
            now = datetime.now(UTC)
            rows = [
                product_values(SITE, "raw", s, s["fingerprint"], json_text(s), now)
                if table is wide
                else (SITE, s["product_id"], s["fingerprint"])
                for s in batch
            ]
            server.resume()
            started, cpu_started = time.perf_counter(), time.process_time()
            with engine.begin() as connection:
                BulkWriter(connection).insert(table, [c.name for c in table.c], rows)
            seconds += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            server.pause()
            rows_written += len(rows)
        figures[table.name] = {
            "rows": rows_written,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "server_cpu_seconds": server.seconds(resumed=False),
        }
        table.drop(engine)
    engine.dispose()
    return figures


def run_stall(url: str, products: int) -> dict[str, Any]:
    """A 4th crawl's first ``products`` written by a worker thread, one batch at a time as the
    pipeline does, while the main thread (the reactor) prepares items and ticks every 5 ms."""
    engine = open_database(url)
    writer = CrawlWriter(engine, SITE, "bench-4", "bench")
    writer.start()
    batches: Queue[list[dict[str, Any]] | None] = Queue(maxsize=2)
    batch_seconds: list[float] = []
    failures: list[Exception] = []

    def write_all() -> None:
        while (batch := batches.get()) is not None:
            if failures:
                continue  # keep taking batches, or the main thread would wait on a full queue forever
            batch_started = time.perf_counter()
            try:
                writer.write_batch(batch)
            except Exception as exc:  # raised again in the main thread
                failures.append(exc)
            batch_seconds.append(time.perf_counter() - batch_started)

    worker = threading.Thread(target=write_all)
    worker.start()
    lateness: list[float] = []
    reactor_side = [0.0]
    # Crawl 4 reverts crawl 3's changes (it sees the unchanged catalog): a diff on 5% again.
    for batch in iter_chunks(reactor_states(products, 2, reactor_side), BATCH_SIZE):
        batches.put(batch)
        for _ in range(4):  # the reactor idles between responses: a timer shows how late it wakes
            due = time.perf_counter() + STALL_TICK_S
            time.sleep(STALL_TICK_S)
            lateness.append(time.perf_counter() - due)
    batches.put(None)
    while worker.is_alive():
        due = time.perf_counter() + STALL_TICK_S
        time.sleep(STALL_TICK_S)
        lateness.append(time.perf_counter() - due)
    worker.join()
    engine.dispose()
    if failures:
        raise failures[0]
    lateness.sort()
    return {
        "batches": len(batch_seconds),
        "batch_mean": statistics.fmean(batch_seconds),
        "batch_max": max(batch_seconds),
        "ticks": len(lateness),
        "late_p50_ms": lateness[len(lateness) // 2] * 1000,
        "late_max_ms": lateness[-1] * 1000,
        "reactor_us_per_item": reactor_side[0] / products * 1e6,
    }


def in_subprocess(*args: str) -> dict[str, Any]:
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.storage", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
            timeout=900,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"bench/storage.py {' '.join(args[:2])} took over 15 minutes") from None
    if out.returncode != 0:
        raise RuntimeError(f"bench/storage.py {' '.join(args[:2])} failed:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- databases ------------------------------------------------------------------------------


class PostgresSchema:
    """A fresh schema in the test database for the bench's tables; dropped on exit."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.schema = f"bench_storage_{uuid.uuid4().hex[:10]}"
        self.engine = create_engine(base_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})

    @property
    def url(self) -> str:
        joiner = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{joiner}options=-csearch_path%3D{self.schema}"

    def __enter__(self) -> PostgresSchema:
        with self.engine.connect() as connection:
            self.server = str(connection.execute(text("SHOW server_version")).scalar()).split()[0]
            connection.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self.engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.engine.dispose()


# --- report ---------------------------------------------------------------------------------

Figures = dict[str, Any]


def bench_database(
    label: str,
    url: str,
    paths: list[Path],
    products: int,
    results: list[Figures],
    stalls: dict[str, Figures],
    floors: dict[str, Figures],
) -> None:
    """The three crawls into ``url`` (one subprocess each, rows printed as they come), the raw
    writes beside them, then the stall test; figures are added to ``results``, ``floors`` and
    ``stalls`` as they come, so a failure keeps the others."""
    rows = []
    for crawl, crawl_label in CRAWLS.items():
        figures = in_subprocess("--crawl", str(crawl), "--url", url, "--states", *map(str, paths))
        rows.append({"database": label, "crawl": crawl, **figures})
        results.append(rows[-1])
        print(_row(label, crawl_label, figures), flush=True)
    floors[label] = raw = in_subprocess("--raw", "--url", url, "--states", *map(str, paths))
    how = "COPY" if label.startswith("PG") else "executemany"
    for table, what in (("bench_raw_products", "the 1st crawl's product rows"), ("bench_raw_narrow", "narrow rows")):
        if table in raw:
            f = raw[table]
            print(
                f"  {label:11s} {'raw ' + how + ', ' + what:43s} {f['seconds']:8.1f} {f['rows'] / f['seconds']:8.0f}"
                f"   (no index, a transaction per {BATCH_SIZE}; CPU s {_cpu(f)}; load {raw['load']})",
                flush=True,
            )
    analyzed = [f["analyze_seconds"] for f in rows if f["analyze_seconds"] is not None]
    if analyzed:
        print(
            f"  {'':11s} (autovacuum is off on this server: each crawl ran ANALYZE after its first batch, as "
            f"autovacuum would; {max(analyzed):.2f} s at most, not counted above.\n  {'':11s}  Without table "
            "statistics PostgreSQL reads every product of the shop for each batch: O(catalog) per batch.)",
            flush=True,
        )
    try:
        stalls[label] = in_subprocess("--stall", "--url", url, "--products", str(min(products, STALL_PRODUCTS)))
    except RuntimeError as err:
        print(f"  {label:11s} the reactor test failed: {err}", flush=True)


HEADER = (
    f"  {'database':11s} {'crawl':30s} {'changes':>8s} {'write s':>8s} {'rows/s':>8s} {'CPU s':>11s} "
    f"{'batch mean s':>12s} {'batch max s':>11s} {'finish s':>8s} {'crawl s':>8s}  {'RSS MB base/peak':>16s}  load"
)


def _row(label: str, crawl_label: str, f: Figures) -> str:
    rate = f["products"] / f["write_seconds"] if f["write_seconds"] else 0.0
    return (
        f"  {label:11s} {crawl_label:30s} {f['changes']:8d} {f['write_seconds']:8.1f} {rate:8.0f} {_cpu(f):>11s} "
        f"{f['batch_mean']:12.3f} {f['batch_max']:11.3f} {f['finish_seconds']:8.2f} {f['wall_seconds']:8.1f}  "
        f"{f['base_rss_mb']:9.0f} / {f['peak_rss_mb']:.0f}  {f['load']}"
    )


def _cpu(f: Figures) -> str:
    """CPU seconds of the write_batch calls: this process, plus the server's backend when known."""
    if f.get("server_cpu_seconds") is None:
        return f"{f['cpu_seconds']:.2f}"
    return f"{f['cpu_seconds']:.2f}+{f['server_cpu_seconds']:.2f}"


def main(products: int = 100_000) -> None:
    started = time.perf_counter()
    print(
        f"storage bench: {products:,} products, batches of {BATCH_SIZE}, 3 crawls per database, "
        f"{os.cpu_count()} cores (figures printed, never asserted)",
        flush=True,
    )
    results: list[Figures] = []
    stalls: dict[str, Figures] = {}
    floors: dict[str, Figures] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    try:
        check_states()
        paths = prepare_states(products, tmp)
        print(
            f"  ({products:,} product states built in {time.perf_counter() - started:.0f} s. Per crawl, one process "
            "each: write s = the write_batch calls;\n   crawl s = the whole crawl: reading states, writes, finish; "
            "CPU s = the write_batch calls' CPU seconds,\n   this process + on PostgreSQL the server's backend: "
            "steadier than wall time on a shared machine)"
        )
        print(HEADER, flush=True)
        sqlite_url = f"sqlite:///{tmp / 'catalog.sqlite3'}"
        bench_database("SQLite", sqlite_url, paths, products, results, stalls, floors)
        try:
            with PostgresSchema(POSTGRES_URL) as pg:
                bench_database(f"PG {pg.server}", pg.url, paths, products, results, stalls, floors)
        except (OSError, RuntimeError, SQLAlchemyError) as err:  # no server: PostgreSQL skipped, not the bench
            print(f"  PostgreSQL at {mask_url(POSTGRES_URL)}: not measured (or not all of it): {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _goals(results, floors)
    _summary(results, stalls, products)
    print(f"storage bench done in {time.perf_counter() - started:.0f} s")


def _goals(results: list[Figures], floors: dict[str, Figures]) -> None:
    """Each crawl's rows/s beside issue 16's goal and the raw write of the same rows."""
    print("issue 16's goals (rows/s in write_batch; before this issue: PG 1,250 first crawl, 3,000 unchanged):")
    for f in results:
        goal = GOALS.get((f["database"].split()[0], f["crawl"]))
        if goal is None:
            continue
        rate = f["products"] / f["write_seconds"]
        line = f"  {f['database']:11s} {CRAWLS[f['crawl']]:30s} {rate:8.0f}  goal >= {goal:,}: {rate / goal:4.2f} of it"
        raw = floors.get(f["database"], {})
        for table, what in (("bench_raw_products", "raw, same rows"), ("bench_raw_narrow", "raw COPY, narrow rows")):
            if table in raw:
                line += f"; {rate / (raw[table]['rows'] / raw[table]['seconds']):4.2f} of {what}"
        print(line)


def _summary(results: list[Figures], stalls: dict[str, Figures], products: int) -> None:
    print(f"diff of a {products:,}-product catalog against its previous state, 5% changed (the 3rd crawl):")
    for f in results:
        if f["crawl"] == 3:
            print(
                f"  {f['database']:11s} {f['wall_seconds']:6.1f} s in all ({f['write_seconds']:.1f} s in write_batch), "
                f"{f['changes']} changes, peak RSS {f['peak_rss_mb']:.0f} MB"
            )
    print(f"what a crawl's reactor pays per {BATCH_SIZE}-item batch:")
    for label in dict.fromkeys(f["database"] for f in results):
        figures = [f for f in results if f["database"] == label]
        batches = sum(f["batches"] for f in figures)
        mean = sum(f["write_seconds"] for f in figures) / batches
        worst = max(f["batch_max"] for f in figures)
        print(
            f"  {label:11s} the write, in a worker thread (never on the reactor): "
            f"mean {mean:.3f} s, max {worst:.3f} s over {batches} batches"
        )
    for label, s in stalls.items():
        print(
            f"  {label:11s} on the reactor itself: {s['reactor_us_per_item'] * BATCH_SIZE / 1000:.0f} ms "
            f"({s['reactor_us_per_item']:.0f} us/item: dedup fingerprint + completeness, to_state)\n"
            f"  {'':11s} while a thread writes {s['batches']} batches (mean {s['batch_mean']:.3f} s: the reactor's "
            f"work shares the GIL), a {STALL_TICK_S * 1000:.0f} ms timer on the reactor thread fires late by "
            f"p50 {s['late_p50_ms']:.1f} ms, max {s['late_max_ms']:.1f} ms"
        )


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000, help="catalog size (default 100000)")
    # Internal: one measurement in a subprocess of its own (so its peak RSS is its own).
    parser.add_argument("--prepare", nargs=3, metavar=("FIRST", "STOP", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--crawl", type=int, choices=sorted(CRAWLS), help=argparse.SUPPRESS)
    parser.add_argument("--states", nargs="+", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stall", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    args = _parse_args()
    try:
        if args.prepare:
            write_states(int(args.prepare[0]), int(args.prepare[1]), Path(args.prepare[2]))
        elif args.crawl:
            print(json.dumps(run_crawl(args.url, args.crawl, args.states)))
        elif args.raw:
            print(json.dumps(run_raw(args.url, args.states)))
        elif args.stall:
            print(json.dumps(run_stall(args.url, args.products)))
        else:
            main(args.products)
    except DatabaseError as error:
        sys.exit(f"bench/storage.py: {error}")
