"""Loopback receivers for the alerts tests: an HTTP hook (Apprise ``json://``) and an SMTP server
(Apprise ``mailto://``), each in a thread of the test process, recording what they got."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from testkit.web import free_port as closed_port


@dataclass
class Received:
    at: float  # time.time()
    payload: dict[str, Any]

    @property
    def title(self) -> str:
        return self.payload.get("title", "")

    @property
    def message(self) -> str:
        return self.payload.get("message", "")


@dataclass
class HookReceiver:
    """``json://127.0.0.1:PORT/hook``: answers 500 to its first ``fail_first`` requests."""

    fail_first: int = 0
    requests: int = 0
    received: list[Received] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)


@contextmanager
def hook_receiver(fail_first: int = 0) -> Iterator[HookReceiver]:
    receiver = HookReceiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.requests += 1
                fail = receiver.requests <= receiver.fail_first
                if not fail:
                    receiver.received.append(Received(time.time(), json.loads(body)))
            self.send_response(500 if fail else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpReceiver:
    port: int
    user: str
    password: str
    messages: list[Message] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def url(self, **query: str) -> str:
        params = {"smtp": "127.0.0.1", "from": "alerts@example.com", "to": "team@example.com", "mode": "insecure"}
        params.update(query)
        joined = "&".join(f"{key}={value}" for key, value in params.items())
        return f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}?{joined}"


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.receiver.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_receiver(user: str = "alerts", password: str = "s3cret-Pa55") -> Iterator[SmtpReceiver]:  # noqa: S107
    """A real SMTP server on loopback that wants ``user``/``password`` (AUTH without TLS)."""
    receiver = SmtpReceiver(closed_port(), user, password)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        login = (auth_data.login.decode(), auth_data.password.decode())
        receiver.logins.append(login)
        return AuthResult(success=login == (user, password), handled=False)  # aiosmtpd answers 235 or 535

    controller = Controller(
        _Handler(receiver),
        hostname="127.0.0.1",
        port=receiver.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
