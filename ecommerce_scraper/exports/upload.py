"""``EXPORTS_URI``: each crawl's files copied to one place, through Scrapy's feed storages.

With several Scrapyd nodes each crawl writes its files under its own node's ``EXPORTS_DIR``; set
``EXPORTS_URI`` (``s3://bucket/exports``, ``gs://...``, ``ftp://user:pass@host/exports``,
``file:///srv/shared/exports``) and :class:`~.extension.CrawlExports` uploads each stored
crawl's files, and the master files after them, to the same relative path under it
(``<site>/<crawl_id>/full.csv``, ``master.xlsx``...). The storage for a scheme is the one
``FEED_STORAGES`` names (Scrapy's: S3 with botocore, GCS with google-cloud-storage, FTP, file),
built as Scrapy builds a feed's, so its settings (``AWS_*``, ``FEED_STORAGE_FTP_ACTIVE``...) apply.

A failed upload is logged, never raised: the files are on the node's disk and the crawl is
stored; ``scrapy export`` writes them again from the database.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.python import without_none_values
from twisted.internet.defer import Deferred

from ..storage.db import mask_url
from .compare_export import COMPARE_NAME
from .report import INDEX_NAME
from .tree import PROXY_STATS_NAME

logger = logging.getLogger(__name__)


def master_files(master: Path) -> list[Path]:
    """The files ``write_master`` leaves next to ``master`` (master.xlsx): those that exist."""
    names = (master.name, COMPARE_NAME, INDEX_NAME, PROXY_STATS_NAME)
    return [master.parent / name for name in names if (master.parent / name).is_file()]


class ExportUploader:
    """Copies files under ``EXPORTS_DIR`` to the same relative paths under ``EXPORTS_URI``."""

    def __init__(self, crawler: Crawler, base_uri: str, exports_dir: Path) -> None:
        self.crawler = crawler
        self.base_uri = base_uri.rstrip("/")
        self.exports_dir = exports_dir
        storages = without_none_values(crawler.settings.getwithbase("FEED_STORAGES"))
        self.storages: dict[str, Any] = {scheme: load_object(path) for scheme, path in storages.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExportUploader | None:
        """The uploader ``EXPORTS_URI`` asks for; ``None`` when it is unset."""
        uri = crawler.settings.get("EXPORTS_URI")
        if not uri:
            return None
        return cls(crawler, uri, Path(crawler.settings.get("EXPORTS_DIR", "exports")))

    def target(self, path: Path) -> str:
        """Where ``path`` (a file under ``EXPORTS_DIR``) goes."""
        relative = path.resolve().relative_to(self.exports_dir.resolve())
        return f"{self.base_uri}/{relative.as_posix()}"

    async def upload(self, files: Iterable[Path]) -> int:
        """Upload each file; returns how many went; each failure is logged (URI without password)."""
        done = 0
        for path in files:
            if not path.is_file():
                continue
            uri = self.target(path)
            try:
                await self._upload_one(path, uri)
            except Exception as exc:
                logger.error("could not upload %s to %s: %s", path, mask_url(uri), str(exc).splitlines()[0])
                self.crawler.stats.inc_value("exports/upload_failed")
                continue
            done += 1
        self.crawler.stats.inc_value("exports/uploaded", done)
        return done

    async def _upload_one(self, path: Path, uri: str) -> None:
        cls = self.storages.get(urlparse(uri).scheme, self.storages["file"])
        storage = build_from_crawler(cls, self.crawler, uri, feed_options={"overwrite": True})
        target = storage.open(self.crawler.spider)
        with path.open("rb") as source:
            shutil.copyfileobj(source, target)
        stored = storage.store(target)
        if isinstance(stored, Deferred):
            await maybe_deferred_to_future(stored)
