"""Made-up history for reports: finished consultations, room calls and their events, in bulk.

For the report benchmark (bench/report_page.py), demo data and tests that need volume. It writes
what the actions would have left behind (ConsultationRecord, RoomCallRecord and Event rows),
with bulk_create and without running the actions: a year of a busy organisation in minutes.
Nobody's name goes anywhere: consultations are "consultation:<n>", staff are the given accounts.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from consulta.accounts.models import User
from consulta.calls.models import RoomCallRecord
from consulta.consultations.models import ConsultationRecord, Outcome
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic, Organisation

BATCH = 5000
# Relative arrivals per hour of the day (of `start`'s clock): quiet nights, busy mornings.
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 11, 12, 13, 12, 10, 8, 6, 4, 3, 2, 1, 1)
# Relative arrivals per weekday, Monday first: a clinic is busiest early in the week, quiet at weekends.
WEEKDAY_WEIGHTS = (16, 14, 13, 13, 11, 4, 3)
ROOM_CALLS_PER_CONSULTATION = 0.125
# Call quality: the patient's and the clinician's summaries for a sample of the answered
# consultations, and an entry check before a sample of the entries (clinics with the check on).
# Samples, so that a year's history takes at most about a fifth longer to write.
QUALITY_SAMPLE = 0.25
ENTRY_CHECK_SAMPLE = 0.2
# (browser, major version, system, weight): what patients and the team come with.
PATIENT_BROWSERS = (
    ("Chrome Mobile", "156", "Android", 34), ("Mobile Safari", "18", "iOS", 30), ("Chrome", "156", "Windows", 16),
    ("Safari", "18", "Mac OS X", 8), ("Edge", "156", "Windows", 6), ("Firefox", "146", "Windows", 4),
    ("Samsung Internet", "28", "Android", 2),
)  # fmt: skip
STAFF_BROWSERS = (
    ("Chrome", "156", "Windows", 50), ("Edge", "156", "Windows", 30), ("Chrome", "156", "Mac OS X", 12),
    ("Firefox", "146", "Windows", 8),
)  # fmt: skip


@dataclass
class _Pending:
    """Rows waiting for their bulk_create, flushed every BATCH consultations."""

    records: list[ConsultationRecord] = field(default_factory=list)
    rooms: list[RoomCallRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=lambda: {"consultations": 0, "room_calls": 0, "events": 0})

    def flush(self) -> None:
        with transaction.atomic():  # one commit per batch, not one per INSERT
            ConsultationRecord.objects.bulk_create(self.records, batch_size=BATCH)
            RoomCallRecord.objects.bulk_create(self.rooms, batch_size=BATCH)
            Event.objects.bulk_create(self.events, batch_size=BATCH)
        self.written["consultations"] += len(self.records)
        self.written["room_calls"] += len(self.rooms)
        self.written["events"] += len(self.events)
        self.records, self.rooms, self.events = [], [], []


@dataclass(frozen=True)
class _World:
    organisation: Organisation
    clinics: Sequence[Clinic]
    start: datetime
    days: int
    staff: Sequence[User]
    rng: random.Random
    day_weights: tuple[int, ...] = ()
    # The call-quality figures' own generator, seeded from `rng`'s state without drawing from
    # it: the consultations, waits and calls stay exactly as they were for a given seed.
    extras: random.Random = field(default_factory=random.Random)

    def moment(self) -> datetime:
        """A time of arrival. With `start` in a ZoneInfo zone the arithmetic is on its wall clock,
        so the busy hours are the clinic's local ones, summer and winter alike."""
        day = self.rng.choices(range(self.days), cum_weights=self.day_weights)[0]
        hour = self.rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        return self.start + timedelta(days=day, hours=hour, seconds=self.rng.randrange(3600))

    def person(self) -> User | None:
        return self.rng.choice(self.staff) if self.staff else None

    def event(self, kind: Kind, at: datetime, clinic: Clinic, subject: str, **fields: object) -> Event:
        actor = fields.pop("actor", None)
        assert actor is None or isinstance(actor, User)
        return Event(
            kind=kind,
            at=at,
            organisation_id=self.organisation.pk,
            clinic_id=clinic.pk,
            actor=actor,
            actor_label=actor.email if actor else "",
            subject=subject,
            **fields,
        )


