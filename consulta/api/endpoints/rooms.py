"""A clinic's meeting rooms and their guest links, changed through the rooms app's actions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Path, Router, Status
from ninja.errors import HttpError

from consulta.api.auth import request_key
from consulta.api.endpoints import MAX_ID, SLUG_PATTERN, errors
from consulta.api.schemas import GuestLinkIn, GuestLinkOut, MeetingRoomIn, MeetingRoomOut
from consulta.organisations import key_access
from consulta.organisations.actions import ActionError
from consulta.rooms import actions
from consulta.rooms.models import GuestLink, MeetingRoom

router = Router(tags=["meeting rooms"])

SLUG = Path(..., max_length=60, pattern=SLUG_PATTERN, description="The clinic's short name (its slug).")


def _room(room: MeetingRoom) -> MeetingRoomOut:
    return MeetingRoomOut(
        id=room.pk,
        clinic=room.clinic.slug,
        name=room.name,
        url=settings.BASE_URL + reverse("rooms:meeting_room", args=[room.token]),
        created_at=room.created_at,
    )


def _link(link: GuestLink) -> GuestLinkOut:
    assert link.meeting_room_id is not None
    return GuestLinkOut(
        id=link.pk,
        meeting_room=link.meeting_room_id,
        label=link.label,
        url=actions.guest_url(link),
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        valid=link.is_valid,
    )


@router.get(
    "/clinics/{slug}/meeting-rooms", response={200: list[MeetingRoomOut], **errors(404, 422)}, url_name="meeting_rooms"
)
def list_rooms(request: HttpRequest, slug: str = SLUG) -> list[MeetingRoomOut]:
    clinic = key_access.key_clinic(request_key(request), slug)
    return [_room(room) for room in clinic.meeting_rooms.select_related("clinic").order_by("name")]


@router.post(
    "/clinics/{slug}/meeting-rooms",
    response={201: MeetingRoomOut, **errors(400, 403, 404, 409, 422)},
    url_name="meeting_rooms_create",
)
def create_room(request: HttpRequest, body: MeetingRoomIn, slug: str = SLUG) -> Status[MeetingRoomOut]:
    """A new meeting room (409 when the clinic already has one of that name)."""
    clinic = key_access.key_clinic(request_key(request), slug, "can_write")
    try:
        room = actions.create_meeting_room(clinic, name=body.name, created_by=None)
    except ActionError as error:
        raise HttpError(409, str(error)) from None
    return Status(201, _room(room))


@router.get(
    "/meeting-rooms/{room_id}/guest-links",
    response={200: list[GuestLinkOut], **errors(404, 422)},
    url_name="guest_links",
)
def list_guest_links(request: HttpRequest, room_id: int = Path(..., ge=1, le=MAX_ID)) -> list[GuestLinkOut]:
    """The room's guest links, newest first, revoked and expired ones included."""
    room = key_access.key_meeting_room(request_key(request), room_id)
    return [_link(link) for link in room.guest_links.order_by("-created_at", "-pk")]


@router.post(
    "/meeting-rooms/{room_id}/guest-links",
    response={201: GuestLinkOut, **errors(400, 403, 404, 422)},
    url_name="guest_links_create",
)
def create_guest_link(
    request: HttpRequest, body: GuestLinkIn, room_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status[GuestLinkOut]:
    room = key_access.key_meeting_room(request_key(request), room_id, "can_write")
    expires_at = timezone.now() + timedelta(days=body.valid_days)
    link = actions.create_guest_link(room, label=body.label, expires_at=expires_at, created_by=None)
    return Status(201, _link(link))


@router.post(
    "/guest-links/{link_id}/revoke", response={200: GuestLinkOut, **errors(403, 404, 422)}, url_name="guest_link_revoke"
)
def revoke_guest_link(request: HttpRequest, link_id: int = Path(..., ge=1, le=MAX_ID)) -> GuestLinkOut:
    """Guests who came in by it leave the call now. Revoking twice changes nothing."""
    link = key_access.key_guest_link(request_key(request), link_id, "can_write")
    actions.revoke_guest_link(link)
    link.refresh_from_db()
    return _link(link)
