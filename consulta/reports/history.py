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
    world = _World(organisation, clinics, start, days, answered_by, rng, tuple(itertools.accumulate(weights)))
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
