"""The production path, end to end: a real Scrapyd (with authentication) on a free loopback port,
the project deployed to it with scrapyd-client, crawls scheduled, listed, read and cancelled
through its JSON API, and the cron lines that schedule shops through it.

Scrapyd runs through ``python -m ecommerce_scraper.ops.scrapyd start`` (what ``make scrapyd-bg``
runs) with its data, the exports and the database in a temporary folder; the crawls it starts
inherit that environment and crawl a demo shop started here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ecommerce_scraper.config import DEFAULT_CONFIG_PATH
from ecommerce_scraper.storage.models import Crawl, Product
from testkit import zygote
from testkit.crawling import SITE, DemoShop, demo_shop, engine_for
from testkit.scrapyd import FAST, PASSWORD, PROJECT, USER, Scrapyd, ops, scrapyd_node

from .conftest import ROOT


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(30) as running:
        yield running


@pytest.fixture(scope="module")
def scrapyd(shop: DemoShop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    folder = tmp_path_factory.mktemp("scrapyd")
    # The shops as deployed, but knitshop is the demo shop: what cron schedules crawls it, not the real one.
    sites = json.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    sites["sites"][SITE]["base_url"] = shop.url()
    (folder / "sites.json").write_text(json.dumps(sites), encoding="utf-8")
    with scrapyd_node(folder, SITES_CONFIG=str(folder / "sites.json")) as node:
        yield node


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd) -> Scrapyd:
    result = ops("deploy", scrapyd.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert PROJECT in scrapyd.call("listprojects.json")["projects"]
    assert SITE in scrapyd.call(f"listspiders.json?project={PROJECT}")["spiders"]
    return scrapyd


def schedule(scrapyd: Scrapyd, shop: DemoShop, **settings: str) -> str:
    data = [("project", PROJECT), ("spider", SITE), ("base_url", shop.url())]
    data += [("setting", f"{key}={value}") for key, value in {**FAST, **settings}.items()]
    answer = scrapyd.call("schedule.json", data)
    assert answer["status"] == "ok", answer
    return answer["jobid"]


def crawl_row(scrapyd: Scrapyd, job: str) -> Any:
    with engine_for(scrapyd.env["DATABASE_URL"]) as engine, engine.connect() as conn:
        return conn.execute(select(Crawl).where(Crawl.job_id == job)).first()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_requests_without_the_credentials_get_401(scrapyd: Scrapyd) -> None:
    assert scrapyd.call("daemonstatus.json")["status"] == "ok"
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrapyd.call("daemonstatus.json", auth=False)
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as refused:
        scrapyd.call("schedule.json", [("project", PROJECT), ("spider", SITE)], auth=False)
    assert refused.value.code == 401


def test_scrapyd_refuses_to_listen_beyond_loopback_without_credentials(tmp_path: Path) -> None:
    env = {**os.environ, "SCRAPYD_DATA_DIR": str(tmp_path), "SCRAPYD_BIND_ADDRESS": "0.0.0.0"}  # noqa: S104
    env.pop("SCRAPYD_USERNAME", None)
    env.pop("SCRAPYD_PASSWORD", None)
    env["SCRAPYD_ENV_FILE"] = str(tmp_path / "none.env")
    result = ops("start", env)
    assert result.returncode == 2
    assert "error: refusing to start Scrapyd on 0.0.0.0" in result.stderr
    assert not (tmp_path / "scrapyd.pid").exists()


def test_deployed_crawls_run_finish_and_cancel_through_the_api(deployed: Scrapyd, shop: DemoShop) -> None:
    scrapyd = deployed
    job = schedule(scrapyd, shop)
    scrapyd.wait_for(lambda: scrapyd.job_state(job) == "finished", what="the crawl")
    log = scrapyd.call(f"logs/{PROJECT}/{SITE}/{job}.log")
    assert "Spider closed (finished)" in log
    assert PASSWORD not in log

    # The crawl wrote where Scrapyd's environment said, under its job id.
    row = crawl_row(scrapyd, job)
    assert row is not None and (row.status, row.items_count) == ("finished", shop.products)
    latest = scrapyd.exports / SITE / "latest" / "full.csv"
    rows = list(csv.DictReader(io.StringIO(latest.read_text(encoding="utf-8-sig"))))
    assert {r["product_id"] for r in rows} == shop.product_ids(1)
    assert (scrapyd.exports / SITE / "latest" / "report.html").is_file()
    assert not (scrapyd.folder / "data" / "exports").exists()  # not in Scrapyd's working directory
    before = sha256(latest)

    # A slower crawl, cancelled half-way: closed cleanly, cancelled, latest/ and the products kept.
    slow = schedule(scrapyd, shop, DOWNLOAD_DELAY="0.5", CONCURRENT_REQUESTS_PER_DOMAIN="1")
    scrapyd.wait_for(lambda: scrapyd.job_state(slow) == "running", what="the second crawl to start")
    scrapyd.wait_for(lambda: f"crawling {SITE} from" in scrapyd.log(SITE, slow), what="the second crawl to crawl")
    time.sleep(2)
    assert scrapyd.call("cancel.json", [("project", PROJECT), ("job", slow)])["prevstate"] == "running"
    scrapyd.wait_for(lambda: scrapyd.job_state(slow) == "finished", what="the cancelled crawl to close")
    assert "Spider closed (shutdown)" in scrapyd.call(f"logs/{PROJECT}/{SITE}/{slow}.log")
    cancelled = crawl_row(scrapyd, slow)
    assert cancelled.status == "cancelled" and cancelled.items_count < shop.products
    assert sha256(latest) == before
    with engine_for(scrapyd.env["DATABASE_URL"]) as engine, engine.connect() as conn:
        assert conn.execute(select(Product).where(Product.removed_at.is_not(None))).first() is None


def test_cron_lines_schedule_through_scrapyd_and_install_idempotently(deployed: Scrapyd, tmp_path: Path) -> None:
    scrapyd = deployed
    env_file = tmp_path / "scrapyd.env"
    env_file.write_text(
        f"SCRAPYD_URL={scrapyd.url}\nSCRAPYD_USERNAME={USER}\nSCRAPYD_PASSWORD='{PASSWORD}'\n", encoding="utf-8"
    )
    sites = json.loads(Path(scrapyd.env["SITES_CONFIG"]).read_text(encoding="utf-8"))
    # What cron gives the command: no Scrapyd URL or credentials, only the env file's path.
    env = {key: value for key, value in scrapyd.env.items() if not key.startswith("SCRAPYD_")}
    env["SCRAPYD_ENV_FILE"] = str(env_file)

    def scrapy(*args: str) -> subprocess.CompletedProcess[str]:
        return zygote.run([sys.executable, "-m", "scrapy", "crontab", *args], cwd=ROOT, env=env, timeout=120)

    printed = scrapy()
    assert printed.returncode == 0, printed.stderr
    lines = {line.rsplit("# ecommerce_scraper:", 1)[1]: line for line in printed.stdout.splitlines()}
    assert set(lines) == set(sites["sites"])
    line = lines[SITE]
    assert line.startswith(f"{sites['sites'][SITE]['schedule']} cd ")
    assert PASSWORD not in printed.stdout and USER not in printed.stdout  # only the env file's path

    # The line's command, run as cron would: it schedules the shop; run again while that job is
    # pending or running, it starts nothing.
    command = line.split(" ", 5)[5].rsplit(" # ", 1)[0]
    for _ in range(2):
        ran = subprocess.run(["/bin/sh", "-c", command], env=env, timeout=120, check=False)
        assert ran.returncode == 0
    cron_log = (scrapyd.exports / "cron.log").read_text(encoding="utf-8")
    assert f"{SITE} {scrapyd.url} " in cron_log  # the line of `scrapy schedule`: <site> <node> <jobid>
    job = cron_log.split(f"{SITE} {scrapyd.url} ", 1)[1].split()[0]
    assert f"{SITE} skipped: job {job} is still " in cron_log
    scrapyd.wait_for(lambda: scrapyd.job_state(job) == "finished", what="the cron-scheduled crawl")
    assert crawl_row(scrapyd, job).status == "finished"

    # Installing twice leaves one block of lines, and the other lines alone.
    crontab = tmp_path / "crontab"
    crontab.write_text("MAILTO=ops@example.com\n15 * * * * /usr/bin/backup # someone else's\n", encoding="utf-8")
    for _ in range(2):
        installed = scrapy("--install", "--crontab-file", str(crontab))
        assert installed.returncode == 0, installed.stderr
        assert f"installed {len(sites['sites'])} crontab lines" in installed.stdout
    text = crontab.read_text(encoding="utf-8")
    assert text.count("MAILTO=ops@example.com") == 1 and text.count("/usr/bin/backup") == 1
    assert text.count("# ecommerce_scraper:") == len(sites["sites"])
    assert shlex.quote(str(env_file.resolve())) in text or str(env_file.resolve()) in text
