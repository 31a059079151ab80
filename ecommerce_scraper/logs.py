"""Log lines a shop owner can read: a shop that can't be reached is one line, not a traceback.

Scrapy's robots.txt middleware logs a robots.txt it could not download at ERROR with the whole
traceback. When the shop itself can't be reached (DNS, refused, timeout, TLS), the spider says so
in one line a moment later; the robots.txt line then only repeats it, so it goes to DEBUG, without
the traceback. Any other robots.txt failure stays visible, as a one-line WARNING.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"
_NETWORK = (CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError)


class RobotsErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR or not record.exc_info:
            return True
        error = record.exc_info[1]
        record.exc_info = None
        record.exc_text = None
        network = isinstance(error, _NETWORK) or "ssl" in type(error).__name__.lower()
        record.levelno, record.levelname = (logging.DEBUG, "DEBUG") if network else (logging.WARNING, "WARNING")
        return logging.getLogger(record.name).isEnabledFor(record.levelno)


class ReadableLogs:
    """Extension (``EXTENSIONS``): installs :class:`RobotsErrorFilter` for the crawl."""

    def __init__(self) -> None:
        self.filter = RobotsErrorFilter()
        logging.getLogger(ROBOTS_LOGGER).addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReadableLogs:
        extension = cls()
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        logging.getLogger(ROBOTS_LOGGER).removeFilter(self.filter)
