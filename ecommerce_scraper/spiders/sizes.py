"""Response size limits the spiders apply themselves.

Scrapy caps what it downloads (``DOWNLOAD_MAXSIZE``, per request ``download_maxsize``) and what
its HttpCompressionMiddleware unpacks from a ``Content-Encoding``. A ``.xml.gz`` sitemap, though,
arrives packed and is unpacked by the spider: unbounded, 3 MB of gzip can unpack to 3 GB (a
decompression bomb). :func:`unpack_sitemap` caps it as Scrapy's own ``SitemapSpider`` does.
"""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.settings import BaseSettings
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure

GZIP_MAGIC = b"\x1f\x8b"


def sitemap_limits(settings: BaseSettings) -> tuple[int, int]:
    """``SITEMAP_MAX_SIZE`` and ``SITEMAP_WARN_SIZE``; the page caps where they are not set."""
    return (
        settings.getint("SITEMAP_MAX_SIZE", settings.getint("DOWNLOAD_MAXSIZE")),
        settings.getint("SITEMAP_WARN_SIZE", settings.getint("DOWNLOAD_WARNSIZE")),
    )


class TooLargeError(Exception):
    """A body past its size limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


def unpack_sitemap(body: bytes, max_size: int) -> bytes:
    """A sitemap's XML: ``body`` itself, or unpacked when it is gzip (``.xml.gz``).

    Raises :class:`TooLargeError` as soon as more than ``max_size`` bytes (0: no limit) come out, so
    memory never holds more than that; a body that is not valid gzip raises what :mod:`gzip` and
    :mod:`zlib` raise (``OSError``, ``EOFError``, ``zlib.error``).
    """
    if body[:2] != GZIP_MAGIC:
        return body
    try:
        return gunzip(body, max_size=max_size)
    except ValueError as exc:  # gunzip's size error (Scrapy's _DecompressionMaxSizeExceeded)
        raise TooLargeError(max_size) from exc


def dropped_for_size(failure: Failure) -> bool:
    """Whether Scrapy dropped the response at its size limit rather than failing to get it.

    Past ``download_maxsize`` while downloading, Scrapy cancels the download
    (``DownloadCancelledError``); past it while unpacking a ``Content-Encoding``,
    HttpCompressionMiddleware raises ``IgnoreRequest`` -- the exception a robots.txt refusal
    raises too, so only its message tells them apart.
    """
    if failure.check(DownloadCancelledError):
        return True
    return bool(failure.check(IgnoreRequest)) and "DOWNLOAD_MAXSIZE" in str(failure.value)
