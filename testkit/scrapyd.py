"""Scrapyd in tests: real ones on free loopback ports, and a stand-in speaking its JSON API.

- :func:`scrapyd_node`: a real Scrapyd with authentication, started and stopped through
  ``python -m ecommerce_scraper.ops.scrapyd start|stop`` (what ``make scrapyd-bg`` runs), its data
  and exports in a folder of its own; :class:`Scrapyd` calls its API as the tests need.
- :class:`FakeScrapyd`: an HTTP server answering ``daemonstatus``, ``listjobs``,
  ``listversions`` and ``schedule`` as Scrapyd does (Basic auth, ``{"status": "ok", ...}``), for
  the node choice where a real Scrapyd (a process per crawl) is not needed. It keeps what it was
  asked to schedule, as pending jobs.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ecommerce_scraper.ops.scrapyd import group_alive

from .web import ROOT, free_port

USER, PASSWORD = "ops", "scrapyd-test-secret"
PROJECT = "ecommerce_scraper"
#: Politeness lifted for demo shops (strings: they go through Scrapyd's ``setting=`` fields).
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "false",
    "DOWNLOAD_HANDLERS": "{}",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}


def basic_auth(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class Scrapyd:
    url: str
    env: dict[str, str]
    folder: Path

    @property
    def exports(self) -> Path:
        return Path(self.env["EXPORTS_DIR"])

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None, *, auth: bool = True) -> Any:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.url}/{endpoint}", data=body)
        if auth:
            request.add_header("Authorization", basic_auth())
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        is_json = endpoint.split("?", 1)[0].endswith(".json")
        return json.loads(payload) if is_json else payload.decode("utf-8", "replace")

    def job_state(self, job: str) -> str | None:
        jobs = self.call(f"listjobs.json?project={PROJECT}")
        for state in ("pending", "running", "finished"):
            if any(entry["id"] == job for entry in jobs[state]):
                return state
        return None

    def log(self, spider: str, job: str) -> str:
        """The job's log so far; ``""`` before it has one."""
        try:
            return self.call(f"logs/{PROJECT}/{spider}/{job}.log")
        except urllib.error.HTTPError:
            return ""

    def wait_for(self, condition: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
        wait_for(condition, timeout, what)

    def stop(self) -> subprocess.CompletedProcess[str]:
        return ops("stop", self.env)

    def kill(self) -> None:
        """The machine dies: SIGKILL to Scrapyd and its crawls (its process group), nothing closed."""
        pid = int((Path(self.env["SCRAPYD_DATA_DIR"]) / "scrapyd.pid").read_text(encoding="utf-8"))
        os.killpg(pid, signal.SIGKILL)
        wait_for(lambda: not group_alive(pid), 30, "the killed node's processes to go")


def wait_for(condition: Callable[[], bool], timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def ops(action: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m ecommerce_scraper.ops.scrapyd ACTION`` (``make scrapyd-bg``, ``make deploy``...)."""
    return subprocess.run(
        [sys.executable, "-m", "ecommerce_scraper.ops.scrapyd", action],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(env),
        timeout=180,
        check=False,
    )


@contextmanager
def scrapyd_node(folder: Path, **env: str) -> Iterator[Scrapyd]:
    """A real Scrapyd (authenticated) on a free port, its data and exports under ``folder``;
    ``env`` adds to (or overrides) its environment: ``DATABASE_URL``, ``SITES_CONFIG``..."""
    port = free_port()
    environment = {
        **os.environ,
        "SCRAPYD_DATA_DIR": str(folder / "data"),
        "SCRAPYD_HTTP_PORT": str(port),
        "SCRAPYD_USERNAME": USER,
        "SCRAPYD_PASSWORD": PASSWORD,
        "SCRAPYD_URL": f"http://127.0.0.1:{port}",
        "SCRAPYD_ENV_FILE": str(folder / "none.env"),
        "EXPORTS_DIR": str(folder / "exports"),
        "DATABASE_URL": f"sqlite:///{(folder / 'catalog.sqlite3').as_posix()}",
        **env,
    }
    if "SCRAPYD_URLS" not in env:  # one node unless told: not the runner's own list
        environment.pop("SCRAPYD_URLS", None)
    started = ops("start", environment)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield Scrapyd(f"http://127.0.0.1:{port}", environment, folder)
    finally:
        stopped = ops("stop", environment)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr


# --- a stand-in for Scrapyd's JSON API ---------------------------------------------------------


@dataclass
class FakeScrapyd:
    """Answers like Scrapyd; ``jobs`` are its pending/running/finished lists (spider, id)."""

    server: ThreadingHTTPServer
    jobs: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {"pending": [], "running": [], "finished": []}
    )
    scheduled: list[dict[str, list[str]]] = field(default_factory=list)  # each schedule.json's fields
    versions: list[str] = field(default_factory=lambda: ["1700000000"])
    other_projects_busy: int = 0  # jobs of other projects, counted by daemonstatus only
    schedule_delay: float = 0.0  # seconds schedule.json takes (to widen races)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def add_job(self, state: str, spider: str) -> str:
        job = uuid.uuid4().hex
        self.jobs[state].append({"spider": spider, "id": job})
        return job

    def answer(self, endpoint: str, fields: dict[str, list[str]]) -> dict[str, Any]:
        with self.lock:
            if endpoint == "daemonstatus":
                busy = {state: len(self.jobs[state]) for state in self.jobs}
                busy["pending"] += self.other_projects_busy
                return {"status": "ok", "node_name": "fake", **busy}
            if endpoint == "listjobs":
                return {"status": "ok", **{state: list(jobs) for state, jobs in self.jobs.items()}}
            if endpoint == "listversions":
                return {"status": "ok", "versions": list(self.versions)}
        if endpoint == "schedule":
            time.sleep(self.schedule_delay)
            with self.lock:
                self.scheduled.append(fields)
                job = self.add_job("pending", fields["spider"][0])
            return {"status": "ok", "jobid": job}
        return {"status": "error", "message": f"no such endpoint: {endpoint}"}


def _handler(fake: FakeScrapyd, user: str, password: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            self._reply(path, urllib.parse.parse_qs(query))

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            self._reply(self.path, urllib.parse.parse_qs(body))

        def _reply(self, path: str, fields: dict[str, list[str]]) -> None:
            if self.headers.get("Authorization") != basic_auth(user, password):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="Scrapyd"')
                self.end_headers()
                return
            payload = json.dumps(fake.answer(path.strip("/").removesuffix(".json"), fields)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@contextmanager
def fake_scrapyd(user: str = USER, password: str = PASSWORD) -> Iterator[FakeScrapyd]:
    """A :class:`FakeScrapyd` on a free loopback port, taking ``user``/``password``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeScrapyd(server)
    server.RequestHandlerClass = _handler(fake, user, password)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
