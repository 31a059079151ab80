"""A local stand-in for the OpenAI Chat Completions API, with scriptable faults, for tests.

:class:`OpenAIServer` listens on a free loopback port (plain HTTP, stdlib only), so the real
``openai`` SDK can be pointed at it with ``OpenAI(base_url=server.base_url, api_key=...)``, from
the test process or from a ``scrapy crawl`` subprocess. Each ``POST /v1/chat/completions``
consumes the next scripted :data:`Behaviour` (:meth:`OpenAIServer.script`); when the script is
empty it gets the default behaviour (:meth:`OpenAIServer.set_default`), normally an answer made by
the server's *responder*. Every request is recorded (:class:`RecordedRequest`) with its
``time.monotonic()`` arrival time, so tests can assert the client's backoff between attempts.

Faithful to the real API, as far as ``client.chat.completions.parse(...)`` can tell:

* the endpoint (``POST /v1/chat/completions``), ``Authorization: Bearer`` checking (401
  ``invalid_api_key``), ``GET /v1/models`` and ``GET /v1/models/{id}``, and a 404 ``Invalid URL``
  error for anything else;
* the 200 body: ``id``, ``object: "chat.completion"``, ``created``, ``model`` (the requested model,
  echoed), one choice with ``index``, ``message`` (``role``, ``content``, ``refusal``,
  ``annotations``), ``logprobs`` and ``finish_reason``, ``usage``, ``service_tier`` and
  ``system_fingerprint``; the assistant content is compact JSON, as structured outputs return it;
* error bodies ``{"error": {"message", "type", "param", "code"}}`` with the statuses the SDK maps to
  its exceptions (401, 404, 429, 5xx), ``Retry-After`` (seconds or HTTP-date) and
  ``retry-after-ms`` on 429s, ``x-ratelimit-*`` headers, ``x-request-id`` on every answer;
* HTTP/1.1 keep-alive with ``Content-Length``, as the SDK's connection pool expects.

Simplified:

* token counts are estimates, with no tokenizer offline: ``prompt_tokens`` is
  ``ceil(characters of all message contents / 4)`` (text parts of list contents count too) and
  ``completion_tokens`` is ``ceil(len(content or refusal) / 4)``;
* the request is not validated beyond ``model`` and ``messages`` being present; the JSON schema is
  not enforced on answers (a responder can return anything, which is how faults are made);
  ``n``, tools, logprobs and the other sampling parameters are ignored; always one choice;
* no streaming (``stream: true`` gets a 400), no other endpoints;
* checks that fail (bad key, bad JSON, missing ``model``) answer without consuming the script.

The default responder (:func:`null_answer`) sets every top-level property of the request's
``response_format.json_schema.schema`` to ``null``: a valid "nothing found" answer for a strict
schema whose properties are all nullable, whatever the schema.

The behaviours, their makers and the default responder live in :mod:`tests.openai_answers`; they
are importable from here as well.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import sys
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .openai_answers import (
    DEFAULT_MODEL,
    RESPONDER,
    Behaviour,
    Drop,
    ErrorReply,
    Reply,
    Responder,
    Slow,
    answer,
    api_error,
    completion,
    content_filtered,
    dropped,
    error_body,
    estimate_tokens,
    invalid_schema,
    malformed,
    message_text,
    null_answer,
    rate_limited,
    refusal,
    retry_headers,
    server_error,
    slow,
    truncated_length,
)

CHAT_PATH = "/v1/chat/completions"


# -- recording ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it."""

    index: int  #: 0, 1, 2 ... in arrival order
    monotonic: float  #: ``time.monotonic()`` when the request (line, headers and body) was read
    wall_time: float  #: ``time.time()`` at the same moment
    method: str
    path: str  #: without the query string
    headers: Mapping[str, str]  #: lower-cased names; repeated headers joined with ", "
    body: Any  #: the parsed JSON body; None if there was none or it was not JSON
    outcome: str  #: what the server did: a behaviour's label, or models/unauthorized/not_found/bad_request

    @property
    def sdk_retry_count(self) -> int | None:
        """The SDK's ``x-stainless-retry-count`` (0 on a first attempt), if sent."""
        value = self.headers.get("x-stainless-retry-count")
        return int(value) if value is not None and value.isdigit() else None


