"""Local days and hours across daylight-saving changes (Europe/Stockholm, 29 March and 25 October 2026)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from django.db.models.functions import TruncHour

from consulta.consultations.models import ConsultationRecord
from consulta.reports.period import Criteria, local_slot
from consulta.reports.queries import Scope, build_report
from consulta.reports.tests.records import consultation, utc
from consulta.testing import World

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def alder(world: World) -> Scope:
    return Scope(world.organisation, (world.clinic_a,), whole_organisation=False)


def test_spring_forward_days_and_hours(world: World) -> None:
    """Clocks go from 02:00 to 03:00 on Sunday 29 March 2026: CET (+1) before, CEST (+2) after."""
    a = world.clinic_a
    consultation(a, utc(2026, 3, 27, 23, 30))  # 00:30 on Saturday 28 March (CET)
    consultation(a, utc(2026, 3, 28, 23, 30))  # 00:30 on Sunday 29 March (CET)
    consultation(a, utc(2026, 3, 30, 0, 30))  # the day after the change: 02:30 on Monday 30 March (CEST)
    consultation(a, utc(2026, 3, 30, 21, 30))  # 23:30 on 30 March: the last hour of the range
    consultation(a, utc(2026, 3, 30, 22, 0))  # 00:00 on 31 March: after the range
    criteria = Criteria(date(2026, 3, 28), date(2026, 3, 30), STOCKHOLM)

    waiting = build_report(alder(world), criteria).waiting

    assert [(d.day, d.entered) for d in waiting.by_day] == [
        (date(2026, 3, 28), 1),
        (date(2026, 3, 29), 1),
        (date(2026, 3, 30), 2),
    ]
    assert {hour: n for hour, n in enumerate(waiting.by_hour) if n} == {0: 2, 2: 1, 23: 1}
    assert waiting.by_weekday == (2, 0, 0, 0, 0, 1, 1)  # Monday 30 twice, Saturday 28, Sunday 29
    assert waiting.entered == 4


def test_fall_back_day_has_its_repeated_hour_once(world: World) -> None:
    """Clocks go from 03:00 back to 02:00 on Sunday 25 October 2026: 02:xx happens twice."""
    a = world.clinic_a
    consultation(a, utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    consultation(a, utc(2026, 10, 25, 1, 30))  # 02:30 CET, an hour later
    consultation(a, utc(2026, 10, 26, 0, 30))  # the day after: 01:30 on Monday 26 October (CET)
    criteria = Criteria(date(2026, 10, 25), date(2026, 10, 26), STOCKHOLM)

    waiting = build_report(alder(world), criteria).waiting

    assert [(d.day, d.entered) for d in waiting.by_day] == [(date(2026, 10, 25), 2), (date(2026, 10, 26), 1)]
    assert (waiting.by_hour[1], waiting.by_hour[2]) == (1, 2)


def length(criteria: Criteria) -> timedelta:
    # In UTC: Python subtracts two times of the same zone by their wall clocks, ignoring the change.
    return criteria.end.astimezone(UTC) - criteria.start.astimezone(UTC)


def test_day_counts_and_lengths_of_ranges_across_the_changes() -> None:
    march = Criteria(date(2026, 3, 1), date(2026, 3, 31), STOCKHOLM)
    october = Criteria(date(2026, 10, 1), date(2026, 10, 31), STOCKHOLM)
    change_day = Criteria(date(2026, 3, 29), date(2026, 3, 29), STOCKHOLM)

    assert (len(march.days), len(october.days), len(change_day.days)) == (31, 31, 1)
    assert length(march) == timedelta(days=31, hours=-1)  # 743 hours
    assert length(october) == timedelta(days=31, hours=1)  # 745 hours
    assert length(change_day) == timedelta(hours=23)
    assert (march.start, march.end) == (utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))


def test_quarter_hours_agree_with_djangos_trunc_in_the_zone(world: World) -> None:
    """The database's UTC quarter hours, made local in Python, give Django's TruncHour(tzinfo) hour for every row."""
    start = utc(2026, 3, 28, 20)
    for quarter in range(0, 48 * 4, 3):  # every 45 minutes for two days, across the spring change
        consultation(world.clinic_a, start + timedelta(minutes=15 * quarter, seconds=7, microseconds=250_000))
    india = ZoneInfo("Asia/Kolkata")  # +5:30: a quarter hour, not an hour, is the unit that always fits
    for zone in (STOCKHOLM, india):
        truncated = ConsultationRecord.objects.annotate(hour=TruncHour("entered_at", tzinfo=zone)).order_by(
            "entered_at"
        )
        for record in truncated:
            local = record.hour.astimezone(zone)
            slot = int(record.entered_at.timestamp()) // 900
            assert local_slot(slot, zone) == (local.date(), local.hour), (record.entered_at, zone)
    criteria = Criteria(date(2026, 3, 28), date(2026, 3, 30), STOCKHOLM)
    assert build_report(alder(world), criteria).waiting.entered == 64
