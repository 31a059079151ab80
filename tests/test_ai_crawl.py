"""The yarn attributes in real crawls: rules without a key, the model with one, and every product
exported whatever the model does.

Crawls run ``scrapy crawl knitshop`` in a subprocess (tests/crawling.py) with ``OPENAI_API_KEY``
and ``OPENAI_BASE_URL`` pointing at the local OpenAI-compatible server (tests/openai_server.py),
which the real ``openai`` SDK in the crawl talks to over HTTP.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from demo_shops.universe import families
from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS
from ecommerce_scraper.storage.models import Crawl, Product, Snapshot
from testkit import zygote
from testkit.crawling import SITE, DemoShop, assert_finished, crawl, demo_shop, engine_for

from .conftest import ROOT
from .openai_server import OpenAIServer, answer, malformed, rate_limited, refusal, server_error, slow

KEY = "sk-crawl-test-key"
PRODUCTS = 12


def model_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The stand-in model: the country of origin (which the demo texts never state) and a weight
    that contradicts the shop's own table (which must win)."""
    answer: dict[str, Any] = dict.fromkeys(ATTRIBUTE_FIELDS)
    answer.update(origin="Italy", weight_g=999)
    return answer


@pytest.fixture(scope="module")
def shop() -> Iterator[DemoShop]:
    with demo_shop(PRODUCTS) as running:
        yield running


@pytest.fixture
def model() -> Iterator[OpenAIServer]:
    with OpenAIServer(model_answer, api_key=KEY) as server:
        yield server


