"""Alerts out of the event log, queued by the worker's schedule (consulta/core/schedule.py).

`drain()`: every caller who came into a clinic's waiting area since the last drain (an event
`consultation.entered`, or `consultation.transferred` into the clinic) and is still waiting
there: an alert to each of the clinic's subscribers, by e-mail and/or SMS. The event log is read
with the shared cursor of consulta/eventlog/cursor.py (its row here: `AlertCursor`): the alerts
are queued in the transaction that moves the cursor on, so two workers draining at once queue
each alert once, and an event whose transaction commits late is still seen.

`escalate()`: callers waiting, unanswered and connected past a clinic's thresholds: the
`Escalation` row of that level and the alerts are written in one transaction, so each level
is sent once per caller (the row's uniqueness settles two workers racing).

Every alert is a task row of the same transaction (`enqueue_email`, `enqueue_sms`), run by
the worker like any e-mail: retried with backoff, and taken back from a worker killed mid-send.
An alert names the clinic and links to its dashboard, never the patient.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consulta.accounts.models import User
from consulta.alerts.models import AlertCursor, AlertPreference, Escalation, EscalationPolicy, Level
from consulta.alerts.sms import enqueue_sms
from consulta.consultations.models import Consultation, Status
from consulta.core import ratelimit
from consulta.core.tasks import enqueue_email
from consulta.eventlog import cursor
from consulta.eventlog.cursor import GAP_WAIT as GAP_WAIT  # the alerts' tests read it here
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations import access
from consulta.organisations.models import Clinic, ClinicRole, OrganisationRole

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    clinic: Clinic
    waited_minutes: int | None = None  # None: a new caller; else an escalation

    def subject(self) -> str:
        if self.waited_minutes is None:
            return _("A caller is waiting in %(clinic)s") % {"clinic": self.clinic.name}
        return ngettext(
            "A caller has been waiting %(minutes)d minute in %(clinic)s",
            "A caller has been waiting %(minutes)d minutes in %(clinic)s",
            self.waited_minutes,
        ) % {"minutes": self.waited_minutes, "clinic": self.clinic.name}

    @property
    def dashboard_url(self) -> str:
        return settings.BASE_URL + reverse("consultations:dashboard", args=[self.clinic.slug])

    def body(self, *, as_admin: bool) -> str:
        context = {
            "subject": self.subject(),
            "clinic": self.clinic.name,
            "dashboard_url": self.dashboard_url,
            "alerts_url": settings.BASE_URL + reverse("alerts:settings", args=[self.clinic.slug]),
            "as_admin": as_admin,
            "site_name": settings.SITE_NAME,
        }
        return render_to_string("alerts/email/alert.txt", context)


def language_of(user: User) -> str:
    """The person's own language (User.language, chosen with the picker), else the site's default."""
    return user.language or settings.LANGUAGE_CODE


def _send(alert: Alert, user: User, *, email: bool, phone: str, as_admin: bool = False) -> int:
    """Queue the alert to one person by the channels given; how many messages.

    At most RATE_LIMIT_ALERT_PERSON to one person about one clinic: a flood of made-up callers
    (each entry is limited per address, not every address together) never becomes a flood of
    e-mail and paid text messages. The dashboard still shows every caller."""
    if ratelimit.hit("alert_person", user.pk, alert.clinic.pk) is not None:
        logger.warning(
            "An alert about clinic %s was not sent: its recipient's alerts are over the limit.", alert.clinic.pk
        )
        return 0
    queued = 0
    with translation.override(language_of(user)):
        subject = alert.subject()
        if email:
            enqueue_email(subject=subject, body=alert.body(as_admin=as_admin), recipients=[user.email])
            queued += 1
        if phone:
            enqueue_sms(to=phone, text=f"{subject}: {alert.dashboard_url}")
            queued += 1
    return queued


def _may_enter(user: User, clinic: Clinic) -> bool:
    """Still allowed into the clinic (a person removed from the team keeps no alerts)."""
    try:
        access.clinic_access(user, clinic.slug, "can_enter")
    except (Http404, PermissionDenied):
        return False
    return True


def subscribers(clinic: Clinic) -> list[AlertPreference]:
    wanted = Q(new_caller_email=True) | (Q(new_caller_sms=True) & ~Q(phone=""))
    preferences = AlertPreference.objects.filter(wanted, clinic=clinic, user__is_active=True).select_related("user")
    return [preference for preference in preferences.order_by("pk") if _may_enter(preference.user, clinic)]


def _to_subscribers(alert: Alert) -> int:
    queued = 0
    for preference in subscribers(alert.clinic):
        phone = preference.phone if preference.wants_sms else ""
        queued += _send(alert, preference.user, email=preference.wants_email, phone=phone)
    return queued


def clinic_admins(clinic: Clinic) -> list[User]:
    """The clinic's admins; a clinic without one has its organisation's admins instead."""
    people = User.objects.filter(is_active=True).order_by("pk")
    admins = list(people.filter(clinic_memberships__clinic=clinic, clinic_memberships__role=ClinicRole.ADMIN))
    return admins or list(
        people.filter(
            organisation_memberships__organisation_id=clinic.organisation_id,
            organisation_memberships__role=OrganisationRole.ADMIN,
        )
    )


def _to_admins(alert: Alert) -> int:
    admins = clinic_admins(alert.clinic)
    phones = dict(
        AlertPreference.objects.filter(clinic=alert.clinic, user__in=admins)
        .exclude(phone="")
        .values_list("user_id", "phone")
    )
    return sum(_send(alert, admin, email=True, phone=phones.get(admin.pk, ""), as_admin=True) for admin in admins)


# --- New callers: the drain of the event log ------------------------------------------------


def _consultation_id(subject: str) -> int | None:
    kind, _separator, number = subject.partition(":")
    return int(number) if kind == "consultation" and number.isdigit() else None


def _new_caller(kind: str, clinic_id: int | None, other_clinic_id: int | None, subject: str) -> int:
    """The alerts for one event, if it brought a caller into a clinic who is still waiting there."""
    if kind == Kind.CONSULTATION_ENTERED:
        into = clinic_id
    elif kind == Kind.CONSULTATION_TRANSFERRED:
        into = other_clinic_id
    else:
        return 0
    consultation_id = _consultation_id(subject)
    if into is None or consultation_id is None:
        return 0
    # Answered, gone or sent on meanwhile (a worker that was down catches up): nothing to say.
    waiting = Consultation.objects.filter(pk=consultation_id, clinic_id=into, status=Status.WAITING)
    clinic = Clinic.objects.filter(pk=into, consultations__in=waiting).first()
    return _to_subscribers(Alert(clinic)) if clinic is not None else 0


def _alerts_for(event: Event) -> int:
    return _new_caller(event.kind, event.clinic_id, event.other_clinic_id, event.subject)


def drain() -> int:
    """Alert each clinic's subscribers of the callers come in since the last drain; how many messages."""
    return cursor.drain(AlertCursor, _alerts_for)


