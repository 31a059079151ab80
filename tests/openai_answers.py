"""What the local OpenAI server answers: scripted behaviours, the default responder, the bodies.

A :data:`Behaviour` is what :class:`~tests.openai_server.OpenAIServer` does with one chat
completion request: a normal answer (:class:`Reply`, whose content the server's *responder*
makes unless given), an OpenAI error (:class:`ErrorReply`), a delay (:class:`Slow`) or a dropped
connection (:class:`Drop`); the small functions below make the usual faults. The default responder
(:func:`null_answer`), the token estimates and the JSON bodies sent (:func:`completion`,
:func:`error_body`, with :func:`retry_headers`) are here too; the server and its fidelity to the
real API are described in :mod:`tests.openai_server`.
"""

from __future__ import annotations

import email.utils
import enum
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

DEFAULT_MODEL = "gpt-4o-mini"

Responder = Callable[[dict[str, Any]], dict[str, Any] | str]
"""Makes the assistant content from the request's JSON body: a dict (sent as JSON) or raw text."""


class _FromResponder(enum.Enum):
    RESPONDER = "responder"


RESPONDER = _FromResponder.RESPONDER
"""``Reply.content`` default: ask the server's responder for the content."""


# -- behaviours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion.

    ``content`` is the assistant message content: :data:`RESPONDER` (the server's responder makes
    it), a dict (sent as compact JSON), a raw string, or ``None``. With
    ``finish_reason="length"`` and the responder's content, the content is cut to its first half,
    as a model that ran out of tokens leaves it.
    """

    content: dict[str, Any] | str | _FromResponder | None = RESPONDER
    refusal: str | None = None
    finish_reason: Literal["stop", "length", "content_filter"] = "stop"
    label: str = "ok"


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI error body ``{"error": {"message", "type", "param", "code"}}``.

    ``retry_after`` (seconds) adds a ``Retry-After`` header (``retry_after_format="seconds"``), a
    ``retry-after-ms`` header (``"ms"``), or an HTTP-date ``Retry-After`` (``"http-date"``: the
    date is rounded *up* to the whole second, so the client waits between ``retry_after`` and
    ``retry_after + 1`` seconds). The header is computed when the answer is sent.
    """

    status: int
    message: str
    error_type: str
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    retry_after_format: Literal["seconds", "ms", "http-date"] = "seconds"
    label: str = "error"


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds`` (to outlast a client timeout), then behave as ``then``.

    If the server closes meanwhile, the wait ends and the connection is dropped; if the client
    gave up meanwhile, the late answer is discarded quietly.
    """

    seconds: float
    then: Behaviour = field(default_factory=Reply)

    @property
    def label(self) -> str:
        return f"slow+{self.then.label}"


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering (the SDK sees a connection error)."""

    label: str = "dropped"


Behaviour = Reply | ErrorReply | Slow | Drop
"""What the server does with one chat completion request."""


def answer(content: dict[str, Any] | str | _FromResponder | None = RESPONDER) -> Reply:
    """A normal 200 answer: the responder's content, or the ``content`` given."""
    return Reply(content=content)


def rate_limited(retry_after: float | None = 1, ms: bool = False, http_date: bool = False) -> ErrorReply:
    """429 ``rate_limit_exceeded``, with ``Retry-After: <seconds>`` (``retry-after-ms`` if ``ms``,
    an HTTP-date ``Retry-After`` if ``http_date``; no such header if ``retry_after`` is None)."""
    if ms and http_date:
        raise ValueError("choose one of ms and http_date")
    fmt: Literal["seconds", "ms", "http-date"] = "ms" if ms else "http-date" if http_date else "seconds"
    return ErrorReply(
        status=429,
        message=(
            f"Rate limit reached for {DEFAULT_MODEL} in organization org-local on requests per min (RPM): "
            "Limit 3, Used 3, Requested 1. Please try again later."
        ),
        error_type="requests",
        code="rate_limit_exceeded",
        retry_after=retry_after,
        retry_after_format=fmt,
        label="rate_limited",
    )


_SERVER_ERRORS = {
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The server is overloaded or not ready yet.",
    504: "Gateway timeout.",
}


