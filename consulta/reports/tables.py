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
from consulta.reports.quality import Quality
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


def percent(share: float | None) -> float | None:
    """A share (0-1) as shown everywhere: percent to one decimal."""
    return None if share is None else round(100 * share, 1)


def two_decimals(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


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


def _call_quality(quality: Quality) -> list[Section]:
    calls = quality.calls
    rows = (
        (_("Participants who left a call"), calls.participants),
        (_("Participants with a quality summary"), calls.summarised),
        (_("Median round trip (ms)"), whole(calls.median_rtt)),
        (_("Median packet loss (%)"), two_decimals(calls.median_loss)),
        (_("Relayed through a TURN server (%)"), percent(calls.relayed_share)),
        (_("Reconnects"), calls.reconnects),
        (_("Reconnects per 100 participants"), one_decimal(calls.reconnects_per_100)),
        (_("Participants with a video freeze (%)"), percent(calls.frozen_share)),
        (_("Video frozen in total (seconds)"), one_decimal(calls.freeze_seconds)),
    )
    header = (_("Participants"), _("Median round trip (ms)"), _("Relayed (%)"), _("Reconnects"))

    def grouped(rows: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
        return tuple(
            (r.label, r.participants, whole(r.median_rtt), percent(r.relayed_share), r.reconnects) for r in rows
        )

    return [
        Section(_("Call quality"), (_("Figure"), _("Value")), rows),
        Section(_("Call quality by role"), (_("Role"), *header), grouped(calls.by_role)),
        Section(_("Call quality by browser"), (_("Browser"), *header), grouped(calls.by_browser)),
    ]


def _entry_checks(quality: Quality) -> list[Section]:
    entry = quality.entry
    rows = (
        (_("Entry checks run"), entry.checks),
        (_("Passed"), entry.passed),
        (_("Let in with a warning"), entry.warned),
        (_("Blocked"), entry.blocked),
        (_("Median measured bandwidth, the lower of down and up (kbit/s)"), whole(entry.median_kbps)),
    )
    reasons = tuple((r.label, r.blocked, r.warned) for r in entry.reasons)
    sections = [
        Section(_("Entry checks"), (_("Figure"), _("Value")), rows),
        Section(_("Entry checks by reason"), (_("Check"), _("Blocked"), _("Warned")), reasons),
    ]
    if quality.clinics:
        clinics = tuple(
            (c.clinic, c.checks, c.blocked, c.warned, c.patients, c.reconnects, percent(c.relayed_share),
             whole(c.median_rtt))
            for c in quality.clinics
        )  # fmt: skip
        header = (
            _("Clinic"), _("Entry checks"), _("Blocked"), _("Warned"), _("Patients with a summary"),
            _("Patients' reconnects"), _("Patients relayed (%)"), _("Patients' median round trip (ms)"),
        )  # fmt: skip
        sections.append(Section(_("Where patients struggle, by clinic"), header, clinics))
    return sections


def quality_sections(quality: Quality) -> list[Section]:
    return [*_call_quality(quality), *_entry_checks(quality)]


def summary_sections(report: Report) -> list[Section]:
    return [
        _about(report),
        _waiting(report.waiting),
        *_breakdowns(report.waiting),
        *_people_and_rooms(report),
        *quality_sections(report.quality),
    ]


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
