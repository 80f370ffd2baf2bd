"""The report figures, by the reports page's own code: the same form, the same scope, the same queries.

The criteria go through `ReportForm` (its defaults, its limits, its errors) and the figures
come from `build_report`'s waiting-area and room-call parts, so a report by API and the
page for the same criteria show the same numbers.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router
from ninja.errors import ValidationError

from consulta.api.auth import request_key
from consulta.api.endpoints import SLUG_PATTERN, errors
from consulta.api.schemas import DayOut, ReportOut, RoomCallsOut, SpreadOut, WaitingFiguresOut
from consulta.organisations import key_access
from consulta.reports.forms import DATE_FORMAT, ReportForm, form_data
from consulta.reports.queries import Scope, build_report
from consulta.reports.stats import Spread

router = Router(tags=["reports"])

CLINIC = Query(None, max_length=60, pattern=SLUG_PATTERN, description="One clinic; default every clinic of the key.")
START = Query(None, description="First day (local); default the first of last month.")
END = Query(None, description="Last day, inclusive; default the last of last month.")
TIME_ZONE = Query(None, max_length=64, description="Default the organisation's (or the one clinic's).")
MIN_CALL_MINUTES = Query(None, ge=0, le=24 * 60, description="Shortest call counted, in minutes; default 0.")


def _spread(spread: Spread) -> SpreadOut:
    return SpreadOut(
        count=spread.count, median_seconds=spread.median, p90_seconds=spread.p90, longest_seconds=spread.longest
    )


def _given(start: date | None, end: date | None, time_zone: str | None, min_call_minutes: int | None) -> dict:
    given = {
        "date_from": start.strftime(DATE_FORMAT) if start else None,
        "date_to": end.strftime(DATE_FORMAT) if end else None,
        "time_zone": time_zone,
        "min_call_minutes": str(min_call_minutes) if min_call_minutes is not None else None,
    }
    return {name: value for name, value in given.items() if value is not None}


@router.get("/reports", response={200: ReportOut, **errors(404, 422)}, url_name="reports")
def report(
    request: HttpRequest,
    clinic: str | None = CLINIC,
    start: date | None = START,
    end: date | None = END,
    time_zone: str | None = TIME_ZONE,
    min_call_minutes: int | None = MIN_CALL_MINUTES,
) -> ReportOut:
    """The reports page's figures for the key's clinics: waiting area, waits and calls, room calls."""
    key = request_key(request)
    organisation = key.organisation
    chosen = key_access.key_clinic(key, clinic) if clinic else None
    clinics = [chosen] if chosen else list(key_access.key_clinics(key))
    zone = chosen.effective_time_zone if chosen else organisation.time_zone
    form = ReportForm(form_data(_given(start, end, time_zone, min_call_minutes), zone), clinics=None)
    if not form.is_valid():
        problems = [{"loc": ["query", name], "msg": " ".join(map(str, msgs))} for name, msgs in form.errors.items()]
        raise ValidationError(problems)
    whole = chosen is None and key.all_clinics
    figures = build_report(Scope(organisation, tuple(clinics), whole_organisation=whole), form.criteria())
    waiting = figures.waiting
    return ReportOut(
        clinics=[c.slug for c in clinics],
        whole_organisation=whole,
        date_from=figures.criteria.first_day,
        date_to=figures.criteria.last_day,
        time_zone=form.cleaned_data["time_zone"],
        min_call_minutes=form.cleaned_data["min_call_minutes"],
        waiting_area=WaitingFiguresOut(
            entered=waiting.entered,
            answered=waiting.answered,
            ended=waiting.ended,
            abandoned=waiting.abandoned,
            expired=waiting.expired,
            ended_unanswered=waiting.ended_unanswered,
            answered_then_gone=waiting.answered_then_gone,
            transfers_in=waiting.transfers_in,
            transfers_out=waiting.transfers_out,
            transfers=waiting.transfers,
            wait=_spread(waiting.wait),
            call=_spread(waiting.call),
            call_total_seconds=waiting.call_total,
            participants_peak=waiting.peak,
            participants_mean=waiting.peak_mean,
            by_hour=list(waiting.by_hour),
            by_weekday=list(waiting.by_weekday),
            by_day=[DayOut(date=d.day, entered=d.entered, answered=d.answered) for d in waiting.by_day],
        ),
        room_calls=[
            RoomCallsOut(
                kind=r.kind,
                count=r.count,
                total_seconds=r.total_seconds,
                median_seconds=r.median_seconds,
                mean_peak=r.mean_peak,
                peak=r.peak,
            )
            for r in figures.rooms
        ],
    )