def server_error(status: int = 500) -> ErrorReply:
    """A 5xx (500, 502, 503 or 504) with a ``server_error`` body."""
    if status not in _SERVER_ERRORS:
        raise ValueError(f"server_error status must be one of {sorted(_SERVER_ERRORS)}")
    return ErrorReply(status=status, message=_SERVER_ERRORS[status], error_type="server_error", label="server_error")


def api_error(
    status: int, message: str, error_type: str = "invalid_request_error", code: str | None = None
) -> ErrorReply:
    """Any other OpenAI error, e.g. ``api_error(400, "...", code="context_length_exceeded")``."""
    return ErrorReply(status=status, message=message, error_type=error_type, code=code, label=f"error_{status}")


def slow(seconds: float, then: Behaviour | None = None) -> Slow:
    """Wait ``seconds`` before behaving as ``then`` (a normal answer by default)."""
    return Slow(seconds=seconds, then=then if then is not None else Reply())


def malformed(content: str = '{"fibres": [') -> Reply:
    """200 whose assistant content is not valid JSON (truncated by default)."""
    return Reply(content=content, label="malformed")


def invalid_schema(content: dict[str, Any]) -> Reply:
    """200 whose content is valid JSON that the schema rejects (wrong types, extra keys...)."""
    return Reply(content=content, label="invalid_schema")


def refusal(text: str = "I'm sorry, but I can't assist with that request.") -> Reply:
    """200 where the model refused: ``message.content`` is null and ``message.refusal`` is ``text``."""
    return Reply(content=None, refusal=text, label="refusal")


def truncated_length() -> Reply:
    """200 with ``finish_reason: "length"`` and the first half of the normal content."""
    return Reply(finish_reason="length", label="length")


def content_filtered() -> Reply:
    """200 with ``finish_reason: "content_filter"`` and no content."""
    return Reply(content=None, finish_reason="content_filter", label="content_filter")


def dropped() -> Drop:
    """The connection is closed without an answer."""
    return Drop()


# -- responders and token estimates ------------------------------------------------------------


def null_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Every top-level property of the requested JSON schema, set to ``None``."""
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    return dict.fromkeys(schema.get("properties") or {})


def estimate_tokens(text: str) -> int:
    """``ceil(len(text) / 4)``: the usual 4-characters-a-token rule, as there is no tokenizer offline."""
    return math.ceil(len(text) / 4)


def message_text(messages: Any) -> str:
    """All text of a request's ``messages`` (string contents and the text of content parts)."""
    texts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "".join(texts)


# -- answer bodies --------------------------------------------------------------------------------


def error_body(message: str, error_type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def completion(reply: Reply, body: dict[str, Any], index: int, wall: float, responder: Responder) -> dict[str, Any]:
    """The 200 body of a chat completion: ``reply`` to request ``body`` (the ``index``-th, at ``wall`` time)."""
    content = reply.content
    cut = content is RESPONDER and reply.finish_reason == "length"
    if content is RESPONDER:
        content = responder(body)
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    elif content is not None and not isinstance(content, str):
        raise TypeError(f"the assistant content must be a dict, a string or None, not {type(content).__name__}")
    if cut and content is not None:
        content = content[: len(content) // 2]
    prompt_tokens = estimate_tokens(message_text(body.get("messages")))
    completion_tokens = estimate_tokens(content or reply.refusal or "")
    return {
        "id": f"chatcmpl-local{index:08d}",
        "object": "chat.completion",
        "created": int(wall),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": reply.refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_local",
    }


def retry_headers(error: ErrorReply) -> dict[str, str]:
    headers: dict[str, str] = {}
    if error.status == 429:
        headers["x-ratelimit-limit-requests"] = "3"
        headers["x-ratelimit-remaining-requests"] = "0"
    if error.retry_after is None:
        return headers
    if error.status == 429:
        headers["x-ratelimit-reset-requests"] = f"{error.retry_after:g}s"
    if error.retry_after_format == "ms":
        headers["retry-after-ms"] = str(round(error.retry_after * 1000))
    elif error.retry_after_format == "http-date":
        headers["retry-after"] = email.utils.formatdate(math.ceil(time.time() + error.retry_after), usegmt=True)
    else:
        headers["retry-after"] = f"{error.retry_after:g}"
    return headers
