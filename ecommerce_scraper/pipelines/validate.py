"""Reject items that can't be trusted, loudly; keep items that are merely incomplete."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from ..items import AVAILABILITY_VALUES

REQUIRED = ("site", "product_id", "url", "name")


class ValidatePipeline:
    """Required fields present, money as Decimal (never float), enums in range."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        missing = [f for f in REQUIRED if not adapter.get(f)]
        if missing:
            self.stats.inc_value("validate/dropped_missing_fields")
            raise DropItem(f"missing {', '.join(missing)} at {adapter.get('url')}")
        # The adapter itself, not asdict(): that deep copy of every item cost more than the checks.
        problems = _money_problems(adapter, "")
        availability = adapter.get("availability")
        if availability is not None and availability not in AVAILABILITY_VALUES:
            problems.append(f"availability {availability!r} not one of {sorted(AVAILABILITY_VALUES)}")
        if problems:
            self.stats.inc_value("validate/dropped_invalid")
            raise DropItem(
                f"invalid product {adapter.get('product_id')} at {adapter.get('url')}: {'; '.join(problems)}"
            )
        if adapter.get("price") is None:
            self.stats.inc_value("validate/no_price")
        return item


def _money_problems(data: Mapping[str, Any], prefix: str) -> list[str]:
    problems = []
    for key in ("price", "regular_price"):
        value = data.get(key)
        if value is not None and not isinstance(value, Decimal):
            problems.append(f"{prefix}{key} is {type(value).__name__}, not Decimal")
        elif isinstance(value, Decimal) and value < 0:
            problems.append(f"{prefix}{key} is negative ({value})")
    for n, variant in enumerate(data.get("variants") or []):
        problems += _money_problems(variant, f"variants[{n}].")
    return problems
