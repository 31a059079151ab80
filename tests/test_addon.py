"""The project add-on (``CrawlSetup``) and the spider arguments, in process: a crawler from
``get_crawler``, its spider made as ``scrapy crawl`` makes it, then the add-on's
``update_settings`` on the settings the crawl would start with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from ecommerce_scraper.addon import CrawlSetup
from ecommerce_scraper.jobs import Job
from ecommerce_scraper.spiders.generic import GenericSpider
from ecommerce_scraper.spiders.knitshop import KnitshopSpider
from ecommerce_scraper.spiders.params import GenericParams, ShopParams

STORAGE = {"ecommerce_scraper.pipelines.storage.StoragePipeline": 800}
DEAD_POSTGRES = "postgresql+psycopg://nobody@127.0.0.1:1/x"


@pytest.fixture(autouse=True)
def no_proxies_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROXIES", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("PROXY_LIST_PATH", str(tmp_path / "no-proxies.txt"))


def set_up(spidercls: type[Spider], tmp_path: Path, arguments: dict[str, Any] | None = None, **settings: Any):
    """The crawl's settings after the add-on ran, for ``spidercls`` made with ``arguments``."""
    crawler = get_crawler(spidercls, {})
    crawler.spider = crawler._create_spider(**(arguments or {}))
    crawl_settings = Settings(
        {
            "ITEM_PIPELINES": {},
            "EXPORTS_DIR": str(tmp_path),
            "JOBS_DIR": str(tmp_path / "jobs"),
            "PROXY_LIST_PATH": str(tmp_path / "no-proxies.txt"),
            **settings,
        }
    )
    CrawlSetup.from_crawler(crawler).update_settings(crawl_settings)
    return crawl_settings


# --- job folder and crawl id --------------------------------------------------------------------


def test_a_crawl_gets_its_own_job_folder_and_crawl_id(tmp_path: Path) -> None:
    settings = set_up(KnitshopSpider, tmp_path)
    crawl_id = settings["CRAWL_ID"]
    assert Path(settings["JOBDIR"]) == tmp_path / "jobs" / "knitshop" / crawl_id
    assert not Path(settings["JOBDIR"]).exists()  # made when the crawl opens, not before
    again = set_up(KnitshopSpider, tmp_path)
    assert again["CRAWL_ID"] != crawl_id and again["JOBDIR"] != settings["JOBDIR"]


def test_resume_goes_on_with_the_stopped_crawl(tmp_path: Path) -> None:
    stopped = tmp_path / "jobs" / "knitshop" / "20250101T000000Z-abcd"
    Job("knitshop", "20250101T000000Z-abcd", "stopped", 1, "2025-01-01T00:00:00+00:00").write(stopped)
    settings = set_up(KnitshopSpider, tmp_path, RESUME=True)
    assert (settings["JOBDIR"], settings["CRAWL_ID"]) == (str(stopped), "20250101T000000Z-abcd")


def test_the_command_line_wins(tmp_path: Path) -> None:
    given = str(tmp_path / "here")
    settings = Settings({"ITEM_PIPELINES": {}, "JOBS_DIR": str(tmp_path / "jobs")})
    settings.set("JOBDIR", given, priority="cmdline")
    settings.set("CRAWL_ID", "mine", priority="cmdline")
    crawler = get_crawler(KnitshopSpider, {})
    crawler.spider = crawler._create_spider()
    CrawlSetup(crawler).update_settings(settings)
    assert (settings["JOBDIR"], settings["CRAWL_ID"]) == (given, "mine")


def test_without_jobs_a_crawl_still_gets_a_crawl_id(tmp_path: Path) -> None:
    settings = set_up(KnitshopSpider, tmp_path, JOBS_ENABLED=False)
    assert settings["CRAWL_ID"] and not settings.get("JOBDIR")


# --- checks before the first request -----------------------------------------------------------


def test_an_unreachable_database_stops_the_crawl_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as failed:
        set_up(KnitshopSpider, tmp_path, ITEM_PIPELINES=STORAGE, DATABASE_URL=DEAD_POSTGRES)
    assert DEAD_POSTGRES in str(failed.value) and "\n" not in str(failed.value)


def test_a_reachable_database_passes(tmp_path: Path) -> None:
    settings = set_up(KnitshopSpider, tmp_path, ITEM_PIPELINES=STORAGE, DATABASE_URL=f"sqlite:///{tmp_path}/c.db")
    assert settings["CRAWL_ID"] and (tmp_path / "c.db").is_file()


