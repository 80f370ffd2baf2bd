"""What a webhook says about an event: Standard Webhooks' shape, {"type", "timestamp", "data"}.

Built when the drain turns an event into messages (consulta/webhooks/delivery.py), from the event
and, for a consultation, its row then (or its `ConsultationTrace` once the row is gone):

    {"type": "consultation.entered", "timestamp": "2026-12-01T09:30:00.123456+00:00",
     "data": {"event_id": 812, "clinic": {"id": 3, "slug": "northside"},
              "consultation_id": 57, "external_reference": "APPT-1234",
              "patient": {"first_name": ..., "last_name": ...}}}     <- only where the endpoint may

Also, where the event has them: `other_clinic` (a transfer's destination), `role` (who joined or
left a call: patient, staff or guest), `seconds` (a call's or a person's time in it),
`wait_seconds`, `participants`, and `call` ({"kind": "room", "id": 4}) for calls of rooms.
Never the phone, the answers of the entry form, anything of a call's content, nor who of the
staff acted (an e-mail address is the staff's, not the appointment system's business).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consulta.consultations.models import Consultation
from consulta.eventlog.models import Event
from consulta.webhooks.models import ConsultationTrace

# Details of the event's data passed on, each a number or a role: nothing that names anybody.
PASSED_ON = ("role", "wait_seconds", "participants")


@dataclass(frozen=True)
class Caller:
    """What a payload may say of a consultation's patient."""

    external_reference: str
    first_name: str
    last_name: str


def subject_parts(subject: str) -> tuple[str, int | None]:
    """A subject taken apart: "consultation:12" -> ("consultation", 12)."""
    kind, _separator, number = subject.partition(":")
    return kind, int(number) if number.isdigit() else None


def caller(consultation_id: int) -> Caller | None:
    """The consultation's reference and names, from its row or, once it is gone, its trace."""
    found = (
        Consultation.objects.filter(pk=consultation_id).values_list("external_reference", "first_name", "last_name")
    ).first() or (
        ConsultationTrace.objects.filter(consultation_id=consultation_id).values_list(
            "external_reference", "first_name", "last_name"
        )
    ).first()
    return Caller(*found) if found else None


def _clinic(clinic_id: int | None, slugs: dict[int, str]) -> dict[str, Any] | None:
    return {"id": clinic_id, "slug": slugs.get(clinic_id, "")} if clinic_id is not None else None


def data(event: Event, slugs: dict[int, str], who: Caller | None, *, with_names: bool) -> dict[str, Any]:
    """The `data` of one event's message; `slugs`: clinic id -> slug."""
    kind, number = subject_parts(event.subject)
    body: dict[str, Any] = {"event_id": event.pk, "clinic": _clinic(event.clinic_id, slugs)}
    if kind == "consultation":
        body["consultation_id"] = number
        body["external_reference"] = who.external_reference if who else ""
        if with_names and who is not None and (who.first_name or who.last_name):
            body["patient"] = {"first_name": who.first_name, "last_name": who.last_name}
    elif kind in ("room", "userroom"):
        body["call"] = {"kind": kind, "id": number}
    if event.other_clinic_id is not None:
        body["other_clinic"] = _clinic(event.other_clinic_id, slugs)
    if event.seconds is not None:
        body["seconds"] = event.seconds
    body.update({name: event.data[name] for name in PASSED_ON if name in (event.data or {})})
    return body


def envelope(event: Event, body: dict[str, Any]) -> dict[str, Any]:
    return {"type": event.kind, "timestamp": event.at.isoformat(), "data": body}


def without_names(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload kept in the delivery log once it is sent or given up: no patient's name."""
    inner = {name: value for name, value in payload.get("data", {}).items() if name != "patient"}
    return {**payload, "data": inner}
