"""Two Scrapyd nodes against one: shops finished in the same time, printed (never asserted).

``.venv/bin/python -m bench.nodes [--products N]`` (``make bench-nodes``; ``make bench`` runs it
last): the seven demo shops crawled politely (2 requests/s per shop: ``DOWNLOAD_DELAY=0.5``, one
request at a time), scheduled with ``scrapy schedule --all`` on one local Scrapyd node, then on
two, each node with its ``scrapyd.conf`` capacity (``max_proc_per_cpu = 2``: 4 crawls at a time
on this 2-core machine), one PostgreSQL schema for the crawls (dropped afterwards).

A polite crawl is mostly waiting, so what bounds a node is its crawl slots, not its CPU: seven
shops on 4 slots take two waves, on 8 slots one. Printed: each round's time until every shop
finished, the shops finished per minute, and how many shops one node had finished when two
nodes had finished all of them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.storage import POSTGRES_URL, PostgresSchema
from demo_shops.crawl import demo_server
from ecommerce_scraper.config import load_sites
from testkit.scrapyd import PASSWORD, USER, ops, scrapyd_node

ROOT = Path(__file__).resolve().parent.parent
POLITE = ["-s", "DOWNLOAD_DELAY=0.5", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


def run_round(count: int, root: str, database: str, folder: Path) -> dict[str, Any]:
    """Deploy to ``count`` fresh nodes, schedule every shop, wait: seconds from schedule to each finish."""
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(scrapyd_node(folder / f"{count}-{index}", DATABASE_URL=database))
            for index in range(count)
        ]
        env = {
            **os.environ,
            "SCRAPYD_URLS": " ".join(node.url for node in nodes),
            "SCRAPYD_USERNAME": USER,
            "SCRAPYD_PASSWORD": PASSWORD,
            "SCRAPYD_ENV_FILE": str(folder / "none.env"),
            "DATABASE_URL": database,
            "EXPORTS_DIR": str(folder / "reader"),
        }
        deployed = ops("deploy", env)
        if deployed.returncode != 0:
            raise RuntimeError(f"deploy failed: {deployed.stdout}{deployed.stderr}")
        started = time.monotonic()
        scheduled = subprocess.run(
            [sys.executable, "-m", "scrapy", "schedule", "--all", "-a", f"base_url={root}{{site}}/", *POLITE],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        lines = [line.split() for line in scheduled.stdout.splitlines()]
        if scheduled.returncode != 0 or any(len(line) != 3 for line in lines):
            raise RuntimeError(f"schedule failed: {scheduled.stdout}{scheduled.stderr}")
        by_url = {node.url: node for node in nodes}
        finished: dict[str, float] = {}
        while len(finished) < len(lines):
            for site, url, job in lines:
                if site not in finished and by_url[url].job_state(job) == "finished":
                    finished[site] = time.monotonic() - started
            time.sleep(0.5)
    return {"nodes": count, "finished": sorted(finished.values())}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.nodes", description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=int(os.environ.get("BENCH_NODE_PRODUCTS", "30")))
    args = parser.parse_args()
    shops = len(load_sites().sites)
    print(
        f"Scrapyd nodes: {shops} demo shops of {args.products} products, 2 requests/s per shop, "
        f"{2 * (os.cpu_count() or 1)} crawl slots per node (max_proc_per_cpu = 2)",
        flush=True,
    )
    rounds = []
    with (
        demo_server(args.products) as root,
        PostgresSchema(POSTGRES_URL) as schema,
        tempfile.TemporaryDirectory(prefix="bench-nodes-") as folder,
    ):
        for count in (1, 2):
            result = run_round(count, root, schema.url, Path(folder))
            rounds.append(result)
            total = result["finished"][-1]
            print(
                f"  {count} node{'s' if count > 1 else ' '}  every shop finished in {total:6.1f} s   "
                f"{60 * shops / total:5.1f} shops/min",
                flush=True,
            )
    one, two = rounds
    window = two["finished"][-1]
    done_by_one = sum(1 for seconds in one["finished"] if seconds <= window)
    print(
        f"  in the {window:.1f} s two nodes took for all {shops} shops, one node finished {done_by_one}; "
        f"throughput two / one: {one['finished'][-1] / window:.2f}x (issue 17 goal: 2x)",
        flush=True,
    )


if __name__ == "__main__":
    main()
