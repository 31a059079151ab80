"""The local OpenAI server, driven by the real ``openai`` SDK (sync and async clients).

These tests also pin down which exception the SDK raises for each fault, which is what the
production code catches.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import openai
import pydantic
import pytest
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, ConfigDict

from .openai_server import (
    DEFAULT_MODEL,
    OpenAIServer,
    answer,
    content_filtered,
    dropped,
    estimate_tokens,
    invalid_schema,
    malformed,
    message_text,
    null_answer,
    rate_limited,
    refusal,
    server_error,
    slow,
    truncated_length,
)

API_KEY = "sk-test-local-0123456789"
MESSAGES = [
    {"role": "system", "content": "Extract the yarn's attributes."},
    {"role": "user", "content": "Merino 4ply, 75% merino wool, 25% polyamide, 100 g."},
]


class FibreShare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fibre: str
    percent: float | None


class Yarn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fibres: list[FibreShare] | None
    weight_grams: float | None


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=API_KEY) as server:
        yield server


def sync_client(server: OpenAIServer, **kwargs: Any) -> OpenAI:
    kwargs.setdefault("max_retries", 0)
    return OpenAI(base_url=server.base_url, api_key=API_KEY, **kwargs)


def async_client(server: OpenAIServer, **kwargs: Any) -> AsyncOpenAI:
    kwargs.setdefault("max_retries", 0)
    return AsyncOpenAI(base_url=server.base_url, api_key=API_KEY, **kwargs)


def parse(client: OpenAI, model: str = DEFAULT_MODEL, **kwargs: Any) -> Any:
    return client.chat.completions.parse(model=model, messages=MESSAGES, response_format=Yarn, **kwargs)


async def aparse(client: AsyncOpenAI, **kwargs: Any) -> Any:
    return await client.chat.completions.parse(model=DEFAULT_MODEL, messages=MESSAGES, response_format=Yarn, **kwargs)


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """A plain urllib request: (status, parsed JSON body), without raising on HTTP errors."""
    request = Request(url, data=body, method=method, headers=headers or {})
    try:
        with urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


# -- normal answers


def test_parse_returns_the_model_with_a_realistic_body(server: OpenAIServer) -> None:
    with sync_client(server) as client:
        completion = parse(client, model="gpt-4o-2024-08-06")

    assert completion.choices[0].message.parsed == Yarn(fibres=None, weight_grams=None)
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-2024-08-06"  # echoed
    assert abs(completion.created - time.time()) < 60
    choice = completion.choices[0]
    assert (choice.index, choice.finish_reason, choice.message.role) == (0, "stop", "assistant")
    assert choice.message.refusal is None
    content = choice.message.content
    assert json.loads(content) == {"fibres": None, "weight_grams": None}
    prompt_chars = sum(len(m["content"]) for m in MESSAGES)
    assert completion.usage.prompt_tokens == math.ceil(prompt_chars / 4)
    assert completion.usage.completion_tokens == math.ceil(len(content) / 4)
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens

    [request] = server.requests
    assert (request.method, request.path, request.outcome, request.index) == ("POST", "/v1/chat/completions", "ok", 0)
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.sdk_retry_count == 0
    assert request.body["model"] == "gpt-4o-2024-08-06"
    assert request.body["messages"] == MESSAGES
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.body["response_format"]["json_schema"]["name"] == "Yarn"
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert abs(request.wall_time - time.time()) < 60


def test_responder_and_fixed_answers() -> None:
    seen: list[dict] = []

    def responder(body: dict) -> dict:
        seen.append(body)
        return {
            "fibres": [{"fibre": "merino wool", "percent": 75}, {"fibre": "polyamide", "percent": 25}],
            "weight_grams": 100,
        }

    with OpenAIServer(responder) as server, sync_client(server) as client:
        server.script(answer({"fibres": None, "weight_grams": 50}), answer('{"fibres":[],"weight_grams":null}'))
        assert parse(client).choices[0].message.parsed == Yarn(fibres=None, weight_grams=50)
        assert parse(client).choices[0].message.parsed == Yarn(fibres=[], weight_grams=None)
        assert seen == []  # fixed answers do not ask the responder
        yarn = parse(client).choices[0].message.parsed
    assert yarn.fibres == [FibreShare(fibre="merino wool", percent=75), FibreShare(fibre="polyamide", percent=25)]
    assert yarn.weight_grams == 100
    assert [body["messages"] for body in seen] == [MESSAGES]


def test_async_client_parses_concurrent_requests(server: OpenAIServer) -> None:
    server.script(*[slow(0.3) for _ in range(4)])

    async def main() -> list[Any]:
        async with async_client(server) as client:
            return await asyncio.gather(*[aparse(client) for _ in range(4)])

    started = time.monotonic()
    completions = asyncio.run(main())
    assert time.monotonic() - started < 1.0  # served in parallel, not 4 × 0.3 s
    assert [c.choices[0].message.parsed for c in completions] == [Yarn(fibres=None, weight_grams=None)] * 4
    assert [r.outcome for r in server.requests] == ["slow+ok"] * 4


# -- rate limits and retries


@pytest.mark.parametrize(
    ("behaviour", "header", "check"),
    [
        (rate_limited(retry_after=1), "retry-after", lambda value: value == "1"),
        (rate_limited(retry_after=2.5, ms=True), "retry-after-ms", lambda value: value == "2500"),
        (
            rate_limited(retry_after=30, http_date=True),
            "retry-after",
            lambda value: 29 <= email.utils.parsedate_to_datetime(value).timestamp() - time.time() <= 31,
        ),
    ],
    ids=["seconds", "ms", "http-date"],
)
def test_429_raises_rate_limit_error(server: OpenAIServer, behaviour: Any, header: str, check: Any) -> None:
    server.script(behaviour)
    with sync_client(server) as client, pytest.raises(openai.RateLimitError) as caught:
        parse(client)
    error = caught.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    assert check(error.response.headers[header])
    assert error.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert [r.outcome for r in server.requests] == ["rate_limited"]


def test_sdk_waits_retry_after_then_succeeds(server: OpenAIServer) -> None:
    server.script(rate_limited(retry_after=1))
    with sync_client(server, max_retries=2) as client:
        completion = parse(client)
    assert completion.choices[0].message.parsed == Yarn(fibres=None, weight_grams=None)
    requests = server.requests
    assert [(r.outcome, r.sdk_retry_count) for r in requests] == [("rate_limited", 0), ("ok", 1)]
    [gap] = server.intervals()
    assert 0.98 <= gap < 2.0  # Retry-After: 1, not the SDK's own 0.375-0.5 s first backoff


def test_async_sdk_honours_retry_after_ms(server: OpenAIServer) -> None:
    server.script(rate_limited(retry_after=0.7, ms=True))

    async def main() -> Any:
        async with async_client(server, max_retries=2) as client:
            return await aparse(client)

    assert asyncio.run(main()).choices[0].message.parsed == Yarn(fibres=None, weight_grams=None)
    [gap] = server.intervals()
    assert 0.68 <= gap < 1.6  # retry-after-ms: 700 (the SDK's own backoff would be at most 0.5 s)


# -- server errors


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_raises_internal_server_error(server: OpenAIServer, status: int) -> None:
    server.script(server_error(status))
    with sync_client(server) as client, pytest.raises(openai.InternalServerError) as caught:
        parse(client)
    assert caught.value.status_code == status
    assert caught.value.type == "server_error"
    assert caught.value.request_id.startswith("req_")


def test_sdk_retries_5xx_with_backoff_then_gives_up(server: OpenAIServer) -> None:
    server.set_default(server_error(503))
    with sync_client(server, max_retries=1) as client:
        with pytest.raises(openai.InternalServerError):
            parse(client)
        [gap] = server.intervals()
        assert 0.35 <= gap < 1.5  # the SDK's first backoff: 0.5 s minus up to 25 % jitter
        server.set_default(None)
        assert parse(client).choices[0].message.parsed is not None
    assert [(r.outcome, r.sdk_retry_count) for r in server.requests] == [
        ("server_error", 0),
        ("server_error", 1),
        ("ok", 0),
    ]


# -- timeouts and dropped connections


def test_slow_answer_times_out_and_close_does_not_hang() -> None:
    server = OpenAIServer()
    try:
        server.script(slow(5))
        with sync_client(server) as client, pytest.raises(openai.APITimeoutError) as caught:
            parse(client, timeout=0.3)
        assert isinstance(caught.value, openai.APIConnectionError)  # APITimeoutError is a connection error
        started = time.monotonic()
        server.close()  # the handler is still waiting on its 5 s
        assert time.monotonic() - started < 1.0
    finally:
        server.close()
    assert [r.outcome for r in server.requests] == ["slow+ok"]


def test_slow_answer_within_the_timeout_succeeds(server: OpenAIServer) -> None:
    server.script(slow(0.2, then=refusal("no")))
    with sync_client(server) as client:
        started = time.monotonic()
        completion = parse(client, timeout=5)
    assert time.monotonic() - started >= 0.2
    assert completion.choices[0].message.refusal == "no"


def test_async_timeout(server: OpenAIServer) -> None:
    server.script(slow(3))

    async def main() -> None:
        async with async_client(server, timeout=0.3) as client:
            await aparse(client)

    with pytest.raises(openai.APITimeoutError):
        asyncio.run(main())


def test_dropped_connection_raises_connection_error(server: OpenAIServer) -> None:
    server.script(dropped())
    with sync_client(server) as client, pytest.raises(openai.APIConnectionError) as caught:
        parse(client)
    assert not isinstance(caught.value, openai.APITimeoutError)


# -- answers the SDK cannot parse


@pytest.mark.parametrize(
    ("behaviour", "error_types"),
    [
        (malformed(), {"json_invalid"}),
        (
            invalid_schema({"fibres": "wool", "weight_grams": "heavy", "colour": "red"}),
            {"list_type", "float_parsing", "extra_forbidden"},
        ),
        (
            invalid_schema({"fibres": [{"fibre": "wool", "percent": 100, "blend": True}]}),
            {"missing", "extra_forbidden"},
        ),
    ],
    ids=["malformed", "wrong-types", "extra-and-missing"],
)
def test_unparseable_content_raises_pydantic_validation_error(
    server: OpenAIServer, behaviour: Any, error_types: set[str]
) -> None:
    server.script(behaviour)
    with sync_client(server, max_retries=2) as client, pytest.raises(pydantic.ValidationError) as caught:
        parse(client)
    assert not isinstance(caught.value, openai.OpenAIError)  # raw pydantic, not wrapped by the SDK
    assert {error["type"] for error in caught.value.errors()} == error_types
    assert len(server.requests) == 1  # a 200 the SDK cannot parse is not retried


def test_refusal_sets_refusal_and_no_parsed(server: OpenAIServer) -> None:
    server.script(refusal("I can't help with that."))
    with sync_client(server) as client:
        completion = parse(client)
    message = completion.choices[0].message
    assert message.refusal == "I can't help with that."
    assert message.parsed is None
    assert message.content is None
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == estimate_tokens("I can't help with that.")


def test_length_raises_length_finish_reason_error(server: OpenAIServer) -> None:
    server.script(truncated_length())
    with sync_client(server) as client, pytest.raises(openai.LengthFinishReasonError) as caught:
        parse(client)
    completion = caught.value.completion
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == '{"fibres":null,"w'  # half of the normal answer
    assert completion.usage.completion_tokens == estimate_tokens(completion.choices[0].message.content)


def test_content_filter_raises(server: OpenAIServer) -> None:
    server.script(content_filtered())
    with sync_client(server) as client, pytest.raises(openai.ContentFilterFinishReasonError):
        parse(client)


# -- authentication, other endpoints, bad requests


def test_wrong_api_key_raises_authentication_error(server: OpenAIServer) -> None:
    server.script(server_error())
    with (
        OpenAI(base_url=server.base_url, api_key="sk-wrong-key-9876", max_retries=2) as client,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        parse(client)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert server.pending == 1  # rejected before the script is consulted
    assert [r.outcome for r in server.requests] == ["unauthorized"]  # 401 is not retried

    status, body = http("POST", f"{server.base_url}/chat/completions", b"{}", {"Content-Type": "application/json"})
    assert status == 401
    assert body["error"]["message"].startswith("You didn't provide an API key")


def test_models_and_unknown_paths(server: OpenAIServer) -> None:
    with sync_client(server) as client:
        assert [model.id for model in client.models.list()] == [DEFAULT_MODEL]
        assert client.models.retrieve(DEFAULT_MODEL).id == DEFAULT_MODEL
        with pytest.raises(openai.NotFoundError) as caught:
            client.models.retrieve("gpt-nonexistent")
        assert caught.value.code == "model_not_found"
        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="text-embedding-3-small", input="wool")

    auth = {"Authorization": f"Bearer {API_KEY}"}
    status, body = http("GET", f"{server.url}/nowhere", headers=auth)
    assert status == 404
    assert body == {
        "error": {"message": "Invalid URL (GET /nowhere)", "type": "invalid_request_error", "param": None, "code": None}
    }
    assert http("GET", f"{server.base_url}/chat/completions", headers=auth)[0] == 404
    status, body = http("POST", f"{server.base_url}/chat/completions", b"{not json", auth)
    assert status == 400
    assert "could not parse the JSON body" in body["error"]["message"]
    status, body = http("POST", f"{server.base_url}/chat/completions", b'{"messages": []}', auth)
    assert (status, body["error"]["param"]) == (400, "model")
    assert [r.outcome for r in server.requests][-5:] == [
        "not_found",
        "not_found",
        "not_found",
        "bad_request",
        "bad_request",
    ]


def test_script_default_and_reset(server: OpenAIServer) -> None:
    server.script(server_error(), rate_limited())
    assert server.pending == 2
    server.reset()
    assert (server.pending, server.requests) == (0, [])
    server.set_default(refusal("never"))
    server.script(answer())
    with sync_client(server) as client:
        outcomes = [parse(client).choices[0].message.refusal for _ in range(3)]
    assert outcomes == [None, "never", "never"]
    assert [r.index for r in server.requests] == [0, 1, 2]


def test_responder_errors_become_500s() -> None:
    def responder(body: dict) -> dict:
        raise KeyError("boom")

    with OpenAIServer(responder) as server, sync_client(server) as client:
        with pytest.raises(openai.InternalServerError, match="KeyError"):
            parse(client)
        assert [type(e) for e in server.errors] == [KeyError]


def test_reachable_from_a_subprocess(server: OpenAIServer) -> None:
    code = (
        "import sys, openai\n"
        "client = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)\n"
        "messages = [{'role': 'user', 'content': 'hi'}]\n"
        "completion = client.chat.completions.create(model='gpt-4o-mini', messages=messages)\n"
        "print(completion.choices[0].message.content)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, server.base_url, API_KEY], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "{}"  # no response_format: an empty object
    assert server.requests[0].headers["user-agent"].startswith("OpenAI/Python")


def test_helpers() -> None:
    assert null_answer({"response_format": {"json_schema": {"schema": {"properties": {"a": {}, "b": {}}}}}}) == {
        "a": None,
        "b": None,
    }
    assert null_answer({}) == {}
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcde") == 2
    messages = [{"role": "user", "content": [{"type": "text", "text": "ab"}, {"type": "image_url"}]}, {"content": "cd"}]
    assert message_text(messages) == "abcd"
