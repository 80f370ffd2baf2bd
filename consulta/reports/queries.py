"""A report's figures, aggregated by the database.

Counts, sums, maxima and means are SQL aggregates; the percentiles come from frequency
tables (`stats.py`); local days and hours from UTC quarter hours (`period.py`). Nothing here
reads a row per consultation: a year of a busy organisation is about ten queries.
Every query is limited to the scope's clinics: a report never sees another clinic's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.calls.models import RoomCallRecord
from consulta.consultations.models import ConsultationRecord, Outcome
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic, Organisation
from consulta.reports.period import Criteria, local_slot, quarter_hour
from consulta.reports.quality import Quality, quality
from consulta.reports.stats import Spread, spread

ANSWERED = Q(answered_at__isnull=False)
UNANSWERED = Q(answered_at__isnull=True)


@dataclass(frozen=True)
class Scope:
    """Whose report: one clinic, or every clinic of the organisation."""

    organisation: Organisation
    clinics: tuple[Clinic, ...]
    whole_organisation: bool

    @property
    def clinic_ids(self) -> list[int]:
        return [clinic.pk for clinic in self.clinics]

    @property
    def name(self) -> str:
        return _("All clinics") if self.whole_organisation else ", ".join(clinic.name for clinic in self.clinics)

    @property
    def slug(self) -> str:
        """For file names: the organisation's, or the clinic's."""
        return self.organisation.slug if self.whole_organisation else self.clinics[0].slug


@dataclass(frozen=True)
class DayVolume:
    day: date
    entered: int
    answered: int


@dataclass(frozen=True)
class WaitingArea:
    entered: int
    answered: int
    ended: int  # by the clinic, answered or not
    abandoned: int  # left before being answered
    expired: int  # the connection was lost before being answered
    ended_unanswered: int  # ended by the clinic before being answered
    answered_then_gone: int  # answered, then left or lost (not ended by the clinic)
    transfers_in: int | None  # one clinic's report
    transfers_out: int | None
    transfers: int | None  # the whole organisation's: each transfer between its clinics once
    wait: Spread
    wait_frequencies: tuple[tuple[int, int], ...]
    call: Spread
    call_total: int
    peak: int | None
    peak_mean: float | None
    by_hour: tuple[int, ...]
    by_weekday: tuple[int, ...]  # Monday first
    by_day: tuple[DayVolume, ...]


@dataclass(frozen=True)
class Provider:
    name: str
    email: str
    answered: int
    call_seconds: int
    in_calls_seconds: int


@dataclass(frozen=True)
class RoomCalls:
    kind: str
    label: str
    count: int
    total_seconds: int
    median_seconds: float | None
    mean_peak: float | None
    peak: int | None


@dataclass(frozen=True)
class Report:
    scope: Scope
    criteria: Criteria
    waiting: WaitingArea
    providers: tuple[Provider, ...]
    rooms: tuple[RoomCalls, ...]
    quality: Quality


def consultation_rows(scope: Scope, criteria: Criteria) -> QuerySet[ConsultationRecord]:
    """The scope's consultations entered in the period, less answered ones whose call was too short."""
    rows = ConsultationRecord.objects.filter(
        clinic_id__in=scope.clinic_ids, entered_at__gte=criteria.start, entered_at__lt=criteria.end
    )
    if criteria.min_call_seconds:
        rows = rows.filter(UNANSWERED | Q(call_seconds__gte=criteria.min_call_seconds))
    return rows.order_by()


def room_call_rows(scope: Scope, criteria: Criteria) -> QuerySet[RoomCallRecord]:
    return RoomCallRecord.objects.filter(
        clinic_id__in=scope.clinic_ids,
        started_at__gte=criteria.start,
        started_at__lt=criteria.end,
        seconds__gte=criteria.min_call_seconds,
    ).order_by()


def _events(kind: Kind, criteria: Criteria) -> QuerySet[Event]:
    return Event.objects.filter(kind=kind, at__gte=criteria.start, at__lt=criteria.end).order_by()


# Every count and sum the waiting area needs, per UTC quarter hour: one pass over the rows gives
# both the totals (summed in Python) and the local hours and days.
_PER_SLOT = {
    "entered": Count("pk"),
    "answered": Count("pk", filter=ANSWERED),
    "ended": Count("pk", filter=Q(outcome=Outcome.ENDED)),
    "abandoned": Count("pk", filter=UNANSWERED & Q(outcome=Outcome.LEFT)),
    "expired": Count("pk", filter=UNANSWERED & Q(outcome=Outcome.EXPIRED)),
    "ended_unanswered": Count("pk", filter=UNANSWERED & Q(outcome=Outcome.ENDED)),
    "call_total": Sum("call_seconds", filter=ANSWERED),
    "peak": Max("max_participants", filter=ANSWERED),
    "peak_sum": Sum("max_participants", filter=ANSWERED),
}
_SUMMED = ("entered", "answered", "ended", "abandoned", "expired", "ended_unanswered", "call_total", "peak_sum")


@dataclass
class _Tally:
    totals: dict[str, int]
    peak: int | None
    by_hour: list[int]
    by_weekday: list[int]
    days: dict[date, list[int]]  # entered, answered