# --- Long waits: escalation ------------------------------------------------------------------


def _still_due(consultation_id: int) -> bool:
    return Consultation.objects.filter(
        pk=consultation_id, status=Status.WAITING, answered_at__isnull=True, connected=True
    ).exists()


def _escalate_level(clinic: Clinic, level: str, minutes: int, now: datetime) -> int:
    # Waiting and never answered (on hold or answered and sent back does not count), and
    # connected: a caller whose connection is gone is marked gone on the dashboard.
    due = (
        Consultation.objects.filter(
            clinic=clinic,
            status=Status.WAITING,
            answered_at__isnull=True,
            connected=True,
            waiting_since__lte=now - timedelta(minutes=minutes),
        )
        .exclude(escalations__level=level)
        .values_list("pk", "waiting_since")
    )
    queued = 0
    for consultation_id, waiting_since in due:
        alert = Alert(clinic, waited_minutes=int((now - waiting_since).total_seconds() // 60))
        try:
            with transaction.atomic():
                Escalation.objects.create(consultation_id=consultation_id, level=level, sent_at=now)
                if _still_due(consultation_id):
                    sent = _to_subscribers(alert) if level == Level.TEAM else _to_admins(alert)
                else:  # answered or gone since the query above
                    sent = 0
                    transaction.set_rollback(True)
        except IntegrityError:
            continue  # sent by another worker (or the caller's row is gone)
        queued += sent
    return queued


def escalate() -> int:
    """Escalate each caller waiting past their clinic's thresholds, once per level; how many messages."""
    now = timezone.now()
    policies = EscalationPolicy.objects.select_related("clinic__organisation").filter(
        Q(team_after_minutes__isnull=False) | Q(admin_after_minutes__isnull=False)
    )
    queued = 0
    for policy in policies:
        for level, minutes in ((Level.TEAM, policy.team_after_minutes), (Level.ADMIN, policy.admin_after_minutes)):
            if minutes is not None:
                queued += _escalate_level(policy.clinic, level, minutes, now)
    return queued
