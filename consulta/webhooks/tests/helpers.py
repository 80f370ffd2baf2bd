"""What the webhooks' tests share: settings for a receiver on 127.0.0.1, endpoints, callers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Max

from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import enter
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic, Organisation
from consulta.webhooks import actions
from consulta.webhooks.models import WebhookCursor, WebhookEndpoint, WebhookMessage

PATIENT = ("Pelle", "Privatsson", "+46701234567")
ALL_TYPES = [Kind.CONSULTATION_ENTERED, Kind.CONSULTATION_ANSWERED, Kind.CONSULTATION_LEFT, Kind.CONSULTATION_ENDED]


def receiver_settings(settings: Any) -> None:
    """The tests' receiver is http on 127.0.0.1: allowed here, and only here."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_RETRY_SECONDS = 10
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 10
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 24


def cursor_at_now() -> None:
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    WebhookCursor.objects.update_or_create(pk=1, defaults={"last_event_id": last, "holes": {}})


def endpoint(
    organisation: Organisation,
    url: str,
    types: Iterable[str] = ALL_TYPES,
    *,
    clinics: Iterable[Clinic] | None = None,
    names: bool = False,
) -> WebhookEndpoint:
    return actions.create_endpoint(
        organisation,
        url=url,
        event_types=list(types),
        all_clinics=clinics is None,
        clinics=list(clinics or []),
        include_patient_names=names,
    )


def patient_enters(clinic: Clinic, reference: str = "APPT-1") -> Consultation:
    """A patient enters, come by a link of the appointment system carrying `reference`."""
    first, last, phone = PATIENT
    consultation = enter(clinic, first, last, phone)
    Consultation.objects.filter(pk=consultation.pk).update(external_reference=reference)
    consultation.external_reference = reference
    return consultation


def messages(to: WebhookEndpoint) -> list[WebhookMessage]:
    return list(WebhookMessage.objects.filter(endpoint=to).order_by("event_id"))


def make_due() -> None:
    """Time moves on: every pending message's next attempt is due."""
    from django.utils import timezone

    WebhookMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now())


def deliver_all() -> int:
    """Rounds of the worker until nothing is due (each round posts one message of each line)."""
    from consulta.webhooks import delivery

    rounds = 0
    while delivery.deliver_due():
        rounds += 1
        assert rounds < 100, "messages keep coming due"
    return rounds
