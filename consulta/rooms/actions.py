"""Every change to meeting rooms, user rooms and guest links passes through here."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.organisations.actions import ActionError
from consulta.organisations.models import Clinic, ClinicMembership
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom


def _name_taken() -> ActionError:
    return ActionError(_("This clinic already has a meeting room with that name."))


def create_meeting_room(clinic: Clinic, *, name: str, created_by: User) -> MeetingRoom:
    try:
        with transaction.atomic():
            return MeetingRoom.objects.create(clinic=clinic, name=name.strip(), created_by=created_by)
    except IntegrityError:
        raise _name_taken() from None


def rename_meeting_room(room: MeetingRoom, *, name: str) -> MeetingRoom:
    old_name, room.name = room.name, name.strip()
    try:
        with transaction.atomic():
            room.save(update_fields=["name"])
    except IntegrityError:
        room.name = old_name  # the page shown next must not call the room by the refused name
        raise _name_taken() from None
    return room


def delete_meeting_room(room: MeetingRoom) -> None:
    # Its guest links go with it (CASCADE): they pointed nowhere else.
    room.delete()


def enable_user_room(membership: ClinicMembership, *, enabled_by: User) -> UserRoom:
    room, _created = UserRoom.objects.get_or_create(
        clinic_id=membership.clinic_id, owner_id=membership.user_id, defaults={"enabled_by": enabled_by}
    )
    return room


def disable_user_room(room: UserRoom) -> None:
    room.delete()


def create_guest_link(room: MeetingRoom | UserRoom, *, label: str, expires_at: datetime, created_by: User) -> GuestLink:
    if expires_at <= timezone.now():
        raise ActionError(_("Choose an expiry in the future."))
    if isinstance(room, MeetingRoom):
        return GuestLink.objects.create(meeting_room=room, label=label, expires_at=expires_at, created_by=created_by)
    return GuestLink.objects.create(user_room=room, label=label, expires_at=expires_at, created_by=created_by)


def revoke_guest_link(link: GuestLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
