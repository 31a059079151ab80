"""Yarn attributes for every product (``item["ai"]``): rules always, the model where configured.

Order per product: the shop's own attribute table (source ``structured``), then the rule
extractor over name and description (``rules``), then, when ``OPENAI_API_KEY`` is set, the
model (``ai``), which fills what is missing and corrects what the rules read, never what the
shop's table states. The model is asked only for a product text it has not answered before
(:mod:`ecommerce_scraper.ai.llm`: cache, budget, retries); a product whose AI call failed is
passed on with the rule-based values, so the AI can cost time, never a product.

Stats (also stored with the crawl): ``ai/calls``, ``ai/cache_hits``, ``ai/input_tokens``,
``ai/output_tokens``, ``ai/retries``, ``ai/estimated_cost_usd``, ``ai/answers/<status>``,
``ai/failures/<status>``, ``ai/budget_reached``, ``attributes/<source>`` (values found by source).
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal, InvalidOperation
from typing import Any

import pydantic
from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from ..ai.cache import DatabaseAnswerCache
from ..ai.llm import DEFAULT_MODEL, DEFAULT_PRICE_INPUT, DEFAULT_PRICE_OUTPUT, LLMConfig, LLMExtractor
from ..ai.prompt import product_text
from ..ai.rules import extract_rules
from ..ai.schema import Extraction
from ..storage.shared import crawl_database

logger = logging.getLogger(__name__)


def llm_config(settings: BaseSettings, environ: dict[str, str] | None = None) -> LLMConfig | None:
    """The model to ask, or ``None`` (rules only) when no API key is set.

    The key is read from the environment only: a Scrapy setting would be printed with the
    overridden settings at start-up. A malformed price setting raises ``UsageError``.
    """
    env = os.environ if environ is None else environ
    api_key = (env.get("OPENAI_API_KEY") or "").strip()
    if not api_key or not settings.getbool("AI_ENABLED", True):
        return None
    return LLMConfig(
        api_key=api_key,
        model=settings.get("OPENAI_MODEL") or env.get("OPENAI_MODEL") or DEFAULT_MODEL,
        base_url=settings.get("OPENAI_BASE_URL") or env.get("OPENAI_BASE_URL") or None,
        timeout=settings.getfloat("AI_TIMEOUT", 30.0),
        max_attempts=max(1, settings.getint("AI_MAX_ATTEMPTS", 4)),
        backoff_base=settings.getfloat("AI_BACKOFF_BASE", 1.0),
        backoff_max=settings.getfloat("AI_BACKOFF_MAX", 30.0),
        retry_after_max=settings.getfloat("AI_RETRY_AFTER_MAX", 60.0),
        concurrency=max(1, settings.getint("AI_CONCURRENCY", 4)),
        max_calls=settings.getint("AI_MAX_CALLS", 5000),
        max_tokens=settings.getint("AI_MAX_TOKENS", 5_000_000),
        input_max_tokens=settings.getint("AI_INPUT_MAX_TOKENS", 1000),
        max_output_tokens=settings.getint("AI_MAX_OUTPUT_TOKENS", 600),
        price_input=_price(settings, "AI_PRICE_INPUT_PER_MTOK", DEFAULT_PRICE_INPUT),
        price_output=_price(settings, "AI_PRICE_OUTPUT_PER_MTOK", DEFAULT_PRICE_OUTPUT),
    )


def _price(settings: BaseSettings, name: str, default: Decimal) -> Decimal:
    raw = settings.get(name)
    if raw is None or raw == "":
        return default
    try:
        price = Decimal(str(raw))
    except InvalidOperation:
        price = Decimal("NaN")
    if not price.is_finite() or price < 0:
        raise UsageError(f"{name} must be a decimal number of USD per million tokens, got {raw!r}", print_help=False)
    return price


def rule_extraction(product: Any) -> Extraction:
    """The shop's table and the rules, for a product item or a stored state."""
    adapter = ItemAdapter(product)
    return extract_rules(
        name=adapter.get("name"),
        description=adapter.get("description"),
        attributes=adapter.get("attributes"),
        category=adapter.get("category"),
        breadcrumbs=adapter.get("breadcrumbs"),
    )


def merge_answer(extraction: Extraction, values: dict[str, Any]) -> bool:
    """Add the model's values to ``extraction`` (they fill gaps and replace rule values);
    ``False``, and ``extraction`` unchanged, when the result would not validate."""
    merged = Extraction(dict(extraction.values), dict(extraction.sources))
    merged.add(values, "ai", replace=("rules",))
    try:
        merged.attributes()
    except pydantic.ValidationError:
        return False
    extraction.values, extraction.sources = merged.values, merged.sources
    return True


class AttributesPipeline:
    def __init__(self, crawler: Crawler, config: LLMConfig | None) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.config = config
        self.extractor: LLMExtractor | None = None
        self.database = crawl_database(crawler)
        self._conflict_logged = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttributesPipeline:
        return cls(crawler, llm_config(crawler.settings))

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.config is None:
            logger.info("yarn attributes: shop tables and rules (set OPENAI_API_KEY to add the AI)")
            return
        engine = self.database.open(self)
        self.extractor = LLMExtractor(self.config, DatabaseAnswerCache(engine))
        logger.info(
            "yarn attributes: shop tables, rules and %s at %s (at most %d calls, %d tokens this run)",
            self.config.model,
            self.config.base_url or "api.openai.com",
            self.config.max_calls,
            self.config.max_tokens,
        )

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        extraction = rule_extraction(item)
        if self.extractor is not None and self.config is not None:
            answer = await self.extractor.extract(product_text(adapter, self.config.input_max_tokens))
            self.stats.inc_value(f"ai/answers/{answer.status}")
            if answer.status == "ok" and answer.values and not merge_answer(extraction, answer.values):
                self.stats.inc_value("ai/answers/inconsistent")
                if not self._conflict_logged:
                    self._conflict_logged = True
                    logger.warning(
                        "AI values contradict the shop's own for %s: kept the shop's (logged once)", adapter.get("url")
                    )
        adapter["ai"] = extraction.item_value()
        for source in extraction.sources.values():
            self.stats.inc_value(f"attributes/{source}")
        return item

    async def close_spider(self, spider: Spider | None = None) -> None:
        if self.extractor is None or self.config is None:
            return
        usage = self.extractor.usage
        self.stats.set_value("ai/model", self.config.model)
        self.stats.set_value("ai/calls", usage.calls)
        self.stats.set_value("ai/cache_hits", usage.cache_hits)
        self.stats.set_value("ai/input_tokens", usage.input_tokens)
        self.stats.set_value("ai/output_tokens", usage.output_tokens)
        self.stats.set_value("ai/retries", usage.retries)
        self.stats.set_value("ai/estimated_cost_usd", str(usage.cost(self.config).quantize(Decimal("0.000001"))))
        for status, count in usage.failures.items():
            self.stats.set_value(f"ai/failures/{status}", count)
        if self.extractor.budget_reached:
            self.stats.set_value("ai/budget_reached", True)
        logger.info(
            "AI: %d calls, %d cache hits, %d + %d tokens, about $%s",
            usage.calls,
            usage.cache_hits,
            usage.input_tokens,
            usage.output_tokens,
            usage.cost(self.config).quantize(Decimal("0.0001")),
        )
        await self.extractor.close()
        self.database.release(self)
