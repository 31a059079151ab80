"""Running the project in production: Scrapyd, deployment, cron-scheduled crawls.

Credentials for Scrapyd live in an env file (``SCRAPYD_ENV_FILE``, default
``config/scrapyd.env``, never committed; see ``config/scrapyd.env.example``), read by the code
that needs them, never written into a command line, a crontab or a log.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_ENV_FILE = PROJECT_DIR / "config" / "scrapyd.env"
DEFAULT_SCRAPYD_URL = "http://127.0.0.1:6800"
PROJECT_NAME = "ecommerce_scraper"


class OpsError(Exception):
    """Something the operator must fix; the message says what."""


def env_file() -> Path:
    return Path(os.environ.get("SCRAPYD_ENV_FILE") or DEFAULT_ENV_FILE)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments, optional ``export``, shell quoting); ``{}`` without the file."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("export ").strip()
        key, sep, raw = text.partition("=")
        if not sep or not key.strip().isidentifier():
            raise OpsError(f"{path}:{number}: expected KEY=value")
        try:
            parts = shlex.split(raw, comments=True)
        except ValueError as exc:
            raise OpsError(f"{path}:{number}: {exc}") from None
        values[key.strip()] = " ".join(parts)
    return values


def operator_environment(base: Mapping[str, str] | None = None, path: Path | None = None) -> dict[str, str]:
    """The environment with the env file's values added; variables already set win."""
    environment = dict(os.environ if base is None else base)
    for key, value in read_env_file(path or env_file()).items():
        environment.setdefault(key, value)
    return environment