def test_a_shop_that_wants_proxies_needs_some(tmp_path: Path) -> None:
    class ProxiedShop(KnitshopSpider):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.use_proxies = True
            self.proxies_wanted_by = "config/sites.json: sites.knitshop.proxies"

    with pytest.raises(UsageError) as failed:
        set_up(ProxiedShop, tmp_path)
    assert str(failed.value).startswith(
        "config/sites.json: sites.knitshop.proxies is true, but no proxies are configured (config/proxies.txt"
    )
    settings = set_up(ProxiedShop, tmp_path, PROXY_LIST="http://proxy-a.test:8080")
    assert settings["CRAWL_ID"]


def test_the_generic_spider_asked_for_proxies_needs_some(tmp_path: Path) -> None:
    arguments = {"url": "https://shop.example/", "proxies": "true"}
    with pytest.raises(UsageError, match=r"^argument proxies is true, but no proxies are configured"):
        set_up(GenericSpider, tmp_path, arguments)
    assert set_up(GenericSpider, tmp_path, {"url": "https://shop.example/"})["CRAWL_ID"]  # not asked: none needed


def test_a_malformed_proxy_list_names_its_entry(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^PROXY_LIST \(setting\), entry 2: .*socks5://p.test:1080 is a SOCKS proxy"):
        set_up(KnitshopSpider, tmp_path, PROXY_LIST="http://a.test:8080,socks5://p.test:1080")


def test_a_malformed_ai_setting_stops_the_crawl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with pytest.raises(UsageError, match="AI_PRICE_OUTPUT_PER_MTOK must be a decimal number"):
        set_up(KnitshopSpider, tmp_path, AI_PRICE_OUTPUT_PER_MTOK="-1")


# --- spider arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "https://a.example/", "follow": "maybe"}, "argument follow='maybe': expected true or false"),
        ({"url": "https://a.example/", "proxies": "2"}, "argument proxies='2': expected true or false"),
        ({"url": "https://a.example/", "currency": "euro"}, "argument currency='euro': String should match pattern"),
        ({"url": "https://a.example/", "platform": "wix"}, "argument platform='wix': Input should be 'auto'"),
        ({"url": " , "}, "argument url=' , ': give the shop(s) to crawl: -a url=URL[,URL...]"),
        ({}, "generic: give the shop(s) to crawl: -a url=URL[,URL...]"),
    ],
)
def test_a_wrong_generic_argument_is_named(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as failed:
        GenericParams.from_arguments(arguments)
    assert str(failed.value).startswith(message)


def test_every_wrong_argument_is_named_at_once() -> None:
    with pytest.raises(UsageError) as failed:
        GenericParams.from_arguments({"url": "https://a.example/", "follow": "maybe", "proxies": "x"})
    assert str(failed.value) == (
        "argument follow='maybe': expected true or false; argument proxies='x': expected true or false"
    )


def test_generic_arguments_are_read() -> None:
    params = GenericParams.from_arguments(
        {"url": "https://a.example/, https://b.example/x", "follow": "No", "proxies": "on", "_job": "j1"}
    )
    assert params.url == ["https://a.example/", "https://b.example/x"]
    assert (params.follow, params.proxies, params.platform, params.currency) == (False, True, "auto", "EUR")


def test_shop_arguments() -> None:
    assert ShopParams.from_arguments({"product_pages": "false"}).product_pages is False
    assert ShopParams.from_arguments({}).product_pages is None
    with pytest.raises(UsageError, match=r"^argument product_pages='sometimes': expected true or false$"):
        ShopParams.from_arguments({"product_pages": "sometimes"})


def test_a_spider_made_with_a_wrong_argument_names_it(tmp_path: Path) -> None:
    crawler = get_crawler(KnitshopSpider, {})
    with pytest.raises(UsageError, match=r"^argument base_url='ftp://x': "):
        crawler._create_spider(base_url="ftp://x")
    with pytest.raises(UsageError, match=r"^argument follow='maybe': expected true or false$"):
        get_crawler(GenericSpider, {})._create_spider(url="https://a.example/", follow="maybe")
    spider = crawler._create_spider(base_url="http://shop.test/knitshop/", product_pages="no", _job="j1")
    assert spider.site.base_url == "http://shop.test/knitshop/" and spider.site.fetch_product_pages is False
    assert spider._job == "j1"  # arguments not named pass through to scrapy.Spider
