"""Scrapyd nodes: which there are, and asking each through its JSON API.

``SCRAPYD_URLS`` (space-separated base URLs) names several nodes; ``SCRAPYD_URL`` stays the
one-node form; neither set: ``http://127.0.0.1:6800``. Every node takes the same credentials
(``SCRAPYD_USERNAME``, ``SCRAPYD_PASSWORD``, from the environment or ``config/scrapyd.env``),
never written in a URL. Several nodes share one database, so it must be PostgreSQL
(:func:`check_shared_database`: the crawls refuse SQLite at start-up, ``scrapy schedule`` too).

Each call has a short timeout: a node that is down or hangs costs seconds, never the run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from . import DEFAULT_SCRAPYD_URL, PROJECT_NAME, OpsError

#: Seconds a node has to answer one call.
NODE_TIMEOUT = 5.0
#: ``schedule.json`` lists the project's spiders first (a ``scrapy list`` of the egg on the node,
#: seconds of CPU after a deploy): it gets longer.
SCHEDULE_TIMEOUT = 60.0


class NodeError(Exception):
    """A node did not answer, refused the credentials or said ``error``; one line, no secret."""


class NodeUnsureError(NodeError):
    """A node took the request but gave no answer in time: it may have done it."""


def node_urls(env: Mapping[str, str]) -> list[str]:
    """The nodes' base URLs: ``SCRAPYD_URLS``, else ``SCRAPYD_URL``, else the local default.

    ``SCRAPYD_URLS`` set but naming no node is an error, not the default: with several machines,
    falling back to this one's Scrapyd would deploy or schedule on the wrong machine silently.
    """
    if "SCRAPYD_URLS" in env:
        urls = env["SCRAPYD_URLS"].split()
        if not urls:
            raise OpsError("SCRAPYD_URLS is set but empty: name each node's URL, separated by spaces")
    else:
        urls = [env.get("SCRAPYD_URL") or DEFAULT_SCRAPYD_URL]
    checked: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OpsError(f"not a Scrapyd URL: {url!r} (expected http://host:port)")
        if parts.username or parts.password:
            raise OpsError("credentials go in SCRAPYD_USERNAME and SCRAPYD_PASSWORD, not in a Scrapyd URL")
        url = url.rstrip("/")
        if url not in checked:
            checked.append(url)
    return checked


def several_nodes(value: str | None) -> bool:
    """Whether a ``SCRAPYD_URLS`` value names more than one node."""
    return len(set((value or "").split())) > 1


def check_shared_database(database: str, nodes: str | None) -> None:
    """``OpsError`` when several nodes (``nodes``: a ``SCRAPYD_URLS`` value) would share SQLite."""
    if several_nodes(nodes) and database.startswith("sqlite"):
        raise OpsError(
            "several Scrapyd nodes (SCRAPYD_URLS) share one database: DATABASE_URL must be PostgreSQL, "
            "not SQLite (each node would write its own file)"
        )


def nodes_setting(settings: Mapping[str, Any]) -> str | None:
    """``SCRAPYD_URLS`` as a crawl sees it: its setting (``scrapy schedule`` passes it), else the
    environment Scrapyd gave it."""
    return settings.get("SCRAPYD_URLS") or os.environ.get("SCRAPYD_URLS")


@dataclass
class Node:
    """One Scrapyd, asked through its JSON API (``requests``, with a timeout)."""

    url: str
    username: str | None = None
    password: str | None = None
    timeout: float = NODE_TIMEOUT
    schedule_timeout: float = SCHEDULE_TIMEOUT

    @classmethod
    def all_from(cls, env: Mapping[str, str]) -> list[Node]:
        user, password = env.get("SCRAPYD_USERNAME") or None, env.get("SCRAPYD_PASSWORD") or None
        return [cls(url, user, password) for url in node_urls(env)]

    def daemonstatus(self) -> dict[str, Any]:
        return self._call("get", "daemonstatus")

    def jobs(self, project: str = PROJECT_NAME) -> dict[str, list[dict[str, Any]]]:
        answer = self._call("get", "listjobs", {"project": project})
        return {state: list(answer.get(state) or []) for state in ("pending", "running", "finished")}

    def versions(self, project: str = PROJECT_NAME) -> list[str]:
        return list(self._call("get", "listversions", {"project": project}).get("versions") or [])

    def schedule(self, spider: str, data: list[tuple[str, str]], project: str = PROJECT_NAME) -> str:
        fields = [("project", project), ("spider", spider), *data]
        answer = self._call("post", "schedule", fields, read_timeout=self.schedule_timeout)
        return str(answer["jobid"])

    def _call(self, method: str, endpoint: str, data: Any = None, read_timeout: float | None = None) -> dict[str, Any]:
        auth = (self.username, self.password) if self.username and self.password else None
        options: dict[str, Any] = {"params": data} if method == "get" else {"data": data}
        timeout = (self.timeout, read_timeout or self.timeout)
        try:
            response = requests.request(method, f"{self.url}/{endpoint}.json", auth=auth, timeout=timeout, **options)
        except requests.ConnectionError as exc:  # never reached the node (a connect timeout too)
            raise NodeError(f"does not answer ({type(exc).__name__})") from None
        except requests.RequestException as exc:  # sent, no answer: done or not, nobody knows
            raise NodeUnsureError(f"gave no answer to {endpoint}.json in time ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise NodeError("refuses the credentials (401; SCRAPYD_USERNAME / SCRAPYD_PASSWORD)")
        if response.status_code != 200:
            raise NodeError(f"answered HTTP {response.status_code} to {endpoint}.json")
        try:
            answer = response.json()
        except ValueError:
            raise NodeError(f"answered {endpoint}.json with something that is not JSON") from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = str(answer.get("message", answer) if isinstance(answer, dict) else answer)
            raise NodeError(f"said error to {endpoint}.json: {message.strip().splitlines()[-1][:200]}")
        return answer
