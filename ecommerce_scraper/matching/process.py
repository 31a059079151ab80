"""The matching across shops in a process of its own, for large catalogs.

A matching holds every unit it reads (a product, or one colour of a page selling colours as
variants) with its identity, about 350 bytes a unit, and reads them from every product's state:
a from-scratch matching of a 20,000-product demo yarn shop (51,553 units) took its crawl's RSS
from 250 to 323 MB, most of which, once freed, stayed with the process. Above ``MATCHING_PROCESS_PRODUCTS``
current products in the database (default 20,000; 0: always), :class:`~.extension.CrawlMatching`
runs :func:`~.sync.sync_matches` through :func:`sync_in_process`: a new interpreter
(``python -m ecommerce_scraper.matching.process``) reads what to do on its standard input,
matches, prints the :class:`~.sync.MatchRun` and its peak memory as JSON and exits, which gives
its memory back.
Below it, the cost of starting an interpreter (about 0.7 CPU seconds) is not worth it.

The child gets the parent's import path (``PYTHONPATH``): under Scrapyd the project is an egg on
``sys.path``, not an installed package. The database URL goes on standard input, never on the
command line (``ps`` shows it to every user).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import Engine, func, select

from ..storage.db import open_database
from ..storage.models import Product
from .sync import MatchRun, sync_matches

#: Current products in the database from which the matching after a crawl runs in a child process.
DEFAULT_PROCESS_PRODUCTS = 20_000


def current_product_count(engine: Engine) -> int:
    """How many stored products are not marked removed (every shop)."""
    with engine.connect() as connection:
        return connection.execute(select(func.count()).where(Product.removed_at.is_(None))).scalar_one()


@dataclasses.dataclass(frozen=True)
class ChildRun:
    """What the child process did, and its own peak resident memory in MB (/proc's ``VmHWM``;
    ``None`` without /proc). Not the child's ``ru_maxrss``: Linux counts in it the parent's memory
    the child shared between its fork and its exec."""

    run: MatchRun
    peak_rss_mb: float | None


def sync_in_process(
    url: str, matches_file: str | os.PathLike[str], *, sites: Collection[str] | None = None
) -> ChildRun:
    """:func:`~.sync.sync_matches` on the database at ``url``, run by a child interpreter; returns
    its :class:`~.sync.MatchRun` and peak memory. Raises ``RuntimeError`` with the child's error
    (its last line of standard error) when it fails."""
    order = {"url": url, "matches_file": str(matches_file), "sites": None if sites is None else sorted(sites)}
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__],
        input=json.dumps(order),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)},
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise RuntimeError(lines[-1] if lines else f"the matching process exited with {done.returncode}")
    answer = json.loads(done.stdout.splitlines()[-1])
    return ChildRun(MatchRun(**answer["run"]), answer["peak_rss_mb"])


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s")
    order = json.loads(sys.stdin.read())
    engine = open_database(order["url"])
    try:
        run = sync_matches(engine, Path(order["matches_file"]), sites=order["sites"])
    except Exception as exc:  # the parent logs it: one line, as the in-process matching's
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps({"run": dataclasses.asdict(run), "peak_rss_mb": _peak_rss_mb()}))
    return 0


def _peak_rss_mb() -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):  # not Linux
        return None


if __name__ == "__main__":
    sys.exit(main())
