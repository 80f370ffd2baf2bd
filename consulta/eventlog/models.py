"""The event log: one append-only row for each thing that happened, written with the change.

`consulta.eventlog.log.record` writes it, called by the actions modules only, inside the
transaction of the change they make: an event exists exactly when its change committed.
It is the one source of the audit trail, of the alerts (drained by the worker) and, with
the consultation and room-call records, of the reports.

What never goes in: a patient's or guest's name, phone number or answers, and nothing of a
call's content. A consultation is named by its id ("consultation:12"), a guest by nothing.
The people who act (staff, with accounts) are named: that is what an audit is for.
Rows older than `EVENT_LOG_RETENTION_DAYS` are deleted by the scheduled clean-up.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from consulta.eventlog.kinds import Kind


class AppendOnly(Exception):
    """An event is never changed or deleted one by one; only retention deletes, in bulk."""


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    # Few indexes, each for a reader: every one is written on the patient's entry path. The
    # composite ones below serve the organisation and clinic columns; the actor's the audit's person.
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    clinic = models.ForeignKey(
        "organisations.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Who did it: an account, or nobody (a patient, a guest, the system). The label keeps the
    # account's e-mail address as it was, so the trail still reads after the account changes.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    # What it is about: "consultation:12", "room:3", "userroom:5", "guestlink:7", "membership:9".
    subject = models.CharField(max_length=60, blank=True)
    # The account an administrative change concerns (a role changed, a person removed).
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    target_label = models.CharField(max_length=254, blank=True)
    # The other clinic of a transfer (the event's clinic is where the caller came from).
    other_clinic = models.ForeignKey(
        "organisations.Clinic", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # The length of what the event closes: a participant's time in a call, a room call's length.
    seconds = models.PositiveIntegerField(null=True, blank=True)
    # Details that name nobody: a role, the names of the settings changed, an outcome, a reason code.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "at"]),
            models.Index(fields=["clinic", "kind", "at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("events are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("events are deleted by retention only")
