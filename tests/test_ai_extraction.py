"""AI extraction against a local server that speaks the OpenAI API, through the real ``openai`` SDK.

In-process: :class:`LLMExtractor` with the database cache, one behaviour at a time (answers,
429 with Retry-After, 5xx, timeouts, malformed JSON, schema violations, refusals, a bad key),
asserting what was asked (the server's request log), the waits between attempts, the budget
and the cache. The crawls themselves, with every product exported whatever the AI does, are in
``test_ai_crawl.py``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from sqlalchemy import select

from ecommerce_scraper.ai.cache import DatabaseAnswerCache
from ecommerce_scraper.ai.llm import LLMConfig, LLMExtractor
from ecommerce_scraper.ai.prompt import SYSTEM_PROMPT, estimate_tokens, product_text
from ecommerce_scraper.ai.schema import ATTRIBUTE_FIELDS, Extraction
from ecommerce_scraper.pipelines.attributes import llm_config, merge_answer
from ecommerce_scraper.retry_after import retry_after_seconds
from ecommerce_scraper.storage import db
from ecommerce_scraper.storage.models import AIExtraction

from .openai_server import (
    OpenAIServer,
    api_error,
    dropped,
    invalid_schema,
    malformed,
    rate_limited,
    refusal,
    server_error,
    slow,
    truncated_length,
)

KEY = "sk-test-0123456789abcdef"
TEXT = "Name: Νήμα Drops Alpaca\nDescription: Απαλό νήμα. Σύνθεση: 100% αλπακά. Made in Peru."


def model_answer(body: dict[str, Any]) -> dict[str, Any]:
    """The stand-in model: a valid answer that says where the yarn is made."""
    answer: dict[str, Any] = dict.fromkeys(ATTRIBUTE_FIELDS)
    answer.update(origin="Peru", yarn_weight="dk", product_type="yarn")
    return answer


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(model_answer, api_key=KEY) as running:
        yield running


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[DatabaseAnswerCache]:
    engine = db.open_database(f"sqlite:///{(tmp_path / 'catalog.sqlite3').as_posix()}")
    yield DatabaseAnswerCache(engine)
    engine.dispose()


def config(server: OpenAIServer, **overrides: Any) -> LLMConfig:
    values: dict[str, Any] = {
        "api_key": KEY,
        "base_url": server.base_url,
        "timeout": 5.0,
        "backoff_base": 0.2,
        "backoff_max": 2.0,
        "max_attempts": 4,
    }
    return LLMConfig(**{**values, **overrides})


def run_extract(extractor: LLMExtractor, *texts: str) -> list[Any]:
    async def go() -> list[Any]:
        try:
            return await asyncio.gather(*(extractor.extract(text) for text in texts))
        finally:
            await extractor.close()

    return asyncio.run(go())


def chat_requests(server: OpenAIServer) -> list[Any]:
    return [r for r in server.requests if r.path == "/v1/chat/completions"]


# --- answers ---------------------------------------------------------------------------------


def test_an_answer_is_validated_and_costed(server: OpenAIServer) -> None:
    extractor = LLMExtractor(config(server))
    [answer] = run_extract(extractor, TEXT)
    assert answer.status == "ok"
    assert answer.values == {"yarn_weight": "dk", "product_type": "yarn", "origin": "Peru"}
    [request] = chat_requests(server)
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["messages"] == [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": TEXT}]
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True and set(schema["schema"]["properties"]) == set(ATTRIBUTE_FIELDS)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    usage = extractor.usage
    assert (usage.calls, usage.retries, usage.cache_hits) == (1, 0, 0)
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    expected = (usage.input_tokens * Decimal("0.15") + usage.output_tokens * Decimal("0.60")) / 1_000_000
    assert usage.cost(extractor.config) == expected


def test_retry_after_is_honoured_and_backoff_is_bounded(server: OpenAIServer) -> None:
    server.script(rate_limited(retry_after=0.6), server_error(500), server_error(503))
    extractor = LLMExtractor(config(server), rng=random.Random(7))
    [answer] = run_extract(extractor, TEXT)
    assert answer.status == "ok"
    assert [r.outcome for r in chat_requests(server)] == ["rate_limited", "server_error", "server_error", "ok"]
    waits = server.intervals()
    # After a 429: at least what Retry-After says (the backoff alone would be 0.1-0.2 s).
    assert 0.6 <= waits[0] < 0.6 + 0.5
    # Then exponential backoff with jitter: attempt n waits base * 2^(n-1) * [0.5, 1].
    assert 0.2 * 0.5 <= waits[1] < 0.4 + 0.3
    assert 0.4 * 0.5 <= waits[2] < 0.8 + 0.3
    assert extractor.usage.retries == 3 and extractor.usage.calls == 4


def test_retry_after_as_an_http_date() -> None:
    now = 1_700_000_000.0
    http_date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert retry_after_seconds({"retry-after": http_date}, now=now) == pytest.approx(30)
    assert retry_after_seconds({"retry-after": "12"}) == 12
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_a_server_asking_too_long_a_wait_is_not_waited_for(server: OpenAIServer) -> None:
    server.script(rate_limited(retry_after=90))
    extractor = LLMExtractor(config(server, retry_after_max=10))
    started = time.monotonic()
    [answer] = run_extract(extractor, TEXT)
    assert answer.status == "failed"
    assert time.monotonic() - started < 3
    assert len(chat_requests(server)) == 1


def test_transient_failures_give_up_after_max_attempts(server: OpenAIServer, caplog: Any) -> None:
    server.set_default(server_error(502))
    extractor = LLMExtractor(config(server, max_attempts=3, backoff_base=0.05))
    with caplog.at_level(logging.WARNING, logger="ecommerce_scraper.ai.llm"):
        answers = run_extract(extractor, TEXT, TEXT + " (2)")
    assert [a.status for a in answers] == ["failed", "failed"]
    assert len(chat_requests(server)) == 6  # 3 attempts each
    assert extractor.usage.failures["failed"] == 2
    failed_lines = [r for r in caplog.records if "AI call failed" in r.getMessage()]
    assert len(failed_lines) == 1  # logged once per kind, not once per product


def test_a_slow_answer_times_out_and_is_asked_again(server: OpenAIServer) -> None:
    server.script(slow(3.0))
    extractor = LLMExtractor(config(server, timeout=0.5))
    started = time.monotonic()
    [answer] = run_extract(extractor, TEXT)
    assert answer.status == "ok"
    assert [r.outcome for r in chat_requests(server)] == ["slow+ok", "ok"]
    assert time.monotonic() - started < 2.5  # the slow answer was not waited for


def test_a_dropped_connection_is_retried(server: OpenAIServer) -> None:
    server.script(dropped())
    [answer] = run_extract(LLMExtractor(config(server)), TEXT)
    assert answer.status == "ok"
    assert len(chat_requests(server)) == 2


@pytest.mark.parametrize(
    "bad",
    [
        malformed(),
        invalid_schema({"fibres": "wool", "weight_g": "fifty"}),
        # Valid JSON, but out of bounds for the model's validators: 150% wool.
        invalid_schema({**dict.fromkeys(ATTRIBUTE_FIELDS), "fibres": [{"fibre": "wool", "percent": 150}]}),
        truncated_length(),
    ],
    ids=["not-json", "wrong-types", "out-of-bounds", "cut-off"],
)
def test_an_invalid_answer_is_asked_once_more_then_recorded(
    server: OpenAIServer, cache: DatabaseAnswerCache, bad: Any
) -> None:
    server.script(bad, bad)
    [answer] = run_extract(LLMExtractor(config(server), cache), TEXT)
    assert answer.status == "invalid"
    assert len(chat_requests(server)) == 2
    # Recorded: asking again would give the same, so the next run does not ask.
    [again] = run_extract(LLMExtractor(config(server), cache), TEXT)
    assert again.status == "invalid" and again.cached
    assert len(chat_requests(server)) == 2


def test_an_invalid_answer_then_a_valid_one(server: OpenAIServer) -> None:
    server.script(malformed())
    [answer] = run_extract(LLMExtractor(config(server)), TEXT)
    assert answer.status == "ok" and answer.values["origin"] == "Peru"


def test_a_refusal_is_recorded_without_retrying(server: OpenAIServer, cache: DatabaseAnswerCache) -> None:
    server.script(refusal())
    extractor = LLMExtractor(config(server), cache)
    [answer] = run_extract(extractor, TEXT)
    assert answer.status == "refusal" and answer.values == {}
    assert len(chat_requests(server)) == 1
    assert extractor.usage.failures["refusal"] == 1
    with db.session_factory(cache.engine)() as session:
        stored = session.scalars(select(AIExtraction)).all()
    assert [(row.status, row.result) for row in stored] == [("refusal", None)]


def test_a_bad_key_stops_the_ai_for_the_run(server: OpenAIServer, caplog: Any) -> None:
    extractor = LLMExtractor(config(server, api_key="sk-wrong"))
    with caplog.at_level(logging.ERROR, logger="ecommerce_scraper.ai.llm"):
        answers = run_extract(extractor, *(f"{TEXT} {i}" for i in range(5)))
    assert {a.status for a in answers} == {"stopped"}
    assert len(chat_requests(server)) <= 4  # at most the calls already under way (concurrency 4)
    # The server echoes the key in its message (as some do): it never reaches the log.
    assert "sk-wrong" not in caplog.text
    assert sum("AI extraction stopped" in r.getMessage() for r in caplog.records) == 1


def test_a_rejected_request_fails_that_product_only(server: OpenAIServer) -> None:
    server.script(api_error(400, "This model's maximum context length is exceeded", "invalid_request_error"))
    extractor = LLMExtractor(config(server, concurrency=1))
    first, second = run_extract(extractor, TEXT, TEXT + " (2)")
    assert (first.status, second.status) == ("error", "ok")


# --- cost control ----------------------------------------------------------------------------


def test_the_budget_stops_calls_with_one_warning(server: OpenAIServer, caplog: Any) -> None:
    extractor = LLMExtractor(config(server, max_calls=3, concurrency=1))
    with caplog.at_level(logging.WARNING, logger="ecommerce_scraper.ai.llm"):
        answers = run_extract(extractor, *(f"{TEXT} {i}" for i in range(8)))
    assert [a.status for a in answers].count("ok") == 3
    assert [a.status for a in answers].count("budget") == 5
    assert len(chat_requests(server)) == 3
    assert sum("AI budget reached" in r.getMessage() for r in caplog.records) == 1
    assert extractor.budget_reached


def test_the_token_budget_counts_what_was_spent(server: OpenAIServer) -> None:
    per_call = estimate_tokens(SYSTEM_PROMPT + TEXT) + 600
    extractor = LLMExtractor(config(server, max_tokens=int(per_call * 2.5), concurrency=1))
    answers = run_extract(extractor, *(f"{TEXT} {i}" for i in range(6)))
    spent = extractor.usage.input_tokens + extractor.usage.output_tokens
    assert [a.status for a in answers].count("budget") >= 1
    assert spent <= per_call * 2.5


def test_the_cache_answers_what_was_asked_before(server: OpenAIServer, cache: DatabaseAnswerCache) -> None:
    first = LLMExtractor(config(server), cache)
    run_extract(first, TEXT, TEXT + " (2)")
    assert first.usage.calls == 2
    second = LLMExtractor(config(server), cache)
    answers = run_extract(second, TEXT, TEXT + " (2)")
    assert [a.values["origin"] for a in answers] == ["Peru", "Peru"] and all(a.cached for a in answers)
    assert (second.usage.calls, second.usage.cache_hits) == (0, 2)
    assert len(chat_requests(server)) == 2
    # Another model is another answer.
    third = LLMExtractor(config(server, model="gpt-4.1-mini"), cache)
    run_extract(third, TEXT)
    assert third.usage.calls == 1


def test_the_same_text_at_the_same_time_is_asked_once(server: OpenAIServer) -> None:
    server.script(slow(0.3))
    extractor = LLMExtractor(config(server))
    answers = run_extract(extractor, TEXT, TEXT, TEXT)
    assert [a.status for a in answers] == ["ok", "ok", "ok"]
    assert len(chat_requests(server)) == 1
    assert extractor.usage.cache_hits == 2


def test_concurrency_is_capped(tmp_path: Path) -> None:
    lock = threading.Lock()
    state = {"now": 0, "most": 0}

    def busy_model(body: dict[str, Any]) -> dict[str, Any]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.15)
        with lock:
            state["now"] -= 1
        return model_answer(body)

    with OpenAIServer(busy_model, api_key=KEY) as server:
        extractor = LLMExtractor(config(server, concurrency=2))
        answers = run_extract(extractor, *(f"{TEXT} {i}" for i in range(8)))
    assert {a.status for a in answers} == {"ok"}
    assert state["most"] == 2


# --- the text sent, the merge, the settings --------------------------------------------------


def test_product_text_is_the_relevant_fields_under_the_cap() -> None:
    product = {
        "name": "Νήμα Drops Alpaca",
        "brand": "Drops",
        "price": "4.50",
        "category": "Μαλλί",
        "breadcrumbs": ["Νήματα", "Μαλλί"],
        "attributes": {"Σύνθεση": "100% αλπακά", "Βάρος": "50 γρ."},
        "description": "Απαλό νήμα αλπακά. " * 400,
        "seo_title": "Buy now | Shop",
    }
    text = product_text(product, 300)
    assert text.startswith("Name: Νήμα Drops Alpaca\nBrand: Drops\nCategory: Μαλλί\nPath: Νήματα > Μαλλί\n")
    assert "- Σύνθεση: 100% αλπακά\n- Βάρος: 50 γρ.\nDescription: Απαλό νήμα" in text
    assert "4.50" not in text and "Buy now" not in text  # price and SEO fields cost tokens and say nothing
    assert estimate_tokens(text) <= 300 and text.endswith(" …")
    assert product_text({"name": "Short", "description": "A soft yarn."}, 300) == (
        "Name: Short\nDescription: A soft yarn."
    )
    assert product_text({}, 300) == ""


def test_the_model_corrects_rules_but_not_the_shop() -> None:
    extraction = Extraction()
    extraction.add({"weight_g": 50}, "structured")
    extraction.add({"length_m": 125, "yarn_weight": "lace"}, "rules")
    assert merge_answer(extraction, {"weight_g": 100, "yarn_weight": "fingering", "origin": "Italy"})
    assert extraction.values == {"weight_g": 50, "length_m": 125, "yarn_weight": "fingering", "origin": "Italy"}
    assert extraction.sources == {"weight_g": "structured", "length_m": "rules", "yarn_weight": "ai", "origin": "ai"}
    # An answer that would make the whole inconsistent (needles 5-4 mm) is dropped entirely.
    extraction.add({"needle_mm_max": 4}, "structured")
    assert not merge_answer(extraction, {"needle_mm_min": 5, "care": "hand wash"})
    assert "needle_mm_min" not in extraction.values and "care" not in extraction.values


def test_llm_config_reads_the_key_from_the_environment_only() -> None:
    settings = Settings({"OPENAI_MODEL": "llama3.1", "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"})
    assert llm_config(settings, environ={}) is None  # no key: rules only
    found = llm_config(settings, environ={"OPENAI_API_KEY": "sk-from-env"})
    assert found is not None
    assert (found.model, found.base_url, found.api_key) == ("llama3.1", "http://127.0.0.1:11434/v1", "sk-from-env")
    assert "sk-from-env" not in repr(found)
    assert llm_config(Settings({"AI_ENABLED": False}), environ={"OPENAI_API_KEY": "sk"}) is None
    with pytest.raises(UsageError, match="AI_PRICE_INPUT_PER_MTOK must be a decimal number"):
        llm_config(Settings({"AI_PRICE_INPUT_PER_MTOK": "cheap"}), environ={"OPENAI_API_KEY": "sk"})
