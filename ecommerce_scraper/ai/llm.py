"""Asking an OpenAI-compatible model for a product's attributes: text in, an :class:`Answer` out.

:meth:`LLMExtractor.extract` never raises for anything the model or the network does: every
outcome is an :class:`Answer` whose ``status`` says what happened, so a product is never lost
because of the AI. The decisions:

- **Structured outputs.** ``chat.completions.parse`` with :class:`~.schema.YarnAttributes` as the
  response format; the SDK validates the answer with that model (its validators included).
- **Retries are ours** (the SDK's are off: ``max_retries=0``), so they can be bounded, counted and
  budgeted. 429, 5xx, timeouts and connection errors are retried up to ``max_attempts`` with
  exponential backoff and jitter: before attempt *n* + 1 the wait is
  ``min(backoff_max, backoff_base × 2^(n-1)) × uniform(0.5, 1)``, and never less than the
  server's ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date). A server asking for more
  than ``retry_after_max`` is not waited for: that product gets no AI values this time. Waiting
  is ``asyncio.sleep``: other products' calls and the crawl go on meanwhile.
- **An answer that fails validation** (not JSON, wrong types, out of bounds, cut off by the token
  limit) is asked again once, then recorded as ``invalid``. A refusal or a content filter stop is
  recorded at once. Recorded failures are cached like answers: asking again would repeat them.
- **Authentication, permission or unknown-model errors** stop the AI for the rest of the run
  (every later product would fail the same way); a 400 fails that product only.
- **Cost control.** A cache (:class:`AnswerCache`) keyed by model, prompt version and product
  text answers anything asked before, so an unchanged shop costs no call. Identical texts asked
  at the same time share one call. A budget of calls (HTTP requests, retries included) and tokens
  per run stops further calls, with one warning. At most ``concurrency`` calls run at once.
- **Logging.** Each kind of failure is logged once per run (with its first example), and counted
  in :class:`Usage`; nothing of the API key is ever logged.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pydantic

from ..retry_after import retry_after_seconds
from .prompt import cache_key, estimate_tokens, messages
from .schema import YarnAttributes, found_values

if TYPE_CHECKING:
    import openai

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
#: USD per million tokens, gpt-4o-mini's list price (input, output); settings override them.
DEFAULT_PRICE_INPUT = Decimal("0.15")
DEFAULT_PRICE_OUTPUT = Decimal("0.60")

#: ok: attributes found. Recorded failures (cached): refusal, content_filter, invalid.
#: Not cached: failed (transient errors, retries used up), budget (not asked), stopped (the run's
#: AI was stopped by an authentication or model error), error (a request the API rejected).
Status = Literal["ok", "refusal", "content_filter", "invalid", "failed", "budget", "stopped", "error"]
CACHED_STATUSES: frozenset[str] = frozenset({"ok", "refusal", "content_filter", "invalid"})


@dataclass(frozen=True)
class LLMConfig:
    """How to reach the model and how much of it to use (see ``settings.py``, "AI")."""

    api_key: str
    model: str = DEFAULT_MODEL
    base_url: str | None = None
    timeout: float = 30.0
    max_attempts: int = 4
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    concurrency: int = 4
    max_calls: int = 5000
    max_tokens: int = 5_000_000
    input_max_tokens: int = 1000
    max_output_tokens: int = 600
    price_input: Decimal = DEFAULT_PRICE_INPUT
    price_output: Decimal = DEFAULT_PRICE_OUTPUT

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"LLMConfig(model={self.model!r}, base_url={self.base_url!r}, api_key='***')"


@dataclass(frozen=True)
class Answer:
    status: Status
    values: dict[str, Any] = field(default_factory=dict)  # found_values form; empty unless ok
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Usage:
    """What a run asked and spent (Scrapy stats ``ai/...`` and the crawl record)."""

    calls: int = 0  # HTTP requests sent, retries included
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def cost(self, config: LLMConfig) -> Decimal:
        """Estimated USD at the configured prices per million tokens."""
        million = Decimal(1_000_000)
        return (self.input_tokens * config.price_input + self.output_tokens * config.price_output) / million


class AnswerCache(Protocol):
    """Where answers are kept between runs (:class:`~.cache.DatabaseAnswerCache`)."""

    async def get(self, key: str) -> Answer | None: ...

    async def put(self, key: str, model: str, answer: Answer) -> None: ...


class _TransientError(Exception):
    """A transient failure: wait ``delay`` seconds (at least), then ask again."""

    def __init__(self, kind: str, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.retry_after = retry_after


class _FatalError(Exception):
    """A failure every later call would repeat: stop asking for the rest of the run."""


Sleep = Callable[[float], Awaitable[None]]


class LLMExtractor:
    def __init__(
        self,
        config: LLMConfig,
        cache: AnswerCache | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.usage = Usage()
        import openai  # here, not at the top: only a crawl that asks the model pays ~1 s for the SDK's import

        self.client = openai.AsyncOpenAI(
            api_key=config.api_key,
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(max(1, config.concurrency))
        self._inflight: dict[str, asyncio.Future[Answer]] = {}
        self._logged: set[str] = set()
        self._stopped: str | None = None
        self._budget_warned = False

    async def close(self) -> None:
        await self.client.close()

    # --- one product ----------------------------------------------------------------------

    async def extract(self, text: str) -> Answer:
        """Attributes the model finds in ``text`` (a product's :func:`~.prompt.product_text`)."""
        if not text.strip():
            return Answer("ok")
        key = cache_key(self.config.model, text)
        shared = self._inflight.get(key)
        if shared is not None:  # the same text is being asked right now: share its answer
            answer = await asyncio.shield(shared)
            self.usage.cache_hits += 1
            return Answer(answer.status, answer.values, cached=True)
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await self._answer(key, text)
        except BaseException as exc:  # cancelled (the crawl is stopping): waiters give up too
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        else:
            future.set_result(answer)
        finally:
            del self._inflight[key]
        return answer

    async def _answer(self, key: str, text: str) -> Answer:
        if self.cache is not None:
            cached = await self._cached(key)
            if cached is not None:
                self.usage.cache_hits += 1
                return cached
        answer = await self._ask(text)
        if answer.status != "ok":
            self.usage.failures[answer.status] += 1
        if self.cache is not None and answer.status in CACHED_STATUSES:
            await self._store(key, answer)
        return answer

    async def _cached(self, key: str) -> Answer | None:
        try:
            return await self.cache.get(key)  # type: ignore[union-attr]
        except Exception as exc:  # a cache that fails costs calls, never a product
            self._log_once("cache", "AI answer cache unavailable (%s): asking the model instead", self._describe(exc))
            return None

    async def _store(self, key: str, answer: Answer) -> None:
        try:
            await self.cache.put(key, self.config.model, answer)  # type: ignore[union-attr]
        except Exception as exc:
            self._log_once("cache", "AI answer cache unavailable (%s): answers are not kept", self._describe(exc))

    async def _ask(self, text: str) -> Answer:
        import openai

        transient_failures = 0
        invalid_retried = False
        while True:
            try:
                async with self._slots:
                    # Checked with the slot held: calls waiting for one see what those before did.
                    if self._stopped is not None:
                        return Answer("stopped")
                    if not self._within_budget(text):
                        return Answer("budget")
                    return await self._call(text)
            except _TransientError as failure:
                transient_failures += 1
                if transient_failures >= self.config.max_attempts:
                    self._log_once(
                        failure.kind, "AI call failed %d times (%s): %s", transient_failures, failure.kind, failure
                    )
                    return Answer("failed")
                delay = self._delay(transient_failures, failure.retry_after)
                if delay is None:
                    self._log_once(
                        "retry_after_too_long",
                        "AI server asks to wait %.0f s (over %.0f s): this product gets no AI values now",
                        failure.retry_after,
                        self.config.retry_after_max,
                    )
                    return Answer("failed")
                self.usage.retries += 1
                await self._sleep(delay)
            except _FatalError as stop:
                if self._stopped is None:
                    self._stopped = str(stop)
                    logger.error("AI extraction stopped for the rest of this run: %s", stop)
                return Answer("stopped")
            except (pydantic.ValidationError, openai.LengthFinishReasonError) as exc:
                if not invalid_retried:  # once, and not counted against the transient attempts
                    invalid_retried = True
                    self.usage.retries += 1
                    continue
                self._log_once("invalid", "AI answer failed validation twice: %s", self._describe(exc))
                return Answer("invalid")

    async def _call(self, text: str) -> Answer:
        import openai

        self.usage.calls += 1
        try:
            completion = await self.client.chat.completions.parse(
                model=self.config.model,
                messages=messages(text),  # type: ignore[arg-type]
                response_format=YarnAttributes,
                temperature=0,
                max_completion_tokens=self.config.max_output_tokens,
            )
        except openai.ContentFilterFinishReasonError as exc:
            self._count_tokens(exc)
            self._log_once("content_filter", "AI answer stopped by the content filter")
            return Answer("content_filter")
        except openai.LengthFinishReasonError as exc:
            self._count_tokens(exc)
            raise
        except openai.APITimeoutError as exc:
            raise _TransientError("timeout", f"no answer within {self.config.timeout:g} s", None) from exc
        except openai.APIConnectionError as exc:
            raise _TransientError("connection", self._describe(exc), None) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            if status in (408, 409, 429) or status >= 500:  # the API's own "try again"
                kind = "rate_limited" if status == 429 else f"http_{status}"
                raise _TransientError(kind, self._describe(exc), retry_after_seconds(exc.response.headers)) from exc
            if status in (401, 403, 404):  # bad key, no access, unknown model: every call would fail
                raise _FatalError(f"HTTP {status}: {self._describe(exc)}") from exc
            self._log_once(f"http_{status}", "AI request rejected: HTTP %d %s", status, self._describe(exc))
            return Answer("error")
        usage = completion.usage
        input_tokens = usage.prompt_tokens if usage else estimate_tokens(text)
        output_tokens = usage.completion_tokens if usage else 0
        self.usage.input_tokens += input_tokens
        self.usage.output_tokens += output_tokens
        message = completion.choices[0].message
        if message.refusal or message.parsed is None:
            self._log_once("refusal", "AI model refused: %s", message.refusal or "(no answer)")
            return Answer("refusal", input_tokens=input_tokens, output_tokens=output_tokens)
        return Answer("ok", found_values(message.parsed), input_tokens=input_tokens, output_tokens=output_tokens)

    # --- budget and backoff ---------------------------------------------------------------

    def _within_budget(self, text: str) -> bool:
        usage, config = self.usage, self.config
        spent = usage.input_tokens + usage.output_tokens
        next_call = estimate_tokens(text) + config.max_output_tokens
        if usage.calls < config.max_calls and spent + next_call <= config.max_tokens:
            return True
        if not self._budget_warned:
            self._budget_warned = True
            logger.warning(
                "AI budget reached (%d of %d calls, %d of %d tokens): no more AI calls in this run; "
                "products still get the rule-based attributes",
                usage.calls,
                config.max_calls,
                spent,
                config.max_tokens,
            )
        return False

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait after failed attempt ``attempt``; ``None`` when the server asks too much."""
        if retry_after is not None and retry_after > self.config.retry_after_max:
            return None
        backoff = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        backoff *= self._rng.uniform(0.5, 1.0)
        return max(backoff, retry_after or 0.0)

    @property
    def budget_reached(self) -> bool:
        return self._budget_warned

    def _count_tokens(self, exc: openai.LengthFinishReasonError | openai.ContentFilterFinishReasonError) -> None:
        usage = getattr(getattr(exc, "completion", None), "usage", None)
        if usage is not None:
            self.usage.input_tokens += usage.prompt_tokens
            self.usage.output_tokens += usage.completion_tokens

    def _describe(self, exc: BaseException) -> str:
        """The first line of an error, without the API key (some servers echo it)."""
        return _scrub(_first_line(exc), self.config.api_key)

    def _log_once(self, kind: str, message: str, *args: Any) -> None:
        if kind not in self._logged:
            self._logged.add(kind)
            logger.warning(message + " (logged once per run)", *args)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _scrub(text: str, secret: str) -> str:
    """``text`` without ``secret`` (some servers echo the API key in their error messages)."""
    return text.replace(secret, "***") if secret else text
