"""Crawl processes forked from a warm one: ``scrapy crawl`` as a user runs it, without paying
the imports (Scrapy, Twisted, SQLAlchemy, Alembic, the project: about 2 CPU-seconds) each time.

A test suite runs a few hundred small crawls; each spends more CPU importing than crawling.
:func:`popen` and :func:`run` take the same command a test would give ``subprocess``
(``[sys.executable, "-m", "scrapy", ...]`` or ``-m demo_shops``) and have it run in a process
forked from a *zygote* that has imported everything once: a fresh process of its own (its pid,
its environment, its working directory, its files as stdout/stderr, its own reactor, a new
session if asked), reading the settings module afresh (it reads the environment). It runs
``scrapy.cmdline.execute`` or the module's ``__main__``, exactly what ``python -m`` runs.

Anything else (another program, another working directory) goes to ``subprocess`` unchanged,
as does everything when ``TESTKIT_FORK=0``. The zygote imports but never starts a reactor, an
event loop or a thread, so a fork of it is as clean as a new interpreter.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from .web import ROOT

ENABLED = os.environ.get("TESTKIT_FORK", "1") != "0"
MODULES = ("scrapy", "demo_shops")  # what ``python -m`` may run from a fork

#: Imported once by the zygote, with every component the default and project settings name:
#: what a crawl imports before its first request.
PRELOAD = (
    "scrapy.cmdline",
    "scrapy.crawler",
    "scrapy.core.engine",
    "scrapy.squeues",
    "scrapy.robotstxt",
    "alembic.command",
    "alembic.runtime.migration",
    "sqlalchemy.dialects.sqlite",
    "psycopg",
    "openai",
    "xlsxwriter",
    "jinja2",
    "ecommerce_scraper.commands.crawl",
    "ecommerce_scraper.commands.export",
    "ecommerce_scraper.commands.crontab",
    "ecommerce_scraper.commands.status",
    "ecommerce_scraper.commands.schedule",
    "ecommerce_scraper.commands.nodes",
    "ecommerce_scraper.spiders.generic",
    "ecommerce_scraper.spiders.knitshop",
    "ecommerce_scraper.exports.tree",
    "ecommerce_scraper.ai.llm",
    "demo_shops.crawl",
    "demo_shops.stores",
)
COMPONENT_SETTINGS = (
    "ADDONS",
    "DOWNLOADER_MIDDLEWARES_BASE",
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES_BASE",
    "EXTENSIONS_BASE",
    "EXTENSIONS",
    "DOWNLOAD_HANDLERS_BASE",
    "DOWNLOAD_HANDLERS",
    "ITEM_PIPELINES",
    "FEED_EXPORTERS_BASE",
    "FEED_STORAGES_BASE",
)


def _preload() -> None:
    import importlib

    from scrapy.settings import Settings
    from scrapy.utils.misc import load_object

    for name in PRELOAD:
        importlib.import_module(name)
    settings = Settings()
    settings.setmodule("ecommerce_scraper.settings")
    for key in COMPONENT_SETTINGS:
        components = settings.getdict(key)
        for path in [*components, *components.values()]:
            if not isinstance(path, str) or "." not in path:
                continue  # a scheme or a priority
            # An optional one (HTTP/2 without h2) fails here as it would in the crawl: not preloaded.
            with contextlib.suppress(ImportError):
                load_object(path)
    for key in (
        "SCHEDULER",
        "SCHEDULER_PRIORITY_QUEUE",
        "SCHEDULER_DISK_QUEUE",
        "SCHEDULER_MEMORY_QUEUE",
        "DUPEFILTER_CLASS",
        "STATS_CLASS",
        "LOG_FORMATTER",
        "REQUEST_FINGERPRINTER_CLASS",
        "ROBOTSTXT_PARSER",
    ):
        load_object(settings[key])
    sys.modules.pop("ecommerce_scraper.settings", None)


# --- the zygote (``python -m testkit.zygote``) -------------------------------------------------


def serve() -> None:
    _preload()
    # A fork is only as clean as its parent: no reactor, no event loop, no thread here.
    assert "twisted.internet.reactor" not in sys.modules, "a preloaded module installed a reactor"
    assert threading.active_count() == 1
    requests, replies = sys.stdin, sys.stdout
    for line in requests:
        request = json.loads(line)
        if request["op"] == "spawn":
            reply: dict[str, Any] = {"pid": _spawn(request)}
        else:  # "poll"
            reply = {"returncode": _poll(request["pid"])}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _spawn(request: dict[str, Any]) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become(request)
        code = _run_main(request["argv"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream must not keep the process alive
                stream.flush()
        os._exit(code)
    return 0  # not reached


def _become(request: dict[str, Any]) -> None:
    """Turn the fork into the process the test asked for."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    if request["new_session"]:
        os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(out, 1)
    if request["stderr"] == "stdout":
        os.dup2(out, 2)
    else:
        os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644), 2)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    # The settings module reads the environment when imported: import it again, as a new process would.
    sys.modules.pop("ecommerce_scraper.settings", None)


