"""The access module's half for API keys: the one way the API loads a row for a key.

The same rules as `access.py` for people, with a key in place of a person:

- A key sees its own organisation only, and of it only the clinics in its scope (all of
  them, or the ones chosen). Anything else, whether another organisation's or a clinic
  outside the scope, is 404 with the same body as a row that does not exist.
- A read key asking for a change it could see is 403.
- A revoked key never gets here: `consulta/api/auth.py` answers it 401.

Never load a clinic, consultation, room or guest link in an API endpoint with a bare
`objects.get`: go through here, so the check cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from consulta.api.models import ApiKey
from consulta.consultations.models import Consultation, ConsultationRecord
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic
from consulta.rooms.models import GuestLink, MeetingRoom

# What a key may do: the names of the properties below, so a misspelt one fails mypy.
KeyCapability = Literal["can_read", "can_write", "can_see_names"]

# How a consultation's life ends in the log (consultations/actions.py `_close`).
CLOSING_KINDS = (Kind.CONSULTATION_ENDED, Kind.CONSULTATION_LEFT, Kind.CONSULTATION_EXPIRED)


@dataclass(frozen=True)
class KeyAccess:
    key: ApiKey

    @property
    def can_read(self) -> bool:
        return self.key.is_active

    @property
    def can_write(self) -> bool:
        """Make patient links and rooms, end consultations, revoke guest links."""
        return self.key.is_active and self.key.can_write

    @property
    def can_see_names(self) -> bool:
        """Patients' names and phone numbers in what the key reads."""
        return self.key.is_active and self.key.can_see_names

    def require(self, capability: KeyCapability) -> KeyAccess:
        if not getattr(self, capability):
            raise PermissionDenied
        return self


def key_access(key: ApiKey) -> KeyAccess:
    return KeyAccess(key)


def key_clinics(key: ApiKey) -> QuerySet[Clinic]:
    """Every clinic the key sees: of its organisation, in its scope."""
    clinics = Clinic.objects.filter(organisation_id=key.organisation_id).select_related("organisation")
    if not key.all_clinics:
        clinics = clinics.filter(pk__in=key.clinics.values("pk"))
    return clinics.order_by("name")


def key_clinic(key: ApiKey, slug: str, capability: KeyCapability = "can_read") -> Clinic:
    """A clinic by its slug: 404 outside the key's scope, 403 if the key lacks `capability`."""
    clinic = key_clinics(key).select_related("waiting_area").filter(slug=slug).first()
    if clinic is None:
        raise Http404
    key_access(key).require(capability)
    return clinic


def key_consultations(key: ApiKey) -> QuerySet[Consultation]:
    """The open consultations (waiting, being seen, on hold) of the key's clinics."""
    return Consultation.objects.filter(clinic__in=key_clinics(key)).select_related("clinic")


def key_consultation(key: ApiKey, consultation_id: int, capability: KeyCapability = "can_read") -> Consultation:
    consultation = key_consultations(key).select_related("clinic__waiting_area").filter(pk=consultation_id).first()
    if consultation is None:
        raise Http404
    key_access(key).require(capability)
    return consultation


def key_closing_event(key: ApiKey, consultation_id: int, capability: KeyCapability = "can_read") -> Event:
    """How a consultation of the key's clinics that is no longer open ended, from the log; else 404.

    The consultation's row is gone once it ends (only its record stays, which names no
    consultation): the event log's closing event is what tells "ended" from "never existed".
    """
    event = (
        Event.objects.filter(
            organisation_id=key.organisation_id,
            clinic__in=key_clinics(key),
            subject=f"consultation:{consultation_id}",
            kind__in=CLOSING_KINDS,
        )
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        raise Http404
    key_access(key).require(capability)
    return event


def key_consultation_events(key: ApiKey, consultation_id: int) -> QuerySet[Event]:
    """The log of one consultation the key may see (its closing event found first)."""
    return Event.objects.filter(
        organisation_id=key.organisation_id, subject=f"consultation:{consultation_id}"
    ).order_by("at", "id")


def key_records(key: ApiKey) -> QuerySet[ConsultationRecord]:
    """The finished consultations' records of the key's clinics."""
    return ConsultationRecord.objects.filter(clinic__in=key_clinics(key)).select_related("clinic")


def key_meeting_room(key: ApiKey, room_id: int, capability: KeyCapability = "can_read") -> MeetingRoom:
    room = MeetingRoom.objects.select_related("clinic").filter(clinic__in=key_clinics(key), pk=room_id).first()
    if room is None:
        raise Http404
    key_access(key).require(capability)
    return room


def key_guest_link(key: ApiKey, link_id: int, capability: KeyCapability = "can_read") -> GuestLink:
    """A meeting room's guest link. A user room's is its owner's own business: 404 for every key."""
    link = (
        GuestLink.objects.select_related("meeting_room__clinic")
        .filter(meeting_room__clinic__in=key_clinics(key), pk=link_id)
        .first()
    )
    if link is None:
        raise Http404
    key_access(key).require(capability)
    return link
