"""The Scrapyd egg holds what a crawl needs and nothing of the demo shops, tests or benchmarks.

Built as ``make deploy`` builds it (``scrapyd-deploy``, through setup.py), from a copy of the
tracked files so that the build leaves nothing in the work tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT


def tracked_copy(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def test_the_egg_holds_the_crawler_and_no_demo_code(tmp_path: Path) -> None:
    project = tracked_copy(tmp_path / "project")
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
