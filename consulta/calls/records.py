"""What calls leave behind for the event log and the reports: who joined and left, and each
meeting of a room with its record. Called by `calls.actions` inside its transactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consulta.calls.models import Call, Participant, RoomCallRecord
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record


def clinic_of_key(key: str) -> int | None:
    """The clinic whose call `key` is: the consultation's, meeting room's or user room's."""
    from consulta.consultations.models import Consultation
    from consulta.rooms.models import MeetingRoom, UserRoom

    kind, _sep, number = key.partition(":")
    model = {"consultation": Consultation, "room": MeetingRoom, "userroom": UserRoom}.get(kind)
    if model is None or not number.isdigit():
        return None
    return model.objects.filter(pk=int(number)).values_list("clinic_id", flat=True).first()  # type: ignore[attr-defined]


def participant(kind: Kind, call: Call, person: Participant, seconds: float | None = None) -> None:
    """A person joined or left, by role and account: never a patient's or guest's name. One who
    left also leaves their call.quality summary."""
    if call.clinic_id is None:
        return
    if kind == Kind.PARTICIPANT_LEFT:
        quality(call, person, seconds or 0)
    record(
        kind,
        clinic_id=call.clinic_id,
        subject=call.key,
        actor=person.user if person.user_id else None,
        seconds=seconds,
        data={"role": person.role},
    )


# The summary's fields (`messages.Quality`), and what an event holds of a person who sent none.
_UNMEASURED: dict[str, Any] = {
    "rtt_ms": None,
    "loss_pct": None,
    "kbps_in": None,
    "kbps_out": None,
    "freezes": 0,
    "freeze_seconds": 0.0,
    "reconnects": 0,
    "relayed": False,
}


def quality(call: Call, person: Participant, seconds: float) -> None:
    """A person left: one call.quality event with their browser and their last summary (nulls where
    none came). Numbers, role and browser only: no name, nothing of the call's content."""
    if call.clinic_id is None:
        return
    summary = person.quality if isinstance(person.quality, dict) else {}
    measured = {name: summary.get(name, empty) for name, empty in _UNMEASURED.items()}
    measured["freeze_seconds"] = float(measured["freeze_seconds"] or 0)
    if measured["loss_pct"] is not None:
        measured["loss_pct"] = round(float(measured["loss_pct"]), 2)
    account = person.user if person.user_id else None
    record(
        Kind.CALL_QUALITY,
        clinic_id=call.clinic_id,
        subject=call.key,
        actor=account,
        target=account if person.role == Participant.Role.STAFF else None,
        seconds=seconds,
        data={
            "role": person.role,
            "browser": person.browser,
            "browser_version": person.browser_version,
            "os": person.os,
            **measured,
            "seconds": max(0, round(seconds)),
        },
    )


def meeting_started(call: Call) -> None:
    """Somebody joined a room's empty call: a meeting begins."""
    if call.clinic_id is not None:
        record(Kind.ROOM_CALL_STARTED, clinic_id=call.clinic_id, subject=call.key, actor=None)


def meeting_over(call: Call, now: datetime) -> None:
    """The last person left a room's call: the meeting is over, and its record is written."""
    kind = call.key.partition(":")[0]
    if kind not in RoomCallRecord.Kind.values or call.clinic_id is None or call.meeting_started_at is None:
        return
    seconds = (now - call.meeting_started_at).total_seconds()
    RoomCallRecord.objects.create(
        clinic_id=call.clinic_id,
        kind=kind,
        started_at=call.meeting_started_at,
        ended_at=now,
        seconds=round(seconds),
        peak_participants=call.peak_participants,
    )
    record(
        Kind.ROOM_CALL_ENDED,
        clinic_id=call.clinic_id,
        subject=call.key,
        actor=None,
        seconds=seconds,
        data={"participants": call.peak_participants},
    )
    Call.objects.filter(pk=call.pk).update(meeting_started_at=None)
    call.meeting_started_at = None
