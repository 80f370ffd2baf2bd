"""Every change to meeting rooms, user rooms and guest links passes through here.

Knocking at a room and inviting into its call live here too: the room decides
who may skip the knock, `calls.actions` keeps the knocks and the call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.calls import actions as calls
from consulta.calls import events
from consulta.calls.models import Knock
from consulta.core.tasks import enqueue_email
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.actions import ActionError
from consulta.organisations.models import Clinic, ClinicMembership
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom

# A link made from inside a call, to bring somebody in now.
INVITE_VALID_FOR = timedelta(days=1)


def _name_taken() -> ActionError:
    return ActionError(_("This clinic already has a meeting room with that name."))


def _log_room(kind: Kind, room: MeetingRoom | UserRoom, **details: object) -> None:
    record(kind, clinic_id=room.clinic_id, subject=room.call_key, **details)  # type: ignore[arg-type]


def create_meeting_room(clinic: Clinic, *, name: str, created_by: User | None) -> MeetingRoom:
    try:
        with transaction.atomic():
            room = MeetingRoom.objects.create(clinic=clinic, name=name.strip(), created_by=created_by)
            _log_room(Kind.MEETING_ROOM_CREATED, room, data={"name": room.name})
            return room
    except IntegrityError:
        raise _name_taken() from None


def rename_meeting_room(room: MeetingRoom, *, name: str) -> MeetingRoom:
    old_name, room.name = room.name, name.strip()
    try:
        with transaction.atomic():
            room.save(update_fields=["name"])
            if room.name != old_name:
                _log_room(Kind.MEETING_ROOM_RENAMED, room, data={"from": old_name, "to": room.name})
    except IntegrityError:
        room.name = old_name  # the page shown next must not call the room by the refused name
        raise _name_taken() from None
    return room


def _close_room(room: MeetingRoom | UserRoom) -> None:
    """The room is going away: its call ends and knocking guests are turned away."""
    calls.decline_all_knocks(room.call_key)
    calls.end_call(room.call_key)
    # Its hosts' and guests' sockets check again, find the room gone, and close.
    events.recheck_on_commit(events.hosts_group(room.call_key))
    for link_id in room.guest_links.values_list("pk", flat=True):
        events.recheck_on_commit(events.guest_link_group(link_id))


def delete_meeting_room(room: MeetingRoom) -> None:
    # Its guest links go with it (CASCADE): they pointed nowhere else.
    with transaction.atomic():
        _close_room(room)
        _log_room(Kind.MEETING_ROOM_DELETED, room, data={"name": room.name})
        room.delete()


def enable_user_room(membership: ClinicMembership, *, enabled_by: User) -> UserRoom:
    with transaction.atomic():
        room, created = UserRoom.objects.get_or_create(
            clinic_id=membership.clinic_id, owner_id=membership.user_id, defaults={"enabled_by": enabled_by}
        )
        if created:
            _log_room(Kind.USER_ROOM_ENABLED, room, target=membership.user)
    return room


def disable_user_room(room: UserRoom) -> None:
    with transaction.atomic():
        _close_room(room)
        _log_room(Kind.USER_ROOM_DISABLED, room, target=room.owner)
        room.delete()


def create_guest_link(
    room: MeetingRoom | UserRoom,
    *,
    label: str,
    expires_at: datetime,
    created_by: User | None,
    admit_on_arrival: bool = False,
) -> GuestLink:
    if expires_at <= timezone.now():
        raise ActionError(_("Choose an expiry in the future."))
    fields = {"label": label, "expires_at": expires_at, "created_by": created_by, "admit_on_arrival": admit_on_arrival}
    with transaction.atomic():
        if isinstance(room, MeetingRoom):
            link = GuestLink.objects.create(meeting_room=room, **fields)
        else:
            link = GuestLink.objects.create(user_room=room, **fields)
        # Not the label: it may name the guest.
        _log_room(Kind.GUEST_LINK_CREATED, room, data={"link": link.pk, "expires_at": expires_at.isoformat()})
    return link


def invite_into_call(room: MeetingRoom | UserRoom, *, invited_by: User, email: str = "") -> GuestLink:
    """A one-day link that brings a guest straight into the room's call; e-mailed when `email` is given."""
    email = email.strip()
    with transaction.atomic():
        link = create_guest_link(
            room,
            label=email or _("Invited from the call"),
            expires_at=timezone.now() + INVITE_VALID_FOR,
            created_by=invited_by,
            admit_on_arrival=True,
        )
        if email:
            transaction.on_commit(lambda: _send_invite_mail(link, email))
    return link


def guest_url(link: GuestLink) -> str:
    return settings.BASE_URL + reverse("rooms:guest", args=[link.token])


def _send_invite_mail(link: GuestLink, email: str) -> None:
    room = link.room
    inviter = link.created_by.display_name if link.created_by else settings.SITE_NAME
    context = {
        "inviter": inviter,
        "room": room.name,
        "clinic": room.clinic.name,
        "url": guest_url(link),
        "expires_at": link.expires_at,
        "site_name": settings.SITE_NAME,
    }
    enqueue_email(  # sent by the worker
        subject=_("%(inviter)s invites you to a video call") % {"inviter": inviter},
        body=render_to_string("rooms/email/invite.txt", context),
        recipients=[email],
    )


def knock(
    link: GuestLink,
    *,
    name: str,
    channel_name: str,
    remembered_peer: str | None = None,
    reloaded: bool = False,
) -> Knock | None:
    """A guest at the door. Returns the knock the hosts now see, or None when the guest may come in at once:

    - a guest who was let in and whose socket dropped, still in the call (`remembered_peer`),
    - a guest who was let in and whose page unloaded moments ago (`reloaded`: a reload says
      `leave_call` as it unloads), while one of the team is still in the call, or
    - a guest holding a link made from inside the call, while one of the team is in it.
    """
    key = link.room.call_key
    if remembered_peer and calls.guest_still_in_call(key, remembered_peer):
        return None
    if reloaded and calls.team_in_call(key):
        return None
    if link.admit_on_arrival and calls.team_in_call(key):
        return None
    return calls.knock(key, name=name, channel_name=channel_name)


def revoke_guest_link(link: GuestLink) -> None:
    if link.revoked_at is not None:
        return
    with transaction.atomic():
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        _log_room(Kind.GUEST_LINK_REVOKED, link.room, data={"link": link.pk})
        # Guests who came in by it leave now, on every worker, not when they next knock.
        events.recheck_on_commit(events.guest_link_group(link.pk))
