"""Hand-made history for the report tests: records and events as the actions would leave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from consulta.accounts.models import User
from consulta.calls.models import RoomCallRecord
from consulta.consultations.models import ConsultationRecord, Outcome
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def consultation(
    clinic: Clinic,
    entered: datetime,
    *,
    wait: int = 60,
    call: int = 300,
    answered: bool = True,
    outcome: str = Outcome.ENDED,
    by: User | None = None,
    peak: int = 2,
) -> ConsultationRecord:
    answered_at = entered + timedelta(seconds=wait) if answered else None
    return ConsultationRecord.objects.create(
        clinic=clinic,
        entered_at=entered,
        answered_at=answered_at,
        answered_by=by if answered else None,
        ended_at=entered + timedelta(seconds=wait + (call if answered else 0)),
        wait_seconds=wait,
        call_seconds=call if answered else 0,
        max_participants=peak if answered else 0,
        outcome=outcome,
    )


def room_call(clinic: Clinic, started: datetime, seconds: int, kind: str = "room", peak: int = 2) -> RoomCallRecord:
    return RoomCallRecord.objects.create(
        clinic=clinic,
        kind=kind,
        started_at=started,
        ended_at=started + timedelta(seconds=seconds),
        seconds=seconds,
        peak_participants=peak,
    )


def event(kind: Kind, clinic: Clinic, at: datetime, **fields: Any) -> Event:
    actor = fields.pop("actor", None)
    return Event.objects.create(
        kind=kind,
        at=at,
        organisation_id=clinic.organisation_id,
        clinic=clinic,
        actor=actor,
        actor_label=actor.email if actor else "",
        **fields,
    )


def transfer(from_clinic: Clinic, to_clinic: Clinic, at: datetime) -> Event:
    return event(Kind.CONSULTATION_TRANSFERRED, from_clinic, at, subject="consultation:1", other_clinic=to_clinic)


def staff_left(clinic: Clinic, at: datetime, person: User, seconds: int, role: str = "staff") -> Event:
    return event(Kind.PARTICIPANT_LEFT, clinic, at, actor=person, seconds=seconds, data={"role": role})
