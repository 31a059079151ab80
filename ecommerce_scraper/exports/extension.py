"""The export files of each crawl, written by an extension (as Scrapy's feed exports are).

The storage pipeline only stores: once it has closed a shop's crawl in the database it sends
:data:`~ecommerce_scraper.signals.crawl_stored`, and this extension writes that crawl's files
(:func:`~.tree.write_crawl_exports`). ``master.xlsx``, ``compare.csv`` and ``index.html`` gather every shop, so
they are written once per process, when its last crawl has closed (``make demo`` runs seven
spiders in one process), and again by ``scrapy export``. With ``EXPORTS_URI`` set, each crawl's
files and then the master files are uploaded there too (``upload.py``).

Off with ``EXPORT_FILES = False``, or without the storage pipeline (nothing to read the files from).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from .. import signals as project_signals
from ..memory import catalog_work
from ..storage.db import stores_products
from ..storage.shared import crawl_database
from .compare_export import matches_path, own_shop
from .tree import write_crawl_exports, write_master
from .upload import ExportUploader, master_files

logger = logging.getLogger(__name__)


class CrawlExports:
    #: Crawls of this process not yet closed: the last to close writes the master workbook.
    open_crawls: ClassVar[int] = 0
    #: Exports directories whose master workbook waits for the process's last crawl.
    pending_masters: ClassVar[set[str]] = set()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.exports_dir = Path(crawler.settings.get("EXPORTS_DIR", "exports"))
        self.matches_file = matches_path(crawler.settings)
        self.database = crawl_database(crawler)
        self.stored = False
        self.uploader = ExportUploader.from_crawler(crawler)  # EXPORTS_URI, else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlExports:
        settings = crawler.settings
        storing = stores_products(settings)
        if not settings.getbool("EXPORT_FILES", True) or not storing:
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.crawl_stored, signal=project_signals.crawl_stored)
        # After every spider_closed handler (the storage's closing of the crawl included) is done.
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        CrawlExports.open_crawls += 1
        self.database.hold(self)

    async def crawl_stored(self, site: str, crawl_id: str, when: str = "closed") -> None:
        """Write one stored crawl's files, in a thread (the reactor goes on); a failure is
        logged, never raised: the crawl is stored already."""
        self.stored = True
        files = await maybe_deferred_to_future(deferToThread(self._write_crawl, site, crawl_id))
        if files and self.uploader is not None:
            await self.uploader.upload(files)

    def _write_crawl(self, site: str, crawl_id: str) -> list[Path]:
        try:
            with catalog_work:
                files = write_crawl_exports(self.database.engine(), self.exports_dir, site, crawl_id)
        except Exception:
            logger.exception("%s: could not write the export files of crawl %s", site, crawl_id)
            return []
        self.crawler.stats.set_value(f"exports/{site}/files", len(files))
        logger.info("%s crawl %s exported to %s", site, crawl_id, files[0].parent if files else "-")
        return files

    async def engine_stopped(self) -> None:
        CrawlExports.open_crawls = max(0, CrawlExports.open_crawls - 1)
        if self.stored:
            CrawlExports.pending_masters.add(str(self.exports_dir))
        try:
            if CrawlExports.open_crawls == 0 and str(self.exports_dir) in CrawlExports.pending_masters:
                CrawlExports.pending_masters.discard(str(self.exports_dir))
                master = await maybe_deferred_to_future(deferToThread(self._write_master))
                if master is not None and self.uploader is not None:
                    await self.uploader.upload(master_files(master))
        finally:
            self.database.release(self)

    def _write_master(self) -> Path | None:
        try:
            engine = self.database.engine()
            with catalog_work:
                path = write_master(engine, self.exports_dir, self.matches_file, own_shop(self.crawler.settings))
        except Exception:
            logger.exception("could not write the master workbook")
            return None
        logger.info("master workbook: %s", path)
        return path
