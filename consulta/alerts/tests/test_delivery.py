"""New-caller alerts out of the event log, and escalations of long waits (consulta/alerts/delivery.py).

The worker's schedule calls `drain()` and `escalate()`; here the tests call them, then read the
task rows they queued (the worker sends those like any e-mail) or run them with `run_queued_tasks`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from consulta.alerts import delivery
from consulta.alerts.models import AlertCursor, AlertPreference, Escalation, EscalationPolicy
from consulta.alerts.tests.helpers import (
    DATABASE_TASKS,
    SEND_EMAIL,
    cursor_at_now,
    names_no_patient,
    patient_enters,
    queued_emails,
    queued_sms,
    recipients,
    subscribe,
    waiting_for,
)
from consulta.consultations import actions as consultations
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import ClinicMembership
from consulta.testing import World, run_queued_tasks


@pytest.fixture(autouse=True)
def _worker_settings(settings: Any, db: None) -> None:
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BASE_URL = "https://video.example.test"
    cursor_at_now()


# --- New callers --------------------------------------------------------------------------------


def test_a_new_caller_is_told_to_each_subscriber_by_their_channels(world: World) -> None:
    subscribe(world.member, world.clinic_a)
    subscribe(world.clerk, world.clinic_a, email=False, phone="+46709876543")
    subscribe(world.clinic_admin, world.clinic_b)  # another clinic: not told
    patient_enters(world.clinic_a)

    assert delivery.drain() == 2
    [email] = queued_emails()
    assert email.to == [world.member.email]
    assert email.subject == "A caller is waiting in Alder Clinic"
    assert "https://video.example.test/c/alder/waiting-area/" in email.body
    assert "https://video.example.test/c/alder/alerts/" in email.body  # where to stop them
    assert queued_sms() == [
        ("+46709876543", "A caller is waiting in Alder Clinic: https://video.example.test/c/alder/waiting-area/")
    ]
    assert names_no_patient(email.subject + email.body + queued_sms()[0][1])

    # The worker sends them like any e-mail.
    assert run_queued_tasks() == 2
    [sent] = mail.outbox
    assert sent.to == [world.member.email]
    assert sent.subject == "A caller is waiting in Alder Clinic"


def test_each_person_is_alerted_in_their_own_language(world: World) -> None:
    """The language kept on the account (the picker's choice), not the site's or the patient's."""
    world.member.language = "sv"
    world.member.save(update_fields=["language"])
    world.clinic_admin.language = "ar"
    world.clinic_admin.save(update_fields=["language"])
    subscribe(world.member, world.clinic_a)
    subscribe(world.clinic_admin, world.clinic_a)
    patient_enters(world.clinic_a)

    assert delivery.drain() == 2
    subjects = {email.to[0]: email.subject for email in queued_emails()}
    assert subjects[world.member.email] == "En besökare väntar på Alder Clinic"
    arabic = subjects[world.clinic_admin.email]
    assert "Alder Clinic" in arabic and "A caller is waiting" not in arabic


def test_two_drains_never_send_the_same_alert_twice(world: World) -> None:
    subscribe(world.member, world.clinic_a)
    patient_enters(world.clinic_a)
    patient_enters(world.clinic_a)

    assert delivery.drain() == 2  # the first worker's drain
    assert delivery.drain() == 0  # the second worker's, a moment later: the cursor moved on
    assert recipients() == [world.member.email] * 2
    assert AlertCursor.objects.get().last_event_id == Event.objects.latest("pk").pk

    patient_enters(world.clinic_a)
    assert delivery.drain() == 1
    assert delivery.drain() == 0
    assert recipients() == [world.member.email] * 3


def test_nobody_subscribed_or_nobody_waiting_sends_nothing(world: World) -> None:
    subscribe(world.member, world.clinic_a, email=False)  # subscribed to nothing
    carl = patient_enters(world.clinic_a)
    assert delivery.drain() == 0

    subscribe(world.clerk, world.clinic_a)
    bea = patient_enters(world.clinic_a)
    consultations.join(bea, world.clerk)  # answered before the drain came round
    consultations.leave(carl)
    assert delivery.drain() == 0
    assert queued_emails() == []


def test_a_person_removed_from_the_team_is_no_longer_alerted(world: World) -> None:
    subscribe(world.member, world.clinic_a)
    subscribe(world.clerk, world.clinic_a)
    ClinicMembership.objects.filter(clinic=world.clinic_a, user=world.member).delete()
    patient_enters(world.clinic_a)

    delivery.drain()
    assert recipients() == [world.clerk.email]


def test_a_caller_transferred_in_is_a_new_caller_for_the_receiving_clinic(world: World) -> None:
    subscribe(world.org_admin, world.clinic_b)
    carl = patient_enters(world.clinic_a)
    delivery.drain()
    assert queued_emails() == []  # nobody subscribed in Alder

    consultations.transfer(carl, world.clinic_b)
    assert delivery.drain() == 1
    [email] = queued_emails()
    assert email.to == [world.org_admin.email]
    assert email.subject == "A caller is waiting in Birch Clinic"


def test_a_hole_in_the_event_ids_delays_nothing_and_a_late_commit_is_still_alerted(world: World) -> None:
    """On PostgreSQL an event with a lower id can commit after a higher one is seen."""
    subscribe(world.member, world.clinic_a)
    carl = patient_enters(world.clinic_a)
    entered = Event.objects.get(kind=Kind.CONSULTATION_ENTERED, subject=f"consultation:{carl.pk}")
    # The cursor two ids before the entry's event: a hole of one id (a transaction not yet committed).
    assert not Event.objects.filter(pk=entered.pk - 1).exists()
    AlertCursor.objects.filter(pk=1).update(last_event_id=entered.pk - 2)

    assert delivery.drain() == 1  # at once: the hole keeps nobody waiting
    cursor = AlertCursor.objects.get()
    assert cursor.last_event_id == entered.pk
    assert list(cursor.holes) == [str(entered.pk - 1)]

    # The transaction that held the missing id commits now: Dana's entry, with that id.
    dana = patient_enters(world.clinic_a)
    Event.objects.filter(kind=Kind.CONSULTATION_ENTERED, subject=f"consultation:{dana.pk}").update(id=entered.pk - 1)
    assert delivery.drain() == 1
    assert AlertCursor.objects.get().holes == {}
    assert delivery.drain() == 0  # each once


def test_a_hole_older_than_any_transaction_is_forgotten(world: World) -> None:
    long_ago = (timezone.now() - delivery.GAP_WAIT - timedelta(seconds=1)).isoformat()
    AlertCursor.objects.filter(pk=1).update(holes={"999999": long_ago})
    assert delivery.drain() == 0
    assert AlertCursor.objects.get().holes == {}


def test_a_missing_cursor_starts_from_now_not_from_history(world: World) -> None:
    subscribe(world.member, world.clinic_a)
    patient_enters(world.clinic_a)
    AlertCursor.objects.all().delete()

    assert delivery.drain() == 0
    assert AlertCursor.objects.get().last_event_id == Event.objects.latest("pk").pk
    patient_enters(world.clinic_a)
    assert delivery.drain() == 1


# --- Long waits ------------------------------------------------------------------------------------


def _policy(world: World, team: int | None = 10, admin: int | None = 20) -> None:
    EscalationPolicy.objects.create(clinic=world.clinic_a, team_after_minutes=team, admin_after_minutes=admin)


def test_a_long_wait_alerts_the_team_then_the_admins_each_once(world: World) -> None:
    _policy(world)
    subscribe(world.member, world.clinic_a, phone="+46709876543")
    # The admin wants no new-caller alerts, but gave a number: escalations to admins use it.
    AlertPreference.objects.create(user=world.clinic_admin, clinic=world.clinic_a, phone="+46701112233")
    carl = patient_enters(world.clinic_a)
    delivery.drain()
    mail_before, sms_before = len(queued_emails()), len(queued_sms())

    waiting_for(carl, 5)
    assert delivery.escalate() == 0  # not yet

    waiting_for(carl, 12)
    assert delivery.escalate() == 2  # the team: the member by e-mail and SMS
    assert delivery.escalate() == 0  # once
    team_mail = queued_emails()[mail_before:]
    assert [email.to for email in team_mail] == [[world.member.email]]
    assert team_mail[0].subject == "A caller has been waiting 12 minutes in Alder Clinic"
    assert names_no_patient(team_mail[0].body)
    assert queued_sms()[sms_before:] == [
        (
            "+46709876543",
            "A caller has been waiting 12 minutes in Alder Clinic: https://video.example.test/c/alder/waiting-area/",
        )
    ]

    waiting_for(carl, 21)
    assert delivery.escalate() == 2  # the clinic's admin, by e-mail and by the number they gave
    assert delivery.escalate() == 0
    admin_mail = queued_emails()[mail_before + 1 :]
    assert [email.to for email in admin_mail] == [[world.clinic_admin.email]]
    assert admin_mail[0].subject == "A caller has been waiting 21 minutes in Alder Clinic"
    assert "as an admin of Alder Clinic" in admin_mail[0].body
    assert queued_sms()[-1][0] == "+46701112233"
    assert sorted(Escalation.objects.values_list("level", flat=True)) == ["admin", "team"]


def test_no_escalation_for_a_caller_answered_before_the_threshold(world: World) -> None:
    _policy(world)
    subscribe(world.member, world.clinic_a)
    carl = patient_enters(world.clinic_a)
    waiting_for(carl, 8)
    consultations.join(carl, world.member)
    consultations.hold(carl)  # back to waiting, on hold: answered all the same
    waiting_for(carl, 30)
    assert delivery.escalate() == 0
    assert not Escalation.objects.exists()


def test_no_escalation_for_a_caller_marked_gone(world: World) -> None:
    _policy(world)
    subscribe(world.member, world.clinic_a)
    carl = patient_enters(world.clinic_a)
    waiting_for(carl, 30, connected=False)  # their page lost its connection
    assert delivery.escalate() == 0

    waiting_for(carl, 30, connected=True)  # back: now they are escalated
    assert delivery.escalate() == 2  # team, and admins (30 > 20 minutes)


def test_a_clinic_without_its_own_admin_escalates_to_the_organisation_admins(world: World) -> None:
    _policy(world, team=None, admin=15)
    ClinicMembership.objects.filter(clinic=world.clinic_a, user=world.clinic_admin).delete()
    carl = patient_enters(world.clinic_a)
    waiting_for(carl, 16)
    assert delivery.escalate() == 1
    assert recipients() == [world.org_admin.email]


def test_alerts_are_ordinary_email_tasks(world: World) -> None:
    """The same task as every e-mail: retried with backoff, taken back from a killed worker
    (consulta/core/tests/test_worker_process.py, and test_worker_alerts.py for alerts)."""
    from django_tasks_db.models import DBTaskResult

    subscribe(world.member, world.clinic_a)
    patient_enters(world.clinic_a)
    delivery.drain()
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [SEND_EMAIL]


def test_a_flood_of_callers_is_not_a_flood_of_alerts_to_one_person(world: World, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "alert_person": "2/hour"}
    settings.RATE_LIMITS_ENABLED = True
    subscribe(world.member, world.clinic_a)
    subscribe(world.clerk, world.clinic_a)
    for _caller in range(4):
        patient_enters(world.clinic_a)

    assert delivery.drain() == 4  # two each, then nothing more this hour
    assert sorted(recipients()) == sorted([world.member.email] * 2 + [world.clerk.email] * 2)
