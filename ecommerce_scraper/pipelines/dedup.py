"""One product, one item per crawl: drop duplicates, keep the most complete copy."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from ..storage.state import completeness, fingerprint, identity_key

logger = logging.getLogger(__name__)


class DedupPipeline:
    """Identity key (site + product id, else canonical URL) and content fingerprint.

    A copy no more complete than the one already passed is dropped (stat
    ``dedup/dropped``). A more complete copy passes too (stat ``dedup/replaced``): storage
    upserts by identity, so the better copy replaces the first one's state.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.seen: dict[tuple[str, str], int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        adapter["fingerprint"] = fingerprint(item)
        key = identity_key(item)
        score = completeness(item)
        best = self.seen.get(key)
        if best is not None and score <= best:
            self.stats.inc_value("dedup/dropped")
            logger.debug("duplicate of %s at %s dropped (completeness %d <= %d)", key, adapter.get("url"), score, best)
            raise DropItem(f"duplicate of {key[0]}/{key[1]}")
        if best is not None:
            self.stats.inc_value("dedup/replaced")
            logger.debug("duplicate of %s at %s is more complete: it replaces the first", key, adapter.get("url"))
        self.seen[key] = score
        return item
