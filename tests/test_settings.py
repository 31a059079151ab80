"""Politeness is the default; the command line (and only it) lifts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.crawler import CrawlerRunner
from scrapy.settings import BaseSettings
from scrapy.utils.project import get_project_settings

from ecommerce_scraper.config import load_sites


def _crawler_settings(spider: str, overrides: dict | None = None) -> BaseSettings:
    settings = get_project_settings()
    if overrides:
        settings.setdict(overrides, priority="cmdline")
    return CrawlerRunner(settings).create_crawler(spider).settings


@pytest.mark.parametrize("spider", ["atmosphere", "knitshop", "manefa"])
def test_shop_spiders_are_polite_by_default(spider: str) -> None:
    settings = _crawler_settings(spider)
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getfloat("DOWNLOAD_DELAY") == pytest.approx(0.5)  # 2 requests/s
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    user_agent = settings.get("USER_AGENT")
    assert load_sites().bot.contact_url in user_agent and "ecommerce_scraper" in user_agent


def test_command_line_overrides_the_site_rate() -> None:
    settings = _crawler_settings("knitshop", {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert not settings.getbool("AUTOTHROTTLE_ENABLED")


def test_site_rate_limit_sets_the_delay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "sites.json"
    config.write_text(
        '{"sites": {"knitshop": {"base_url": "https://k.example/", "rate_limit": 0.25, "concurrency": 1}}}'
    )
    monkeypatch.setenv("SITES_CONFIG", str(config))
    settings = _crawler_settings("knitshop")
    assert settings.getfloat("DOWNLOAD_DELAY") == pytest.approx(4.0)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