def _tally(rows: QuerySet[ConsultationRecord], criteria: Criteria) -> _Tally:
    """Totals, and entries by local hour of day, by weekday and by day (with how many were answered)."""
    tally = _Tally(dict.fromkeys(_SUMMED, 0), None, [0] * 24, [0] * 7, {day: [0, 0] for day in criteria.days})
    slots = rows.annotate(slot=quarter_hour("entered_at")).values("slot").annotate(**_PER_SLOT).order_by()
    for found in slots:
        for name in _SUMMED:
            tally.totals[name] += found[name] or 0
        if found["peak"] is not None:
            tally.peak = max(tally.peak or 0, found["peak"])
        day, hour = local_slot(found["slot"], criteria.zone)
        tally.by_hour[hour] += found["entered"]
        tally.by_weekday[day.weekday()] += found["entered"]
        tally.days[day][0] += found["entered"]
        tally.days[day][1] += found["answered"]
    return tally


def _frequencies(rows: QuerySet[ConsultationRecord], column: str) -> list[tuple[int, int]]:
    """(value, how many) of one duration column of the answered consultations, by value."""
    return list(rows.filter(ANSWERED).values_list(column).annotate(n=Count("pk")).order_by(column))


def _transfers(scope: Scope, criteria: Criteria) -> tuple[int | None, int | None, int | None]:
    """(in, out, between the organisation's clinics): by the transfer's time, from the event log."""
    events = _events(Kind.CONSULTATION_TRANSFERRED, criteria)
    ids = scope.clinic_ids
    if scope.whole_organisation:
        return None, None, events.filter(clinic_id__in=ids).count()
    counted = events.filter(Q(clinic_id__in=ids) | Q(other_clinic_id__in=ids)).aggregate(
        moved_in=Count("pk", filter=Q(other_clinic_id__in=ids)), moved_out=Count("pk", filter=Q(clinic_id__in=ids))
    )
    return counted["moved_in"], counted["moved_out"], None


def waiting_area(scope: Scope, criteria: Criteria) -> WaitingArea:
    rows = consultation_rows(scope, criteria)
    tally = _tally(rows, criteria)
    counts = tally.totals
    waits = _frequencies(rows, "wait_seconds")
    moved_in, moved_out, moved = _transfers(scope, criteria)
    return WaitingArea(
        entered=counts["entered"],
        answered=counts["answered"],
        ended=counts["ended"],
        abandoned=counts["abandoned"],
        expired=counts["expired"],
        ended_unanswered=counts["ended_unanswered"],
        answered_then_gone=counts["answered"] - (counts["ended"] - counts["ended_unanswered"]),
        transfers_in=moved_in,
        transfers_out=moved_out,
        transfers=moved,
        wait=spread(waits),
        wait_frequencies=tuple(waits),
        call=spread(_frequencies(rows, "call_seconds")),
        call_total=counts["call_total"],
        peak=tally.peak,
        peak_mean=counts["peak_sum"] / counts["answered"] if counts["answered"] else None,
        by_hour=tuple(tally.by_hour),
        by_weekday=tuple(tally.by_weekday),
        by_day=tuple(DayVolume(day, *entered_answered) for day, entered_answered in tally.days.items()),
    )


def providers(scope: Scope, criteria: Criteria) -> tuple[Provider, ...]:
    """Per account: consultations answered and their call time, and all its time in calls."""
    answered = consultation_rows(scope, criteria).filter(ANSWERED).values_list("answered_by")
    per_person: dict[int | None, list[int]] = {}
    for person, count, seconds in answered.annotate(n=Count("pk"), s=Sum("call_seconds")).order_by():
        per_person[person] = [count, seconds or 0, 0]
    staff_time = _events(Kind.PARTICIPANT_LEFT, criteria).filter(clinic_id__in=scope.clinic_ids, data__role="staff")
    for person, seconds in staff_time.values_list("actor").annotate(s=Sum("seconds")).order_by():
        per_person.setdefault(person, [0, 0, 0])[2] = seconds or 0
    people = User.objects.in_bulk([pk for pk in per_person if pk is not None])
    found = []
    for pk, (count, call_seconds, in_calls) in per_person.items():
        user = people.get(pk) if pk is not None else None
        name = user.display_name if user else _("No account recorded (removed, or added by a caller)")
        found.append(Provider(name, user.email if user else "", count, call_seconds, in_calls))
    return tuple(sorted(found, key=lambda p: (not p.email, -p.answered, -p.in_calls_seconds, p.name.casefold())))


def room_calls(scope: Scope, criteria: Criteria) -> tuple[RoomCalls, ...]:
    """Meeting-room and user-room calls, each kind shown even when there were none."""
    rows = room_call_rows(scope, criteria)
    totals = {
        kind: (count, seconds, mean_peak, peak)
        for kind, count, seconds, mean_peak, peak in rows.values_list("kind")
        .annotate(n=Count("pk"), s=Sum("seconds"), m=Avg("peak_participants"), p=Max("peak_participants"))
        .order_by()
    }
    lengths: dict[str, list[tuple[int, int]]] = {}
    for kind, seconds, count in rows.values_list("kind", "seconds").annotate(n=Count("pk")).order_by("seconds"):
        lengths.setdefault(kind, []).append((seconds, count))
    found = []
    for kind, label in RoomCallRecord.Kind.choices:
        count, seconds, mean_peak, peak = totals.get(kind, (0, 0, None, None))
        median = spread(lengths.get(kind, [])).median
        found.append(RoomCalls(kind, str(label), count, seconds or 0, median, mean_peak, peak))
    return tuple(found)


def build_report(scope: Scope, criteria: Criteria) -> Report:
    return Report(
        scope=scope,
        criteria=criteria,
        waiting=waiting_area(scope, criteria),
        providers=providers(scope, criteria),
        rooms=room_calls(scope, criteria),
        quality=quality(((c.pk, c.name) for c in scope.clinics), criteria, scope.whole_organisation),
    )
