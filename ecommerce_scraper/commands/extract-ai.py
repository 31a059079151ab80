"""``scrapy extract-ai --site S [--limit N]``: the yarn attributes of stored products, again.

For backfills: after a change of prompt or model, after setting ``OPENAI_API_KEY`` for a shop
crawled without it, or after improving the rules. Every current product of the shop (not the
removed ones) gets the shop-table, rule and, with a key, AI values, exactly as a crawl computes
them (same cache, budget, retries and settings); those that changed are written to the
product's current state and to its snapshot of the same fingerprint, so the newest crawl's
files show them once written again (``--export``, or ``scrapy export --site S``).

Products are read and written a page at a time: memory stays flat for any catalog.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from decimal import Decimal
from typing import Any, ClassVar

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from sqlalchemy import Engine, and_, bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session
from tqdm import tqdm

from ..ai.cache import DatabaseAnswerCache
from ..ai.llm import LLMExtractor
from ..ai.prompt import product_text
from ..exports.compare_export import matches_path, own_shop
from ..exports.tree import write_crawl_exports, write_master
from ..pipelines.attributes import llm_config, merge_answer, rule_extraction
from ..storage.db import DatabaseError, database_url, open_database
from ..storage.models import Product, Snapshot
from .export import crawls_to_export

#: Products read, extracted and written per transaction.
PAGE_SIZE = 200


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings: ClassVar[dict[str, Any]] = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "--site SITE [--limit N] [--export]"

    def short_desc(self) -> str:
        return "Extract the yarn attributes of a shop's stored products again (rules, and the AI with a key)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--site", help="the shop (spider name)")
        parser.add_argument("--limit", type=int, help="at most this many products")
        parser.add_argument("--export", action="store_true", help="then write the shop's newest files again")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        if args:
            raise UsageError(f"unexpected arguments: {' '.join(args)}")
        if not opts.site:
            raise UsageError("--site is required")
        if opts.limit is not None and opts.limit < 1:
            raise UsageError("--limit must be at least 1")
        try:
            engine = open_database(database_url(self.settings))
        except DatabaseError as exc:
            raise UsageError(str(exc), print_help=False) from None
        try:
            total = _count(engine, opts.site, opts.limit)
            if not total:
                print(f"no stored products of {opts.site!r}")
                self.exitcode = 1
                return
            backfill = Backfill(engine, self.settings, opts.site)
            updated = asyncio.run(backfill.run(total, opts.limit))
            print(backfill.summary(total, updated))
            if opts.export:
                exports_dir = self.settings.get("EXPORTS_DIR", "exports")
                for site, crawl_id in crawls_to_export(engine, opts.site, None, every=False):
                    write_crawl_exports(engine, exports_dir, site, crawl_id)
                    print(f"{site} {crawl_id}: files written again")
                master = write_master(engine, exports_dir, matches_path(self.settings), own_shop(self.settings))
                print(f"master workbook: {master}")
        finally:
            engine.dispose()


class Backfill:
    def __init__(self, engine: Engine, settings: Any, site: str) -> None:
        self.engine = engine
        self.site = site
        self.config = llm_config(settings)
        self.extractor: LLMExtractor | None = None

    async def run(self, total: int, limit: int | None) -> int:
        """Extract and store every page; returns the products whose attributes changed."""
        if self.config is not None:
            self.extractor = LLMExtractor(self.config, DatabaseAnswerCache(self.engine))
        updated = 0
        last_id = 0
        try:
            with tqdm(total=total, unit="product", desc=self.site, file=sys.stderr) as progress:
                while True:
                    size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - progress.n)
                    page = await asyncio.to_thread(_page, self.engine, self.site, last_id, size) if size > 0 else []
                    if not page:
                        return updated
                    results = await asyncio.gather(*(self._attributes(data) for _, _, data in page))
                    changes = [
                        (row_id, fp, {**data, "ai": found})
                        for (row_id, fp, data), found in zip(page, results, strict=True)
                        if found != data.get("ai")
                    ]
                    if changes:
                        await asyncio.to_thread(_store, self.engine, self.site, changes)
                    updated += len(changes)
                    last_id = page[-1][0]
                    progress.update(len(page))
        finally:
            if self.extractor is not None:
                await self.extractor.close()

    async def _attributes(self, data: dict[str, Any]) -> dict[str, Any]:
        extraction = rule_extraction(data)
        if self.extractor is not None and self.config is not None:
            answer = await self.extractor.extract(product_text(data, self.config.input_max_tokens))
            if answer.status == "ok" and answer.values:
                merge_answer(extraction, answer.values)
        return extraction.item_value()

    def summary(self, total: int, updated: int) -> str:
        line = f"{self.site}: {total} products, {updated} with new attributes"
        if self.extractor is None or self.config is None:
            return line + " (rules only: set OPENAI_API_KEY to use the AI)"
        usage = self.extractor.usage
        failures = ", ".join(f"{count} {status}" for status, count in sorted(usage.failures.items())) or "none"
        cost = usage.cost(self.config).quantize(Decimal("0.0001"))
        return (
            f"{line}; AI {self.config.model}: {usage.calls} calls, {usage.cache_hits} cache hits, "
            f"{usage.input_tokens} + {usage.output_tokens} tokens, about ${cost}; failures: {failures}"
        )


def _current(site: str) -> Any:
    return and_(Product.site == site, Product.removed_at.is_(None))


def _count(engine: Engine, site: str, limit: int | None) -> int:
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Product).where(_current(site))) or 0
    return min(count, limit) if limit is not None else count


def _page(engine: Engine, site: str, after_id: int, size: int) -> list[tuple[int, str, dict[str, Any]]]:
    query = (
        select(Product.id, Product.fingerprint, Product.data)
        .where(_current(site), Product.id > after_id)
        .order_by(Product.id)
        .limit(size)
    )
    with Session(engine) as session:
        return [(row.id, row.fingerprint, dict(row.data)) for row in session.execute(query)]


def _store(engine: Engine, site: str, changes: list[tuple[int, str, dict[str, Any]]]) -> None:
    """The new attributes, in the product rows and in their snapshots of the same fingerprint."""
    products, snapshots = Product.__table__, Snapshot.__table__
    attributes = {str(data["product_id"]): data["ai"] for _, _, data in changes}
    with engine.begin() as connection:
        connection.execute(
            update(products).where(products.c.id == bindparam("row_id")).values(data=bindparam("new_data")),
            [{"row_id": row_id, "new_data": data} for row_id, _, data in changes],
        )
        # A snapshot keeps its own url, time and crawl: only its attributes change.
        current = [(str(data["product_id"]), fp) for _, fp, data in changes]
        rows = connection.execute(
            select(snapshots.c.id, snapshots.c.product_id, snapshots.c.data).where(
                snapshots.c.site == site, tuple_(snapshots.c.product_id, snapshots.c.fingerprint).in_(current)
            )
        ).all()
        if rows:
            connection.execute(
                update(snapshots).where(snapshots.c.id == bindparam("row_id")).values(data=bindparam("new_data")),
                [{"row_id": row.id, "new_data": {**row.data, "ai": attributes[row.product_id]}} for row in rows],
            )
