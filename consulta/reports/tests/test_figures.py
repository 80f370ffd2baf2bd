"""The report's figures from hand-made records: counts, percentiles, filters, transfers, people, rooms."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from consulta.consultations.models import Outcome
from consulta.organisations.models import Clinic
from consulta.reports.period import Criteria
from consulta.reports.queries import Scope, build_report
from consulta.reports.stats import buckets, percentile, spread
from consulta.reports.tests.records import consultation, room_call, staff_left, transfer, utc
from consulta.testing import World

STOCKHOLM = ZoneInfo("Europe/Stockholm")
JANUARY = Criteria(date(2026, 1, 1), date(2026, 1, 31), STOCKHOLM)


def clinic_scope(world: World, clinic: Clinic | None = None) -> Scope:
    return Scope(world.organisation, (clinic or world.clinic_a,), whole_organisation=False)


def organisation_scope(world: World) -> Scope:
    return Scope(world.organisation, (world.clinic_a, world.clinic_b), whole_organisation=True)


def test_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([(10, 1), (20, 1), (30, 1), (40, 1)], 0.5) == 25
    assert percentile([(10, 1), (20, 1), (30, 1), (40, 1)], 0.9) == pytest.approx(37)
    assert percentile([(10, 2), (20, 1)], 0.5) == 10  # 10, 10, 20
    assert percentile([], 0.5) is None
    assert spread([(5, 0), (7, 3)]).longest == 7
    assert buckets([(0, 1), (119, 2), (120, 3), (5000, 4)], [0, 120, 300]) == [3, 3, 4]


def test_counts_outcomes_and_spreads(world: World) -> None:
    a = world.clinic_a
    for minute, (wait, call, peak) in enumerate(((10, 100, 2), (20, 200, 3), (30, 300, 2), (40, 400, 4))):
        consultation(a, utc(2026, 1, 10, 9, minute), wait=wait, call=call, peak=peak)
    consultation(a, utc(2026, 1, 10, 10), wait=50, call=60, outcome=Outcome.LEFT)  # seen, then left
    consultation(a, utc(2026, 1, 10, 11), wait=900, answered=False, outcome=Outcome.LEFT)  # abandoned
    consultation(a, utc(2026, 1, 10, 12), wait=70, answered=False, outcome=Outcome.EXPIRED)
    consultation(a, utc(2026, 1, 11, 12), wait=80, answered=False, outcome=Outcome.EXPIRED)
    consultation(a, utc(2026, 1, 11, 13), wait=30, answered=False, outcome=Outcome.ENDED)  # dismissed

    waiting = build_report(clinic_scope(world), JANUARY).waiting

    assert (waiting.entered, waiting.answered, waiting.ended) == (9, 5, 5)
    assert (waiting.abandoned, waiting.expired, waiting.ended_unanswered, waiting.answered_then_gone) == (1, 2, 1, 1)
    # Waits of the answered only: 10, 20, 30, 40, 50 (not the abandoned caller's 900 s).
    assert (waiting.wait.median, waiting.wait.p90, waiting.wait.longest) == (30, pytest.approx(46), 50)
    assert (waiting.call.median, waiting.call_total) == (200, 1060)  # 60, 100, 200, 300, 400
    assert (waiting.peak, waiting.peak_mean) == (4, pytest.approx(2.6))
    assert sum(waiting.by_hour) == sum(waiting.by_weekday) == sum(d.entered for d in waiting.by_day) == 9
    assert waiting.by_hour[10] == 4  # 09:xx UTC is 10:xx in Stockholm in winter
    assert waiting.by_weekday[5] == 7 and waiting.by_weekday[6] == 2  # 10 January 2026 is a Saturday
    assert [(d.entered, d.answered) for d in waiting.by_day if d.day == date(2026, 1, 10)] == [(7, 5)]


def test_the_period_runs_from_local_midnight_to_local_midnight(world: World) -> None:
    a = world.clinic_a
    consultation(a, utc(2025, 12, 31, 22, 59, 59))  # 23:59:59 on 31 December in Stockholm: before
    consultation(a, utc(2025, 12, 31, 23, 0))  # 00:00 on 1 January: in
    consultation(a, utc(2026, 1, 31, 22, 59, 59))  # 23:59:59 on 31 January: in
    consultation(a, utc(2026, 1, 31, 23, 0))  # 00:00 on 1 February: after

    waiting = build_report(clinic_scope(world), JANUARY).waiting

    assert waiting.entered == 2
    assert (waiting.by_day[0].entered, waiting.by_day[-1].entered, len(waiting.by_day)) == (1, 1, 31)
    assert (waiting.by_hour[0], waiting.by_hour[23]) == (1, 1)


def test_minimum_call_duration_leaves_out_short_calls_only(world: World) -> None:
    a = world.clinic_a
    consultation(a, utc(2026, 1, 5, 9), wait=10, call=119)  # too short
    consultation(a, utc(2026, 1, 5, 10), wait=20, call=120)
    consultation(a, utc(2026, 1, 5, 11), wait=30, answered=False, outcome=Outcome.LEFT)  # no call: kept
    room_call(a, utc(2026, 1, 5, 12), 90)
    room_call(a, utc(2026, 1, 5, 13), 600)
    two_minutes = Criteria(JANUARY.first_day, JANUARY.last_day, STOCKHOLM, min_call_seconds=120)

    everything = build_report(clinic_scope(world), JANUARY)
    filtered = build_report(clinic_scope(world), two_minutes)

    assert (everything.waiting.entered, everything.waiting.answered, everything.rooms[0].count) == (3, 2, 2)
    assert (filtered.waiting.entered, filtered.waiting.answered, filtered.waiting.abandoned) == (2, 1, 1)
    assert (filtered.waiting.wait.median, filtered.waiting.call_total) == (20, 120)
    assert (filtered.rooms[0].count, filtered.rooms[0].total_seconds) == (1, 600)


def test_a_clinic_report_counts_its_own_clinic_and_the_organisation_all(world: World) -> None:
    consultation(world.clinic_a, utc(2026, 1, 5, 9), wait=10)
    consultation(world.clinic_b, utc(2026, 1, 5, 9), wait=500)
    consultation(world.clinic_b, utc(2026, 1, 6, 9), wait=700)
    consultation(world.other_clinic, utc(2026, 1, 6, 9), wait=900)  # another organisation's

    alder = build_report(clinic_scope(world), JANUARY).waiting
    birch = build_report(clinic_scope(world, world.clinic_b), JANUARY).waiting
    acme = build_report(organisation_scope(world), JANUARY).waiting

    assert (alder.entered, alder.wait.longest) == (1, 10)
    assert (birch.entered, birch.wait.median) == (2, 600)
    assert (acme.entered, acme.wait.longest) == (3, 700)


def test_transfers_in_and_out_and_once_for_the_organisation(world: World) -> None:
    a, b = world.clinic_a, world.clinic_b
    transfer(a, b, utc(2026, 1, 5, 9))
    transfer(a, b, utc(2026, 1, 6, 9))
    transfer(b, a, utc(2026, 1, 7, 9))
    transfer(a, b, utc(2026, 2, 7, 9))  # February: outside

    alder = build_report(clinic_scope(world), JANUARY).waiting
    birch = build_report(clinic_scope(world, b), JANUARY).waiting
    acme = build_report(organisation_scope(world), JANUARY).waiting

    assert (alder.transfers_in, alder.transfers_out, alder.transfers) == (1, 2, None)
    assert (birch.transfers_in, birch.transfers_out) == (2, 1)
    assert (acme.transfers, acme.transfers_in, acme.transfers_out) == (3, None, None)


def test_service_providers_answers_and_time_in_calls(world: World) -> None:
    a, b = world.clinic_a, world.clinic_b
    consultation(a, utc(2026, 1, 5, 9), call=100, by=world.member)
    consultation(a, utc(2026, 1, 5, 10), call=200, by=world.member)
    consultation(a, utc(2026, 1, 5, 11), call=50, by=world.clinic_admin)
    consultation(a, utc(2026, 1, 5, 12), answered=False, outcome=Outcome.LEFT)
    staff_left(a, utc(2026, 1, 5, 9, 30), world.member, 400)
    staff_left(a, utc(2026, 1, 8, 9), world.member, 1000)  # a room call, say
    staff_left(b, utc(2026, 1, 8, 9), world.member, 5000)  # in clinic B: not clinic A's
    staff_left(a, utc(2026, 1, 8, 9), world.member, 7000, role="patient")  # not staff
    staff_left(a, utc(2026, 1, 9, 9), world.clerk, 60)  # in a call, answered nobody

    people = {p.email: p for p in build_report(clinic_scope(world), JANUARY).providers}

    mia, cliff, clem = people["mia@acme.test"], people["cliff@acme.test"], people["clem@acme.test"]
    assert (mia.name, mia.answered, mia.call_seconds, mia.in_calls_seconds) == ("Mia Memberg", 2, 300, 1400)
    assert (cliff.answered, cliff.call_seconds, cliff.in_calls_seconds) == (1, 50, 0)
    assert (clem.answered, clem.in_calls_seconds) == (0, 60)
    assert len(people) == 3


def test_room_calls_per_kind(world: World) -> None:
    a = world.clinic_a
    room_call(a, utc(2026, 1, 5, 9), 100, peak=2)
    room_call(a, utc(2026, 1, 5, 10), 300, peak=4)
    room_call(a, utc(2026, 1, 5, 11), 200, peak=3)
    room_call(a, utc(2026, 1, 5, 12), 600, kind="userroom", peak=2)
    room_call(world.clinic_b, utc(2026, 1, 5, 12), 9000)  # clinic B's

    rooms, user_rooms = build_report(clinic_scope(world), JANUARY).rooms

    assert (rooms.kind, rooms.count, rooms.total_seconds, rooms.median_seconds) == ("room", 3, 600, 200)
    assert (rooms.mean_peak, rooms.peak) == (pytest.approx(3), 4)
    assert (user_rooms.kind, user_rooms.count, user_rooms.median_seconds, user_rooms.peak) == ("userroom", 1, 600, 2)
