"""Field coverage: how many of a crawl's products have each watched field, counted as items pass.

Stats, per shop (a crawl can have several): ``coverage/<site>/items`` (products) and
``coverage/<site>/<field>`` (of which with that field filled) for each of
:data:`~ecommerce_scraper.monitors.health.COVERAGE_FIELDS`. "Filled" is the project's one
"not empty" (:func:`~ecommerce_scraper.extraction.toolkit.is_empty`: a price of 0 counts).

Counted per product, after the dedup stage: a more complete copy that replaces the first one
(``dedup/replaced``) takes the first copy's place in the counts, as it does in the database.
Counts, not shares, so the parts of a resumed crawl add up (``storage/closing.py`` merge_stats);
the crawl's health check (:mod:`ecommerce_scraper.monitors.health`) turns them into shares.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler

from ..extraction.toolkit import is_empty
from ..monitors.health import COVERAGE_FIELDS
from ..storage.state import identity_key


class FieldCoveragePipeline:
    """Counts the products and, per watched field, those that have it (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        #: site -> product id -> which watched fields the counted copy has (one bit per field)
        self.counted: dict[str, dict[str, int]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FieldCoveragePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        key = identity_key(item)
        site = key[0] or "unknown"
        mask = sum(1 << n for n, field in enumerate(COVERAGE_FIELDS) if not is_empty(adapter.get(field)))
        counted = self.counted.setdefault(key[0], {})
        before = counted.get(key[1])
        if before is None:
            self.stats.inc_value(f"coverage/{site}/items")
        for n, field in enumerate(COVERAGE_FIELDS):
            had = before is not None and bool(before >> n & 1)
            has = bool(mask >> n & 1)
            if has != had:
                self.stats.inc_value(f"coverage/{site}/{field}", 1 if has else -1)
        counted[key[1]] = mask
        return item
