"""`manage.py cleanup`: what has served its time goes, what is still in use stays."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consulta.consultations import actions
from consulta.consultations.models import CallInvite, Consultation, ConsultationRecord, PrefillLink
from consulta.core.tasks import enqueue_email
from consulta.testing import World, in_fresh_process, run_queued_tasks

pytestmark = pytest.mark.django_db


def _cleanup() -> str:
    out = io.StringIO()
    call_command("cleanup", stdout=out)
    return out.getvalue()


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["who"] = "somebody"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    assert store.session_key
    return store.session_key


def _aged(model: type[AccessAttempt | AccessLog | AccessFailureLog], age: timedelta, **fields: Any) -> int:
    """A row of an axes model whose attempt_time (auto_now_add) lies `age` in the past."""
    defaults = {"user_agent": "test", "ip_address": "192.0.2.1", "http_accept": "*/*", "path_info": "/accounts/login/"}
    row = model.objects.create(**{**defaults, **fields})
    model.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - age)
    return int(row.pk)


def _attempt(age: timedelta, username: str) -> int:
    return _aged(AccessAttempt, age, username=username, get_data="", post_data="", failures_since_start=5)


def test_expired_sessions_go_live_ones_stay(db: None) -> None:
    expired = _session(-timedelta(minutes=1))
    live = _session(timedelta(hours=1))

    output = _cleanup()

    assert "1 expired session(s) deleted." in output
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()


def test_login_records_older_than_the_retention_go(db: None, settings: Any) -> None:
    settings.LOGIN_RECORD_RETENTION_DAYS = 30
    old = {
        "attempt": _attempt(timedelta(days=31), "old@example.test"),
        "log": _aged(AccessLog, timedelta(days=31), username="old@example.test"),
        "failure": _aged(AccessFailureLog, timedelta(days=31), username="old@example.test"),
    }
    recent = {
        "attempt": _attempt(timedelta(days=29), "recent@example.test"),
        "log": _aged(AccessLog, timedelta(days=29), username="recent@example.test"),
        "failure": _aged(AccessFailureLog, timedelta(days=29), username="recent@example.test"),
    }

    output = _cleanup()

    assert "1 login attempts older than 30 day(s) deleted." in output
    assert "1 login log entries older than 30 day(s) deleted." in output
    assert "1 login failure log entries older than 30 day(s) deleted." in output
    for model, key in ((AccessAttempt, "attempt"), (AccessLog, "log"), (AccessFailureLog, "failure")):
        assert not model.objects.filter(pk=old[key]).exists()
        assert model.objects.filter(pk=recent[key]).exists()


def test_a_lock_out_outlives_a_short_retention(db: None, settings: Any) -> None:
    """Attempts inside the cool-off (15 minutes) stay even with a retention of 0 days: no lock-out lifted."""
    settings.LOGIN_RECORD_RETENTION_DAYS = 0
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    locking = _attempt(timedelta(minutes=5), "locked@example.test")
    over = _attempt(timedelta(minutes=20), "over@example.test")
    log = _aged(AccessLog, timedelta(minutes=5), username="locked@example.test")

    _cleanup()

    assert AccessAttempt.objects.filter(pk=locking).exists()
    assert not AccessAttempt.objects.filter(pk=over).exists()
    assert not AccessLog.objects.filter(pk=log).exists()  # a log entry locks nobody out


def test_expired_links_and_invitations_go_valid_ones_stay(world: World) -> None:
    valid_link = actions.make_prefill_link(world.clinic_a, world.member, first_name="Astrid", last_name="Aalto")
    expired_link = actions.make_prefill_link(world.clinic_a, world.member, first_name="Old", last_name="Patient")
    PrefillLink.objects.filter(token_hash=PrefillLink.hash_token(expired_link)).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    caller = actions.enter(world.clinic_a, first_name="Bo", last_name="Berg", phone="+46701111111", answers=[])
    valid_invite = actions.invite_to_call(caller, world.member)
    expired_invite = actions.invite_to_call(caller, world.member)
    CallInvite.objects.filter(pk=expired_invite.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    output = _cleanup()

    assert "1 expired one-click link(s) deleted." in output
    assert "1 expired call invitation(s) deleted." in output
    assert list(PrefillLink.objects.values_list("first_name", flat=True)) == ["Astrid"]
    assert PrefillLink.objects.get().token_hash == PrefillLink.hash_token(valid_link)
    assert list(CallInvite.objects.values_list("pk", flat=True)) == [valid_invite.pk]


def test_callers_gone_past_the_grace_period_are_marked_as_left(world: World, settings: Any) -> None:
    settings.PATIENT_RECONNECT_GRACE_SECONDS = 120
    gone = actions.enter(world.clinic_a, first_name="Gone", last_name="Away", phone="+46701111111", answers=[])
    here = actions.enter(world.clinic_a, first_name="Still", last_name="Here", phone="+46702222222", answers=[])
    Consultation.objects.filter(pk=gone.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))

    output = _cleanup()

    assert "1 caller(s) gone past the grace period marked as left." in output
    assert list(Consultation.objects.values_list("pk", flat=True)) == [here.pk]
    assert ConsultationRecord.objects.count() == 1


def test_finished_task_rows_older_than_their_retention_go(
    db: None, settings: Any, django_capture_on_commit_callbacks
) -> None:
    settings.TASK_RECORD_RETENTION_DAYS = 7
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_email(subject="Old", body="old", recipients=["old@example.test"])
        enqueue_email(subject="Recent", body="recent", recipients=["recent@example.test"])
    assert run_queued_tasks() == 2
    assert len(mail.outbox) == 2
    old = DBTaskResult.objects.get(args_kwargs__kwargs__subject="Old")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))

    output = _cleanup()

    assert "1 finished background task(s) older than 7 day(s) deleted." in output
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()
    assert DBTaskResult.objects.count() == 1


def test_a_second_run_deletes_nothing(world: World) -> None:
    _session(-timedelta(minutes=1))
    _attempt(timedelta(days=400), "old@example.test")
    _cleanup()

    output = _cleanup()

    counts = [line.split(" ", 1)[0] for line in output.splitlines()]
    assert counts and set(counts) == {"0"}, output


def test_turn_credentials_last_two_hours_by_default() -> None:
    """Not the 6 hours they used to: long enough for a consultation, not for a day of them."""
    code = "from django.conf import settings; print(settings.TURN_CREDENTIAL_TTL)"
    assert in_fresh_process(code, drop={"TURN_CREDENTIAL_TTL"}) == 2 * 60 * 60
