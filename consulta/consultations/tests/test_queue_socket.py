"""The dashboard's socket, `/ws/clinic/<slug>/queue/`: who may open it, the snapshot, and the events after it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from consulta.accounts.models import User
from consulta.consultations import actions
from consulta.consultations.models import Consultation, ConsultationRecord, Outcome
from consulta.consultations.tests.sockets import (
    Frame,
    Headers,
    Sockets,
    ask,
    collect,
    enter,
    queue_path,
    receive,
    run,
    staff_headers,
)
from consulta.organisations.models import ClinicMembership, ClinicRole
from consulta.testing import World, make_user

pytestmark = pytest.mark.django_db(transaction=True)

ANSWERS = [["Health card number", "19121212-1212"], ["Reason", "Rash"]]


def _card(consultation: Consultation, **changes: object) -> Frame:
    """The card the dashboard shows for a caller, as JSON."""
    return {
        "id": consultation.pk,
        "version": consultation.version,
        "name": consultation.name,
        "phone": consultation.phone,
        "answers": consultation.answers,
        "status": consultation.status,
        "waiting_since": consultation.waiting_since.isoformat(),
        "connected": consultation.connected,
        "in_call_with": None,
        "language": "en",
        "urgent": None,
        "urgent_label": None,
        "urgent_since": None,
        **changes,
    }


@pytest.fixture
def member_headers(world: World) -> Headers:
    return staff_headers(world.member)


@pytest.fixture
def birch_member(world: World) -> User:
    """A team member of clinic B only."""
    user = make_user("bea@acme.test", "Bea", "Birchley")
    ClinicMembership.objects.create(clinic=world.clinic_b, user=user, role=ClinicRole.MEMBER)
    return user


@pytest.fixture
def astrid(world: World) -> Consultation:
    return actions.enter(world.clinic_a, first_name="Astrid", last_name="Aalto", phone="+46701111111", answers=ANSWERS)


# --- Who may open it --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "code"),
    [("anonymous", 4404), ("outsider", 4404), ("reporter", 4403)],
)
async def test_people_outside_the_team_are_refused(sockets: Sockets, world: World, person: str, code: int) -> None:
    user = world.person(person)
    headers = await run(staff_headers)(user) if isinstance(user, User) else None
    assert await sockets.refused_with(queue_path(world.clinic_a), headers) == code


async def test_a_team_member_of_another_clinic_gets_4404(sockets: Sockets, world: World, birch_member: User) -> None:
    headers = await run(staff_headers)(birch_member)
    assert await sockets.refused_with(queue_path(world.clinic_a), headers) == 4404


async def test_an_unknown_clinic_gets_4404(sockets: Sockets, member_headers: Headers) -> None:
    assert await sockets.refused_with("/ws/clinic/no-such-clinic/queue/", member_headers) == 4404


@pytest.mark.parametrize("person", ["member", "clerk", "clinic_admin", "org_admin", "coordinator"])
async def test_people_who_may_use_the_waiting_area_are_let_in(
    sockets: Sockets, world: World, astrid: Consultation, person: str
) -> None:
    headers = await run(staff_headers)(world.person(person))
    _socket, callers = await sockets.dashboard(world.clinic_a, headers)
    assert [caller["id"] for caller in callers] == [astrid.pk]


async def test_a_foreign_origin_is_refused(sockets: Sockets, world: World, member_headers: Headers) -> None:
    cookie = [header for header in member_headers if header[0] == b"cookie"]
    communicator = sockets.make(queue_path(world.clinic_a), [(b"origin", b"https://evil.example"), *cookie])
    connected, _code = await communicator.connect()
    assert not connected


# --- Snapshot and events ------------------------------------------------------------------------------


async def test_the_snapshot_lists_the_current_callers_longest_waiting_first(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    bertil = await run(enter)(world.clinic_a, "Bertil", "Berg", "+46702222222")
    await run(enter)(world.clinic_b, "Birgit", "Elsewhere", "+46704444444")  # clinic B's: not listed

    _socket, callers = await sockets.dashboard(world.clinic_a, member_headers)

    assert callers == [_card(astrid), _card(bertil)]
    assert callers[0]["answers"] == ANSWERS
    assert callers[0]["version"] == 1


async def test_changes_after_the_snapshot_arrive_as_events_with_growing_versions(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    dashboard, callers = await sockets.dashboard(world.clinic_a, member_headers)
    shown = callers[0]["version"]

    bertil = await run(enter)(world.clinic_a, "Bertil", "Berg", "+46702222222")
    assert await receive(dashboard) == {"type": "caller", "caller": _card(bertil)}

    await run(actions.join)(astrid, world.member)
    answered = await receive(dashboard)
    assert answered["type"] == "caller"
    assert (answered["caller"]["id"], answered["caller"]["status"]) == (astrid.pk, "in_call")
    assert answered["caller"]["version"] > shown

    astrid_id = astrid.pk
    await run(actions.end)(astrid)
    removed = await receive(dashboard)
    assert removed == {"type": "caller_removed", "id": astrid_id, "version": removed["version"]}
    assert removed["version"] > answered["caller"]["version"]
    assert await dashboard.receive_nothing(timeout=0.3)


async def test_a_patient_connecting_updates_their_card(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    dashboard, callers = await sockets.dashboard(world.clinic_a, member_headers)
    assert callers[0]["connected"] is False

    await sockets.patient(astrid)

    update = await receive(dashboard)
    assert update["caller"]["connected"] is True
    assert update["caller"]["version"] > callers[0]["version"]


async def test_a_clinic_never_hears_of_another_clinics_callers(
    sockets: Sockets, world: World, birch_member: User, member_headers: Headers
) -> None:
    birch_dashboard, callers = await sockets.dashboard(world.clinic_b, await run(staff_headers)(birch_member))
    assert callers == []
    alder_dashboard, _ = await sockets.dashboard(world.clinic_a, member_headers)

    astrid = await run(enter)(world.clinic_a, "Astrid", "Aalto", "+46701111111")
    await sockets.patient(astrid)
    await run(actions.join)(astrid, world.member)
    await run(actions.hold)(astrid)
    await run(actions.end)(astrid)

    assert [frame["type"] for frame in await collect(alder_dashboard)] == [
        "caller",  # entered
        "caller",  # connected
        "caller",  # answered
        "caller",  # on hold
        "caller_removed",
    ]
    assert await birch_dashboard.receive_nothing(timeout=0.3)


async def test_a_transfer_moves_the_card_and_keeps_the_waiting_time(
    sockets: Sockets, world: World, astrid: Consultation, birch_member: User, member_headers: Headers
) -> None:
    alder_dashboard, alder_callers = await sockets.dashboard(world.clinic_a, member_headers)
    birch_dashboard, birch_callers = await sockets.dashboard(world.clinic_b, await run(staff_headers)(birch_member))
    assert birch_callers == []

    await run(actions.transfer)(astrid, world.clinic_b)

    removed = await receive(alder_dashboard)
    assert removed["type"] == "caller_removed"
    assert removed["id"] == astrid.pk
    assert removed["version"] > alder_callers[0]["version"]
    arrived = await receive(birch_dashboard)
    assert arrived["type"] == "caller"
    assert arrived["caller"]["id"] == astrid.pk
    assert arrived["caller"]["status"] == "waiting"
    assert arrived["caller"]["waiting_since"] == alder_callers[0]["waiting_since"]
    assert await alder_dashboard.receive_nothing(timeout=0.3)
    assert await birch_dashboard.receive_nothing(timeout=0.3)

    # And so a newly opened dashboard of each clinic sees it.
    _, alder_now = await sockets.dashboard(world.clinic_a, member_headers)
    _, birch_now = await sockets.dashboard(world.clinic_b, await run(staff_headers)(birch_member))
    assert alder_now == []
    assert [(c["id"], c["waiting_since"]) for c in birch_now] == [(astrid.pk, alder_callers[0]["waiting_since"])]


async def test_nothing_arrives_before_subscribe_and_the_snapshot_comes_first(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    dashboard = await sockets.open(queue_path(world.clinic_a), member_headers)
    await run(enter)(world.clinic_a, "Early", "Bird", "+46705555555")
    assert await dashboard.receive_nothing(timeout=0.3)  # not subscribed: no events yet

    await dashboard.send_json_to({"type": "subscribe"})
    late = await run(enter)(world.clinic_a, "Late", "Comer", "+46706666666")

    first = await receive(dashboard)
    assert first["type"] == "snapshot"
    in_snapshot = {caller["id"]: caller["version"] for caller in first["callers"]}
    assert astrid.pk in in_snapshot
    # The late caller raced the snapshot: it is in it, or follows as an event, never lost.
    following = await collect(dashboard)
    events = {frame["caller"]["id"]: frame["caller"]["version"] for frame in following if frame["type"] == "caller"}
    assert late.pk in in_snapshot or late.pk in events
    for caller_id, version in events.items():
        assert version >= in_snapshot.get(caller_id, 0)


async def test_a_dashboard_answers_heartbeats_and_refuses_call_messages(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    dashboard, _ = await sockets.dashboard(world.clinic_a, member_headers)
    assert await ask(dashboard, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    error = await ask(dashboard, {"type": "join_call"})
    assert (error["type"], error["code"]) == ("error", "unexpected")
    assert await ask(dashboard, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}


# --- The grace period: a reload keeps the place, a patient gone for good leaves the queue -------------


def _last_seen(consultation: Consultation, when: datetime) -> None:
    Consultation.objects.filter(pk=consultation.pk).update(last_seen_at=when, connected=False)


@pytest.mark.django_db
def test_expire_stale_removes_only_callers_gone_past_the_grace(world: World, astrid: Consultation) -> None:
    grace = timedelta(seconds=settings.PATIENT_RECONNECT_GRACE_SECONDS)
    now = timezone.now()
    bertil = enter(world.clinic_a, "Bertil", "Berg", "+46702222222")
    _last_seen(astrid, now - grace - timedelta(seconds=5))  # gone for good
    _last_seen(bertil, now - grace + timedelta(seconds=30))  # reloading the page

    assert actions.expire_stale() == 1

    assert not Consultation.objects.filter(pk=astrid.pk).exists()
    record = ConsultationRecord.objects.get()
    assert (record.outcome, record.clinic_id) == (Outcome.EXPIRED, world.clinic_a.pk)
    stayed = Consultation.objects.get(pk=bertil.pk)
    assert stayed.waiting_since == bertil.waiting_since
    assert stayed.status == "waiting"


async def test_a_dashboard_sweeps_out_stale_callers_when_it_subscribes(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    grace = timedelta(seconds=settings.PATIENT_RECONNECT_GRACE_SECONDS)
    await run(_last_seen)(astrid, timezone.now() - grace - timedelta(minutes=1))
    bertil = await run(enter)(world.clinic_a, "Bertil", "Berg", "+46702222222")

    dashboard, callers = await sockets.dashboard(world.clinic_a, member_headers)

    assert [caller["id"] for caller in callers] == [bertil.pk]
    # Joined to the group before the sweep: the removal follows the snapshot, harmlessly.
    assert [(f["type"], f["id"]) for f in await collect(dashboard)] == [("caller_removed", astrid.pk)]
    record = await run(ConsultationRecord.objects.get)()
    assert record.outcome == Outcome.EXPIRED
