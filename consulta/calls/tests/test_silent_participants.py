"""No ghost participants: a tab closed without "Leave" leaves the call by itself, for everyone.

Issue 10: a participant whose socket went away without `leave_call` stayed in the call (a frozen
tile on every screen, a place counted against the cap of 6) until somebody new joined, because
only `join` dropped the silent. Now every joined socket sweeps its call (`CallSocket.sweep`,
every `sweep_seconds()`), so the others hear `peer_left` within the timeout and one sweep.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from pytest_django import Settings

from consulta.calls import actions as calls
from consulta.calls.actions import MAX_PARTICIPANTS
from consulta.calls.models import Participant
from consulta.consultations.tests.sockets import Frame, Headers, Sockets, ask, collect, receive, run, staff_headers
from consulta.rooms.tests.rooms import enter, room_path
from consulta.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

HEARTBEAT = {"type": "heartbeat"}
ACK = {"type": "heartbeat_ack"}
# Heartbeats in these tests: well inside the shortened timeouts.
BEAT = 0.3


async def beating(
    socket: WebsocketCommunicator,
    seconds: float,
    keep_alive: list[WebsocketCommunicator],
    until: Frame | None = None,
) -> float:
    """For `seconds`, or until `socket` receives `until`: `socket` and `keep_alive` heartbeat every
    BEAT s, as their pages would, and nothing but heartbeat answers may reach `socket` meanwhile.
    Returns how long it took; raises if `until` never came."""
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline:
        for alive in [socket, *keep_alive]:
            await alive.send_json_to(HEARTBEAT)
        beat_ends = min(deadline, time.monotonic() + BEAT)
        while (left := beat_ends - time.monotonic()) > 0:
            if await socket.receive_nothing(timeout=left):
                break
            frame = await receive(socket)
            if until is not None and frame == until:
                return time.monotonic() - start
            assert frame == ACK, frame
    assert until is None, f"no {until} within {seconds} s"
    return seconds


async def without_acks(socket: WebsocketCommunicator) -> list[Frame]:
    return [frame for frame in await collect(socket) if frame != ACK]


@pytest.fixture
def member_headers(world: World) -> Headers:
    return staff_headers(world.member)


async def test_a_tab_closed_without_leaving_leaves_the_call_by_itself(
    sockets: Sockets, world: World, settings: Settings, member_headers: Headers
) -> None:
    settings.PARTICIPANT_TIMEOUT_SECONDS = 2
    assert calls.sweep_seconds() == 1.0
    path = room_path(world.meeting_room)
    host, _welcome = await enter(sockets, path, member_headers)
    clerk, clerk_welcome = await enter(sockets, path, await run(staff_headers)(world.clerk))
    assert (await receive(host))["type"] == "peer_joined"

    # The clerk's tab closes ("going away"): no leave_call, so not yet a peer that left.
    await clerk.disconnect(code=1001)
    assert await host.receive_nothing(timeout=0.3)
    assert await run(Participant.objects.filter(peer_id=clerk_welcome["peer_id"]).exists)()

    # Nobody joins; the host's own socket sweeps the call.
    left = {"type": "peer_left", "peer_id": clerk_welcome["peer_id"]}
    took = await beating(host, 2 + calls.sweep_seconds() + 1.5, [], until=left)
    assert took >= 1.5  # not before the timeout (less the 0.3 s watched above)
    assert not await run(Participant.objects.filter(peer_id=clerk_welcome["peer_id"]).exists)()
    # The host, who kept beating, is still in the call.
    assert await run(Participant.objects.filter(call__key=world.meeting_room.call_key).count)() == 1


async def test_a_ghost_no_longer_holds_a_place_against_the_cap(
    sockets: Sockets, world: World, settings: Settings, member_headers: Headers
) -> None:
    settings.PARTICIPANT_TIMEOUT_SECONDS = 3
    path = room_path(world.meeting_room)
    in_call = []
    for _ in range(MAX_PARTICIPANTS):  # the member's six tabs: account holders may hold several places
        socket, welcome = await enter(sockets, path, member_headers)
        in_call.append((socket, welcome["peer_id"]))
    ghost, ghost_id = in_call.pop()
    for socket, _peer in in_call:
        await collect(socket)
    seventh = await sockets.open(path, member_headers)
    assert (await ask(seventh, {"type": "join_call"}))["code"] == "call_full"

    await ghost.disconnect(code=1001)
    # Silent long since (as if the timeout had passed): what is tested is that nobody needs to join.
    await run(Participant.objects.filter(peer_id=ghost_id).update)(last_seen_at=timezone.now() - timedelta(minutes=5))
    first, _ = in_call[0]
    others = [socket for socket, _peer in in_call[1:]]
    await beating(first, calls.sweep_seconds() + 1.5, others, until={"type": "peer_left", "peer_id": ghost_id})
    for socket in others:
        assert {"type": "peer_left", "peer_id": ghost_id} in await without_acks(socket)
    assert await run(Participant.objects.count)() == MAX_PARTICIPANTS - 1

    welcome = await ask(seventh, {"type": "join_call"})
    assert welcome["type"] == "welcome"
    assert {peer["peer_id"] for peer in welcome["peers"]} == {peer for _socket, peer in in_call}


async def test_leave_call_right_before_the_close_takes_the_place_at_once(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    """What a page sends on `pagehide`: `leave_call`, then the socket closes (1001). The default
    timeout (75 s) stands, so no sweep can be what removed it."""
    path = room_path(world.meeting_room)
    host, _welcome = await enter(sockets, path, member_headers)
    clerk, clerk_welcome = await enter(sockets, path, await run(staff_headers)(world.clerk))
    await collect(host)

    await clerk.send_json_to({"type": "leave_call"})
    await clerk.disconnect(code=1001)

    assert await receive(host) == {"type": "peer_left", "peer_id": clerk_welcome["peer_id"]}
    assert not await run(Participant.objects.filter(peer_id=clerk_welcome["peer_id"]).exists)()


async def test_a_dropped_socket_that_comes_back_in_time_keeps_its_place(
    sockets: Sockets, world: World, settings: Settings, member_headers: Headers
) -> None:
    """The sweep takes only the silent: a network blip shorter than the timeout resumes, unheard."""
    settings.PARTICIPANT_TIMEOUT_SECONDS = 6
    path = room_path(world.meeting_room)
    host, _welcome = await enter(sockets, path, member_headers)
    clerk_headers = await run(staff_headers)(world.clerk)
    clerk, clerk_welcome = await enter(sockets, path, clerk_headers)
    await collect(host)

    await clerk.disconnect(code=1006)
    # A sweep of the host's socket passes (every 2 s here); the clerk's last heartbeat is younger than the timeout.
    await beating(host, calls.sweep_seconds() + 0.5, [])
    back = await sockets.open(path, clerk_headers)
    welcome = await ask(back, {"type": "join_call", "resume": clerk_welcome["peer_id"]})
    assert welcome["peer_id"] == clerk_welcome["peer_id"]
    assert await without_acks(host) == []  # no peer_left, no peer_joined
