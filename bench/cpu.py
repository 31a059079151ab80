"""CPU readings for the benchmarks: a PostgreSQL server's backends and the machine's load.

Wall time is noisy on the shared 2-core machine; CPU seconds are steadier (not immune: a loaded
machine slows every CPU second too), and the load average says how loaded it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


class ServerCpu:
    """CPU seconds the PostgreSQL server's backends of ``engine`` spent (read from /proc: the
    server runs on this machine), from now on, without the pauses; ``None`` elsewhere."""

    def __init__(self, engine: Engine) -> None:
        self.backends: set[int] = set()
        self.started: dict[int, float] = {}
        self.total = 0.0
        self.readable = engine.dialect.name == "postgresql" and Path("/proc/self/stat").exists()
        if self.readable:
            event.listen(engine, "checkout", self._checkout)
        self.resume()

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        if pid not in self.backends:
            self.backends.add(pid)
            self.started.update(self._now({pid}))

    def _now(self, backends: set[int] | None = None) -> dict[int, float]:
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for pid in self.backends if backends is None else backends:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the backend is gone (its connection closed)
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return used

    def pause(self) -> None:
        now = self._now()
        self.total += sum(now[pid] - self.started.get(pid, 0.0) for pid in now)

    def resume(self) -> None:
        self.started = self._now()

    def seconds(self, resumed: bool = True) -> float | None:
        if not self.readable:
            return None
        if resumed:
            self.pause()
        return self.total


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), to print beside a figure."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
