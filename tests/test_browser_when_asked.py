"""BrowserWhenAsked: a crawl loads Playwright only for a page that asks for the browser.

A JavaScript shop's pages going through the browser is tested by the generic crawl of the seven
demo shops (tests/test_spiders.py: manefa is a JavaScript storefront).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

BUILD_THE_HANDLERS = """
import sys
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy import Spider
from scrapy.utils.test import get_crawler
from ecommerce_scraper.browser import BrowserWhenAsked

class Probe(Spider):
    name = "probe"

crawler = get_crawler(Probe, get_project_settings().copy_to_dict())
handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
handler = BrowserWhenAsked.from_crawler(crawler)
print(handlers["http"], handlers["https"], handler.browser, sorted(m for m in sys.modules if "playwright" in m))
"""


def test_the_project_downloads_without_loading_playwright_until_asked(tmp_path: Path) -> None:
    # The crawler's add-on checks the database: a fresh one of its own, not exports/'s.
    env = {**os.environ, "EXPORTS_DIR": str(tmp_path)}
    built = subprocess.run(
        [sys.executable, "-c", BUILD_THE_HANDLERS], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert built.returncode == 0, built.stderr[-2000:]
    handler = "ecommerce_scraper.browser.BrowserWhenAsked"
    assert built.stdout.split() == [handler, handler, "None", "[]"], built.stderr[-2000:]
