"""A patient's private space in a waiting area, and what the clinic configures for it.

A `Consultation` exists from the patient's entry until the consultation ends
or the patient leaves; then it is deleted and only a `ConsultationRecord`
(times and counts, nothing personal, nothing said) remains for reports.
"""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic, new_token
from consulta.rooms.models import WaitingArea


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One open interval on one weekday, in the clinic's time zone. No rows: always open."""

    waiting_area = models.ForeignKey(WaitingArea, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.IntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="opening_hours_close_after_open",
                violation_error_message=_("The closing time must be after the opening time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice from a list")


class EntryField(models.Model):
    """A question of the clinic's own on the patient's entry form."""

    waiting_area = models.ForeignKey(WaitingArea, on_delete=models.CASCADE, related_name="entry_fields")
    label = models.CharField(_("question"), max_length=120)
    kind = models.CharField(_("type"), max_length=10, choices=FieldKind.choices, default=FieldKind.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For a choice: one option per line."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Status(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    IN_CALL = "in_call", _("Being seen")
    ON_HOLD = "on_hold", _("On hold")


class UrgentReason(models.TextChoices):
    """Why the team moved a caller ahead of the queue: a code from this list, never free text."""

    CLINICAL_CONCERN = "clinical_concern", _("Clinical concern")
    DISTRESS = "distress", _("Patient in distress")
    VULNERABLE = "vulnerable", _("Vulnerable patient")
    TIME_CRITICAL = "time_critical", _("Time-critical appointment")
    OTHER = "other", _("Other")


# The queue's one order, wherever it is shown or counted: urgent callers first (the first
# marked first), then everyone by their arrival. `ahead_of` counts by the same rule.
QUEUE_ORDER = (models.F("urgent_since").asc(nulls_last=True), "waiting_since", "pk")


class Consultation(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consultations")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=32)
    # The clinic's own questions and the answers, as [label, answer] pairs,
    # copied so a later change of the form does not rewrite what was asked.
    answers = models.JSONField(default=list)
    # From the one-click link the patient came by (PrefillLink.external_reference), if any.
    external_reference = models.CharField(max_length=200, blank=True)
    # The patient's language (settings.LANGUAGES): their pages, notices and call follow it,
    # and the dashboard shows it, so the clinic can bring in an interpreter before joining.
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # Grows with every change, so dashboards can order events against snapshots.
    version = models.PositiveIntegerField(default=1)
    entered_at = models.DateTimeField(auto_now_add=True)
    # Kept across reloads and transfers: the patient's place in the queue.
    waiting_since = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    # Who answered first: the record of the consultation says who saw the patient.
    answered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Set when this caller was added to another caller's call.
    call_host = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="added")
    connected = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField()
    was_transferred = models.BooleanField(default=False)
    max_participants = models.PositiveSmallIntegerField(default=0)
    # Triage: blank when not urgent. `urgent_since` is set exactly when a reason is.
    urgent_reason = models.CharField(_("urgent because"), max_length=20, choices=UrgentReason.choices, blank=True)
    urgent_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = QUEUE_ORDER
        indexes = [models.Index(fields=["clinic", "status", "waiting_since"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urgent_reason="", urgent_since__isnull=True)
                | models.Q(urgent_reason__in=UrgentReason.values, urgent_since__isnull=False),
                name="consultation_urgent_reason_from_the_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def call_key(self) -> str:
        """The call this caller takes part in: their own, or the one they were added to."""
        return f"consultation:{self.call_host_id or self.pk}"

    def ahead_of_me(self) -> models.Q:
        """The callers before this one in the queue (QUEUE_ORDER), as a filter of its queue."""
        arrived_before = models.Q(waiting_since__lt=self.waiting_since) | models.Q(
            waiting_since=self.waiting_since, pk__lt=self.pk
        )
        if self.urgent_since is None:
            return models.Q(urgent_since__isnull=False) | arrived_before
        return models.Q(urgent_since__lt=self.urgent_since) | (
            models.Q(urgent_since=self.urgent_since) & arrived_before
        )


class Outcome(models.TextChoices):
    ENDED = "ended", _("Ended by the clinic")
    LEFT = "left", _("Patient left")
    # The patient's connection was gone past the grace period (a phone gone dark, a closed lid).
    EXPIRED = "expired", _("Connection lost")


class ConsultationRecord(models.Model):
    """What reports need of a finished consultation. Nothing personal, nothing said."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consultation_records")
    entered_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField()
    wait_seconds = models.PositiveIntegerField()
    call_seconds = models.PositiveIntegerField(default=0)
    max_participants = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    was_transferred = models.BooleanField(default=False)

    class Meta:
        ordering = ["-ended_at"]
        indexes = [models.Index(fields=["clinic", "entered_at"]), models.Index(fields=["entered_at"])]

    def __str__(self) -> str:
        return f"{self.clinic_id} {self.ended_at:%Y-%m-%d %H:%M}"


class CallInvite(models.Model):
    """A link that brings one more person (an interpreter, a relative) straight into a consultation's call.

    It dies with the consultation (CASCADE) or at its expiry.
    """

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="invites")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # For an interpreter: the language they are asked to interpret (the patient's); blank otherwise.
    interpreter_language = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"invite to {self.consultation_id}"


class PrefillLink(models.Model):
    """A one-click link's details, kept here so that the link itself carries none of them.

    The clinic makes the link for a patient it knows; the patient's entry form
    opens with the name and phone filled in. The link holds only an opaque
    reference: 256 random bits, of which the database keeps only the SHA-256,
    so a copy of the database cannot open a link. It works for its own clinic
    only, until `expires_at` (`PREFILL_LINK_HOURS`); it is kept until then, so a
    patient who lost their place (a phone gone dark, another browser) can reopen
    it, and `manage.py cleanup` deletes it afterwards.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="prefill_links")
    token_hash = models.CharField(max_length=64, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    phone = models.CharField(max_length=32, blank=True)
    # The booking system's own reference for the appointment (made by API): it comes back in
    # the webhooks of the consultation the link starts. Opaque to us; never shown to the patient.
    external_reference = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"one-click link of {self.clinic_id}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
