"""Export speed and memory at catalog scale, printed (never asserted).

``.venv/bin/python -m bench.exports [--products N ...]`` (default 10,000 then 100,000; ``make bench`` runs it last):
full.csv and the ``<site>.xlsx`` workbook (Products, Variants, Changes) of an N-product crawl,
written through the same writers ``exports/tree.py`` uses (``atomic_open`` + ``CsvRowWriter``
a batch at a time, ``XlsxWriter``), from a generator of synthetic stored states (``bench/catalog.py``),
never from the database. Each file is written in a subprocess of its own, so its peak RSS
(``ru_maxrss``) is that file's alone. Printed next to each figure: rows/s, CPU seconds (steadier than
wall time on a shared machine), and issue 16's figure before and its goal, scaled to the catalog.
full.csv's baselines, in the same run: the same file one row at a time (``write_row``: a getter and
a conversion call per cell, then the csv module, as full.csv was written before), and the csv module
alone writing the same cells prepared beforehand (its floor: quoting and encoding only).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.catalog import FIRST_PRODUCT_ID, SITE, item_state
from ecommerce_scraper.exports.columns import (
    DIFF_COLUMNS,
    FULL_COLUMNS,
    VARIANT_COLUMNS,
    change_direction,
    column_names,
    variant_rows,
)
from ecommerce_scraper.exports.csvbatch import batches
from ecommerce_scraper.exports.csvfile import CSV_ENCODING, CsvRowWriter, atomic_open, csv_row
from ecommerce_scraper.exports.xlsxfile import XlsxWriter

ROOT = Path(__file__).resolve().parent.parent

#: kind -> label printed
FIGURES: dict[str, str] = {
    "csv": "full.csv",
    "csv-rows": "  baseline: full.csv one row at a time",
    "csv-module": "  baseline: csv module, cells prepared",
    "xlsx": f"{SITE}.xlsx (Products, Variants, Changes)",
}
#: full.csv's baselines: each printed with full.csv's share of its time.
CSV_BASELINES = ("csv-rows", "csv-module")
#: A figure's subprocess gives up after this long.
TIMEOUT_S = 600
#: Distinct synthetic products the states are copied from.
POOL = 1000
#: The workbook figure can be capped (BENCH_XLSX_PRODUCTS) on a slow machine; by default it is the full catalog.
XLSX_MAX_PRODUCTS = int(os.environ.get("BENCH_XLSX_PRODUCTS", "1000000"))


def states(products: int) -> Iterator[dict[str, Any]]:
    """The crawl's stored states, one at a time (as ``tree.crawl_states`` streams them).

    Built from a pool of ``POOL`` distinct products with their own ids and URLs: building each
    state from scratch costs 0.5 ms, which would hide what the writers themselves cost.
    """
    pool = [item_state(index, 1) for index in range(min(POOL, products))]
    for index in range(products):
        template = pool[index % len(pool)]
        product_id = str(FIRST_PRODUCT_ID + index)
        url = template["canonical_url"].replace(template["product_id"], product_id)
        yield {**template, "product_id": product_id, "url": url, "canonical_url": url}


def write_full_csv(path: Path, products: int) -> int:
    # As tree.write_crawl_exports writes full.csv: a text stream over atomic_open's binary file,
    # the states in batches (the same lists that go on to the workbook).
    with atomic_open(path) as raw:
        stream = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
        writer = CsvRowWriter(stream, FULL_COLUMNS)
        writer.write_header()
        for batch in batches(states(products)):
            writer.write_rows(batch)
        stream.flush()
        stream.detach()
    return writer.rows


def write_full_csv_by_rows(path: Path, products: int) -> int:
    # Baseline: full.csv as it was written before, one row at a time through the csv module.
    with atomic_open(path) as raw:
        stream = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
        writer = CsvRowWriter(stream, FULL_COLUMNS)
        writer.write_header()
        for state in states(products):
            writer.write_row(state)
        stream.flush()
        stream.detach()
    return writer.rows


def prepared_cells(products: int) -> list[list[str]]:
    """full.csv's cells, made before the clock starts for the csv module's baseline."""
    return [csv_row(FULL_COLUMNS, state) for state in states(products)]


def write_prepared_csv(path: Path, rows: list[list[str]]) -> int:
    # Baseline: the csv module alone (quoting and encoding), writing cells already made.
    with atomic_open(path) as raw:
        stream = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
        writer = csv.writer(stream, dialect="excel")
        writer.writerow(column_names(FULL_COLUMNS))
        writer.writerows(rows)
        stream.flush()
        stream.detach()
    return len(rows)


def write_workbook(path: Path, products: int) -> int:
    with XlsxWriter(path) as book:
        product_sheet = book.add_sheet("Products", FULL_COLUMNS)
        variant_sheet = book.add_sheet("Variants", VARIANT_COLUMNS)
        book.add_sheet("Changes", DIFF_COLUMNS, highlight=change_direction)
        for state in states(products):
            product_sheet.append(state)
            variant_sheet.extend(variant_rows((state,)))
        return product_sheet.rows


def measure(kind: str, products: int, folder: Path) -> dict[str, Any]:
    """Runs in its own process: write one file, report seconds, peak RSS and size."""
    path = folder / (f"{SITE}.xlsx" if kind == "xlsx" else f"{kind}.csv")
    prepared = prepared_cells(products) if kind == "csv-module" else []
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if kind == "csv":
        rows = write_full_csv(path, products)
    elif kind == "csv-rows":
        rows = write_full_csv_by_rows(path, products)
    elif kind == "csv-module":
        rows = write_prepared_csv(path, prepared)
    else:
        rows = write_workbook(path, products)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "rows": rows,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": peak_kb / 1024,
        "size_mb": path.stat().st_size / 1e6,
    }


def _cpu_seconds() -> float:
    # CPU time (user + system) of this process: steadier than wall time on a shared, loaded machine.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_subprocess(kind: str, products: int, folder: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.exports",
        "--products",
        str(products),
        "--figure",
        kind,
        "--folder",
        str(folder),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False, timeout=TIMEOUT_S)
    if out.returncode != 0:
        raise RuntimeError(f"bench/exports.py --figure {kind} failed:\n{out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


#: Issue 16's figures for 100,000 products on the 2-core bench machine: kind -> (measured before, goal), seconds.
ISSUE_16_SECONDS: dict[str, tuple[float, float]] = {"csv": (14.0, 3.0), "xlsx": (83.0, 20.0)}
#: Issue 16's goal for a workbook's peak RSS, whatever the catalog's size.
XLSX_PEAK_GOAL_MB = 150


def main(products: int = 100_000) -> None:
    print(f"exports: {products:,} synthetic products, one subprocess per file", flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        for kind, label in FIGURES.items():
            count = min(products, XLSX_MAX_PRODUCTS) if kind == "xlsx" else products
            r = results[kind] = in_subprocess(kind, count, Path(folder))
            scale = count / 100_000  # the issue's figures are for 100,000 products
            peak_goal = f" (goal <= {XLSX_PEAK_GOAL_MB})" if kind == "xlsx" else ""
            if kind in CSV_BASELINES:
                csv_figure = results["csv"]
                beside = (
                    f"full.csv takes {csv_figure['seconds'] / r['seconds']:.2f} of this time "
                    f"({csv_figure['cpu_seconds'] / r['cpu_seconds']:.2f} of this CPU)"
                )
            else:
                before, goal = ISSUE_16_SECONDS[kind]
                beside = f"issue 16: {before * scale:5.1f} s before, goal <= {goal * scale:4.1f} s"
            print(
                f"  {label:44s} {r['rows']:8d} rows {r['seconds']:7.1f} s ({r['rows'] / r['seconds']:7.0f} rows/s, "
                f"CPU {r['cpu_seconds']:6.1f} s)  peak RSS {r['peak_rss_mb']:4.0f} MB{peak_goal}  "
                f"{r['size_mb']:6.1f} MB on disk  | {beside}",
                flush=True,
            )
            if count < products:
                estimate = r["seconds"] * products / count
                print(
                    f"  ({label.split()[0]}: {count:,} products, the largest that fits the bench's time budget; "
                    f"{products:,} would take about {estimate:.0f} s at the same rate)",
                    flush=True,
                )


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--products", type=int, nargs="+", default=[10_000, 100_000], help="catalog sizes (default 10000 100000)"
    )
    # Internal: one figure in a subprocess of its own (so its peak RSS is its own).
    parser.add_argument("--figure", choices=sorted(FIGURES), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    args = _parse_args()
    if args.figure:
        print(json.dumps(measure(args.figure, args.products[0], args.folder)))
    else:
        for size in args.products:
            main(size)
