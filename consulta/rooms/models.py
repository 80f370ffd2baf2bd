"""The clinic's places: its one waiting area, meeting rooms, user rooms, guest links.

A waiting area is created with its clinic and cannot be duplicated (a unique
clinic column) nor deleted while its clinic exists (a database trigger, see
migration 0002). Meeting and user rooms are reached by unguessable links.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic, new_token


def new_room_token() -> str:
    # 16 random bytes: 128 bits.
    return secrets.token_urlsafe(16)


# No 0/O, 1/I/L: a short code is read aloud over the phone.
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(6))


class DeviceCheck(models.TextChoices):
    WARN = "warn", _("Warn, but let the patient enter")
    BLOCK = "block", _("Block entry until the check passes")


class WaitingArea(models.Model):
    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="waiting_area")
    short_code = models.CharField(max_length=8, unique=True, default=new_short_code)
    is_enabled = models.BooleanField(
        _("open for patients"), default=True, help_text=_("Switch off to close the waiting area at any time.")
    )
    closed_message = models.TextField(
        _("message when closed"),
        blank=True,
        help_text=_("Shown to patients outside opening hours or while the waiting area is switched off."),
    )
    show_queue_position = models.BooleanField(_("show patients their place in the queue"), default=False)
    device_check = models.CharField(
        _("when the camera, microphone or connection check fails"),
        max_length=10,
        choices=DeviceCheck.choices,
        default=DeviceCheck.WARN,
    )
    # Call-quality thresholds of the entry check, on the lower of upload and download (kbit/s);
    # 0 switches a level off. healthdirect's clinics warn below 330 and block below 180.
    bandwidth_warn_kbps = models.PositiveIntegerField(
        _("warn patients whose connection is below (kbit/s)"),
        default=330,
        help_text=_(
            "A patient whose connection (the lower of upload and download) is slower than this is warned "
            "but may enter. 0: no warning."
        ),
    )
    bandwidth_block_kbps = models.PositiveIntegerField(
        _("block entry when the connection is below (kbit/s)"),
        default=180,
        help_text=_(
            "A patient whose connection is slower than this cannot enter until it is better. "
            "At most the warning level. 0: never block for speed."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(_("Waiting area of %(clinic)s") % {"clinic": self.clinic.name})


class MeetingRoom(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="meeting_rooms")
    name = models.CharField(_("name"), max_length=120)
    token = models.CharField(max_length=40, unique=True, default=new_room_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="meeting_room_name_unique_in_clinic"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def call_key(self) -> str:
        return f"room:{self.pk}"


class UserRoom(models.Model):
    """A team member's own permanent room; only the owner hosts it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="user_rooms")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="user_rooms")
    token = models.CharField(max_length=40, unique=True, default=new_room_token)
    enabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "owner"], name="one_user_room_per_member"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.owner.display_name

    @property
    def call_key(self) -> str:
        return f"userroom:{self.pk}"


class GuestLinkQuerySet(models.QuerySet["GuestLink"]):
    def valid(self) -> GuestLinkQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class GuestLink(models.Model):
    """Entry to one meeting room or user room for somebody without an account."""

    meeting_room = models.ForeignKey(
        MeetingRoom, on_delete=models.CASCADE, null=True, blank=True, related_name="guest_links"
    )
    user_room = models.ForeignKey(UserRoom, on_delete=models.CASCADE, null=True, blank=True, related_name="guest_links")
    label = models.CharField(_("for whom"), max_length=120, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Made from inside a call ("invite by link"): its guest skips the knock while
    # one of the team is in the room's call.
    admit_on_arrival = models.BooleanField(default=False)

    objects = GuestLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meeting_room__isnull=False, user_room__isnull=True)
                | models.Q(meeting_room__isnull=True, user_room__isnull=False),
                name="guest_link_has_one_room",
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.token[:8]

    @property
    def room(self) -> MeetingRoom | UserRoom:
        room = self.meeting_room or self.user_room
        assert room is not None
        return room

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
