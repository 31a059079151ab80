"""The project root, a free loopback port, and a plain HTTP GET for talking to local test servers."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET a URL (status, headers, body) without raising on HTTP errors."""
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as err:
        return err.code, dict(err.headers), err.read()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released): free to serve on, and refused
    when connected to."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
