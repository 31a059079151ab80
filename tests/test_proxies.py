"""Rotating proxies, bans and credentials: a real crawl through three local proxies, one of them
banned half-way, against a demo shop with every fault on; and the pieces on their own.

The crawl runs ``scrapy crawl knitshop`` in a subprocess (tests/crawling.py) with the proxies in
``PROXIES`` and a copy of config/sites.json that sets ``"proxies": true`` for the shop.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse, Request, Response
from sqlalchemy import select

from demo_shops.catalog import build_catalog
from demo_shops.stores import store_for
from ecommerce_scraper.config import DEFAULT_CONFIG_PATH
from ecommerce_scraper.middlewares.bans import response_ban_reason
from ecommerce_scraper.middlewares.proxies import ProxyStats
from ecommerce_scraper.middlewares.proxy_list import CredentialsFilter, load_proxies, mask_proxy, parse_proxy
from ecommerce_scraper.storage.models import Crawl
from testkit.crawling import SITE, DemoShop, assert_finished, crawl, demo_shop, engine_for
from testkit.proxies import ForwardProxy, challenge_page, proxy_pool

from .conftest import fetch
from .generic_crawls import generic_crawl

USER, PASSWORD = "scraper-user", "pa:ss w@rd/ö"
PRODUCTS = 60


def sites_with_proxies(tmp_path: Path, site: str = SITE) -> Path:
    config = json.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    config["sites"][site]["proxies"] = True
    path = tmp_path / "sites.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def faulty_shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as shop:
        yield shop


def test_a_crawl_through_proxies_survives_every_fault_and_a_burned_proxy(faulty_shop: DemoShop, tmp_path: Path) -> None:
    fetch(f"{faulty_shop.root}__demo__/faults?spec=all,slow_seconds=0.4,retry_after=1")
    database_url = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    exports = tmp_path / "exports"
    try:
        with proxy_pool(3, username=USER, password=PASSWORD) as proxies:
            burned = proxies[1]
            burned.burn_after(5)  # its address gets banned by the shop early in the crawl
            env = {
                "PROXIES": ",".join(proxy.url_with_credentials for proxy in proxies),
                "SITES_CONFIG": str(sites_with_proxies(tmp_path)),
            }
            run = crawl(
                faulty_shop.url(),
                database_url,
                exports,
                tmp_path / "items.jsonl",
                env=env,
                LOG_LEVEL="DEBUG",
                RETRY_TIMES=10,
                RETRY_BACKOFF_BASE=0.1,
                RETRY_BACKOFF_MAX=1,
                ROTATING_PROXY_BACKOFF_BASE=2,
                ROTATING_PROXY_BACKOFF_CAP=8,
            )
            requests = {proxy.name: proxy.requests for proxy in proxies}
    finally:
        fetch(f"{faulty_shop.root}__demo__/faults?spec=")
    assert_finished(run)
    assert "Deprecat" not in run.output  # the library's spider-argument methods are wrapped

    # 100% of the catalog, once each, each as the shop shows it (nothing made up from a cut page).
    truth = catalog_truth(faulty_shop)
    ids = Counter(item["product_id"] for item in run.items)
    assert set(ids) == set(truth) and max(ids.values()) == 1
    for item in run.items:
        expected = truth[item["product_id"]]
        for field in ("name", "price", "regular_price", "availability", "sku"):
            assert item[field] == expected[field], (item["product_id"], field)

    # Every proxy was used, with its credentials; the burned one was caught and rested.
    assert all(any(r.had_valid_auth for r in seen) for seen in requests.values())
    burned_requests = requests[burned.name]
    first_ban = next(r.monotonic for r in burned_requests if r.outcome == "challenged")
    after = sum(1 for seen in requests.values() for r in seen if r.monotonic > first_ban)
    burned_after = sum(1 for r in burned_requests if r.monotonic > first_ban)
    assert burned_after < 0.15 * after, (burned_after, after)  # far under its third

    stats = crawl_stats(database_url)
    table = {row["proxy"]: row for row in stats["proxies/table"]}
    assert set(table) == {mask_proxy(proxy.url) for proxy in proxies}
    assert table[mask_proxy(burned.url)]["bans"] >= 1
    assert table[mask_proxy(burned.url)]["last_ban_reason"] == "403 cloudflare challenge"
    assert stats["retry/count"] > 0 and stats["retry/retry_after_pauses"] > 0
    assert stats["proxies/bans/403"] >= 1
    assert f"proxy {mask_proxy(burned.url)} banned (403 cloudflare challenge)" in run.output

    # The proxies' figures are exported, by name only.
    rows = list(csv.DictReader(io.StringIO((exports / "proxy_stats.csv").read_text(encoding="utf-8-sig"))))
    assert sorted(row["proxy"] for row in rows) == sorted(table)
    assert all(int(row["requests"]) > 0 for row in rows)

    # Credentials appear nowhere: not in the DEBUG log, the stats, the exports.
    secrets = (PASSWORD, USER, "pa%3Ass", proxies[0].authorization.split()[1])
    stored = json.dumps(stats, ensure_ascii=False)
    for secret in secrets:
        assert secret not in run.output
        assert secret not in stored
    for path in exports.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".html", ".jsonl"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not any(secret in text for secret in secrets), path


def catalog_truth(shop: DemoShop) -> dict[str, dict[str, Any]]:
    store = store_for(build_catalog(SITE, shop.products, 1, 1))
    return {row["product_id"]: row for row in (store.truth(p, shop.url()) for p in store.catalog.products)}


def crawl_stats(database_url: str) -> dict[str, Any]:
    with engine_for(database_url) as engine, engine.connect() as conn:
        return conn.scalar(select(Crawl.stats).where(Crawl.site == SITE)) or {}


def test_every_proxy_resting_slows_the_crawl_down(faulty_shop: DemoShop, tmp_path: Path) -> None:
    outage = 3.0
    with ForwardProxy("only") as proxy:
        proxy.burn_after(3)
        # The only proxy is banned for a while, then the shop lets it in again (timed from the
        # first ban: the crawl's start-up alone may take longer than the outage).
        heal_after_first_ban(proxy, outage)
        run = crawl(
            faulty_shop.url(),
            f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}",
            tmp_path / "exports",
            tmp_path / "items.jsonl",
            env={"PROXIES": proxy.url, "SITES_CONFIG": str(sites_with_proxies(tmp_path))},
            ROTATING_PROXY_BACKOFF_BASE=0.5,
            ROTATING_PROXY_BACKOFF_CAP=1,
            ROTATING_PROXY_PAGE_RETRY_TIMES=50,
            PROXY_WAIT_MAX=1,
        )
        challenged = proxy.challenged
    # Neither failed nor hammered: it waited for the proxy, then crawled everything.
    assert_finished(run)
    assert "every proxy is resting after bans: slowing down" in run.output
    assert {item["product_id"] for item in run.items} == set(catalog_truth(faulty_shop))
    assert run.seconds > outage
    assert challenged <= 15 * outage, challenged  # at most a few tries a second, not a flood


def heal_after_first_ban(proxy: ForwardProxy, outage: float) -> None:
    def heal() -> None:
        deadline = time.monotonic() + 120
        while not proxy.challenged and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(outage)
        proxy.heal()

    threading.Thread(target=heal, daemon=True).start()


def test_a_shop_that_wants_proxies_without_any_fails_at_start(faulty_shop: DemoShop, tmp_path: Path) -> None:
    run = crawl(
        faulty_shop.url(),
        f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}",
        tmp_path / "exports",
        tmp_path / "items.jsonl",
        env={"PROXIES": "", "SITES_CONFIG": str(sites_with_proxies(tmp_path)), "PROXY_LIST_PATH": "/nonexistent"},
    )
    assert run.returncode != 0
    assert f"error: config/sites.json: sites.{SITE}.proxies is true, but no proxies are configured" in run.output
    assert "Traceback" not in run.output and not run.items


def test_a_socks_proxy_is_refused_at_start_with_what_to_use_instead(faulty_shop: DemoShop, tmp_path: Path) -> None:
    run = generic_crawl(
        [faulty_shop.url()],
        tmp_path,
        args={"proxies": "true"},
        env={"PROXIES": "socks5://user:pw@127.0.0.1:1080"},
    )
    assert run.returncode != 0 and not run.items
    assert (
        "error: PROXIES (environment), entry 1: socks5://127.0.0.1:1080 is a SOCKS proxy, which Scrapy can't use: "
        "list the provider's HTTP(S) proxy URL for it instead (http://user:password@host:port), or run a local "
        "SOCKS-to-HTTP bridge and list that\n"
    ) in run.output
    assert "user:pw" not in run.output and "pw@" not in run.output
    assert "Traceback" not in run.output and "Spider opened" not in run.output


# --- the pieces ------------------------------------------------------------------------------


def test_proxy_list_sources_validation_and_masking(tmp_path: Path) -> None:
    listing = tmp_path / "proxies.txt"
    listing.write_text(
        "# comment\nhttp://u1:secret-one@10.0.0.1:8080\n\n10.0.0.2:3128  # no scheme: http\n"
        "https://10.0.0.3:443\nhttp://u1:secret-one@10.0.0.1:8080\n",
        encoding="utf-8",
    )
    proxies = load_proxies({"PROXY_LIST_PATH": str(listing)}, environ={})
    assert [p.name for p in proxies] == ["http://10.0.0.1:8080", "http://10.0.0.2:3128", "https://10.0.0.3:443"]
    assert proxies[0].url == "http://u1:secret-one@10.0.0.1:8080" and "secret-one" in proxies[0].secrets
    # The environment wins, then the setting, then the file.
    from_env = load_proxies({"PROXY_LIST_PATH": str(listing)}, environ={"PROXIES": "http://1.2.3.4:1 1.2.3.5:2"})
    assert [p.name for p in from_env] == ["http://1.2.3.4:1", "http://1.2.3.5:2"]
    assert load_proxies({"PROXY_LIST": ["http://5.6.7.8:9"]}, environ={})[0].name == "http://5.6.7.8:9"
    assert load_proxies({"PROXY_LIST_PATH": str(tmp_path / "none.txt")}, environ={}) == []

    listing.write_text("http://10.0.0.1:8080\nftp://user:hunter22@10.0.0.9:21\n", encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        load_proxies({"PROXY_LIST_PATH": str(listing)}, environ={})
    message = str(refused.value)
    assert message.startswith(f"{listing}:2: 'ftp://***@10.0.0.9:21': only http:// and https:// proxies")
    assert "hunter22" not in message and "user" not in message
    for bad, why in (("http://10.0.0.1", "needs a host and a port"), ("http://h:1/path", "has no path")):
        with pytest.raises(UsageError, match=why):
            parse_proxy(bad, "PROXIES")


def test_ban_rules_tell_a_ban_from_a_busy_shop() -> None:
    request = Request("https://shop.example/p/1")

    def response(status: int, body: str = "<html><body>" + "x" * 200 + "</body></html>", **headers: str) -> Response:
        return HtmlResponse(request.url, status=status, body=body.encode(), headers=headers, request=request)

    challenge = challenge_page("shop.example", "8a1b2c3d4e5f6a7b")
    assert response_ban_reason(request, response(403, challenge)) == "403 cloudflare challenge"
    assert response_ban_reason(request, response(503, challenge)) == "503 cloudflare challenge"
    assert response_ban_reason(request, response(200, "<html><div class='g-recaptcha'></div></html>")) == (
        "200 recaptcha challenge"
    )
    assert response_ban_reason(request, response(403)) == "403 forbidden"
    assert response_ban_reason(request, response(407)) == "407 proxy authentication required"
    assert response_ban_reason(request, response(302, Location="/account/login?next=/p/1")) == (
        "redirect to /account/login?next=/p/1"
    )
    assert response_ban_reason(request, response(200, "<html></html>")) == "empty page"
    # A busy shop, a moved page, a missing one: not the proxy's fault.
    for status, extra in ((429, {"Retry-After": "5"}), (503, {}), (404, {}), (500, {})):
        assert response_ban_reason(request, response(status, **extra)) is None
    assert response_ban_reason(request, response(301, Location="/p/1-new-name")) is None
    assert response_ban_reason(request, response(200)) is None
    # A proxy that can't be reached: tests/test_proxies_dead.py, with real dead proxies.


def test_proxy_stats_keep_a_flat_latency_sample() -> None:
    figures = ProxyStats(["http://10.0.0.1:8080"])
    for index in range(20_000):
        figures.record("http://10.0.0.1:8080", latency=(index % 100) / 100, ban_reason=None)
    figures.record("http://10.0.0.1:8080", latency=None, ban_reason="403 forbidden")
    figures.record("http://10.0.0.1:8080", latency=None, ban_reason=None, error=True)
    [row] = figures.table()
    assert (row["requests"], row["successes"], row["bans"], row["errors"]) == (20_002, 20_000, 1, 1)
    assert row["mean_latency_ms"] == 495 and 900 <= row["p95_latency_ms"] <= 990
    assert row["last_ban_reason"] == "403 forbidden"
    assert len(figures.records["http://10.0.0.1:8080"].samples) == 2048


def test_the_credentials_filter_scrubs_messages_arguments_and_tracebacks(caplog: Any) -> None:
    proxy = parse_proxy("http://agent:s3cr3t-pw@10.0.0.1:8080", "test")
    scrub = CredentialsFilter(proxy.secrets)
    logger = logging.getLogger("test.credentials")
    logger.addFilter(scrub)
    try:
        with caplog.at_level(logging.INFO, logger="test.credentials"):
            logger.info("using %s", proxy.url)
            try:
                raise ValueError(f"cannot connect to {proxy.url}")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.removeFilter(scrub)
    assert "s3cr3t-pw" not in caplog.text and "agent" not in caplog.text
    assert "using http://***:***@10.0.0.1:8080" in caplog.text
