"""Consultations: the open ones, one by id (ended ones from the log), ending one; and the records.

An open consultation's row is deleted when it ends, leaving a `ConsultationRecord` that
names no consultation. So an ended consultation is read from the event log (its entry,
answer and closing events, which carry the figures), and "already ended" (409) is told
from "never existed or not yours" (404) by the log's closing event in the key's clinics.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.errors import HttpError
from pydantic import AwareDatetime

from consulta.api.auth import request_key
from consulta.api.endpoints import MAX_ID, MAX_OFFSET, SLUG_PATTERN, errors
from consulta.api.models import ApiKey
from consulta.api.schemas import ConsultationOut, ConsultationPage, Ended, RecordOut, RecordPage
from consulta.consultations import actions
from consulta.consultations.models import Consultation, ConsultationRecord
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations import key_access

router = Router(tags=["consultations"])

# The query parameters of both lists (module-level: ninja reads them, nothing changes them).
CLINIC = Query(None, max_length=60, pattern=SLUG_PATTERN, description="One clinic's, by its slug.")
SINCE = Query(None, description="Entered at or after (ISO 8601 with offset).")
UNTIL = Query(None, description="Entered before (ISO 8601 with offset).")
LIMIT = Query(50, ge=1, le=200)
OFFSET = Query(0, ge=0, le=MAX_OFFSET)

_ENDED_STATUS = {
    Kind.CONSULTATION_ENDED: "ended",
    Kind.CONSULTATION_LEFT: "left",
    Kind.CONSULTATION_EXPIRED: "expired",
}


def _open(consultation: Consultation, names: bool) -> ConsultationOut:
    until = consultation.answered_at or timezone.now()
    return ConsultationOut(
        id=consultation.pk,
        clinic=consultation.clinic.slug,
        status=consultation.status,  # type: ignore[arg-type]
        entered_at=consultation.entered_at,
        answered_at=consultation.answered_at,
        ended_at=None,
        wait_seconds=max(0, int((until - consultation.entered_at).total_seconds())),
        call_seconds=None,
        participants_peak=None,
        urgent=consultation.urgent_since is not None,
        external_reference=consultation.external_reference,
        first_name=consultation.first_name if names else None,
        last_name=consultation.last_name if names else None,
        phone=consultation.phone if names else None,
    )


def _ended(key: ApiKey, consultation_id: int, closing: Event) -> ConsultationOut:
    history = list(key_access.key_consultation_events(key, consultation_id))
    entered = next((e for e in history if e.kind == Kind.CONSULTATION_ENTERED), None)
    answered = next((e for e in history if e.kind in (Kind.CONSULTATION_ANSWERED, Kind.CONSULTATION_ADDED)), None)
    wait = closing.data.get("wait_seconds")
    return ConsultationOut(
        id=consultation_id,
        clinic=closing.clinic.slug if closing.clinic else "",
        status=_ENDED_STATUS[Kind(closing.kind)],  # type: ignore[arg-type]
        # Without its entry event (older than the log's retention): the wait before the end.
        entered_at=entered.at if entered else closing.at - timedelta(seconds=wait if isinstance(wait, int) else 0),
        answered_at=answered.at if answered else None,
        ended_at=closing.at,
        wait_seconds=wait if isinstance(wait, int) else None,
        call_seconds=closing.seconds,
        participants_peak=closing.data.get("participants"),
        urgent=False,
        external_reference=None,
        first_name=None,
        last_name=None,
        phone=None,
    )


def _in_period(rows: QuerySet, since: datetime | None, until: datetime | None) -> QuerySet:
    if since is not None:
        rows = rows.filter(entered_at__gte=since)
    if until is not None:
        rows = rows.filter(entered_at__lt=until)
    return rows


@router.get("/consultations", response={200: ConsultationPage, **errors(404, 422)}, url_name="consultations")
def list_consultations(
    request: HttpRequest,
    clinic: str | None = CLINIC,
    status: Literal["waiting", "in_call", "on_hold"] | None = None,
    since: AwareDatetime | None = SINCE,
    until: AwareDatetime | None = UNTIL,
    limit: int = LIMIT,
    offset: int = OFFSET,
) -> ConsultationPage:
    """The open consultations (waiting, being seen, on hold) of the key's clinics, oldest entry first."""
    key = request_key(request)
    rows = key_access.key_consultations(key)
    if clinic is not None:
        rows = rows.filter(clinic=key_access.key_clinic(key, clinic))
    if status is not None:
        rows = rows.filter(status=status)
    rows = _in_period(rows, since, until).order_by("entered_at", "pk")
    names = key_access.key_access(key).can_see_names
    items = [_open(row, names) for row in rows[offset : offset + limit]]
    return ConsultationPage(count=rows.count(), limit=limit, offset=offset, items=items)


@router.get(
    "/consultations/{consultation_id}", response={200: ConsultationOut, **errors(404, 422)}, url_name="consultation"
)
def get_consultation(request: HttpRequest, consultation_id: int = Path(..., ge=1, le=MAX_ID)) -> ConsultationOut:
    """An open consultation as it is now, or an ended one's times and figures (from the log)."""
    key = request_key(request)
    consultation = key_access.key_consultations(key).filter(pk=consultation_id).first()
    if consultation is not None:
        return _open(consultation, key_access.key_access(key).can_see_names)
    return _ended(key, consultation_id, key_access.key_closing_event(key, consultation_id))


@router.post(
    "/consultations/{consultation_id}/end",
    response={200: Ended, **errors(403, 404, 409, 422)},
    url_name="consultation_end",
)
def end_consultation(request: HttpRequest, consultation_id: int = Path(..., ge=1, le=MAX_ID)) -> Ended:
    """End an open consultation, as the clinic's End button does (those added to its call end with it)."""
    key = request_key(request)
    consultation = key_access.key_consultations(key).filter(pk=consultation_id).first()
    if consultation is None:
        key_access.key_closing_event(key, consultation_id, "can_write")  # 404 when it never was the key's
        raise HttpError(409, _("This consultation has already ended."))
    consultation = key_access.key_consultation(key, consultation_id, "can_write")
    actions.end(consultation)
    return Ended(id=consultation_id, status="ended")


def _record(row: ConsultationRecord) -> RecordOut:
    return RecordOut(
        id=row.pk,
        clinic=row.clinic.slug,
        entered_at=row.entered_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        wait_seconds=row.wait_seconds,
        call_seconds=row.call_seconds,
        participants_peak=row.max_participants,
        outcome=row.outcome,  # type: ignore[arg-type]
        was_transferred=row.was_transferred,
    )


@router.get("/consultation-records", response={200: RecordPage, **errors(404, 422)}, url_name="records")
def list_records(
    request: HttpRequest,
    clinic: str | None = CLINIC,
    since: AwareDatetime | None = SINCE,
    until: AwareDatetime | None = UNTIL,
    limit: int = LIMIT,
    offset: int = OFFSET,
) -> RecordPage:
    """Finished consultations' records (what the reports count): times and counts, nothing personal."""
    key = request_key(request)
    rows = key_access.key_records(key)
    if clinic is not None:
        rows = rows.filter(clinic=key_access.key_clinic(key, clinic))
    rows = _in_period(rows, since, until).order_by("-ended_at", "-pk")
    items = [_record(row) for row in rows[offset : offset + limit]]
    return RecordPage(count=rows.count(), limit=limit, offset=offset, items=items)
