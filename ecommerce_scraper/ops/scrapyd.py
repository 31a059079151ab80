"""Scrapyd for this project, and deploying to it.

``python -m ecommerce_scraper.ops.scrapyd run|start|stop|status|deploy`` (``make scrapyd``,
``make scrapyd-bg``, ``make scrapyd-stop``, ``make deploy``):

- Scrapyd runs in its data directory (``SCRAPYD_DATA_DIR``, default ``.scrapyd/`` in the project)
  with a copy of the project's ``scrapyd.conf``, so its eggs, logs and job database land there.
- Address, port, user name and password come from the environment or the env file
  (:func:`~ecommerce_scraper.ops.operator_environment`): ``SCRAPYD_BIND_ADDRESS``,
  ``SCRAPYD_HTTP_PORT``, ``SCRAPYD_USERNAME``, ``SCRAPYD_PASSWORD``, which Scrapyd itself reads.
  Bound to anything but a loopback address, it refuses to start without both credentials.
- Crawls started by Scrapyd inherit its environment: ``EXPORTS_DIR`` (default: the project's
  ``exports/``) and a relative SQLite ``DATABASE_URL`` are made absolute first, so the files and
  the database land where the operator said, not in Scrapyd's working directory.
- ``start`` runs it in the background (pid file and log in the data directory) and waits until
  it answers; ``stop`` ends it and its crawls (SIGTERM to its process group: each crawl closes
  cleanly, cancelled and resumable; Scrapyd alone would leave them running, known to no node).
- ``deploy`` builds the egg once and uploads that same version to every node (``SCRAPYD_URLS``,
  space-separated, else ``SCRAPYD_URL``) with ``scrapyd-deploy`` (scrapyd-client), the node's URL
  and the credentials in its environment (``scrapy.cfg``'s ``[deploy]`` reads them from there);
  one line per node. ``SCRAPYD_URLS`` set but empty is an error, never the local default. The
  version is the time (as ``scrapyd-deploy``'s own), or ``SCRAPYD_DEPLOY_VERSION`` when set.
"""

from __future__ import annotations

import argparse
import configparser
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..jobs import process_alive
from . import PROJECT_DIR, PROJECT_NAME, OpsError, operator_environment
from .nodes import Node, NodeError, node_urls

CONF = PROJECT_DIR / "scrapyd.conf"
PID_FILE = "scrapyd.pid"
LOG_FILE = "scrapyd.log"


def data_dir(env: dict[str, str]) -> Path:
    return Path(env.get("SCRAPYD_DATA_DIR") or PROJECT_DIR / ".scrapyd").resolve()


def is_loopback(address: str) -> bool:
    if address in ("localhost", ""):
        return address == "localhost"
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _conf_value(name: str, default: str) -> str:
    parser = configparser.ConfigParser()
    parser.read(CONF, encoding="utf-8")
    return parser.get("scrapyd", name, fallback=default)


def prepare(env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    """The data directory (made, with the config in it) and Scrapyd's environment; ``OpsError``
    when it must not start."""
    bind = env.get("SCRAPYD_BIND_ADDRESS") or _conf_value("bind_address", "127.0.0.1")
    user, password = env.get("SCRAPYD_USERNAME", ""), env.get("SCRAPYD_PASSWORD", "")
    if not is_loopback(bind) and not (user and password):
        raise OpsError(
            f"refusing to start Scrapyd on {bind}: anyone who reaches it could run code; set SCRAPYD_USERNAME and "
            "SCRAPYD_PASSWORD (in the environment or config/scrapyd.env), or bind to 127.0.0.1"
        )
    if ":" in user:
        raise OpsError("SCRAPYD_USERNAME must not contain ':'")
    folder = data_dir(env)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONF, folder / "scrapyd.conf")  # Scrapyd reads ./scrapyd.conf
    environment = dict(env)
    exports = Path(env.get("EXPORTS_DIR") or PROJECT_DIR / "exports")
    environment["EXPORTS_DIR"] = str(exports if exports.is_absolute() else (PROJECT_DIR / exports).resolve())
    database = env.get("DATABASE_URL", "")
    if database.startswith("sqlite:///") and not database.startswith("sqlite:////"):
        environment["DATABASE_URL"] = "sqlite:///" + str((PROJECT_DIR / database.removeprefix("sqlite:///")).resolve())
    return folder, environment


def _scrapyd_command() -> list[str]:
    return [sys.executable, "-m", "scrapyd"]


def url_of(env: dict[str, str]) -> str:
    bind = env.get("SCRAPYD_BIND_ADDRESS") or _conf_value("bind_address", "127.0.0.1")
    port = env.get("SCRAPYD_HTTP_PORT") or _conf_value("http_port", "6800")
    host = "127.0.0.1" if bind in ("0.0.0.0", "::", "") else bind  # noqa: S104 - reading, not binding
    return f"http://{host}:{port}"


def run(env: dict[str, str]) -> None:
    """Scrapyd in the foreground (this process becomes it)."""
    folder, environment = prepare(env)
    print(f"Scrapyd at {url_of(env)}, data in {folder}, exports in {environment['EXPORTS_DIR']}", flush=True)
    os.chdir(folder)
    command = _scrapyd_command()
    os.execve(command[0], command, environment)  # noqa: S606 - our own interpreter, no shell


