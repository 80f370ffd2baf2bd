"""Call quality kept: the browser's `quality` summaries, its browser from the User-Agent, and one
call.quality event when the person leaves or is dropped as silent, with exactly the documented data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from consulta.calls import actions as calls
from consulta.calls.client import client_of
from consulta.calls.models import Participant
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    Headers,
    Sockets,
    ask,
    collect,
    receive,
    run,
    staff_headers,
    still_open,
)
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.rooms.tests.rooms import enter, let_in, room_path
from consulta.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

HEADLESS = (
    b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36"
)
ANDROID = (
    b"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/156.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    b"(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
SUMMARY: dict[str, Any] = {
    "rtt_ms": 48,
    "loss_pct": 0.25,
    "kbps_in": 910,
    "kbps_out": 880,
    "freezes": 2,
    "freeze_seconds": 1.5,
    "reconnects": 1,
    "relayed": True,
}


def with_agent(headers: Headers, agent: bytes) -> Headers:
    return [*headers, (b"user-agent", agent)]


def quality_events() -> list[Event]:
    return list(Event.objects.filter(kind=Kind.CALL_QUALITY).order_by("pk"))


def test_the_browser_and_system_come_from_the_user_agent() -> None:
    assert client_of(HEADLESS.decode()).model_dump() == {"browser": "Chrome", "browser_version": "156", "os": "Linux"}
    assert client_of(ANDROID.decode()).model_dump() == {
        "browser": "Chrome Mobile",
        "browser_version": "156",
        "os": "Android",
    }
    assert client_of(IPHONE.decode()).model_dump() == {"browser": "Mobile Safari", "browser_version": "17", "os": "iOS"}
    assert client_of("").model_dump() == {"browser": "", "browser_version": "", "os": ""}
    assert client_of("x" * 5000).browser == ""  # nothing recognised: unknown, not an error


async def test_the_others_see_each_ones_browser_never_the_header(sockets: Sockets, world: World) -> None:
    path = room_path(world.meeting_room)
    host, welcome = await enter(sockets, path, with_agent(await run(staff_headers)(world.member), HEADLESS))
    assert welcome["client"] == {"browser": "Chrome", "browser_version": "156", "os": "Linux"}
    _guest, guest_welcome = await let_in(sockets, host, world.guest_link, headers=with_agent(SAME_ORIGIN, ANDROID))
    frames = await collect(host)
    joined = next(frame for frame in frames if frame["type"] == "peer_joined")
    assert joined["peer"]["client"] == {"browser": "Chrome Mobile", "browser_version": "156", "os": "Android"}
    assert guest_welcome["peers"][0]["client"] == welcome["client"]
    assert b"Pixel 8" not in str(frames).encode() and "Pixel" not in str(guest_welcome)


async def test_a_summary_is_kept_overwritten_and_written_once_as_the_person_leaves(
    sockets: Sockets, world: World
) -> None:
    path = room_path(world.meeting_room)
    host, welcome = await enter(sockets, path, with_agent(await run(staff_headers)(world.member), HEADLESS))
    await host.send_json_to({"type": "quality", **SUMMARY, "rtt_ms": 500})
    await host.send_json_to({"type": "quality", **SUMMARY})  # the newer replaces it: nothing else is kept
    await still_open(host)
    row = await run(Participant.objects.get)(peer_id=welcome["peer_id"])
    assert row.quality == SUMMARY
    assert await run(quality_events)() == []  # nothing in the log while the person is in the call

    await host.send_json_to({"type": "leave_call"})
    await collect(host)  # its own peer_left, as everyone in the call hears
    events = await run(quality_events)()
    assert len(events) == 1
    event = events[0]
    assert event.data == {
        "role": "staff",
        "browser": "Chrome",
        "browser_version": "156",
        "os": "Linux",
        **SUMMARY,
        "seconds": event.seconds,
    }
    assert event.clinic_id == world.clinic_a.pk and event.subject == world.meeting_room.call_key
    assert event.target_id == world.member.pk and event.actor_id == world.member.pk
    left = await run(Event.objects.get)(kind=Kind.PARTICIPANT_LEFT)
    assert (left.clinic_id, left.subject, left.seconds) == (event.clinic_id, event.subject, event.seconds)
    await host.send_json_to({"type": "leave_call"})  # leaving twice writes nothing twice
    await collect(host)
    assert len(await run(quality_events)()) == 1


async def test_a_silent_participant_dropped_gets_its_event_with_nulls(sockets: Sockets, world: World) -> None:
    path = room_path(world.meeting_room)
    host, _welcome = await enter(sockets, path, await run(staff_headers)(world.member))
    guest, guest_welcome = await let_in(sockets, host, world.guest_link, headers=with_agent(SAME_ORIGIN, IPHONE))
    await collect(host)
    await guest.disconnect(code=1001)
    await run(Participant.objects.filter(peer_id=guest_welcome["peer_id"]).update)(
        last_seen_at=timezone.now() - timedelta(minutes=5)
    )
    call_id = (await run(Participant.objects.get)(peer_id=guest_welcome["peer_id"])).call_id
    assert await run(calls.drop_silent)(call_id) == 1
    assert await receive(host) == {"type": "peer_left", "peer_id": guest_welcome["peer_id"]}
    [event] = await run(quality_events)()
    assert event.data == {
        "role": "guest",
        "browser": "Mobile Safari",
        "browser_version": "17",
        "os": "iOS",
        "rtt_ms": None,
        "loss_pct": None,
        "kbps_in": None,
        "kbps_out": None,
        "freezes": 0,
        "freeze_seconds": 0.0,
        "reconnects": 0,
        "relayed": False,
        "seconds": event.seconds,
    }
    assert event.target_id is None and event.actor_id is None  # a guest: no account, no name
    assert "Gus" not in str(event.data) and event.target_label == ""


@pytest.mark.parametrize(
    "bad",
    [
        {"rtt_ms": -1},
        {"rtt_ms": 10**9},
        {"rtt_ms": "fast"},
        {"rtt_ms": 1.5},
        {"loss_pct": 101},
        {"kbps_in": -5},
        {"freezes": -1},
        {"freeze_seconds": 1e300},
        {"relayed": "maybe"},
        {"reconnects": 10**6},
        {"browser": "Chrome"},  # the browser is the server's to say, from the header
    ],
)
async def test_a_malformed_summary_gets_an_error_frame_and_the_socket_stays(
    sockets: Sockets, world: World, bad: dict[str, Any]
) -> None:
    path = room_path(world.meeting_room)
    host, welcome = await enter(sockets, path, await run(staff_headers)(world.member))
    answer = await ask(host, {"type": "quality", **SUMMARY, **bad})
    assert answer["type"] == "error" and answer["code"] == "invalid", answer
    await still_open(host)
    assert (await run(Participant.objects.get)(peer_id=welcome["peer_id"])).quality is None


async def test_a_summary_outside_a_call_is_refused(sockets: Sockets, world: World) -> None:
    host = await sockets.open(room_path(world.meeting_room), await run(staff_headers)(world.member))
    answer = await ask(host, {"type": "quality", **SUMMARY})
    assert (answer["type"], answer["code"]) == ("error", "not_in_call")
    await still_open(host)
    answer = await ask(host, '{"type": "quality", "rtt_ms": NaN}')
    assert answer["type"] == "error"
    await still_open(host)
