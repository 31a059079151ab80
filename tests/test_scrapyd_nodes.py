"""Several machines, on loopback (issue 17): two real Scrapyd nodes with authentication, one
PostgreSQL database, the seven demo shops.

One module fixture deploys to both nodes (what ``make deploy`` runs) and schedules every shop with
``scrapy schedule --all``, then asks again at once; the tests read what that left: both nodes
used, every shop crawled exactly once (its files on its node and copied to ``EXPORTS_URI``: one
node's by ``file://``, the other's by ``ftp://`` to a local FTP server),
the second run skipping them all, ``scrapy export
--master`` on a third machine's folder. Then a node dies mid-crawl (Scrapyd and its crawls
killed): its crawl ends ``aborted`` with nothing removed, and the next ``schedule`` runs the shop
on the other node.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ecommerce_scraper.storage.models import Crawl, Product
from testkit import zygote
from testkit.crawling import DemoShop, demo_shop, engine_for
from testkit.ftp import ftp_server
from testkit.scrapyd import PASSWORD, PROJECT, USER, Scrapyd, ops, scrapyd_node, wait_for
from testkit.web import ROOT

from .conftest import chromium_path, require_service
from .db import fresh_database, sqlite_url

SHOPS = ["atmosphere", "sittingknitting", "knitshop", "ili_ili", "triskeli", "manefa", "cityknitting"]
PRODUCTS = 6
#: Politeness lifted for the demo; Scrapy's HTTP handler stays Playwright's (manefa needs Chromium).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=false", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


@dataclass
class Cluster:
    nodes: list[Scrapyd]
    env: dict[str, str]  # the operator's: SCRAPYD_URLS, credentials, DATABASE_URL
    shop: DemoShop
    deploy: subprocess.CompletedProcess[str]
    first: dict[str, list[str]]  # site -> its line of the first `schedule --all`, split
    second: subprocess.CompletedProcess[str]  # `schedule --all` again, at once

    @property
    def shared(self) -> Path:
        return self.nodes[0].folder.parent / "shared"

    @property
    def database(self) -> str:
        return self.env["DATABASE_URL"]

    def node(self, url: str) -> Scrapyd:
        return next(node for node in self.nodes if node.url == url)


def scrapy(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return zygote.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=env, timeout=120)


def schedule(env: dict[str, str], shop: DemoShop, *args: str) -> subprocess.CompletedProcess[str]:
    return scrapy(env, "schedule", *args, "-a", f"base_url={shop.root}{{site}}/", *FAST)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_service(chromium_path() is not None, "Chromium")  # manefa is a JavaScript storefront
    folder = tmp_path_factory.mktemp("nodes")
    shared = folder / "shared"  # EXPORTS_URI: where both nodes copy their files, one by file://, one by FTP
    with (
        fresh_database("postgresql", folder) as database,
        demo_shop(PRODUCTS) as shop,
        ftp_server(shared, "exports", "ftp-test-secret") as ftp,
        scrapyd_node(folder / "a", DATABASE_URL=database, EXPORTS_URI=shared.as_uri()) as first,
        scrapyd_node(folder / "b", DATABASE_URL=database, EXPORTS_URI=f"{ftp}/") as other,
    ):
        env = {
            **os.environ,
            "SCRAPYD_URLS": f"{first.url} {other.url}",
            "SCRAPYD_USERNAME": USER,
            "SCRAPYD_PASSWORD": PASSWORD,
            "SCRAPYD_ENV_FILE": str(folder / "none.env"),
            "DATABASE_URL": database,
            "EXPORTS_DIR": str(folder / "reader"),
        }
        env.pop("SCRAPYD_URL", None)
        deployed = ops("deploy", env)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        ran = schedule(env, shop, "--all")
        again = schedule(env, shop, "--all")  # at once: every job still pending or running
        assert ran.returncode == 0, ran.stdout + ran.stderr
        first_lines = {line.split()[0]: line.split() for line in ran.stdout.splitlines()}
        cluster = Cluster([first, other], env, shop, deployed, first_lines, again)
        for site, (_, node, job) in first_lines.items():
            scrapyd = cluster.node(node)
            wait_for(lambda scrapyd=scrapyd, job=job: scrapyd.job_state(job) == "finished", what=f"{site}'s crawl")
        yield cluster


def crawls(database: str) -> list[Crawl]:
    with engine_for(database) as engine, engine.connect() as conn:
        return list(conn.execute(select(Crawl).order_by(Crawl.started_at)))


def removed(database: str) -> int:
    with engine_for(database) as engine, engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Product).where(Product.removed_at.is_not(None))) or 0


def test_deploy_puts_one_version_on_every_node(cluster: Cluster) -> None:
    lines = cluster.deploy.stdout.splitlines()
    versions = {node.url: node.call(f"listversions.json?project={PROJECT}")["versions"] for node in cluster.nodes}
    (version,) = {found[-1] for found in versions.values()}
    assert lines == [f"{node.url} deployed {PROJECT} version {version}" for node in cluster.nodes]
    listed = scrapy(cluster.env, "nodes")
    assert listed.returncode == 0, listed.stderr
    for node, line in zip(cluster.nodes, listed.stdout.splitlines()[1:], strict=True):
        assert line.split()[:3] == [node.url, "yes", version]


def test_schedule_all_runs_every_shop_once_over_both_nodes(cluster: Cluster) -> None:
    assert sorted(cluster.first) == sorted(SHOPS)
    assert {node for _, node, _ in cluster.first.values()} == {node.url for node in cluster.nodes}
    rows = crawls(cluster.database)
    assert sorted(row.site for row in rows) == sorted(SHOPS)  # once each
    for row in rows:
        _, node, job = cluster.first[row.site]
        assert (row.job_id, row.status, row.items_count) == (job, "finished", PRODUCTS), row.status_note
        assert row.stats["jobs/node"] == node  # where a stopped crawl's job folder would be
        assert (cluster.node(node).exports / row.site / "latest" / "full.csv").is_file()  # on its own node
        assert (cluster.shared / row.site / row.crawl_id / "full.csv").is_file()  # and copied to EXPORTS_URI
        assert "ftp-test-secret" not in cluster.node(node).log(row.site, job)
    assert (cluster.shared / "master.xlsx").is_file()


def test_schedule_again_while_they_run_skips_every_shop(cluster: Cluster) -> None:
    assert cluster.second.returncode == 0, cluster.second.stderr
    lines = cluster.second.stdout.splitlines()
    assert len(lines) == len(SHOPS)
    for line in lines:
        site, _, why = line.partition(" skipped: job ")
        job = why.split()[0]
        assert job == cluster.first[site][2], line


def test_export_master_gathers_every_shop_from_the_database(cluster: Cluster) -> None:
    exported = scrapy(cluster.env, "export", "--master")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    reader = Path(cluster.env["EXPORTS_DIR"])
    book = load_workbook(reader / "master.xlsx", read_only=True)
    assert set(SHOPS) <= set(book.sheetnames)
    assert (reader / "index.html").is_file()
    assert not any((reader / site).exists() for site in SHOPS)  # only the master files


def test_sqlite_with_two_nodes_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    refused = schedule({**cluster.env, "DATABASE_URL": sqlite_url(tmp_path)}, cluster.shop, "--all")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "scrapy schedule: error: several Scrapyd nodes (SCRAPYD_URLS) share one database: DATABASE_URL must be "
        "PostgreSQL, not SQLite (each node would write its own file)"
    ]
    assert refused.stdout == ""


def test_a_node_lost_mid_crawl_and_the_shop_runs_on_the_other(cluster: Cluster) -> None:
    """Last: it kills the first node's machine, as far as this test can (Scrapyd and its crawls)."""
    site = "knitshop"
    # Progress every second (what the crawl records and what `schedule` reads): a dead crawl is
    # told from a live one after 3 s here, not 90.
    often = ("-s", "PROGRESS_INTERVAL=1")
    slow = schedule(cluster.env, cluster.shop, site, *often, "-s", "DOWNLOAD_DELAY=0.5")
    _, node_url, job = slow.stdout.split()
    lost = cluster.node(node_url)
    lost.wait_for(lambda: f"crawling {site} from" in lost.log(site, job), what="the slow crawl to crawl")
    lost.kill()
    dead = crawls(cluster.database)[-1]
    assert (dead.job_id, dead.status) == (job, "running")  # nobody closed it

    # The next `schedule`: the lost node is a warning; the shop waits while its crawl might still
    # live somewhere, then goes to the other node.
    (other,) = [node for node in cluster.nodes if node is not lost]
    deadline = time.monotonic() + 30
    while True:
        again = schedule(cluster.env, cluster.shop, site, *often)
        assert again.returncode == 0, again.stderr
        assert f"Scrapyd node {lost.url} does not answer" in again.stderr
        if " skipped: " not in again.stdout:
            break
        assert f"skipped: crawl {dead.crawl_id} is running per the database" in again.stdout
        assert time.monotonic() < deadline, again.stdout
        time.sleep(1)
    _, where, rerun = again.stdout.split()
    assert where == other.url
    other.wait_for(lambda: other.job_state(rerun) == "finished", what="the crawl on the other node")
    rows = {row.job_id: row for row in crawls(cluster.database)}
    assert rows[job].status == "aborted" and rows[job].items_count < PRODUCTS  # found by the next crawl
    assert (rows[rerun].status, rows[rerun].items_count) == ("finished", PRODUCTS)
    assert removed(cluster.database) == 0