def start(env: dict[str, str], wait: float = 30.0) -> int:
    """Scrapyd in the background; returns its pid once it answers."""
    folder, environment = prepare(env)
    running = _pid(folder)
    if running is not None:
        raise OpsError(f"Scrapyd already runs (pid {running}, {folder / PID_FILE}); `make scrapyd-stop` first")
    with (folder / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            _scrapyd_command(),
            cwd=folder,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    (folder / PID_FILE).write_text(str(process.pid), encoding="utf-8")
    url = url_of(env)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            (folder / PID_FILE).unlink(missing_ok=True)
            raise OpsError(f"Scrapyd exited at start (code {process.returncode}); see {folder / LOG_FILE}")
        if answers(url, env):
            print(f"Scrapyd runs at {url} (pid {process.pid}); log {folder / LOG_FILE}", flush=True)
            return process.pid
        time.sleep(0.2)
    raise OpsError(f"Scrapyd did not answer at {url} within {wait:.0f} s; see {folder / LOG_FILE}")


def stop(env: dict[str, str], wait: float = 60.0) -> None:
    folder = data_dir(env)
    pid = _pid(folder)
    if pid is None:
        print("Scrapyd is not running", flush=True)
        return
    # `start` made Scrapyd a session and group leader; its crawls are in its group. Scrapyd itself
    # leaves them running when it stops (then no node knows them): SIGTERM to the group has each
    # one close cleanly, its crawl cancelled and resumable.
    group = os.getpgid(pid) == pid
    if group:
        os.killpg(pid, signal.SIGTERM)
    else:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and (group_alive(pid) if group else process_alive(pid)):
        time.sleep(0.2)
    if process_alive(pid):
        raise OpsError(f"Scrapyd (pid {pid}) did not stop within {wait:.0f} s")
    (folder / PID_FILE).unlink(missing_ok=True)
    print(f"Scrapyd (pid {pid}) stopped", flush=True)


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group ``pgid`` is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answers(url: str, env: dict[str, str]) -> bool:
    """Whether the Scrapyd at ``url`` says ``ok`` to ``daemonstatus.json`` within 2 s."""
    user, password = env.get("SCRAPYD_USERNAME") or None, env.get("SCRAPYD_PASSWORD") or None
    try:
        Node(url, user, password, timeout=2).daemonstatus()
    except NodeError:
        return False
    return True


def deploy(env: dict[str, str]) -> list[str]:
    """The same egg, one version, to every node (``SCRAPYD_URLS``, else ``SCRAPYD_URL``): built
    once with ``scrapyd-deploy --build-egg``, uploaded by ``scrapyd-deploy --egg`` to each node;
    one line per node. ``OpsError`` when a node failed (the others keep the new version)."""
    urls = node_urls(env)  # SCRAPYD_URLS set but empty: an error, never the local default
    version = env.get("SCRAPYD_DEPLOY_VERSION") or str(int(time.time()))
    executable = str(Path(sys.executable).with_name("scrapyd-deploy"))
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="deploy-") as folder:
        egg = Path(folder) / f"{PROJECT_NAME}-{version}.egg"
        # --build-egg leaves its build folder behind: in ours (TMPDIR), removed with it.
        built = _scrapyd_deploy([executable, "--build-egg", str(egg)], {**env, "TMPDIR": folder}, urls[0])
        if built.returncode != 0 or not egg.is_file():
            raise OpsError(f"building the egg failed (exit {built.returncode}): {_last_line(built.stdout)}")
        failed = []
        for url in urls:
            result = _scrapyd_deploy([executable, "--egg", str(egg), "--version", version], env, url)
            if result.returncode == 0:
                lines.append(f"{url} deployed {PROJECT_NAME} version {version}")
            else:
                failed.append(url)
                lines.append(f"{url} failed: {_last_line(result.stdout)}")
            print(lines[-1], flush=True)
    if failed:
        done = len(urls) - len(failed)
        raise OpsError(f"version {version} deployed to {done} of {len(urls)} nodes; failed: {' '.join(failed)}")
    return lines


def _scrapyd_deploy(command: list[str], env: dict[str, str], url: str) -> subprocess.CompletedProcess[str]:
    # scrapy.cfg's [deploy] reads the target and credentials from this environment.
    environment = {**env, "SCRAPYD_URL": url}
    environment.setdefault("SCRAPYD_USERNAME", "")
    environment.setdefault("SCRAPYD_PASSWORD", "")
    return subprocess.run(  # noqa: S603 - our own virtualenv's scrapyd-deploy
        command, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, check=False
    )


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _pid(folder: Path) -> int | None:
    try:
        pid = int((folder / PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ecommerce_scraper.ops.scrapyd", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=("run", "start", "stop", "status", "deploy"))
    args = parser.parse_args(argv)
    env = operator_environment()
    try:
        if args.action == "run":
            run(env)
        elif args.action == "start":
            start(env)
        elif args.action == "stop":
            stop(env)
        elif args.action == "deploy":
            deploy(env)
        else:
            up = answers(url_of(env), env)
            print(f"Scrapyd at {url_of(env)}: {'running' if up else 'not answering'}")
            return 0 if up else 1
    except OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
