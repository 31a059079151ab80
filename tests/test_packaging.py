"""What a fresh checkout does and ships: the Scrapyd egg holds what a crawl needs and nothing of
the demo shops, tests or benchmarks; building a ``Crawler`` for any spider writes no file.

Both run on a copy of the tracked files (a clean clone, less the history), so that they see
what a fresh machine sees and leave nothing in the work tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, truth


def tracked_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tracked_copy(tmp_path_factory.mktemp("checkout") / "project")


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if "__pycache__" not in path.parts}


BUILD_EVERY_CRAWLER = """
from scrapy.crawler import CrawlerRunner
from scrapy.utils.project import get_project_settings

runner = CrawlerRunner(get_project_settings())
names = runner.spider_loader.list()
for name in names:
    runner.create_crawler(name)
print(len(names))
"""


def test_building_a_crawler_for_every_spider_writes_no_file(checkout: Path) -> None:
    before = files_under(checkout)
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "EXPORTS_DIR", "JOBS_DIR")}
    result = subprocess.run(
        [sys.executable, "-c", BUILD_EVERY_CRAWLER], cwd=checkout, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) == 8  # seven shops and generic
    assert files_under(checkout) - before == set()


def test_the_egg_holds_the_crawler_and_no_demo_code(checkout: Path, tmp_path: Path) -> None:
    project = checkout
    egg = tmp_path / "project.egg"
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    result = subprocess.run(
        [str(deploy), "--build-egg", str(egg)], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    names = zipfile.ZipFile(egg).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"ecommerce_scraper", "EGG-INFO"}, tops
    for needed in (
        "ecommerce_scraper/settings.py",
        "ecommerce_scraper/spiders/knitshop.py",
        "ecommerce_scraper/data/sites.json",
        "ecommerce_scraper/exports/templates/report.html",
        "ecommerce_scraper/storage/migrations/env.py",
    ):
        assert needed in names, needed
    assert not [name for name in names if "demo" in name.split("/")[1]], "demo code in the egg"
    entry_points = zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    assert "settings = ecommerce_scraper.settings" in entry_points


def test_demo_catalog_command_prints_the_truth_the_tests_compare_with() -> None:
    root = "http://127.0.0.1:8800/"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "demo_shops",
            "catalog",
            "knitshop",
            "--products",
            "12",
            "--day",
            "2",
            "--base-url",
            root,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed = [json.loads(line) for line in result.stdout.splitlines()]
    assert printed == truth("knitshop", root, products=12, day=2)
    assert len(printed) >= 12 and all(p["url"].startswith(f"{root}knitshop/") for p in printed)
