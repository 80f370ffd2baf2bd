"""The report as tables, for the downloads: the summary's sections, then one row per call.

Both exporters write exactly these, so the CSV and the workbook cannot disagree; the page
shows the same figures from the same `Report` (durations in whole seconds, means to one
decimal, here and on the page alike). Rows name staff by e-mail and nobody else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from consulta.calls.models import RoomCallRecord
from consulta.reports.charts import hour_points, outcome_parts, wait_points
from consulta.reports.queries import Report, WaitingArea, consultation_rows, room_call_rows

CHUNK = 2000


@dataclass(frozen=True)
class Section:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def whole(value: float | None) -> int | None:
    """A duration as shown everywhere: whole seconds."""
    return None if value is None else round(value)


def one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def _about(report: Report) -> Section:
    criteria = report.criteria
    rows = (
        (_("Organisation"), report.scope.organisation.name),
        (_("Clinics"), report.scope.name),
        (_("From"), criteria.first_day.isoformat()),
        (_("To (inclusive)"), criteria.last_day.isoformat()),
        (_("Days"), len(criteria.days)),
        (_("Time zone"), criteria.zone.key),
        (_("Shortest call counted (minutes)"), criteria.min_call_seconds // 60),
    )
    return Section(_("Report"), (_("Item"), _("Value")), rows)


def transfer_rows(waiting: WaitingArea) -> list[tuple[str, int]]:
    if waiting.transfers is not None:
        return [(_("Transfers between the organisation's clinics"), waiting.transfers)]
    return [(_("Transferred in"), waiting.transfers_in or 0), (_("Transferred out"), waiting.transfers_out or 0)]


def _waiting(waiting: WaitingArea) -> Section:
    rows = [
        (_("Entered the waiting area"), waiting.entered),
        (_("Answered"), waiting.answered),
        (_("Ended by the clinic"), waiting.ended),
        (_("Left before being answered (abandoned)"), waiting.abandoned),
        (_("Connection lost before being answered (expired)"), waiting.expired),
        *transfer_rows(waiting),
        (_("Median wait of answered (seconds)"), whole(waiting.wait.median)),
        (_("90th percentile wait of answered (seconds)"), whole(waiting.wait.p90)),
        (_("Longest wait of answered (seconds)"), waiting.wait.longest),
        (_("Median call (seconds)"), whole(waiting.call.median)),
        (_("Total call time (seconds)"), waiting.call_total),
        (_("Most people in one call"), waiting.peak),
        (_("Mean people in a call"), one_decimal(waiting.peak_mean)),
    ]
    return Section(_("Waiting area"), (_("Figure"), _("Value")), tuple(rows))


def _breakdowns(waiting: WaitingArea) -> list[Section]:
    consultations = _("Consultations")
    return [
        Section(_("Outcomes"), (_("Outcome"), consultations), tuple(outcome_parts(waiting))),
        Section(
            _("Waits of answered consultations"),
            (_("Wait"), consultations),
            tuple((p.full, p.value) for p in wait_points(waiting)),
        ),
        Section(
            _("Entries by hour"), (_("Hour"), consultations), tuple((p.full, p.value) for p in hour_points(waiting))
        ),
        Section(
            _("Entries by weekday"),
            (_("Weekday"), consultations),
            tuple(zip(weekday_names(), waiting.by_weekday, strict=True)),
        ),
        Section(
            _("Entries by day"),
            (_("Date"), _("Entered"), _("Answered")),
            tuple((d.day.isoformat(), d.entered, d.answered) for d in waiting.by_day),
        ),
    ]


def _people_and_rooms(report: Report) -> list[Section]:
    people = tuple((p.name, p.email, p.answered, p.call_seconds, p.in_calls_seconds) for p in report.providers)
    rooms = tuple(
        (r.label, r.count, r.total_seconds, whole(r.median_seconds), one_decimal(r.mean_peak), r.peak)
        for r in report.rooms
    )
    return [
        Section(
            _("Service providers"),
            (_("Name"), _("E-mail"), _("Answered"), _("Call time of those (seconds)"), _("Time in any call (seconds)")),
            people,
        ),
        Section(
            _("Meeting-room and user-room calls"),
            (_("Kind"), _("Calls"), _("Total (seconds)"), _("Median (seconds)"), _("Mean people"), _("Most people")),
            rooms,
        ),
    ]


def summary_sections(report: Report) -> list[Section]:
    return [_about(report), _waiting(report.waiting), *_breakdowns(report.waiting), *_people_and_rooms(report)]


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Wall-clock time in the report's zone, without a zone (spreadsheets have none)."""
    return moment.astimezone(zone).replace(tzinfo=None) if moment else None


def consultation_header() -> tuple[str, ...]:
    return (
        _("Clinic"), _("Entered"), _("Answered"), _("Ended"), _("Wait (seconds)"), _("Call (seconds)"),
        _("Most people in the call"), _("Outcome"), _("Answered by"),
    )  # fmt: skip


def consultation_lines(report: Report) -> Iterator[tuple[Any, ...]]:
    """One row per consultation, oldest first, read CHUNK rows at a time."""
    names = {clinic.pk: clinic.name for clinic in report.scope.clinics}
    zone = report.criteria.zone
    rows = consultation_rows(report.scope, report.criteria).order_by("entered_at", "pk")
    columns = ("clinic_id", "entered_at", "answered_at", "ended_at", "wait_seconds", "call_seconds")
    fields = rows.values_list(*columns, "max_participants", "outcome", "answered_by__email")
    for clinic, entered, answered, ended, wait, call, peak, outcome, email in fields.iterator(chunk_size=CHUNK):
        yield (
            names[clinic],
            _local(entered, zone),
            _local(answered, zone),
            _local(ended, zone),
            wait,
            call,
            peak,
            outcome,
            email or "",
        )


def room_call_header() -> tuple[str, ...]:
    return _("Clinic"), _("Kind"), _("Started"), _("Ended"), _("Length (seconds)"), _("Most people in the call")


def room_call_lines(report: Report) -> Iterator[tuple[Any, ...]]:
    names = {clinic.pk: clinic.name for clinic in report.scope.clinics}
    labels = dict(RoomCallRecord.Kind.choices)
    zone = report.criteria.zone
    rows = room_call_rows(report.scope, report.criteria).order_by("started_at", "pk")
    fields = rows.values_list("clinic_id", "kind", "started_at", "ended_at", "seconds", "peak_participants")
    for clinic, kind, started, ended, seconds, peak in fields.iterator(chunk_size=CHUNK):
        yield names[clinic], str(labels.get(kind, kind)), _local(started, zone), _local(ended, zone), seconds, peak
