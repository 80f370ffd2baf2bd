"""Webhooks out of the event log (consulta/webhooks/delivery.py), to a real receiver on 127.0.0.1.

The worker's functions are called directly (`drain`, `deliver_due`); the receiver
(receiver.py) verifies every delivery with the standardwebhooks library. Nothing of ours is mocked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from consulta.alerts.tests.helpers import DATABASE_TASKS, queued_emails
from consulta.consultations import actions as consultations
from consulta.consultations.models import Consultation
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World
from consulta.webhooks import actions, delivery
from consulta.webhooks.models import ConsultationTrace, WebhookEndpoint, WebhookMessage
from consulta.webhooks.tests.helpers import (
    ALL_TYPES,
    PATIENT,
    cursor_at_now,
    deliver_all,
    endpoint,
    make_due,
    messages,
    patient_enters,
    receiver_settings,
)
from consulta.webhooks.tests.receiver import Receiver, running_receiver


@pytest.fixture(autouse=True)
def _worker_settings(settings: Any, db: None) -> None:
    receiver_settings(settings)
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BASE_URL = "https://video.example.test"
    cursor_at_now()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def _registered(world: World, receiver: Receiver, **options: Any) -> WebhookEndpoint:
    hook = endpoint(world.organisation, receiver.url, **options)
    receiver.secret = hook.secret
    return hook


# --- The drain: which events become which messages -----------------------------------------------


def test_endpoints_get_the_events_of_their_types_and_clinics(world: World) -> None:
    everywhere = endpoint(world.organisation, "https://a.example.test/", [Kind.CONSULTATION_ENTERED])
    birch_only = endpoint(
        world.organisation,
        "https://b.example.test/",
        [Kind.CONSULTATION_ENTERED, Kind.CONSULTATION_TRANSFERRED],
        clinics=[world.clinic_b],
    )
    switched_off = endpoint(world.organisation, "https://c.example.test/", [Kind.CONSULTATION_ENTERED])
    actions.set_enabled(switched_off, False)
    elsewhere = endpoint(world.other_organisation, "https://d.example.test/", [Kind.CONSULTATION_ENTERED])

    alice = patient_enters(world.clinic_a)
    bob = patient_enters(world.clinic_b)
    consultations.transfer(alice, world.clinic_b)  # from Alder into Birch: Birch's endpoint hears of it
    consultations.join(bob, world.member)  # an answer: nobody asked for those

    assert delivery.drain() == 4
    assert [(m.type, m.ordering_key) for m in messages(everywhere)] == [
        ("consultation.entered", f"consultation:{alice.pk}"),
        ("consultation.entered", f"consultation:{bob.pk}"),
    ]
    assert [(m.type, m.ordering_key) for m in messages(birch_only)] == [
        ("consultation.entered", f"consultation:{bob.pk}"),
        ("consultation.transferred", f"consultation:{alice.pk}"),
    ]
    assert messages(switched_off) == [] and messages(elsewhere) == []
    event = Event.objects.get(kind=Kind.CONSULTATION_ENTERED, subject=f"consultation:{alice.pk}")
    assert messages(everywhere)[0].msg_id == f"msg_{event.pk}"


def test_two_drains_in_a_row_make_each_message_once(world: World) -> None:
    hook = endpoint(world.organisation, "https://a.example.test/")
    patient_enters(world.clinic_a)
    assert delivery.drain() == 1
    assert delivery.drain() == 0  # a second worker, a moment later
    patient_enters(world.clinic_a)
    assert delivery.drain() == 1
    assert len(messages(hook)) == 2
    assert len({m.event_id for m in messages(hook)}) == 2


def test_events_before_the_endpoint_was_registered_are_not_sent(world: World) -> None:
    patient_enters(world.clinic_a)  # not drained yet, when the endpoint comes
    hook = endpoint(world.organisation, "https://a.example.test/")
    assert delivery.drain() == 0
    assert messages(hook) == []


def test_a_payload_carries_ids_times_and_the_reference_and_names_only_where_allowed(world: World) -> None:
    plain = endpoint(world.organisation, "https://a.example.test/")
    named = endpoint(world.organisation, "https://b.example.test/", names=True)
    carl = patient_enters(world.clinic_a, reference="APPT-77")
    delivery.drain()

    [message] = messages(plain)
    assert message.event_id is not None
    event = Event.objects.get(pk=message.event_id)
    assert message.payload == {
        "type": "consultation.entered",
        "timestamp": event.at.isoformat(),
        "data": {
            "event_id": event.pk,
            "clinic": {"id": world.clinic_a.pk, "slug": "alder"},
            "consultation_id": carl.pk,
            "external_reference": "APPT-77",
        },
    }
    [with_names] = messages(named)
    assert with_names.payload["data"]["patient"] == {"first_name": "Pelle", "last_name": "Privatsson"}
    for text in (json.dumps(message.payload), json.dumps(with_names.payload)):
        assert PATIENT[2] not in text and "70123" not in text  # never the phone
    assert "Pelle" not in json.dumps(message.payload)


def test_a_consultation_that_ended_before_the_drain_still_has_its_reference(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver, names=True)
    carl = patient_enters(world.clinic_a, reference="APPT-9")
    carl_id = carl.pk
    consultations.join(carl, world.member)
    consultations.end(carl)  # its row is gone before the worker comes round
    assert not Consultation.objects.filter(pk=carl_id).exists()

    assert delivery.drain() == 3
    data = [m.payload["data"] for m in messages(hook)]
    assert [d["external_reference"] for d in data] == ["APPT-9"] * 3
    assert [d["patient"]["last_name"] for d in data] == ["Privatsson"] * 3
    ended = messages(hook)[-1].payload["data"]
    assert ended["seconds"] >= 0 and "wait_seconds" in ended

    assert deliver_all() == 3  # one message of the line at a time
    assert receiver.types() == ["consultation.entered", "consultation.answered", "consultation.ended"]
    # Once delivered, the log keeps no name.
    assert all("patient" not in m.payload["data"] for m in messages(hook))
    assert ConsultationTrace.objects.filter(consultation_id=carl_id).exists()  # pruned after a day
    ConsultationTrace.objects.update(created_at=timezone.now() - timedelta(days=2))
    delivery.prune()
    assert not ConsultationTrace.objects.exists()


# --- Delivery: signed, retried, in order ------------------------------------------------------------


def test_each_delivery_is_signed_in_the_standard_webhooks_scheme(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    patient_enters(world.clinic_a)
    delivery.drain()
    assert delivery.deliver_due() == 1

    [received] = receiver.deliveries
    assert received.verified  # standardwebhooks' own verify() accepted it
    [message] = messages(hook)
    assert message.status == "delivered" and message.last_status_code == 204
    assert received.path == "/hooks/consulta?token=abc"
    assert received.headers["webhook-id"] == message.msg_id
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"] == "Consulta-Webhooks/1"
    assert abs(int(received.headers["webhook-timestamp"]) - time.time()) < 30
    # By hand, as docs/webhooks.md says: HMAC-SHA256 of "id.timestamp.body", base64, after "v1,".
    key = base64.b64decode(hook.secret.removeprefix("whsec_"))
    signed = f"{message.msg_id}.{received.headers['webhook-timestamp']}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert received.headers["webhook-signature"] == f"v1,{expected}"
    assert received.payload["data"]["external_reference"] == "APPT-1"


def test_a_receiver_with_another_secret_cannot_verify(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    actions.rotate_secret(hook)  # the receiver still has the old one
    patient_enters(world.clinic_a)
    delivery.drain()
    delivery.deliver_due()
    [received] = receiver.deliveries
    assert not received.verified and received.answered == 401
    assert messages(hook)[0].status == "pending"  # not a 2xx: tried again later


def test_a_failed_attempt_is_retried_with_doubling_waits(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    patient_enters(world.clinic_a)
    delivery.drain()
    receiver.fail_next = 3

    waits = []
    for _attempt in range(3):
        before = timezone.now()
        assert delivery.deliver_due() == 1
        [message] = messages(hook)
        waits.append(round((message.next_attempt_at - before).total_seconds()))
        assert delivery.deliver_due() == 0  # not due yet
        make_due()
    assert waits == [10, 20, 40]
    assert delivery.deliver_due() == 1
    [message] = messages(hook)
    assert (message.status, message.attempts, message.last_status_code) == ("delivered", 4, 204)
    assert [a.status_code for a in message.attempt_log.all()] == [500, 500, 500, 204]
    assert {d.msg_id for d in receiver.deliveries} == {message.msg_id}  # the same id each time: dedupe by it


def test_order_per_consultation_holds_while_its_first_message_fails(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    carl = patient_enters(world.clinic_a, reference="CARL")
    carl_id = carl.pk
    consultations.join(carl, world.member)
    consultations.leave(carl)
    delivery.drain()
    entered, answered, left = messages(hook)
    receiver.fail_next = 2

    assert delivery.deliver_due() == 1  # only the oldest of Carl's line is tried
    # Meanwhile another consultation's line is not held up by Carl's.
    dana = patient_enters(world.clinic_a, reference="DANA")
    delivery.drain()
    dana_entered = messages(hook)[-1]
    make_due()
    assert set(delivery.due(timezone.now(), 10)) == {entered.pk, dana_entered.pk}
    assert delivery.deliver_due() == 2  # Carl's entry fails again; Dana's is delivered
    make_due()
    deliver_all()

    carl_sent = [(d.type, d.answered) for d in receiver.deliveries if d.payload["data"]["consultation_id"] == carl_id]
    assert carl_sent == [
        ("consultation.entered", 500),
        ("consultation.entered", 500),
        ("consultation.entered", 204),
        ("consultation.answered", 204),
        ("consultation.left", 204),
    ]
    assert [d.payload["data"]["consultation_id"] for d in receiver.accepted()].count(dana.pk) == 1
    assert {m.status for m in messages(hook)} == {"delivered"}
    assert answered.pk < left.pk


def test_a_message_given_up_after_the_last_attempt_lets_the_next_go(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    hook = _registered(world, receiver)
    carl = patient_enters(world.clinic_a)
    consultations.join(carl, world.member)
    delivery.drain()
    receiver.fail_next = 2

    delivery.deliver_due()
    make_due()
    delivery.deliver_due()
    first, second = messages(hook)
    assert (first.status, first.attempts) == ("failed", 2)
    assert "patient" not in first.payload["data"]
    assert second.status == "pending"
    make_due()
    assert delivery.deliver_due() == 1
    assert receiver.types() == ["consultation.answered"]


def test_a_timeout_is_a_failed_attempt_and_does_not_hang_the_worker(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    hook = _registered(world, receiver)
    patient_enters(world.clinic_a)
    delivery.drain()
    receiver.hang_seconds = 10

    started = time.monotonic()
    delivery.deliver_due()
    assert time.monotonic() - started < 5
    [message] = messages(hook)
    assert (message.status, message.last_error, message.last_status_code) == ("pending", "timed out", None)


def test_two_workers_never_take_the_same_message(world: World) -> None:
    endpoint(world.organisation, "https://a.example.test/")
    patient_enters(world.clinic_a)
    delivery.drain()
    first = delivery.claim(10)
    assert len(first) == 1
    assert delivery.claim(10) == []  # the second worker finds it claimed
    WebhookMessage.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert delivery.claim(10) == first  # a claim of a worker that died lapses


# --- An endpoint that keeps failing is disabled ------------------------------------------------------


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_admins_told(
    world: World, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    hook = _registered(world, receiver, types=[Kind.CONSULTATION_ENTERED], clinics=None)
    for reference in ("A", "B", "C"):
        patient_enters(world.clinic_a, reference=reference)
    delivery.drain()
    receiver.fail_next = 100

    assert delivery.deliver_due() == 3  # all three claimed; the third finds the endpoint disabled
    hook.refresh_from_db()
    assert not hook.enabled and hook.disabled_at is not None
    assert "2 messages in a row" in hook.disabled_reason
    assert [m.status for m in messages(hook)] == ["failed", "failed", "pending"]
    assert len(receiver.deliveries) == 2
    event = Event.objects.get(kind=Kind.WEBHOOK_DISABLED)
    assert (event.subject, event.organisation_id, event.actor_id) == (f"webhook:{hook.pk}", world.organisation.pk, None)
    [email] = queued_emails()
    assert email.to == [world.org_admin.email]
    assert f"https://video.example.test/o/acme/webhooks/{hook.pk}/" in email.body
    assert receiver.url not in email.body and hook.secret not in email.body

    make_due()
    assert delivery.deliver_due() == 0  # disabled: nothing goes
    receiver.fail_next = 0
    actions.set_enabled(hook, True)  # the admin fixed the receiver
    assert delivery.deliver_due() == 1
    assert [d.payload["data"]["external_reference"] for d in receiver.accepted()] == ["C"]


def test_an_endpoint_failing_for_hours_is_disabled(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    patient_enters(world.clinic_a)
    delivery.drain()
    receiver.fail_next = 100
    WebhookEndpoint.objects.filter(pk=hook.pk).update(failing_since=timezone.now() - timedelta(hours=25))
    delivery.deliver_due()
    hook.refresh_from_db()
    assert not hook.enabled
    assert "24 hours" in hook.disabled_reason


def test_a_delivery_resets_the_failure_count(world: World, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    hook = _registered(world, receiver)
    patient_enters(world.clinic_a)
    patient_enters(world.clinic_a)
    delivery.drain()
    receiver.fail_next = 1
    delivery.deliver_due()
    hook.refresh_from_db()
    assert (hook.failed_messages, hook.failing_since) == (0, None)
    assert hook.enabled


def test_a_retention_prune_deletes_old_messages(world: World, settings: Any) -> None:
    hook = endpoint(world.organisation, "https://a.example.test/")
    patient_enters(world.clinic_a)
    patient_enters(world.clinic_a)
    delivery.drain()
    old = messages(hook)[0]
    WebhookMessage.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert delivery.prune() == 1
    assert [m.pk for m in messages(hook)] != [old.pk] and len(messages(hook)) == 1


def test_the_types_offered_are_the_contracts(world: World) -> None:
    from consulta.webhooks.models import EVENT_TYPES

    assert [kind.value for kind in EVENT_TYPES] == [
        "consultation.entered",
        "consultation.answered",
        "consultation.held",
        "consultation.transferred",
        "consultation.left",
        "consultation.expired",
        "consultation.ended",
        "call.joined",
        "call.left",
        "room_call.started",
        "room_call.ended",
    ]
    assert set(ALL_TYPES) <= set(EVENT_TYPES)


def test_a_test_event_from_the_endpoints_page_is_signed_and_delivered(world: World, receiver: Receiver) -> None:
    hook = _registered(world, receiver)
    client = world.client_for("org_admin")
    answer = client.post(f"/o/acme/webhooks/{hook.pk}/test/")
    assert answer.status_code == 302
    assert delivery.deliver_due() == 1
    [received] = receiver.accepted()
    assert received.verified and received.type == "webhook.test"
    assert received.payload["data"] == {"endpoint_id": hook.pk}
    assert received.msg_id.startswith("msg_test_")
    page = client.get(f"/o/acme/webhooks/{hook.pk}/").content.decode()
    assert received.msg_id in page and "webhook.test" in page

    actions.set_enabled(hook, False)
    client.post(f"/o/acme/webhooks/{hook.pk}/test/")
    assert WebhookMessage.objects.filter(endpoint=hook).count() == 1  # none for a disabled endpoint
