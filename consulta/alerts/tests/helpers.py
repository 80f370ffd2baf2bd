"""What the alerts' tests share: the queued messages, read from their task rows, and a subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Max
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from consulta.accounts.models import User
from consulta.alerts.models import AlertCursor, AlertPreference
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import enter
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic

SEND_EMAIL = "consulta.core.tasks.send_email"
SEND_SMS = "consulta.alerts.sms.send_sms"
PATIENT = ("Pelle", "Privatsson", "+46701234567")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    body: str


def queued_emails() -> list[Email]:
    rows = DBTaskResult.objects.filter(task_path=SEND_EMAIL).order_by("enqueued_at", "id")
    arguments = [row.args_kwargs["kwargs"] for row in rows]
    return [Email(kwargs["recipients"], kwargs["subject"], kwargs["body"]) for kwargs in arguments]


def queued_sms() -> list[tuple[str, str]]:
    rows = DBTaskResult.objects.filter(task_path=SEND_SMS).order_by("enqueued_at", "id")
    return [(row.args_kwargs["kwargs"]["to"], row.args_kwargs["kwargs"]["text"]) for row in rows]


def recipients() -> list[str]:
    return sorted(address for email in queued_emails() for address in email.to)


def cursor_at_now() -> None:
    """The drain starts after every event so far, as the migration makes it on a new database."""
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    AlertCursor.objects.update_or_create(pk=1, defaults={"last_event_id": last})


def subscribe(user: User, clinic: Clinic, *, email: bool = True, phone: str = "") -> AlertPreference:
    return AlertPreference.objects.create(
        user=user, clinic=clinic, new_caller_email=email, new_caller_sms=bool(phone), phone=phone
    )


def patient_enters(clinic: Clinic) -> Consultation:
    first, last, phone = PATIENT
    return enter(clinic, first, last, phone)


def waiting_for(consultation: Consultation, minutes: float, *, connected: bool = True) -> None:
    """The caller has waited this long, their page connected (or not)."""
    since = timezone.now() - timedelta(minutes=minutes)
    Consultation.objects.filter(pk=consultation.pk).update(waiting_since=since, connected=connected)


def names_no_patient(text: str) -> bool:
    return not any(part in text for part in PATIENT) and "70123" not in text
