"""A real Prometheus Pushgateway for tests: Debian's ``prometheus-pushgateway`` (``make
pushgateway``) started on a free loopback port, never the system service on :9091."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from .web import fetch, free_port

BINARY = os.environ.get("PUSHGATEWAY_PATH", "/usr/bin/prometheus-pushgateway")


def pushgateway_binary() -> str | None:
    return BINARY if os.access(BINARY, os.X_OK) else shutil.which("prometheus-pushgateway")


@dataclass
class Pushgateway:
    url: str

    def samples(self, job: str = "ecommerce_scraper") -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """(name, labels without job and instance) -> value, for the gauges pushed under ``job``."""
        status, _, body = fetch(f"{self.url}/metrics")
        assert status == 200, status
        found = {}
        for family in text_string_to_metric_families(body.decode("utf-8")):
            for sample in family.samples:
                if sample.labels.get("job") != job:
                    continue
                labels = frozenset((k, v) for k, v in sample.labels.items() if k not in ("job", "instance"))
                found[(sample.name, labels)] = sample.value
        return found

    def shop(self, site: str) -> dict[str, float]:
        """A shop's gauges: name (with ``{field=...}`` for labelled ones) -> value."""
        gauges = {}
        for (name, labels), value in self.samples().items():
            labels_left = dict(labels)
            if labels_left.pop("shop", None) != site:
                continue
            suffix = "".join(f"{{{k}={v}}}" for k, v in sorted(labels_left.items()))
            gauges[name + suffix] = value
        return gauges


@contextmanager
def pushgateway(folder: Path) -> Iterator[Pushgateway]:
    """A Pushgateway of its own on a free port, its persistence file in ``folder``."""
    binary = pushgateway_binary()
    assert binary is not None, "no prometheus-pushgateway (make pushgateway)"
    port = free_port()
    log = (folder / "pushgateway.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={folder / 'pushgateway.data'}"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    gateway = Pushgateway(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if fetch(f"{gateway.url}/-/ready")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, (folder / "pushgateway.log").read_text()
            assert time.monotonic() < deadline, "the Pushgateway did not start"
            time.sleep(0.05)
        yield gateway
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