def _outcome(rng: random.Random) -> tuple[bool, str]:
    """(answered, outcome): most are seen and ended; some leave or drop before or after."""
    roll = rng.random()
    if roll < 0.78:
        return True, Outcome.ENDED
    if roll < 0.83:
        return True, rng.choice([Outcome.LEFT, Outcome.EXPIRED])
    if roll < 0.95:
        return False, Outcome.LEFT
    return False, Outcome.EXPIRED


def _consultation(world: _World, number: int, pending: _Pending) -> None:
    rng = world.rng
    clinic = rng.choice(world.clinics)
    entered = world.moment()
    answered, outcome = _outcome(rng)
    wait = min(int(rng.expovariate(1 / 420)), 4 * 3600)
    call = max(30, int(rng.gauss(720, 360))) if answered else 0
    staff = world.person() if answered else None
    answered_at = entered + timedelta(seconds=wait) if answered else None
    ended = entered + timedelta(seconds=wait + call)
    transferred = len(world.clinics) > 1 and rng.random() < 0.03
    subject = f"consultation:{number}"
    peak = rng.choice((2, 2, 2, 2, 3, 3, 4)) if answered else 0
    pending.records.append(
        ConsultationRecord(
            clinic=clinic,
            entered_at=entered,
            answered_at=answered_at,
            answered_by=staff,
            ended_at=ended,
            wait_seconds=wait,
            call_seconds=call,
            max_participants=peak,
            outcome=outcome,
            was_transferred=transferred,
        )
    )
    closing = {"wait_seconds": wait, "participants": peak}  # as the actions write it
    _consultation_events(world, pending, subject, clinic, entered, answered_at, ended, outcome, staff, call, closing)
    if world.extras.random() < ENTRY_CHECK_SAMPLE:
        pending.events.append(_entry_check(world, clinic, entered - timedelta(seconds=30)))
    if answered and world.extras.random() < QUALITY_SAMPLE:
        for role, person in (("patient", None), ("staff", staff)):
            pending.events.append(_quality(world, clinic, subject, ended, role, person, call))
    if transferred:
        origin = rng.choice([c for c in world.clinics if c.pk != clinic.pk])
        moved = entered + timedelta(seconds=wait // 2)
        pending.events.append(
            world.event(
                Kind.CONSULTATION_TRANSFERRED, moved, origin, subject, actor=world.person(), other_clinic=clinic
            )
        )


def _consultation_events(
    world: _World,
    pending: _Pending,
    subject: str,
    clinic: Clinic,
    entered: datetime,
    answered_at: datetime | None,
    ended: datetime,
    outcome: str,
    staff: User | None,
    call: int,
    closing_data: dict[str, int],
) -> None:
    closing: dict[str, Kind] = {Outcome.ENDED: Kind.CONSULTATION_ENDED, Outcome.LEFT: Kind.CONSULTATION_LEFT}
    events = [world.event(Kind.CONSULTATION_ENTERED, entered, clinic, subject)]
    if answered_at is not None:
        events.append(world.event(Kind.CONSULTATION_ANSWERED, answered_at, clinic, subject, actor=staff))
        events.append(
            world.event(
                Kind.PARTICIPANT_LEFT, ended, clinic, subject, actor=staff, seconds=call, data={"role": "staff"}
            )
        )
    kind = closing.get(outcome, Kind.CONSULTATION_EXPIRED)
    events.append(world.event(kind, ended, clinic, subject, seconds=call, data=closing_data))
    pending.events.extend(events)


def _quality(
    world: _World, clinic: Clinic, subject: str, ended: datetime, role: str, person: User | None, seconds: int
) -> Event:
    """One person's call.quality event as `calls.records.quality` writes it: mostly fine, some not."""
    rng = world.extras
    patient = role == "patient"
    table = PATIENT_BROWSERS if patient else STAFF_BROWSERS
    browser, version, system, _weight = rng.choices(table, weights=[row[3] for row in table])[0]
    measured = rng.random() > 0.04  # a browser that never sent a summary: nulls
    relayed = measured and rng.random() < (0.09 if patient else 0.03)
    rtt = int(rng.lognormvariate(4.0 if patient else 3.6, 0.5)) + (40 if relayed else 0)
    frozen = measured and rng.random() < (0.22 if patient else 0.08)
    freezes = rng.randint(1, 6) if frozen else 0
    data = {
        "role": role, "browser": browser, "browser_version": version, "os": system,
        "rtt_ms": rtt if measured else None,
        "loss_pct": round(min(40.0, rng.expovariate(1 / (1.2 if patient else 0.5))), 2) if measured else None,
        "kbps_in": max(60, int(rng.gauss(900, 250))) if measured else None,
        "kbps_out": max(60, int(rng.gauss(850 if patient else 950, 250))) if measured else None,
        "freezes": freezes, "freeze_seconds": round(freezes * rng.uniform(0.3, 2.5), 1),
        "reconnects": rng.choices((0, 1, 2, 3), weights=(86, 10, 3, 1))[0] if measured else 0,
        "relayed": relayed, "seconds": seconds,
    }  # fmt: skip
    target = person if person is not None and not patient else None
    return world.event(
        Kind.CALL_QUALITY,
        ended,
        clinic,
        subject,
        actor=target,
        target=target,
        target_label=target.email if target else "",
        seconds=seconds,
        data=data,
    )


def _entry_check(world: _World, clinic: Clinic, at: datetime) -> Event:
    """An entry check as the entry page reports it: most pass, some warn, a few are blocked."""
    rng = world.extras
    browser, _version, system, _weight = rng.choices(PATIENT_BROWSERS, weights=[row[3] for row in PATIENT_BROWSERS])[0]
    down, up = int(rng.lognormvariate(8.8, 0.8)), int(rng.lognormvariate(7.6, 0.8))
    failed: list[str] = []
    warned = ["bandwidth"] if min(down, up) < 500 else []
    roll = rng.random()
    if roll < 0.05:
        failed = [rng.choices(("camera", "microphone", "browser", "server"), weights=(4, 3, 2, 1))[0]]
    elif roll < 0.08:
        warned.append("relay")
    outcome = "blocked" if failed else "warned" if warned else "passed"
    data = {
        "outcome": outcome, "failed": failed, "warned": warned,
        "down_kbps": None if "server" in failed else down, "up_kbps": None if "server" in failed else up,
        "rtt_ms": int(rng.lognormvariate(3.8, 0.5)), "browser": browser.split(" ")[0], "os": system,
    }  # fmt: skip
    return world.event(Kind.ENTRY_CHECK, at, clinic, "", data=data)


def _room_call(world: _World, pending: _Pending) -> None:
    rng = world.rng
    clinic = rng.choice(world.clinics)
    kind = rng.choice((RoomCallRecord.Kind.MEETING_ROOM, RoomCallRecord.Kind.USER_ROOM))
    started = world.moment()
    seconds = max(60, int(rng.gauss(1800, 900)))
    ended = started + timedelta(seconds=seconds)
    subject = f"{kind}:{rng.randrange(1, 200)}"
    pending.rooms.append(
        RoomCallRecord(
            clinic=clinic,
            kind=kind,
            started_at=started,
            ended_at=ended,
            seconds=seconds,
            peak_participants=rng.choice((2, 2, 3, 4, 5, 6)),
        )
    )
    host = world.person()
    pending.events.append(
        world.event(Kind.PARTICIPANT_LEFT, ended, clinic, subject, actor=host, seconds=seconds, data={"role": "staff"})
    )
    pending.events.append(world.event(Kind.ROOM_CALL_ENDED, ended, clinic, subject, seconds=seconds))


def generate_history(
    organisation: Organisation,
    clinics: Sequence[Clinic],
    start: datetime,
    days: int,
    consultations: int,
    rng: random.Random,
    answered_by: Sequence[User] = (),
    first_number: int = 1,
) -> dict[str, int]:
    """Write `consultations` finished consultations (and an eighth as many room calls) spread over
    `days` days from `start` across `clinics`, answered by the `answered_by` accounts; return how
    many rows of each were written. Memory stays bounded: rows go out every BATCH consultations.
    The consultations are numbered from `first_number` ("consultation:<n>" in their events)."""
    assert clinics and days > 0 and consultations >= 0
    weights = [WEEKDAY_WEIGHTS[(start + timedelta(days=day)).weekday()] for day in range(days)]
    # The generator's words of state are ints, whose hash is the same on every run and machine.
    extras = random.Random(hash(rng.getstate()[1]))  # noqa: S311 - made-up demo figures, not secrets
    days_weights = tuple(itertools.accumulate(weights))
    world = _World(organisation, clinics, start, days, answered_by, rng, days_weights, extras)
    pending = _Pending()
    room_calls = int(consultations * ROOM_CALLS_PER_CONSULTATION)
    for count in range(1, consultations + 1):
        _consultation(world, first_number + count - 1, pending)
        if count <= room_calls:
            _room_call(world, pending)
        if len(pending.records) >= BATCH:
            pending.flush()
    pending.flush()
    return pending.written
