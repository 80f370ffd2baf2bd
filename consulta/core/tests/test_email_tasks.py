"""E-mail leaves the request: queued as a task row, sent by the worker (consulta/core/tasks.py).

Issue 9, finding 8: "the e-mail is sent inside the request". Every e-mail Consulta sends
(password reset, invitations, a room's invite by e-mail) is now a row of the database backend
that the request only writes; `run_queued_tasks` runs the rows as `manage.py worker` would.
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from consulta.core import tasks
from consulta.organisations import actions
from consulta.organisations.models import Invitation
from consulta.rooms.models import GuestLink
from consulta.testing import World, client_for, run_queued_tasks

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE_BACKEND = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NEW_ADDRESS = "nora.newcomer@example.test"
SEND_EMAIL = "consulta.core.tasks.send_email"


@pytest.fixture(autouse=True)
def _database_backend(settings: Any) -> None:
    settings.TASKS = DATABASE_BACKEND
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=SEND_EMAIL).order_by("enqueued_at"))


def _link(body: str, path: str) -> str:
    match = re.search(rf"https?://[^/\s]+({path}[^\s]*)", body)
    assert match, body
    return match.group(1)


# --- Each e-mail: queued by the request, sent by the worker ----------------------------------


def test_a_password_reset_request_only_queues_the_email(world: World) -> None:
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": world.member.email})
    assert response.status_code == 302

    assert mail.outbox == []  # nothing sent during the request
    [row] = _queued()
    assert row.status == TaskResultStatus.READY
    assert row.args_kwargs["kwargs"]["recipients"] == [world.member.email]

    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.to == [world.member.email]
    opened = client.get(_link(str(message.body), "/accounts/password-reset/"), follow=True)
    assert opened.context["validlink"] is True  # the link the worker sent works


def test_an_invitation_is_queued_and_sent_by_the_worker(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.clinic_admin).post(
            reverse("organisations:clinic_team", args=[world.clinic_a.slug]), {"email": NEW_ADDRESS, "role": "member"}
        )
    assert response.status_code == 302
    assert mail.outbox == []
    assert len(_queued()) == 1

    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.to == [NEW_ADDRESS]
    invitation = Invitation.objects.get(email=NEW_ADDRESS)
    url = _link(str(message.body), "/accounts/invitation/")
    assert url == reverse("accounts:invitation", args=[invitation.token])
    assert client_for(None).get(url).status_code == 200


def test_a_rooms_invite_by_email_is_queued_and_sent_by_the_worker(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.member).post(
            reverse("rooms:meeting_room_invite", args=[world.meeting_room.token]),
            {"email": "gus@example.test"},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 200
    assert mail.outbox == []
    assert len(_queued()) == 1

    assert run_queued_tasks() == 1
    [message] = mail.outbox
    assert message.to == ["gus@example.test"]
    link = GuestLink.objects.get(admit_on_arrival=True)
    url = _link(str(message.body), "/g/")
    assert url == reverse("rooms:guest", args=[link.token])
    assert client_for(None).get(url).status_code == 200


# --- Commit, or nothing -----------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _invite_then_roll_back(world: World) -> None:
    with pytest.raises(_Rollback), transaction.atomic():
        invitation = actions.invite_to_clinic(
            world.clinic_a, email=NEW_ADDRESS, role="member", is_service_referrer=False, invited_by=world.clinic_admin
        )
        actions.send_invitation(invitation)  # even a send inside the transaction
        raise _Rollback


def test_a_rolled_back_change_queues_nothing(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _invite_then_roll_back(world)
    assert _queued() == []
    assert run_queued_tasks() == 0
    assert mail.outbox == []
    assert not Invitation.objects.filter(email=NEW_ADDRESS).exists()


def test_with_the_immediate_backend_the_email_waits_for_the_commit(
    world: World, settings: Any, django_capture_on_commit_callbacks
) -> None:
    settings.TASKS = IMMEDIATE_BACKEND
    with django_capture_on_commit_callbacks(execute=True):
        _invite_then_roll_back(world)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tasks.enqueue_email(subject="Hello", body="Text", recipients=[NEW_ADDRESS])
    assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert [message.subject for message in mail.outbox] == ["Hello"]
    assert _queued() == []  # no rows with this backend


# --- The rows: no body kept, pruned ------------------------------------------------------------


def test_a_sent_emails_row_keeps_no_body_and_is_pruned(db: None) -> None:
    tasks.enqueue_email(subject="Reset", body="secret link", recipients=["a@example.test"], html_body="<p>secret</p>")
    [row] = _queued()
    assert row.args_kwargs["kwargs"]["body"] == "secret link"  # needed until it is sent
    run_queued_tasks()
    assert mail.outbox[0].body == "secret link"
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.alternatives[0][0] == "<p>secret</p>"

    row.refresh_from_db()
    assert row.status == TaskResultStatus.SUCCESSFUL
    assert row.args_kwargs["kwargs"]["body"] == ""
    assert row.args_kwargs["kwargs"]["html_body"] is None
    assert "secret" not in str(row.args_kwargs)

    assert tasks.prune_finished_tasks(timedelta(days=1)) == 0  # too recent
    tasks.enqueue_email(subject="Later", body="waiting", recipients=["b@example.test"])
    assert tasks.prune_finished_tasks(timedelta(0)) == 1  # the sent one, not the waiting one
    assert [r.args_kwargs["kwargs"]["subject"] for r in _queued()] == ["Later"]


# --- Retries ------------------------------------------------------------------------------


class FlakyBackend(LocmemBackend):
    """Fails while `failures` lasts, then delivers to mail.outbox."""

    failures: list[Exception] = []

    def send_messages(self, messages: Any) -> int:
        if FlakyBackend.failures:
            raise FlakyBackend.failures.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings: Any) -> type[FlakyBackend]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    settings.EMAIL_SEND_ATTEMPTS = 3
    settings.EMAIL_RETRY_SECONDS = 30
    FlakyBackend.failures = []
    return FlakyBackend


def _make_due() -> None:
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def test_a_transient_smtp_failure_is_retried_later_with_backoff(db: None, flaky: type[FlakyBackend]) -> None:
    flaky.failures = [smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError("refused")]
    tasks.enqueue_email(subject="S", body="B", recipients=["a@example.test"])

    assert run_queued_tasks() == 1  # the retry is not due yet
    first, retry = _queued()
    assert first.status == TaskResultStatus.FAILED
    assert "SMTPServerDisconnected" in first.exception_class_path
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.args_kwargs["kwargs"]["body"] == "B"
    assert timedelta(seconds=25) < retry.run_after - timezone.now() <= timedelta(seconds=30)
    assert mail.outbox == []

    _make_due()
    assert run_queued_tasks() == 1
    third = _queued()[-1]
    assert third.args_kwargs["kwargs"]["attempt"] == 3
    assert timedelta(seconds=55) < third.run_after - timezone.now() <= timedelta(seconds=60)  # twice as late

    _make_due()
    assert run_queued_tasks() == 1
    assert [message.subject for message in mail.outbox] == ["S"]
    assert [row.status for row in _queued()] == [TaskResultStatus.FAILED] * 2 + [TaskResultStatus.SUCCESSFUL]


def test_retries_stop_after_the_last_attempt(db: None, flaky: type[FlakyBackend]) -> None:
    flaky.failures = [TimeoutError("slow")] * 5
    tasks.enqueue_email(subject="S", body="B", recipients=["a@example.test"])
    for _attempt in range(3):
        _make_due()
        assert run_queued_tasks() == 1
    _make_due()
    assert run_queued_tasks() == 0
    rows = _queued()
    assert [row.status for row in rows] == [TaskResultStatus.FAILED] * 3
    assert all(row.args_kwargs["kwargs"]["body"] == "" for row in rows)  # given up: no body kept either
    assert mail.outbox == []


def test_a_permanent_refusal_is_not_retried(db: None, flaky: type[FlakyBackend]) -> None:
    flaky.failures = [smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"no such user")})]
    tasks.enqueue_email(subject="S", body="B", recipients=["a@example.test"])
    assert run_queued_tasks() == 1
    [row] = _queued()
    assert row.status == TaskResultStatus.FAILED


# --- A killed worker's tasks ---------------------------------------------------------------------


def test_tasks_a_dead_worker_left_running_are_queued_again(db: None) -> None:
    tasks.enqueue_email(subject="S", body="B", recipients=["a@example.test"])
    [row] = _queued()
    row.claim("worker-a")  # then worker-a is killed

    assert tasks.requeue_abandoned_tasks(worker_id="worker-b") == 0  # not worker-b's
    assert tasks.requeue_abandoned_tasks(started_before=timezone.now() - timedelta(minutes=10)) == 0  # too recent
    assert tasks.requeue_abandoned_tasks(worker_id="worker-a") == 1  # worker-a starting again
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY

    row.claim("worker-a")
    assert tasks.requeue_abandoned_tasks(started_before=timezone.now() + timedelta(seconds=1)) == 1  # timed out
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
