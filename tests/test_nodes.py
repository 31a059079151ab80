"""Several Scrapyd nodes, in-process: which nodes, which node a shop goes to, ``{site}``, nodes down
or refusing the credentials, a shop never started twice (the advisory lock), resuming on the node
holding the job folder, ``scrapy nodes``' lines, SQLite refused, ``EXPORTS_URI`` uploads.

The nodes are :class:`testkit.scrapyd.FakeScrapyd` servers speaking Scrapyd's JSON API on
loopback; the database is a real one (SQLite file, PostgreSQL schema). The real Scrapyd nodes are
in test_scrapyd_nodes.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.exceptions import UsageError
from scrapy.utils.test import get_crawler
from sqlalchemy.orm import Session

from ecommerce_scraper.addon import CrawlSetup
from ecommerce_scraper.commands.nodes import add_crawl_errors, format_nodes, report_of
from ecommerce_scraper.exports.upload import ExportUploader
from ecommerce_scraper.ops import OpsError
from ecommerce_scraper.ops.distribute import JobOptions, schedule_sites
from ecommerce_scraper.ops.nodes import Node, node_urls
from ecommerce_scraper.storage.db import open_database
from ecommerce_scraper.storage.models import Crawl
from testkit.scrapyd import PASSWORD, USER, FakeScrapyd, fake_scrapyd
from testkit.web import free_port

from .db import fresh_database, sqlite_url

SHOPS = ["atmosphere", "knitshop", "manefa"]


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[str]:
    with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
def two() -> Iterator[tuple[FakeScrapyd, FakeScrapyd]]:
    with fake_scrapyd() as first, fake_scrapyd() as second:
        yield first, second


def nodes_of(*fakes: FakeScrapyd, password: str = PASSWORD) -> list[Node]:
    return [Node(fake.url, USER, password) for fake in fakes]


def fields(fake: FakeScrapyd, site: str) -> dict[str, list[str]]:
    (asked,) = [one for one in fake.scheduled if one["spider"] == [site]]
    return asked


def add_crawl(url: str, site: str, status: str, **values: object) -> None:
    engine = open_database(url)
    try:
        with Session(engine) as session, session.begin():
            started = values.pop("started_at", datetime.now(UTC))
            session.add(
                Crawl(site=site, crawl_id=f"c-{site}", spider=site, started_at=started, status=status, **values)
            )
    finally:
        engine.dispose()


def test_node_urls_several_one_default_and_mistakes() -> None:
    assert node_urls({"SCRAPYD_URLS": "http://a:6800/ http://b:6800 http://a:6800"}) == [
        "http://a:6800",
        "http://b:6800",
    ]
    assert node_urls({"SCRAPYD_URL": "http://c:6800/"}) == ["http://c:6800"]
    assert node_urls({}) == ["http://127.0.0.1:6800"]
    with pytest.raises(OpsError, match="SCRAPYD_URLS is set but empty"):  # never the local default then
        node_urls({"SCRAPYD_URLS": "  ", "SCRAPYD_URL": "http://c:6800"})
    with pytest.raises(OpsError, match="not in a Scrapyd URL"):
        node_urls({"SCRAPYD_URLS": "http://u:secret@a:6800"})
    with pytest.raises(OpsError, match="not a Scrapyd URL"):
        node_urls({"SCRAPYD_URLS": "a:6800"})


def test_each_shop_goes_to_the_least_busy_node_with_site_substituted(
    two: tuple[FakeScrapyd, FakeScrapyd], postgres: str
) -> None:
    first, second = two
    first.other_projects_busy = 1  # another project's job: the first node is busier at the start
    options = JobOptions([("base_url", "http://127.0.0.1:8800/{site}/")], [("LOG_FILE", "/var/log/{site}.log")])
    placed = schedule_sites(SHOPS, nodes_of(first, second), postgres, options)
    assert [(one.site, one.node) for one in placed] == [
        ("atmosphere", second.url),  # 0 < 1
        ("knitshop", first.url),  # 1 = 1: the first listed
        ("manefa", second.url),  # 2 > 1
    ]
    assert [one.line() for one in placed] == [f"{one.site} {one.node} {one.job}" for one in placed]
    asked = fields(first, "knitshop")
    assert asked["project"] == ["ecommerce_scraper"]
    assert asked["base_url"] == ["http://127.0.0.1:8800/knitshop/"]
    assert asked["setting"] == [
        "LOG_FILE=/var/log/knitshop.log",
        f"SCRAPYD_NODE={first.url}",
        f"SCRAPYD_URLS={first.url} {second.url}",  # the crawl refuses SQLite with several nodes
    ]


def test_a_shop_pending_or_running_on_any_node_is_skipped(two: tuple[FakeScrapyd, FakeScrapyd], postgres: str) -> None:
    first, second = two
    running = second.add_job("running", "knitshop")
    pending = first.add_job("pending", "manefa")
    placed = schedule_sites(SHOPS, nodes_of(first, second), postgres)
    lines = [one.line() for one in placed]
    assert lines[1] == f"knitshop skipped: job {running} is still running on {second.url}"
    assert lines[2] == f"manefa skipped: job {pending} is still pending on {first.url}"
    assert placed[0].scheduled
    assert [one["spider"] for one in first.scheduled + second.scheduled] == [["atmosphere"]]


def test_nodes_down_or_refusing_are_skipped_with_a_warning_none_answering_is_an_error(
    postgres: str, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with fake_scrapyd() as live, fake_scrapyd(password="another") as refusing:  # noqa: S106
        warnings: list[str] = []
        nodes = [Node(down, USER, PASSWORD), *nodes_of(refusing, live)]
        placed = schedule_sites(["knitshop"], nodes, postgres, warn=warnings.append)
        assert placed[0].node == live.url
        assert warnings == [
            f"Scrapyd node {down} does not answer (ConnectionError): skipped",
            f"Scrapyd node {refusing.url} refuses the credentials (401; SCRAPYD_USERNAME / SCRAPYD_PASSWORD): skipped",
        ]
        with pytest.raises(OpsError, match=r"no Scrapyd node answers \(.*\): nothing scheduled"):
            schedule_sites(["knitshop"], nodes[:2], postgres, warn=warnings.append)
    # One node on SQLite is fine; several are refused before any node is asked.
    with fake_scrapyd() as only:
        assert schedule_sites(["knitshop"], nodes_of(only), sqlite_url(tmp_path))[0].scheduled
        with pytest.raises(OpsError, match="DATABASE_URL must be PostgreSQL"):
            schedule_sites(["knitshop"], [*nodes_of(only), Node(down)], sqlite_url(tmp_path))
        assert len(only.scheduled) == 1


def test_a_node_silent_after_taking_the_job_is_not_replaced_by_another(
    two: tuple[FakeScrapyd, FakeScrapyd], postgres: str
) -> None:
    """It may have started the job: another node now could crawl the shop twice."""
    first, second = two
    first.schedule_delay = 1.0
    nodes = [Node(first.url, USER, PASSWORD, schedule_timeout=0.3), *nodes_of(second)]
    warnings: list[str] = []
    (placed,) = schedule_sites(["knitshop"], nodes, postgres, warn=warnings.append)
    assert placed.failed and placed.line() == (
        f"knitshop skipped: {first.url} gave no answer in time; the job may have started there"
    )
    assert warnings == [f"Scrapyd node {first.url} gave no answer to schedule.json in time (ReadTimeout)"]
    assert second.scheduled == []


def test_two_runs_at_the_same_moment_start_each_shop_once(two: tuple[FakeScrapyd, FakeScrapyd], postgres: str) -> None:
    first, second = two
    for fake in two:
        fake.schedule_delay = 0.2  # without the lock, both runs list the jobs before either schedules
    results: list[list[str]] = []

    def run() -> None:
        results.append([one.line() for one in schedule_sites(SHOPS, nodes_of(first, second), postgres)])

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    started = sorted(one["spider"][0] for one in first.scheduled + second.scheduled)
    assert started == sorted(SHOPS), results
    assert sum(" skipped: job " in line for lines in results for line in lines) == len(SHOPS)


def test_a_crawl_running_per_the_database_on_no_answering_node_is_not_started_again(
    two: tuple[FakeScrapyd, FakeScrapyd], postgres: str
) -> None:
    """Its node unreachable (or a crawl started by hand): skipped while its progress is fresh;
    a crawl whose process is gone stops updating, and is scheduled again after 3 intervals."""
    now = datetime.now(UTC)
    add_crawl(postgres, "knitshop", "running", stats={"progress/updated_at": (now - timedelta(seconds=20)).isoformat()})
    add_crawl(postgres, "manefa", "running", started_at=now - timedelta(hours=2))  # killed long ago
    placed = schedule_sites(SHOPS, nodes_of(*two), postgres, progress_interval=30)
    assert placed[1].line().startswith("knitshop skipped: crawl c-knitshop is running per the database (progress 2")
    assert placed[0].scheduled and placed[2].scheduled


def test_resume_goes_to_the_node_holding_the_job_folder(two: tuple[FakeScrapyd, FakeScrapyd], postgres: str) -> None:
    first, second = two
    second.other_projects_busy = 5  # the busier one, but it holds the folder
    add_crawl(postgres, "knitshop", "cancelled", stats={"jobs/node": second.url + "/"})
    finished_job = first.add_job("finished", "manefa")  # a crawl that did not record its node
    add_crawl(postgres, "manefa", "cancelled", job_id=finished_job)
    resume = JobOptions(settings=[("RESUME", "true")])
    placed = schedule_sites(SHOPS, nodes_of(first, second), postgres, resume)
    assert [one.node for one in placed] == [first.url, second.url, first.url]
    assert "RESUME=true" in fields(second, "knitshop")["setting"]

    # The holder down: the shop waits for it rather than starting over elsewhere.
    add_crawl(postgres, "triskeli", "cancelled", stats={"jobs/node": "http://127.0.0.1:9/"})
    down = Node("http://127.0.0.1:9")
    placed = schedule_sites(["triskeli"], [*nodes_of(first), down], postgres, resume, warn=lambda _: None)
    assert (
        placed[0].line()
        == "triskeli skipped: its stopped crawl's job folder is on http://127.0.0.1:9, which does not answer"
    )


def test_scrapy_nodes_lines(two: tuple[FakeScrapyd, FakeScrapyd], postgres: str) -> None:
    first, _ = two
    failed_job = first.add_job("finished", "knitshop")
    first.add_job("running", "manefa")
    add_crawl(postgres, "knitshop", "aborted", job_id=failed_job, status_note="never finished (killed or crashed)")
    down = Node(f"http://127.0.0.1:{free_port()}")
    reports = [report_of(node) for node in [*nodes_of(first), down]]
    add_crawl_errors(reports, postgres)
    lines = format_nodes(reports).splitlines()
    assert lines[0].split() == ["NODE", "REACHABLE", "VERSION", "PENDING", "RUNNING", "FINISHED", "LAST", "ERROR"]
    assert lines[1].split()[:6] == [first.url, "yes", "1700000000", "0", "1", "1"]
    assert lines[1].endswith("knitshop crawl c-knitshop aborted: never finished (killed or crashed)")
    assert lines[2].split()[:6] == [down.url, "no", "—", "—", "—", "—"]
    assert lines[2].endswith("does not answer (ConnectionError)")


def test_a_crawl_with_several_nodes_refuses_sqlite_at_start_up(tmp_path: Path) -> None:
    settings = {"SCRAPYD_URLS": "http://a:6800 http://b:6800", "DATABASE_URL": sqlite_url(tmp_path)}
    crawler = get_crawler(Spider, settings)
    with pytest.raises(UsageError, match="DATABASE_URL must be PostgreSQL"):
        CrawlSetup(crawler).update_settings(crawler.settings)
    assert not (tmp_path / "catalog.sqlite3").exists()


def test_exports_uri_uploads_files_to_the_same_relative_paths(tmp_path: Path) -> None:
    exports, shared = tmp_path / "exports", tmp_path / "shared"
    files = [exports / "knitshop" / "c1" / "full.csv", exports / "master.xlsx"]
    for number, path in enumerate(files):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * (number + 1))
    crawler = get_crawler(Spider, {"EXPORTS_DIR": str(exports), "EXPORTS_URI": shared.as_uri()})
    crawler.spider = Spider.from_crawler(crawler, name="knitshop")
    uploader = ExportUploader.from_crawler(crawler)
    assert uploader is not None
    assert asyncio.run(uploader.upload(files)) == 2  # file:// stores synchronously: no reactor needed
    assert (shared / "knitshop" / "c1" / "full.csv").read_bytes() == b"x"
    assert (shared / "master.xlsx").read_bytes() == b"xx"
    unset = get_crawler(Spider, {"EXPORTS_DIR": str(exports)})
    assert ExportUploader.from_crawler(unset) is None
