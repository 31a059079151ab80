"""Shared fixtures: a demo server on a free loopback port, and running spiders for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_shops.__main__ import catalog_lines
from demo_shops.server import DemoServer, start_in_thread
from testkit import zygote
from testkit.web import ROOT, fetch

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_PRODUCTS = 30  # small catalogs keep `make test` fast; `make bench` crawls big ones


def require_service(available: bool, what: str) -> None:
    """Skip outside CI when a service is missing; fail in CI, where it must be there."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} not available")


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return path if os.path.exists(path) else shutil.which("chromium")


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    server, _ = start_in_thread(products=TEST_PRODUCTS, day=1, seed=1)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def demo_root(demo_server: DemoServer) -> str:
    """``http://127.0.0.1:PORT/`` of the session's demo server."""
    return f"http://127.0.0.1:{demo_server.server_port}/"


def demo_requests(demo_root: str, site: str) -> list[dict]:
    """Paths the demo server has served for ``site`` so far."""
    return json.loads(fetch(f"{demo_root}__demo__/requests?site={site}")[2])


def truth(site: str, demo_root: str, products: int = TEST_PRODUCTS, day: int = 1) -> list[dict]:
    """``demo catalog``'s output (the shop's true products), made in this process; the command
    itself is tested in test_packaging."""
    return [json.loads(line) for line in catalog_lines(site, products, day, 1, demo_root)]


def run_crawl(
    spider: str, tmp_path: Path, *args: str, settings: dict[str, str] | None = None, timeout: int = 240
) -> tuple[list[dict], subprocess.CompletedProcess]:
    """``scrapy crawl`` in a subprocess, as a user runs it; returns the JSON Lines items."""
    out = tmp_path / f"{spider}.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        spider,
        "-O",
        str(out),
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=false",
        "-s",
        "LOG_LEVEL=INFO",
    ]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    for arg in args:
        cmd += ["-a", arg]
    env = {**os.environ, "EXPORTS_DIR": str(tmp_path / "exports")}
    proc = zygote.run(cmd, cwd=ROOT, env=env, timeout=timeout)
    items = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return items, proc


# The storage tests' ``database_url`` fixture: SQLite and the real PostgreSQL, each test its
# own database or schema.
from .db import database_url, module_database_url  # noqa: E402, F401

# --- CPU seconds per test (``TEST_CPU_REPORT=path``): the suite's cost, whatever else the
# machine is doing (wall times on two busy cores say little). Crawl subprocesses count once waited.
CPU_REPORT = os.environ.get("TEST_CPU_REPORT")


def _cpu_seconds() -> float:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    if not CPU_REPORT:
        yield
        return
    before = _cpu_seconds()
    yield
    with open(CPU_REPORT, "a", encoding="utf-8") as report:
        report.write(f"{_cpu_seconds() - before:.2f}\t{item.nodeid}\n")
