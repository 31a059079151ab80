"""Sending alerts with Apprise (``ecommerce_scraper.alerts.delivery``), on loopback with real
parts: an SMTP server for ``mailto://``, an HTTP hook for ``json://``; retries with backoff,
one masked ERROR line for a destination that never accepts, ``scrapy alerts --test``."""

from __future__ import annotations

import json
import logging
import os
import sys
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from ecommerce_scraper.alerts.delivery import deliver, mask_destination, scrub, send_once
from testkit import zygote
from testkit.web import ROOT

from .alert_receivers import closed_port, hook_receiver, smtp_receiver

# --- masking ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mailto://user:pass@host", "mailto://user:***@host"),
        ("mailtos://me:p%40ss:w@smtp.example.com:465?to=a@b.c", "mailtos://me:***@smtp.example.com:465?to=a@b.c"),
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/hook"),
        ("json://u:secret@127.0.0.1:8080/hook?token=abc&x=1", "json://u:***@127.0.0.1:8080/hook?token=***&x=1"),
        ("jsons://hooks.example.com/in/T0K3N5ECRETabcdef", "jsons://hooks.example.com/in/***"),
        ("tgram://123456:ABCDEFsecret/987", "tgram://***/***"),
        ("discord://webhookid/webhooktoken", "discord://***/***"),
        ("mailto://alerts@example.com", "mailto://alerts@example.com"),
        ("not a url", "***"),
    ],
)
def test_mask_destination(url: str, masked: str) -> None:
    assert mask_destination(url) == masked


def test_scrub_removes_whole_and_abbreviated_secrets() -> None:
    url = "mailto://user:Hunter2secret@host?apikey=K3yK3yK3y"
    text = "login to mailto://user:Hunter2secret@host failed (H...t) with K3yK3yK3y"
    assert scrub(text, url) == "login to mailto://user:***@host failed (***) with ***"


# --- real deliveries ---------------------------------------------------------------------------------


def test_mailto_reaches_a_real_smtp_server_with_its_login() -> None:
    with smtp_receiver() as smtp:
        send_once(smtp.url(), "Πτώση τιμής: merino", "knitshop · Μαλλί Merino\n  price down: 10.00 → 9.00 EUR")
    assert smtp.logins == [(smtp.user, smtp.password)]
    (message,) = smtp.messages
    assert str(make_header(decode_header(message["Subject"]))) == "Πτώση τιμής: merino"
    assert message["To"].endswith("team@example.com>") or message["To"] == "team@example.com"
    body = (
        message.get_payload(decode=True)
        if not message.is_multipart()
        else message.get_payload(0).get_payload(decode=True)
    )
    assert "Μαλλί Merino" in body.decode("utf-8")


def test_json_hook_gets_title_and_body() -> None:
    with hook_receiver() as hook:
        result = deliver(hook.url, "title", "body ü", backoff=0.01)
    assert result.ok and result.attempts == 1
    (received,) = hook.received
    assert (received.title, received.message) == ("title", "body ü")


def test_a_failing_receiver_is_retried_with_backoff(caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    with hook_receiver(fail_first=2) as hook:
        result = deliver(hook.url, "t", "b", retry_times=2, backoff=0.01, sleep=lambda s: waits.append(s))
    assert result.ok and result.attempts == 3 and result.retries == 2
    assert hook.requests == 3 and len(hook.received) == 1  # one message delivered
    assert waits == [0.01, 0.02]  # doubling
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_closed_port_fails_once_logged_once_masked(caplog: pytest.LogCaptureFixture) -> None:
    url = f"json://hookuser:Hunter2secret@127.0.0.1:{closed_port()}/hook"
    with caplog.at_level(logging.DEBUG):
        result = deliver(url, "t", "b", retry_times=2, backoff=0.01)
    assert not result.ok and result.attempts == 3
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "json://hookuser:***@127.0.0.1" in line and "after 3 attempt(s)" in line
    assert all("Hunter2secret" not in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.name.startswith("apprise")]  # Apprise's own lines are kept out


def test_a_wrong_smtp_password_fails_masked(caplog: pytest.LogCaptureFixture) -> None:
    with smtp_receiver() as smtp:
        url = smtp.url().replace(smtp.password, "Wr0ngPassw0rd")
        result = deliver(url, "t", "b", retry_times=1, backoff=0.01)
    assert not result.ok and result.attempts == 2 and not smtp.messages
    assert result.destination.startswith(f"mailto://{smtp.user}:***@127.0.0.1:{smtp.port}")
    assert all("Wr0ngPassw0rd" not in r.getMessage() for r in caplog.records)


# --- scrapy alerts --test ----------------------------------------------------------------------------


def test_scrapy_alerts_test_reports_each_destination(tmp_path: Path) -> None:
    with smtp_receiver() as smtp, hook_receiver() as hook:
        dead = f"json://127.0.0.1:{closed_port()}/dead"
        rules = [
            {"name": "drops", "sites": ["*"], "changes": ["price_down"], "notify": [smtp.url(), hook.url]},
            {"name": "stock", "sites": ["knitshop"], "changes": ["back_in_stock"], "notify": [hook.url, dead]},
        ]
        alerts = tmp_path / "alerts.json"
        alerts.write_text(json.dumps({"rules": rules}), encoding="utf-8")
        env = {**os.environ, "ALERTS_FILE": str(alerts), "EXPORTS_DIR": str(tmp_path)}
        cmd = [sys.executable, "-m", "scrapy", "alerts", "--test", "-s", "ALERTS_RETRY_BACKOFF=0.01"]
        proc = zygote.run(cmd, cwd=ROOT, env=env, timeout=60)
    out = proc.stdout
    assert proc.returncode == 1, (out, proc.stderr)
    lines = out.strip().splitlines()
    assert len(lines) == 3, out
    assert lines[0] == f"{mask_destination(smtp.url())} (rule 'drops'): sent"
    assert lines[0].startswith(f"mailto://{smtp.user}:***@127.0.0.1:{smtp.port}?smtp=127.0.0.1&from=")
    assert lines[1] == f"{hook.url} (rule 'drops', 'stock'): sent"
    assert lines[2].startswith(f"{dead} (rule 'stock'): failed: ")
    assert smtp.password not in out
    assert len(smtp.messages) == 1 and len(hook.received) == 1
