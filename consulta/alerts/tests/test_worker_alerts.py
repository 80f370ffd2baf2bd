"""Alerts as they really go out: a real `manage.py worker` process, a real SMTP server (aiosmtpd)
on 127.0.0.1, and a patient entering through `actions.enter` in a process of its own.

The alerts are ordinary e-mail tasks (`enqueue_email`), so they go through the very path that
consulta/core/tests/test_worker_process.py proves survives a worker killed with SIGKILL; the last
test here proves it again for alerts. The drain itself is one transaction (the cursor moves with
the queued alerts), so a worker killed in the middle of it leaves the cursor where it was, and
the next drain queues those alerts then.
"""

from __future__ import annotations

import email
import email.policy
import signal
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from consulta.core.tests.test_worker_process import _env, _free_port, _process, _python, _recipients, _wait_for, _worker

PATIENT = ("Petronella", "Hemligsdotter", "+46701234567")
SUBSCRIBERS = [f"nurse{i}@northside.test" for i in range(3)]
DASHBOARD = "http://testserver/c/northside/waiting-area/"

SETUP = f"""
from consulta.alerts.models import AlertPreference
from consulta.organisations.models import Clinic, ClinicMembership, Organisation
from consulta.testing import make_user
organisation = Organisation.objects.create(name="Northern Care", slug="northern")
clinic = Clinic.objects.create(organisation=organisation, name="Northside", slug="northside")
for address in {SUBSCRIBERS!r}:
    user = make_user(address)
    ClinicMembership.objects.create(clinic=clinic, user=user, role="member")
    AlertPreference.objects.create(user=user, clinic=clinic, new_caller_email=True)
"""


def _enter(count: int = 1) -> str:
    first, last, phone = PATIENT
    return (
        "from consulta.consultations import actions\n"
        "from consulta.organisations.models import Clinic\n"
        "clinic = Clinic.objects.get(slug='northside')\n"
        f"for _ in range({count}):\n"
        f"    actions.enter(clinic, first_name={first!r}, last_name={last!r}, phone={phone!r}, answers=[])\n"
    )


@dataclass
class Inbox:
    """aiosmtpd's handler: every message the server accepted."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self) -> list[email.message.EmailMessage]:
        with self.lock:
            return list(self.messages)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _smtp_env(tmp_path: Path, port: int) -> dict[str, str]:
    return _env(
        tmp_path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="5",
        ALERT_POLL_SECONDS="0.2",
    )


def _drained(database: Path) -> bool:
    """Every event handled by a drain, and every task run."""
    with sqlite3.connect(database, timeout=10) as db:
        (cursor,) = db.execute("SELECT last_event_id FROM alerts_alertcursor").fetchone()
        (last,) = db.execute("SELECT coalesce(max(id), 0) FROM eventlog_event").fetchone()
        statuses = {status for (status,) in db.execute("SELECT status FROM django_tasks_database_dbtaskresult")}
    return bool(cursor == last and statuses <= {"SUCCESSFUL"})


def _body(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_patient_entering_reaches_the_team_by_email_within_seconds(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env, log = _smtp_env(tmp_path, port), tmp_path / "worker.log"
    _python(env, SETUP)
    with _process(_worker("alerts-1"), env, log) as worker:
        _python(env, _enter())
        _wait_for(lambda: len(inbox.received()) == len(SUBSCRIBERS), 10, "an alert to each subscriber", log)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0
    messages = inbox.received()
    assert sorted(str(message["To"]) for message in messages) == SUBSCRIBERS  # one e-mail each
    for message in messages:
        assert message["Subject"] == "A caller is waiting in Northside"
        body = _body(message)
        assert DASHBOARD in body
        text = str(message["Subject"]) + body
        assert not any(part in text for part in PATIENT), text  # no patient's name or phone
    assert not any(part in log.read_text() for part in PATIENT)


def test_two_workers_send_each_alert_once(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    env, log = _smtp_env(tmp_path, port), tmp_path / "workers.log"
    _python(env, SETUP)
    patients = 5
    with _process(_worker("alerts-a"), env, log), _process(_worker("alerts-b"), env, log):
        _python(env, _enter(patients))
        expected = patients * len(SUBSCRIBERS)
        _wait_for(lambda: len(inbox.received()) >= expected, 20, f"{expected} alerts", log)
        _wait_for(lambda: _drained(tmp_path / "consulta.sqlite3"), 10, "every event drained, every task run", log)
    addresses = sorted(str(message["To"]) for message in inbox.received())
    assert addresses == sorted(SUBSCRIBERS * patients)  # each alert once, whichever worker drained


def test_a_worker_killed_while_sending_alerts_loses_none(tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    database, log = tmp_path / "consulta.sqlite3", tmp_path / "worker.log"
    env = _env(
        tmp_path,
        EMAIL_BACKEND="consulta.core.tests.mail_backends.SlowFileBackend",
        TEST_MAIL_DIR=str(mail_dir),
        TEST_MAIL_DELAY="1",
        TASKS_RUNNING_TIMEOUT="4",
        ALERT_POLL_SECONDS="0.2",
    )
    _python(env, SETUP)

    def statuses() -> list[str]:
        with sqlite3.connect(database, timeout=10) as db:
            return [status for (status,) in db.execute("SELECT status FROM django_tasks_database_dbtaskresult")]

    with _process(_worker("alerts-a"), env, log) as worker_a:
        _python(env, _enter())
        _wait_for(lambda: "SUCCESSFUL" in statuses() and "RUNNING" in statuses(), 20, "alerts being sent", log)
        worker_a.send_signal(signal.SIGKILL)  # mid-send: no clean-up of any kind
        worker_a.wait(timeout=5)
    assert len(_recipients(mail_dir)) < len(SUBSCRIBERS)

    with _process(_worker("alerts-b"), env, log) as worker_b:
        _wait_for(lambda: statuses() == ["SUCCESSFUL"] * len(SUBSCRIBERS), 25, "every alert sent", log)
        _wait_for(lambda: _drained(database), 10, "every event drained", log)
        worker_b.send_signal(signal.SIGTERM)
        assert worker_b.wait(timeout=10) == 0
    assert _recipients(mail_dir) == SUBSCRIBERS  # each once: nothing lost, and the drain did not repeat