# -- the server ----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What to do with a request, decided (and recorded) when it arrives."""

    behaviour: Behaviour | None = None  # for chat completions
    status: int = 200  # otherwise: a fixed JSON answer
    payload: dict[str, Any] = field(default_factory=dict)
    outcome: str = "ok"


class OpenAIServer:
    """The local OpenAI API (see the module docstring); starts serving when created.

    ``responder`` makes normal answers (default :func:`null_answer`); with ``api_key``, requests
    must carry ``Authorization: Bearer <api_key>``; ``model`` is what ``GET /v1/models`` lists.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        api_key: str | None = None,
        model: str = DEFAULT_MODEL,
    ) -> None:
        self.responder: Responder = responder or null_answer
        self.api_key = api_key
        self.model = model
        #: exceptions raised by the responder (each answered with a 500)
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._default: Behaviour | None = None
        self._requests: list[RecordedRequest] = []
        self._closing = threading.Event()
        self._closed = False
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.url}/v1"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"openai-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    # -- scripting

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours: each chat completion request consumes the next one."""
        with self._lock:
            self._queue.extend(behaviours)

    def set_default(self, behaviour: Behaviour | None) -> None:
        """What requests get once the script is empty (None: normal answers)."""
        with self._lock:
            self._default = behaviour

    def reset(self) -> None:
        """Forget the script, the default behaviour, the recorded requests and errors."""
        with self._lock:
            self._queue.clear()
            self._default = None
            self._requests.clear()
            self.errors.clear()

    @property
    def pending(self) -> int:
        """Scripted behaviours not consumed yet."""
        with self._lock:
            return len(self._queue)

    # -- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a snapshot)."""
        with self._lock:
            return list(self._requests)

    def intervals(self, path: str = CHAT_PATH) -> list[float]:
        """Seconds between the arrivals of consecutive requests to ``path``."""
        times = [r.monotonic for r in self.requests if r.path == path]
        return [b - a for a, b in itertools.pairwise(times)]

    # -- life cycle

    def close(self) -> None:
        """Stop serving, wake slow answers and close open connections; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<OpenAIServer {self.base_url}>"

    # -- request handling (in the handler's thread)

    def _handle(self, handler: _Handler) -> None:
        path = urlsplit(handler.path).path
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""
        received, wall = time.monotonic(), time.time()
        headers: dict[str, str] = {}
        for name, value in handler.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body, body_error = None, True
        else:
            body_error = False

        with self._lock:
            plan = self._plan(handler.command, path, headers, body, body_error)
            index = len(self._requests)
            self._requests.append(
                RecordedRequest(index, received, wall, handler.command, path, headers, body, plan.outcome)
            )
        if plan.behaviour is None:
            _send(handler, plan.status, plan.payload)
        else:
            self._behave(handler, plan.behaviour, body, index, wall)

    def _plan(self, method: str, path: str, headers: Mapping[str, str], body: Any, body_error: bool) -> _Plan:
        """Route and authenticate; for chat completions, consume the script (under the lock)."""
        if self.api_key is not None:
            auth = headers.get("authorization", "")
            scheme, _, key = auth.partition(" ")
            if not auth:
                message = (
                    "You didn't provide an API key. You need to provide your API key in an Authorization header "
                    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                )
                return _Plan(status=401, payload=error_body(message, "invalid_request_error"), outcome="unauthorized")
            if scheme.lower() != "bearer" or key.strip() != self.api_key:
                shown = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else key
                message = f"Incorrect API key provided: {shown}. You can find your API key in your account settings."
                payload = error_body(message, "invalid_request_error", code="invalid_api_key")
                return _Plan(status=401, payload=payload, outcome="unauthorized")

        if method == "GET" and path == "/v1/models":
            return _Plan(payload={"object": "list", "data": [self._model_object()]}, outcome="models")
        if method == "GET" and path.startswith("/v1/models/"):
            name = unquote(path.removeprefix("/v1/models/"))
            if name == self.model:
                return _Plan(payload=self._model_object(), outcome="models")
            message = f"The model '{name}' does not exist or you do not have access to it."
            payload = error_body(message, "invalid_request_error", code="model_not_found", param="model")
            return _Plan(status=404, payload=payload, outcome="not_found")
        if method != "POST" or path != CHAT_PATH:
            message = f"Invalid URL ({method} {path})"
            return _Plan(status=404, payload=error_body(message, "invalid_request_error"), outcome="not_found")

        if body_error or not isinstance(body, dict):
            message = (
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload.)"
            )
            return _Plan(status=400, payload=error_body(message, "invalid_request_error"), outcome="bad_request")
        for required in ("model", "messages"):
            if required not in body:
                message = f"Missing required parameter: '{required}'."
                payload = error_body(message, "invalid_request_error", "missing_required_parameter", required)
                return _Plan(status=400, payload=payload, outcome="bad_request")
        if body.get("stream"):
            message = "Streaming is not supported by the local test server."
            payload = error_body(message, "invalid_request_error", param="stream")
            return _Plan(status=400, payload=payload, outcome="bad_request")

        behaviour = self._queue.popleft() if self._queue else self._default or Reply()
        return _Plan(behaviour=behaviour, outcome=behaviour.label)

    def _model_object(self) -> dict[str, Any]:
        return {"id": self.model, "object": "model", "created": 1721172741, "owned_by": "system"}

    def _behave(self, handler: _Handler, behaviour: Behaviour, body: dict[str, Any], index: int, wall: float) -> None:
        if isinstance(behaviour, Slow):
            if self._closing.wait(behaviour.seconds):
                _drop(handler)
                return
            self._behave(handler, behaviour.then, body, index, wall)
        elif isinstance(behaviour, Drop):
            _drop(handler)
        elif isinstance(behaviour, ErrorReply):
            _send(
                handler,
                behaviour.status,
                error_body(behaviour.message, behaviour.error_type, behaviour.code, behaviour.param),
                retry_headers(behaviour),
            )
        else:
            try:
                payload = completion(behaviour, body, index, wall, self.responder)
            except Exception as exc:
                with self._lock:
                    self.errors.append(exc)
                traceback.print_exc(file=sys.stderr)
                message = f"The local server's responder raised {type(exc).__name__}: {exc}"
                _send(handler, 500, error_body(message, "server_error"))
                return
            _send(handler, 200, payload)


def _send(handler: _Handler, status: int, payload: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
    """Answer with JSON; a client that has gone away is not an error."""
    data = json.dumps(payload).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        handler.send_header("openai-version", "2020-10-01")
        handler.send_header("openai-processing-ms", "1")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
    except OSError:  # BrokenPipeError, ConnectionResetError: the client gave up
        handler.close_connection = True


def _drop(handler: _Handler) -> None:
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: OpenAIServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down kept-alive and in-flight connections, so their threads end now."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "openai-local/1.0"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_GET(self) -> None:
        self.server.owner._handle(self)

    def do_POST(self) -> None:
        self.server.owner._handle(self)

    def do_PUT(self) -> None:
        self.server.owner._handle(self)

    def do_PATCH(self) -> None:
        self.server.owner._handle(self)

    def do_DELETE(self) -> None:
        self.server.owner._handle(self)


__all__ = [
    "CHAT_PATH",
    "DEFAULT_MODEL",
    "RESPONDER",
    "Behaviour",
    "Drop",
    "ErrorReply",
    "OpenAIServer",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Slow",
    "answer",
    "api_error",
    "content_filtered",
    "dropped",
    "estimate_tokens",
    "invalid_schema",
    "malformed",
    "message_text",
    "null_answer",
    "rate_limited",
    "refusal",
    "server_error",
    "slow",
    "truncated_length",
]
