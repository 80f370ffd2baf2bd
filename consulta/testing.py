"""The shared test world: one organisation, its clinics, and a few named people.

Like healthchecks' `hc/test.py`: every test starts from the same small cast, so
a test reads as "the clerk opens the settings" rather than a page of set-up.

    Acme Care (organisation "acme")
      Alder Clinic ("alder", clinic A): one waiting area, the meeting room
        "Consulting room" with a guest link, and a user room for the member
        (with a guest link of its own).
      Birch Clinic ("birch", clinic B): its waiting area, nobody in its team.
      A pending invitation to Alder Clinic (team member) and one to the
      organisation (reporter).

    People (attribute name: role)
      org_admin     organisation admin of Acme Care
      coordinator   organisation coordinator of Acme Care
      reporter      organisation reporter of Acme Care
      clinic_admin  clinic admin of Alder Clinic
      clerk         clinic clerk of Alder Clinic
      member        team member of Alder Clinic (owns a user room there)
      outsider      admin of ANOTHER organisation and of its clinic: powerful
                    elsewhere, no relation at all to Acme Care
      anonymous     nobody logged in

Every person logs in with `client.force_login(user)` (see `client_for`):
django-axes wants a request for `client.login()`. All accounts share the
password `PASSWORD`, hashed once with the project's Argon2 hasher.

The pytest fixtures at the bottom (`world`, `org_admin`, ..., `anonymous`) are
registered for the whole project by the root `conftest.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AnonymousUser
from django.core.management.color import no_style
from django.db import connection
from django.test import Client
from django.utils import timezone

from consulta.accounts.models import User
from consulta.organisations.models import (
    Clinic,
    ClinicMembership,
    ClinicRole,
    Invitation,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
)
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom

PASSWORD = "a long and boring test passphrase"  # noqa: S105 - the test accounts' password

# Every person of the world, in the order tables list them.
PEOPLE = ("org_admin", "coordinator", "reporter", "clinic_admin", "clerk", "member", "outsider", "anonymous")


ROOT = Path(__file__).resolve().parent.parent


def in_fresh_process(code: str, extra: Mapping[str, str] | None = None, drop: Iterable[str] = ()) -> Any:
    """Run `code` after `django.setup()` in a new Python process, whose environment has `extra`
    and lacks the variables in `drop`; return the JSON its last printed line holds.

    For what settings make of the environment: they are read once, when a process starts.
    """
    dropped = set(drop)
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update({"DJANGO_SETTINGS_MODULE": "consulta.settings", **(extra or {})})
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_until(condition: Callable[[], bool], timeout: float, what: Callable[[], str] | str) -> None:
    """Poll `condition` (every 50 ms) until it holds; fail after `timeout` seconds saying `what`
    (a string, or a function that says it at the time: a process's output, say)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")
        time.sleep(0.05)  # the poll interval of a bounded wait


@cache
def password_hash() -> str:
    """`PASSWORD` hashed once per run: Argon2 is slow on purpose."""
    return make_password(PASSWORD)


def make_user(email: str, first_name: str = "", last_name: str = "") -> User:
    """An active account whose password is `PASSWORD`."""
    return User.objects.create(email=email, first_name=first_name, last_name=last_name, password=password_hash())


def client_for(person: User | AnonymousUser | None) -> Client:
    """A fresh test client, logged in as `person` unless anonymous."""
    client = Client()
    if isinstance(person, User):
        client.force_login(person)
    return client


def run_queued_tasks() -> int:
    """Run the queued background tasks (e-mail, ...) as `manage.py worker` would; returns how many ran.

    E-mail leaves the request: a test that expects one in `mail.outbox` calls this first. It runs
    each ready row with the library's own `Worker.run_task`, inside the test's transaction (the
    worker's polling loop would close the test's database connection).
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="tests",
        excluded_queue_names=[],
    )
    ran = 0
    while (row := DBTaskResult.objects.ready().first()) is not None:
        assert ran < 1000, "the queued tasks keep queueing more"
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1
    return ran


@dataclass
class World:
    organisation: Organisation
    clinic_a: Clinic
    clinic_b: Clinic
    meeting_room: MeetingRoom
    guest_link: GuestLink
    user_room: UserRoom
    user_room_guest_link: GuestLink
    clinic_invitation: Invitation
    organisation_invitation: Invitation
    org_admin: User
    coordinator: User
    reporter: User
    clinic_admin: User
    clerk: User
    member: User
    outsider: User
    other_organisation: Organisation
    other_clinic: Clinic
    anonymous: AnonymousUser = field(default_factory=AnonymousUser)

    def person(self, name: str) -> User | AnonymousUser:
        if name not in PEOPLE:
            raise KeyError(name)
        person: User | AnonymousUser = getattr(self, name)
        return person

    def client_for(self, name: str) -> Client:
        return client_for(self.person(name))

    def membership(self, user: User, clinic: Clinic | None = None) -> ClinicMembership:
        """The person's membership of `clinic` (clinic A by default)."""
        return ClinicMembership.objects.get(clinic=clinic or self.clinic_a, user=user)

    def organisation_membership(self, user: User) -> OrganisationMembership:
        return OrganisationMembership.objects.get(organisation=self.organisation, user=user)


def make_world() -> World:
    in_90_days = timezone.now() + timedelta(days=90)

    organisation = Organisation.objects.create(name="Acme Care", slug="acme")
    clinic_a = Clinic.objects.create(organisation=organisation, name="Alder Clinic", slug="alder")
    clinic_b = Clinic.objects.create(organisation=organisation, name="Birch Clinic", slug="birch")

    org_admin = make_user("ada@acme.test", "Ada", "Adminson")
    coordinator = make_user("cora@acme.test", "Cora", "Coordinova")
    reporter = make_user("rex@acme.test", "Rex", "Reportwell")
    clinic_admin = make_user("cliff@acme.test", "Cliff", "Chiefton")
    clerk = make_user("clem@acme.test", "Clem", "Clerkson")
    member = make_user("mia@acme.test", "Mia", "Memberg")
    for user, org_role in (
        (org_admin, OrganisationRole.ADMIN),
        (coordinator, OrganisationRole.COORDINATOR),
        (reporter, OrganisationRole.REPORTER),
    ):
        OrganisationMembership.objects.create(organisation=organisation, user=user, role=org_role)
    for user, clinic_role in (
        (clinic_admin, ClinicRole.ADMIN),
        (clerk, ClinicRole.CLERK),
        (member, ClinicRole.MEMBER),
    ):
        ClinicMembership.objects.create(clinic=clinic_a, user=user, role=clinic_role)

    meeting_room = MeetingRoom.objects.create(clinic=clinic_a, name="Consulting room", created_by=clinic_admin)
    guest_link = GuestLink.objects.create(
        meeting_room=meeting_room, label="Guest of the room", expires_at=in_90_days, created_by=clinic_admin
    )
    user_room = UserRoom.objects.create(clinic=clinic_a, owner=member, enabled_by=clinic_admin)
    user_room_guest_link = GuestLink.objects.create(
        user_room=user_room, label="Guest of Mia", expires_at=in_90_days, created_by=member
    )
    clinic_invitation = Invitation.objects.create(
        organisation=organisation,
        clinic=clinic_a,
        email="invited.member@acme.test",
        clinic_role=ClinicRole.MEMBER,
        invited_by=clinic_admin,
    )
    organisation_invitation = Invitation.objects.create(
        organisation=organisation,
        email="invited.reporter@acme.test",
        organisation_role=OrganisationRole.REPORTER,
        invited_by=org_admin,
    )

    other_organisation = Organisation.objects.create(name="Other Health", slug="other-health")
    other_clinic = Clinic.objects.create(organisation=other_organisation, name="Oak Clinic", slug="oak")
    outsider = make_user("otto@other.test", "Otto", "Outlander")
    OrganisationMembership.objects.create(organisation=other_organisation, user=outsider, role=OrganisationRole.ADMIN)
    ClinicMembership.objects.create(clinic=other_clinic, user=outsider, role=ClinicRole.ADMIN)

    return World(
        organisation=organisation,
        clinic_a=clinic_a,
        clinic_b=clinic_b,
        meeting_room=meeting_room,
        guest_link=guest_link,
        user_room=user_room,
        user_room_guest_link=user_room_guest_link,
        clinic_invitation=clinic_invitation,
        organisation_invitation=organisation_invitation,
        org_admin=org_admin,
        coordinator=coordinator,
        reporter=reporter,
        clinic_admin=clinic_admin,
        clerk=clerk,
        member=member,
        outsider=outsider,
        other_organisation=other_organisation,
        other_clinic=other_clinic,
    )


# --- pytest fixtures (registered project-wide by the root conftest.py) ---------------------


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def organisation(world: World) -> Organisation:
    return world.organisation


@pytest.fixture
def clinic_a(world: World) -> Clinic:
    return world.clinic_a


@pytest.fixture
def clinic_b(world: World) -> Clinic:
    return world.clinic_b


@pytest.fixture
def meeting_room(world: World) -> MeetingRoom:
    return world.meeting_room


@pytest.fixture
def guest_link(world: World) -> GuestLink:
    return world.guest_link


@pytest.fixture
def org_admin(world: World) -> User:
    return world.org_admin


@pytest.fixture
def coordinator(world: World) -> User:
    return world.coordinator


@pytest.fixture
def reporter(world: World) -> User:
    return world.reporter


@pytest.fixture
def clinic_admin(world: World) -> User:
    return world.clinic_admin


@pytest.fixture
def clerk(world: World) -> User:
    return world.clerk


@pytest.fixture
def member(world: World) -> User:
    return world.member


@pytest.fixture
def outsider(world: World) -> User:
    return world.outsider


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture(autouse=True)
def _empty_clinics_first(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty the tables safely after every transactional test.

    pytest-django empties the tables after a `transaction=True` test with one
    DELETE per table in no fixed order; on SQLite the trigger of migration
    rooms/0002 refuses deleting a waiting area while its clinic exists, so that
    flush fails whenever it reaches the waiting areas first. Emptying the
    clinics first, in the same transaction (foreign keys are checked at
    commit), lets every later DELETE through. Requesting `transactional_db`
    here makes this teardown run before pytest-django's own flush.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    first = sorted(tables, key=lambda table: table != "organisations_clinic")
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), first))


class RateLimitClock:
    """The clock of the rate limits (ours and the `limits` library's memory storage), moved on at will.

    A test that waits for a window to pass says `clock.advance(seconds)` instead of sleeping:
    no wait, and no flakiness on a busy machine."""

    def __init__(self) -> None:
        import time

        self._time, self._monotonic, self.offset = time.time, time.monotonic, 0.0

    def time(self) -> float:
        return self._time() + self.offset

    def monotonic(self) -> float:
        return self._monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def to_window_start(self, seconds: float) -> None:
        """Move on to just after the start of a `seconds`-long window of the per-socket counters
        (aligned to the monotonic clock): a test that fills one then has the whole window before
        the next begins, however slow the machine."""
        self.advance(seconds - self.monotonic() % seconds + 0.001)


@pytest.fixture
def rate_limit_clock(monkeypatch: pytest.MonkeyPatch) -> RateLimitClock:
    import limits.storage.memory

    from consulta.core import ratelimit

    clock = RateLimitClock()
    monkeypatch.setattr(ratelimit, "time", clock)
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every test starts with no rate-limit counts (consulta/core/ratelimit.py keeps them in memory)."""
    from consulta.core import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()
