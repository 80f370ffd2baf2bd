"""Who is in which call right now. Signalling state only: no media, no content.

A call is named by a key ("consultation:12", "room:3", "userroom:5"). Rows
live while a call runs and are deleted with it; the 6-person cap is counted
here, under a row lock on the `Call`, so it holds across worker processes.
A `Knock` is a guest waiting at a room's door, kept here rather than in one
worker's memory so that every host's socket, in any process, sees it.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    key = models.CharField(max_length=64, unique=True)
    # Whose call it is, for the event log: the consultation's or room's clinic when it started.
    clinic = models.ForeignKey("organisations.Clinic", on_delete=models.CASCADE, null=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    # When this meeting began: a room's call row serves meeting after meeting, each from empty.
    meeting_started_at = models.DateTimeField(null=True)
    # The most people in the call at once, for reports.
    peak_participants = models.PositiveSmallIntegerField(default=0)
    # A host made the call's apps (shared files, whiteboard) view-only for guests and patients.
    # A call that someone joins empty starts afresh: a room's call row serves meeting after meeting.
    apps_view_only = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.key


class Participant(models.Model):
    class Role(models.TextChoices):
        PATIENT = "patient"
        STAFF = "staff"
        GUEST = "guest"

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="participants")
    peer_id = models.CharField(max_length=40, unique=True)
    channel_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField(max_length=200)
    # Who holds this place ("user:5", "consultation:12", "invite:3:<session>", "guest:4:<session>"):
    # only the same principal may resume its peer id.
    principal = models.CharField(max_length=200, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    audio = models.BooleanField(default=True)
    video = models.BooleanField(default=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    # The browser and system the socket came from (`calls.client`): families and a major version,
    # never the User-Agent header itself.
    browser = models.CharField(max_length=40, blank=True, default="")
    browser_version = models.CharField(max_length=40, blank=True, default="")
    os = models.CharField(max_length=40, blank=True, default="")
    # The latest connection summary the browser sent (`quality` message), overwritten each time;
    # written into the call.quality event when the person leaves, then gone with the row.
    quality = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} in {self.call_id}"


class RoomCallRecord(models.Model):
    """What reports need of one meeting in a meeting room or user room: times and a count, nobody's name."""

    class Kind(models.TextChoices):
        MEETING_ROOM = "room", _("Meeting room")
        USER_ROOM = "userroom", _("User room")

    clinic = models.ForeignKey("organisations.Clinic", on_delete=models.PROTECT, related_name="room_call_records")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    peak_participants = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["clinic", "started_at"]), models.Index(fields=["started_at"])]

    def __str__(self) -> str:
        return f"{self.kind} call of {self.clinic_id} at {self.started_at:%Y-%m-%d %H:%M}"


def new_knock_id() -> str:
    return secrets.token_urlsafe(12)


class Knock(models.Model):
    """A guest asking to be let into a room's call; deleted when answered or when the guest goes."""

    # The room's call key: a knock can come while nobody is in the room (no `Call` row yet).
    call_key = models.CharField(max_length=64, db_index=True)
    knock_id = models.CharField(max_length=40, unique=True, default=new_knock_id)
    name = models.CharField(max_length=100)
    # The guest's socket: where the answer goes.
    channel_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Refreshed by the guest's heartbeat: a knock silent past the timeout is gone.
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name} at {self.call_key}"
