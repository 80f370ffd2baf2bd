"""Webhooks: an organisation's endpoints, the messages the worker owes them, and each attempt.

- `WebhookEndpoint`: a URL an organisation admin registered, the event types and clinics it
  wants, and its signing secret (Standard Webhooks: "whsec_" + base64 of random bytes).
- `WebhookMessage`: one event for one endpoint, its payload built when the event log was drained
  (consulta/webhooks/delivery.py). `msg_id` ("msg_<event id>") is the same on every retry: the
  receiver deduplicates by it (a test message, sent from the endpoint's page, has no event:
  "msg_test_<random>"). Messages of one `ordering_key` (the event's subject,
  "consultation:12") go to an endpoint one at a time, oldest first.
- `WebhookAttempt`: each POST of a message, with its status code or error: the delivery log.
- `WebhookCursor`: how far the drain has read the event log (consulta/eventlog/cursor.py).
- `ConsultationTrace`: a consultation's external reference (and, only for organisations with an
  endpoint that may see them, the patient's name) kept when its row is deleted at its end, so the
  messages of its last events still carry them; gone once they are drained (and after a day).
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consulta.eventlog.kinds import Kind
from consulta.organisations.models import Clinic, Organisation

# The event-log kinds an endpoint may ask for (contracts.md §6), in the order the form lists them.
EVENT_TYPES: tuple[Kind, ...] = (
    Kind.CONSULTATION_ENTERED,
    Kind.CONSULTATION_ANSWERED,
    Kind.CONSULTATION_HELD,
    Kind.CONSULTATION_TRANSFERRED,
    Kind.CONSULTATION_LEFT,
    Kind.CONSULTATION_EXPIRED,
    Kind.CONSULTATION_ENDED,
    Kind.PARTICIPANT_JOINED,
    Kind.PARTICIPANT_LEFT,
    Kind.ROOM_CALL_STARTED,
    Kind.ROOM_CALL_ENDED,
)
SECRET_PREFIX = "whsec_"  # noqa: S105 - Standard Webhooks' prefix, not a secret


def new_secret() -> str:
    """A Standard Webhooks signing secret: "whsec_" and the base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(max_length=80, default=new_secret)
    event_types = models.JSONField(_("event types"), default=list)
    all_clinics = models.BooleanField(_("every clinic"), default=True)
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="+", verbose_name=_("clinics"))
    include_patient_names = models.BooleanField(_("payloads carry patients' names"), default=False)
    enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # Failing: the messages given up on in a row, and since when no attempt has succeeded.
    failed_messages = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"webhook endpoint {self.pk}"  # never the URL: its query may hold a token

    def type_labels(self) -> list[str]:
        return [str(Kind(kind).label) for kind in self.event_types if kind in Kind.values]


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookMessage(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event_id = models.BigIntegerField(null=True, blank=True)  # None: a test message of the admin's
    msg_id = models.CharField(max_length=40)
    ordering_key = models.CharField(max_length=60)
    type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker that took the message to post it holds it until then (a killed worker's lapses).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_webhook_message_per_event"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "ordering_key", "event_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.msg_id} to endpoint {self.endpoint_id}"


class WebhookAttempt(models.Model):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"attempt at {self.message_id}: {self.status_code or self.error}"


class WebhookCursor(models.Model):
    """One row (pk 1): as alerts.AlertCursor, for the webhooks' drain."""

    last_event_id = models.BigIntegerField(default=0)
    holes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"webhooks drained up to event {self.last_event_id}"


class ConsultationTrace(models.Model):
    consultation_id = models.BigIntegerField(unique=True)
    external_reference = models.CharField(max_length=200, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"trace of consultation {self.consultation_id}"
