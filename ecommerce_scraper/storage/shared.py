"""One database engine per crawl, shared by every component of the crawl that uses the database.

The storage pipeline, the attributes pipeline's AI answer cache and the exports, matching,
alerts, metrics and progress extensions all work on the crawl's database (``database_url``). An
engine is a connection pool (PostgreSQL connections, SQLite handles, their memory): they share
one, :func:`crawl_database`'s. It is opened by :func:`~.db.open_database` at its first use, so
the schema's revision is checked once, and a database that can't be used raises that same
one-line ``DatabaseError`` to whoever asks (a failure is not remembered: the next use tries again,
as the progress updates do while a database is away).

It is disposed once, when its last user lets go. The order of Scrapy's signals can't tell when
that is: the exports, matching and alerts extensions still read the database in their
``engine_stopped`` handlers, which Scrapy runs side by side, and the alerts' deliveries may
outlive them. So each user says when it starts and stops needing it (:meth:`CrawlDatabase.hold`,
:meth:`CrawlDatabase.release`): the pipelines from ``open_spider`` to their close, the progress
updates from ``spider_opened`` to ``spider_closed``, the other extensions from ``engine_started``
to the end of their ``engine_stopped``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import TYPE_CHECKING

from .db import database_url, mask_url, open_database

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)


class CrawlDatabase:
    """The crawl's engine: opened at the first :meth:`engine`, disposed when no user holds it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()  # threads of the storage, progress, exports, alerts... ask at once
        self._engine: Engine | None = None
        self._users: set[object] = set()

    def engine(self) -> Engine:
        """The engine, opened (and the schema checked) at the first call; raises ``DatabaseError``
        when the database can't be used, and tries again at the next call."""
        with self._lock:
            if self._engine is None:
                self._engine = open_database(self.url)
            return self._engine

    def hold(self, user: object) -> None:
        """``user`` needs the database until it calls :meth:`release`."""
        with self._lock:
            self._users.add(user)

    def open(self, user: object) -> Engine:
        """:meth:`hold` and :meth:`engine` at once, for a user that can't work without the
        database (the pipelines, at ``open_spider``); when it can't be used, ``user`` holds nothing."""
        self.hold(user)
        try:
            return self.engine()
        except BaseException:
            self.release(user)
            raise

    def release(self, user: object) -> None:
        """``user`` is done (again, or never held: harmless); the last one out disposes the engine.
        A later :meth:`engine` would open it again."""
        with self._lock:
            self._users.discard(user)
            if self._users or self._engine is None:
                return
            engine, self._engine = self._engine, None
        engine.dispose()
        logger.debug("database %s: the crawl's engine disposed", mask_url(self.url))


_databases: weakref.WeakKeyDictionary[Crawler, CrawlDatabase] = weakref.WeakKeyDictionary()
_databases_lock = threading.Lock()


def crawl_database(crawler: Crawler) -> CrawlDatabase:
    """The crawler's database (``DATABASE_URL``, else the SQLite file in ``EXPORTS_DIR``), the
    same object for every component of that crawler; it goes with the crawler."""
    with _databases_lock:
        database = _databases.get(crawler)
        if database is None:
            database = _databases[crawler] = CrawlDatabase(database_url(crawler.settings))
        return database
