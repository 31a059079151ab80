"""One product, one item per crawl: the one dedup rule, applied here.

**The rule** (:func:`~ecommerce_scraper.storage.state.replaces`): when the same product (same
site and product id; without an id, the same canonical URL: :func:`~ecommerce_scraper.storage.state.identity_key`)
is met more than once in a crawl, the most complete copy wins
(:func:`~ecommerce_scraper.storage.state.completeness`); among equally complete copies, the first.

How it is applied, item by item, without holding items back:

- The spider yields every product it builds, a copy met again under another URL too (it counts
  those in ``products/duplicate_urls``; ``products/scraped`` counts each product once). It
  decides nothing about which copy is kept.
- This pipeline remembers one number per product (the completeness of the best copy passed on),
  not the items: memory stays flat however long the crawl. A copy no more complete than that
  is dropped (stat ``dedup/dropped``); a strictly more complete one passes (stat
  ``dedup/replaced``) and the storage, which upserts by identity, puts it in place of the first
  copy's state, whether that one's batch is written already or not.
- A Scrapy feed (``-O file.jsonl``) sees the stream: a replaced product's copies stand there one
  after the other, the later one the better. The database and the project's exports, written
  from it, hold one.
"""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from ..storage.state import fingerprint_and_completeness, identity_key, replaces

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Fingerprints every item and applies the one dedup rule (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        #: site -> product id -> completeness of the copy passed on (by site: no key tuple per product)
        self.kept: dict[str, dict[str, int]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        adapter["fingerprint"], score = fingerprint_and_completeness(item)
        key = identity_key(item)
        shop = self.kept.setdefault(key[0], {})
        kept = shop.get(key[1])
        if kept is not None and not replaces(score, kept):
            self.stats.inc_value("dedup/dropped")
            logger.debug("duplicate of %s at %s dropped (completeness %d <= %d)", key, adapter.get("url"), score, kept)
            raise DropItem(f"duplicate of {key[0]}/{key[1]}")
        if kept is not None:
            self.stats.inc_value("dedup/replaced")
            logger.debug("duplicate of %s at %s is more complete: it replaces the first", key, adapter.get("url"))
        shop[key[1]] = score
        return item
