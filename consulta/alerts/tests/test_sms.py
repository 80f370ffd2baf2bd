"""Text messages (consulta/alerts/sms.py) against a real HTTP gateway on 127.0.0.1, started here."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from consulta.alerts import sms
from consulta.alerts.tests.helpers import DATABASE_TASKS, SEND_SMS
from consulta.testing import run_queued_tasks

TOKEN = "gateway-secret-token-1234"
NUMBER = "+46701234567"


@dataclass
class Gateway:
    """A local SMS gateway: answers each POST with the next scripted status (200 when none are left)."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(
                {"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"echo": "' + NUMBER.encode() + b'"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def http_sms(settings: Any, gateway: Gateway) -> Gateway:
    settings.TASKS = DATABASE_TASKS
    settings.SMS_BACKEND = "http"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = TOKEN
    settings.SMS_FROM = "Alder"
    settings.SMS_GATEWAY_TIMEOUT = 5
    settings.SMS_SEND_ATTEMPTS = 3
    settings.SMS_RETRY_SECONDS = 30
    return gateway


def _rows() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=SEND_SMS).order_by("enqueued_at", "id"))


def _make_retries_due() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def test_the_http_backend_posts_json_with_the_bearer_token(http_sms: Gateway) -> None:
    sms.HttpBackend().send(NUMBER, "A caller is waiting in Alder Clinic: https://x.test/c/alder/waiting-area/")
    [request] = http_sms.received
    assert request["path"] == "/v1/messages"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"] == {
        "to": NUMBER,
        "from": "Alder",
        "text": "A caller is waiting in Alder Clinic: https://x.test/c/alder/waiting-area/",
    }


@pytest.mark.django_db
def test_a_503_is_retried_with_backoff_then_sent(http_sms: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    http_sms.statuses = [503]
    sms.enqueue_sms(to=NUMBER, text="A caller is waiting in Alder Clinic")
    with caplog.at_level(logging.INFO):
        assert run_queued_tasks() == 1  # the first attempt: 503
        [failed, retry] = _rows()
        assert failed.status == TaskResultStatus.FAILED
        assert retry.status == TaskResultStatus.READY
        assert retry.args_kwargs["kwargs"]["attempt"] == 2
        assert 25 <= (retry.run_after - timezone.now()).total_seconds() <= 30  # SMS_RETRY_SECONDS later
        assert run_queued_tasks() == 0  # not before its time
        _make_retries_due()
        assert run_queued_tasks() == 1
    assert [row.status for row in _rows()] == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]
    assert [request["body"] for request in http_sms.received] == [
        {"to": NUMBER, "from": "Alder", "text": "A caller is waiting in Alder Clinic"}
    ] * 2
    assert "HTTP 503" in caplog.text
    assert NUMBER not in caplog.text and TOKEN not in caplog.text
    # Once sent, the number is gone from the stored rows.
    assert all(row.args_kwargs["kwargs"]["to"] == "" for row in _rows())


@pytest.mark.django_db
def test_a_429_is_retried_and_gives_up_after_the_last_attempt(http_sms: Gateway) -> None:
    http_sms.statuses = [429, 503, 503]
    sms.enqueue_sms(to=NUMBER, text="hello")
    for _attempt in range(3):
        assert run_queued_tasks() == 1
        _make_retries_due()
    assert run_queued_tasks() == 0
    assert [row.status for row in _rows()] == [TaskResultStatus.FAILED] * 3  # SMS_SEND_ATTEMPTS in all
    assert len(http_sms.received) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 401, 422, 302])
def test_a_4xx_or_a_redirect_is_permanent(http_sms: Gateway, status: int, caplog: pytest.LogCaptureFixture) -> None:
    http_sms.statuses = [status]
    sms.enqueue_sms(to=NUMBER, text="hello")
    assert run_queued_tasks() == 1
    _make_retries_due()
    assert run_queued_tasks() == 0
    assert [row.status for row in _rows()] == [TaskResultStatus.FAILED]
    assert len(http_sms.received) == 1  # the redirect was not followed
    assert "given up" in caplog.text and NUMBER not in caplog.text


@pytest.mark.django_db
def test_a_gateway_that_cannot_be_reached_is_retried(http_sms: Gateway, settings: Any) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{closed.getsockname()[1]}/"  # nobody listens
        with pytest.raises(sms.SmsError) as refused:
            sms.HttpBackend().send(NUMBER, "hello")
    assert not refused.value.permanent
    assert NUMBER not in str(refused.value) and TOKEN not in str(refused.value)


def test_the_console_backend_prints_the_message_with_the_number_masked(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SMS_BACKEND = "console"
    sms.backend().send(NUMBER, "A caller is waiting in Alder Clinic")
    printed = capsys.readouterr().out
    assert "A caller is waiting in Alder Clinic" in printed
    assert "+4670*****67" in printed and NUMBER not in printed