def ai_env(server: OpenAIServer | None) -> dict[str, str]:
    if server is None:
        return {"OPENAI_API_KEY": ""}
    return {"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.base_url}


def full_csv(exports: Path, crawl_id: str) -> dict[str, dict[str, str]]:
    text = (exports / SITE / crawl_id / "full.csv").read_text(encoding="utf-8-sig")
    return {row["product_id"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}


def stats_of(database_url: str, crawl_id: str) -> dict[str, Any]:
    with engine_for(database_url) as engine, engine.connect() as conn:
        return conn.scalar(select(Crawl.stats).where(Crawl.crawl_id == crawl_id)) or {}


def chat_calls(server: OpenAIServer) -> int:
    return sum(1 for r in server.requests if r.path == "/v1/chat/completions")


#: The demo yarns' ball weights (some lines come in two sizes, so 200 g too).
BALL_WEIGHTS = {str(family.weight) for family in families(1)}


def assert_rule_values(rows: dict[str, dict[str, str]]) -> None:
    """What the shop's table and the rules give, with or without the model."""
    yarns = [row for row in rows.values() if row["product_type"] == "yarn"]
    assert yarns, "the demo catalog has yarns"
    for row in yarns:
        assert row["fibres"] and "fibres=structured" in row["attribute_sources"], row["product_id"]
        # The shop's table states the weight (a demo ball: 25 to 200 g): it stands, whatever the model says (999).
        assert row["weight_g"] in BALL_WEIGHTS and "weight_g=structured" in row["attribute_sources"]
        assert float(row["needle_mm_min"]) <= float(row["needle_mm_max"])


def test_rules_without_a_key_then_the_model_then_the_cache(
    shop: DemoShop, model: OpenAIServer, database_url: str, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    expected = shop.product_ids(1)

    # No key: rules only, nothing asked.
    plain = crawl(shop.url(), database_url, exports, tmp_path / "plain.jsonl", env=ai_env(None))
    assert_finished(plain)
    assert "yarn attributes: shop tables and rules (set OPENAI_API_KEY" in plain.output
    rows = full_csv(exports, plain.crawl_id)
    assert set(rows) == expected
    assert_rule_values(rows)
    assert {row["origin"] for row in rows.values()} == {""}
    assert chat_calls(model) == 0

    # With a key: every product's text is asked once, the answers fill the gaps.
    first = crawl(shop.url(), database_url, exports, tmp_path / "first.jsonl", env=ai_env(model))
    assert_finished(first)
    rows = full_csv(exports, first.crawl_id)
    assert set(rows) == expected
    assert_rule_values(rows)
    assert {row["origin"] for row in rows.values()} == {"Italy"}
    assert all("origin=ai" in row["attribute_sources"] for row in rows.values())
    calls = chat_calls(model)
    assert 0 < calls <= len(expected)  # identical texts share an answer
    stats = stats_of(database_url, first.crawl_id)
    assert stats["ai/calls"] == calls and stats["ai/cache_hits"] == len(expected) - calls
    assert stats["ai/input_tokens"] > 0 and float(stats["ai/estimated_cost_usd"]) > 0
    assert KEY not in first.output

    # Recrawled unchanged: every answer from the cache, no call.
    second = crawl(shop.url(), database_url, exports, tmp_path / "second.jsonl", env=ai_env(model))
    assert_finished(second)
    assert chat_calls(model) == calls
    stats = stats_of(database_url, second.crawl_id)
    assert (stats["ai/calls"], stats["ai/cache_hits"]) == (0, len(expected))
    assert {row["origin"] for row in full_csv(exports, second.crawl_id).values()} == {"Italy"}


def test_every_product_is_exported_whatever_the_model_does(shop: DemoShop, model: OpenAIServer, tmp_path: Path) -> None:
    database_url = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    exports = tmp_path / "exports"
    faults = [rate_limited(retry_after=0.2), server_error(500), malformed(), refusal(), slow(3), answer()]
    model.script(*faults * 10)  # products' calls interleave: each meets several of these
    run = crawl(
        shop.url(),
        database_url,
        exports,
        tmp_path / "items.jsonl",
        env=ai_env(model),
        AI_MAX_ATTEMPTS=2,
        AI_BACKOFF_BASE=0.05,
        AI_TIMEOUT=1,
    )
    assert_finished(run)
    assert {r.outcome for r in model.requests} == {
        "rate_limited",
        "server_error",
        "malformed",
        "refusal",
        "slow+ok",
        "ok",
    }
    rows = full_csv(exports, run.crawl_id)
    assert set(rows) == shop.product_ids(1)  # nothing lost
    assert_rule_values(rows)  # and the rules' values kept
    stats = {key: value for key, value in stats_of(database_url, run.crawl_id).items() if key.startswith("ai/")}
    assert stats["ai/retries"] >= 3 and stats.get("ai/failures/refusal", 0) >= 1, stats
    answered = {row["product_id"] for row in rows.values() if row["origin"] == "Italy"}
    assert len(answered) == stats.get("ai/answers/ok", 0), stats  # ok answers, and only those, show
    assert 0 < len(answered) < len(rows)

    # Now the model is down for good: each kind of failure is logged once, not once per product.
    model.reset()
    model.set_default(server_error(500))
    down = crawl(
        shop.url(),
        f"sqlite:///{(tmp_path / 'down.sqlite3').as_posix()}",
        tmp_path / "down",
        tmp_path / "down.jsonl",
        env=ai_env(model),
        AI_MAX_ATTEMPTS=2,
        AI_BACKOFF_BASE=0.05,
    )
    assert_finished(down)
    assert set(full_csv(tmp_path / "down", down.crawl_id)) == shop.product_ids(1)
    assert down.output.count("AI call failed 2 times (http_500)") == 1


def test_the_budget_stops_the_calls_not_the_crawl(shop: DemoShop, model: OpenAIServer, tmp_path: Path) -> None:
    database_url = f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}"
    exports = tmp_path / "exports"
    run = crawl(shop.url(), database_url, exports, tmp_path / "items.jsonl", env=ai_env(model), AI_MAX_CALLS=3)
    assert_finished(run)
    assert chat_calls(model) == 3
    assert run.output.count("AI budget reached (3 of 3 calls") == 1
    rows = full_csv(exports, run.crawl_id)
    assert set(rows) == shop.product_ids(1)
    assert sum(row["origin"] == "Italy" for row in rows.values()) == 3
    stats = stats_of(database_url, run.crawl_id)
    assert stats["ai/budget_reached"] is True and stats["ai/answers/budget"] == PRODUCTS - 3


def test_extract_ai_backfills_stored_products(
    shop: DemoShop, model: OpenAIServer, database_url: str, tmp_path: Path
) -> None:
    exports = tmp_path / "exports"
    plain = crawl(shop.url(), database_url, exports, tmp_path / "plain.jsonl", env=ai_env(None))
    assert_finished(plain)

    def extract_ai(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": database_url, "EXPORTS_DIR": str(exports), **ai_env(model)}
        return zygote.run(
            [sys.executable, "-m", "scrapy", "extract-ai", "--site", SITE, *args], cwd=ROOT, env=env, timeout=120
        )

    limited = extract_ai("--limit", "5")
    assert limited.returncode == 0, limited.stderr[-3000:]
    assert f"{SITE}: 5 products, 5 with new attributes" in limited.stdout
    assert "5/5" in limited.stderr  # the progress bar
    every = extract_ai("--export")
    assert every.returncode == 0, every.stderr[-3000:]
    assert f"{SITE}: {PRODUCTS} products, {PRODUCTS - 5} with new attributes" in every.stdout
    assert "files written again" in every.stdout

    with engine_for(database_url) as engine, engine.connect() as conn:
        products = conn.execute(select(Product.product_id, Product.fingerprint, Product.data)).all()
        snapshots = {
            (row.product_id, row.fingerprint): row.data
            for row in conn.execute(select(Snapshot.product_id, Snapshot.fingerprint, Snapshot.data))
        }
    for product in products:
        assert product.data["ai"]["origin"] == {"value": "Italy", "source": "ai"}
        # The snapshot of the same fingerprint too (files of that crawl, written again, agree),
        # and nothing else of it changed.
        snapshot = snapshots[(product.product_id, product.fingerprint)]
        assert snapshot["ai"] == product.data["ai"]
        assert snapshot["crawl_id"] == product.data["crawl_id"]
    assert {row["origin"] for row in full_csv(exports, plain.crawl_id).values()} == {"Italy"}
    assert (exports / SITE / "latest" / "full.csv").read_bytes() == (
        exports / SITE / plain.crawl_id / "full.csv"
    ).read_bytes()

    # Run again: everything answered from the cache, nothing new.
    again = extract_ai()
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"{PRODUCTS} products, 0 with new attributes; AI gpt-4o-mini: 0 calls" in again.stdout
