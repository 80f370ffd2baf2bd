"""The API's wire format: every request and response body, errors included.

Times are ISO 8601 with their offset (UTC); ids are integers; a clinic is named by its slug.
Patients' names and phone numbers are null unless the key may see names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints


def _printable(value: str) -> str:
    # Control characters (NUL above all) are never part of a name or a reference.
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValueError("control characters are not allowed")
    return value


_PRINTABLE = AfterValidator(_printable)


def _length(most: int, least: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=least, max_length=most)


Name = Annotated[str, _length(100, 1), _PRINTABLE]
Phone = Annotated[str, _length(32), _PRINTABLE]
Reference = Annotated[str, _length(200), _PRINTABLE]
RoomName = Annotated[str, _length(120, 1), _PRINTABLE]
Label = Annotated[str, _length(120), _PRINTABLE]


class Error(Schema):
    detail: str = Field(description="What went wrong, in words.")
    errors: list[dict[str, Any]] = Field(default_factory=list, description="Invalid inputs (422 only).")


class ClinicOut(Schema):
    slug: str
    name: str
    time_zone: str
    patient_link: str = Field(description="The clinic's public entry page.")


class CallerOut(Schema):
    id: int
    status: Literal["waiting", "in_call", "on_hold"]
    waiting_since: datetime
    urgent: bool
    first_name: str | None = Field(description="Null unless the key may see names.")
    last_name: str | None = Field(description="Null unless the key may see names.")


class WaitingAreaOut(Schema):
    clinic: str
    open: bool = Field(description="Switched on and within its opening hours now.")
    waiting: int = Field(description="Callers waiting to be answered (not in a call, not on hold).")
    longest_wait_seconds: int | None = Field(description="The longest current wait of those waiting.")
    callers: list[CallerOut] = Field(description="Everyone in the waiting area, in queue order.")


class PatientLinkIn(Schema):
    first_name: Name
    last_name: Name
    phone: Phone = ""
    external_reference: Reference = Field(
        "", description="Your system's reference for the appointment: it comes back in webhooks."
    )
    expires_at: AwareDatetime | None = Field(
        None, description="When the link stops working; default PREFILL_LINK_HOURS from now."
    )


class PatientLinkOut(Schema):
    url: str = Field(description="Send this to the patient: it opens the entry page with their details filled in.")
    expires_at: datetime
    clinic: str
    external_reference: str


ConsultationStatus = Literal["waiting", "in_call", "on_hold", "ended", "left", "expired"]


class ConsultationOut(Schema):
    id: int
    clinic: str
    status: ConsultationStatus
    entered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: int | None = Field(description="Entry to answer; so far, while still waiting.")
    call_seconds: int | None = Field(description="Answer to end; null until it ends.")
    participants_peak: int | None = Field(description="Most people in its call at once; null until it ends.")
    urgent: bool
    external_reference: str | None = Field(description="Of the patient link it came by; null once ended.")
    first_name: str | None = Field(description="Null unless the key may see names, and once ended.")
    last_name: str | None = Field(description="Null unless the key may see names, and once ended.")
    phone: str | None = Field(description="Null unless the key may see names, and once ended.")


class ConsultationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ConsultationOut]


class RecordOut(Schema):
    id: int
    clinic: str
    entered_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    wait_seconds: int
    call_seconds: int
    participants_peak: int
    outcome: Literal["ended", "left", "expired"]
    was_transferred: bool


class RecordPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RecordOut]


class SpreadOut(Schema):
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    longest_seconds: int | None


class DayOut(Schema):
    date: date
    entered: int
    answered: int


class WaitingFiguresOut(Schema):
    entered: int
    answered: int
    ended: int
    abandoned: int
    expired: int
    ended_unanswered: int
    answered_then_gone: int
    transfers_in: int | None
    transfers_out: int | None
    transfers: int | None
    wait: SpreadOut
    call: SpreadOut
    call_total_seconds: int
    participants_peak: int | None
    participants_mean: float | None
    by_hour: list[int]
    by_weekday: list[int]
    by_day: list[DayOut]


class RoomCallsOut(Schema):
    kind: str
    count: int
    total_seconds: int
    median_seconds: float | None
    mean_peak: float | None
    peak: int | None


class ReportOut(Schema):
    clinics: list[str]
    whole_organisation: bool
    date_from: date
    date_to: date
    time_zone: str
    min_call_minutes: int
    waiting_area: WaitingFiguresOut
    room_calls: list[RoomCallsOut]


class MeetingRoomIn(Schema):
    name: RoomName


class MeetingRoomOut(Schema):
    id: int
    clinic: str
    name: str
    url: str = Field(description="The room's link for the clinic's team (they sign in).")
    created_at: datetime


class GuestLinkIn(Schema):
    label: Label = Field("", description="A note for the team, e.g. the guest's name.")
    valid_days: Literal[1, 7, 30, 90] = 7


class GuestLinkOut(Schema):
    id: int
    meeting_room: int
    label: str
    url: str = Field(description="Send this to the guest: they knock, a member lets them in.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    valid: bool


class Ended(Schema):
    id: int
    status: Literal["ended"]