def _run_main(argv: list[str]) -> int:
    module, args = argv[2], argv[3:]
    if module == "scrapy":
        from scrapy.cmdline import execute

        sys.argv = ["scrapy", *args]
        execute(sys.argv)
        return 0
    import runpy

    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def _poll(pid: int) -> int | None:
    done, status = os.waitpid(pid, os.WNOHANG)
    if not done:
        return None
    return os.waitstatus_to_exitcode(status)


# --- the client (test side) -------------------------------------------------------------------


class _Zygote:
    """This process's zygote, started on first use; one request at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                env = {**os.environ, "TESTKIT_FORK": "0"}
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "testkit.zygote"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    cwd=ROOT,
                    env=env,
                    text=True,
                )
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the crawl zygote died")
            return json.loads(line)


_ZYGOTE = _Zygote()


class ForkedProcess:
    """What ``subprocess.Popen`` gives, for a process forked from the zygote."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = _ZYGOTE.ask({"op": "poll", "pid": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.005
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout or 0)
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def forkable(cmd: Sequence[str], cwd: str | Path | None) -> bool:
    return (
        ENABLED
        and len(cmd) >= 3
        and cmd[0] == sys.executable
        and cmd[1] == "-m"
        and cmd[2] in MODULES
        and Path(cwd or os.getcwd()).resolve() == ROOT.resolve()
    )


def popen(
    cmd: Sequence[str],
    *,
    stdout: IO[Any],
    stderr: IO[Any] | int | None = None,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    start_new_session: bool = False,
) -> ForkedProcess | subprocess.Popen[bytes]:
    """``subprocess.Popen`` with stdout (and stderr: a file or ``subprocess.STDOUT``) into files."""
    if not forkable(cmd, cwd):
        return subprocess.Popen(
            list(cmd), stdout=stdout, stderr=stderr, cwd=cwd, env=env, start_new_session=start_new_session
        )
    request = {
        "op": "spawn",
        "argv": list(cmd),
        "cwd": str(cwd or os.getcwd()),
        "env": dict(os.environ if env is None else env),
        "stdout": stdout.name,
        "stderr": "stdout" if stderr in (None, subprocess.STDOUT) else stderr.name,  # type: ignore[union-attr]
        "new_session": start_new_session,
    }
    return ForkedProcess(_ZYGOTE.ask(request)["pid"])


def run(
    cmd: Sequence[str],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(cmd, capture_output=True, text=True, ...)``."""
    if not forkable(cmd, cwd):
        return subprocess.run(list(cmd), capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False)
    with tempfile.TemporaryDirectory(prefix="forked-") as folder:
        out_path, err_path = Path(folder) / "stdout", Path(folder) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
        stderr = err_path.read_text(encoding="utf-8", errors="replace")
    return subprocess.CompletedProcess(list(cmd), proc.wait(), stdout, stderr)


if __name__ == "__main__":
    serve()
