"""Tools inside any call: chat for everyone in it, `manage` (mute, hold, disconnect) for account holders only."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from pytest_django import Settings

from consulta.calls.models import Call, Knock, Participant
from consulta.consultations import actions as consultations
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import (
    Frame,
    Headers,
    Sockets,
    ask,
    call_path,
    collect,
    receive,
    receive_close,
    run,
    staff_headers,
    still_open,
)
from consulta.consultations.tests.sockets import (
    enter as enter_waiting_area,
)
from consulta.consultations.tests.test_call_invites import invitee_headers
from consulta.core import ratelimit
from consulta.rooms.tests.rooms import enter, let_in, room_path
from consulta.testing import RateLimitClock, World

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "The patient in room 4 is allergic to penicillin"


@pytest.fixture
def member_headers(world: World) -> Headers:
    return staff_headers(world.member)


@pytest.fixture
def clerk_headers(world: World) -> Headers:
    return staff_headers(world.clerk)


class Room:
    """A meeting room's call with the member, the clerk and a guest in it, and a host socket outside it."""

    member: WebsocketCommunicator
    clerk: WebsocketCommunicator
    guest: WebsocketCommunicator
    outside: WebsocketCommunicator
    ids: dict[str, str]

    @property
    def inside(self) -> list[WebsocketCommunicator]:
        return [self.member, self.clerk, self.guest]


@pytest.fixture
async def room(sockets: Sockets, world: World, member_headers: Headers, clerk_headers: Headers) -> Room:
    call = Room()
    path = room_path(world.meeting_room)
    call.member, member_welcome = await enter(sockets, path, member_headers)
    call.clerk, clerk_welcome = await enter(sockets, path, clerk_headers)
    await collect(call.member)
    call.guest, guest_welcome = await let_in(sockets, call.member, world.guest_link, "Gus Guest")
    # The organisation admin has the room's page open, without entering the call.
    call.outside = await sockets.open(path, await run(staff_headers)(world.org_admin))
    call.ids = {
        "member": member_welcome["peer_id"],
        "clerk": clerk_welcome["peer_id"],
        "guest": guest_welcome["peer_id"],
    }
    for socket in [*call.inside, call.outside]:
        await collect(socket)
    return call


def _nothing_stored(text: str) -> bool:
    """No row of any table holds the text: the whole database, dumped."""
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    return text not in dump.getvalue()


# --- Chat ------------------------------------------------------------------------------------------------


async def test_chat_reaches_everyone_in_the_call_and_nobody_else(room: Room) -> None:
    await room.guest.send_json_to({"type": "chat", "text": f"  {SECRET}  "})

    frames = [await receive(socket) for socket in room.inside]

    first = frames[0]
    assert first == {
        "type": "chat",
        "from": room.ids["guest"],
        "name": "Gus Guest",
        "text": SECRET,
        "sent_at": first["sent_at"],
    }
    assert datetime.fromisoformat(first["sent_at"]).utcoffset() is not None
    assert all(frame == first for frame in frames)  # the sender's own copy included
    assert await room.outside.receive_nothing(timeout=0.3)
    assert await run(_nothing_stored)(SECRET)


async def test_chat_needs_a_place_in_the_call_and_some_text(room: Room) -> None:
    not_in = await ask(room.outside, {"type": "chat", "text": "Hello?"})
    assert (not_in["type"], not_in["code"]) == ("error", "not_in_call")
    blank = await ask(room.member, {"type": "chat", "text": "   "})
    assert blank["code"] == "invalid"
    too_long = await ask(room.member, {"type": "chat", "text": "x" * 1001})
    assert too_long["code"] == "invalid"
    for socket in [room.clerk, room.guest]:
        assert await socket.receive_nothing(timeout=0.3)


async def test_chat_works_in_a_waiting_area_call_too(sockets: Sockets, world: World, member_headers: Headers) -> None:
    astrid = await run(enter_waiting_area)(world.clinic_a, "Astrid", "Aalto")
    staff = await sockets.open(call_path(astrid), member_headers)
    staff_welcome = await ask(staff, {"type": "join_call"})
    await run(consultations.join)(astrid, world.member)
    patient, _status = await sockets.patient(astrid)
    patient_welcome = await ask(patient, {"type": "join_call"})
    await collect(staff)

    await patient.send_json_to({"type": "chat", "text": "Can you hear me?"})
    from_patient = await receive(staff)
    assert (from_patient["from"], from_patient["name"]) == (patient_welcome["peer_id"], "Astrid Aalto")
    assert (await receive(patient))["text"] == "Can you hear me?"

    await staff.send_json_to({"type": "chat", "text": "Yes, clearly."})
    assert (await receive(patient))["from"] == staff_welcome["peer_id"]


# --- Manage ---------------------------------------------------------------------------------------------


async def test_mute_reaches_only_the_peer_asked(room: Room) -> None:
    await room.member.send_json_to({"type": "manage", "action": "mute", "to": room.ids["guest"]})

    assert await receive(room.guest) == {"type": "muted_by_host", "by": "Mia Memberg"}
    for socket in [room.member, room.clerk, room.outside]:
        assert await socket.receive_nothing(timeout=0.3)
    await still_open(room.guest)


async def test_disconnect_takes_the_peer_out_and_closes_its_socket(room: Room) -> None:
    await room.clerk.send_json_to({"type": "manage", "action": "disconnect", "to": room.ids["guest"]})

    assert await receive(room.guest) == {"type": "removed"}
    closed = await receive_close(room.guest)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)
    left = {"type": "peer_left", "peer_id": room.ids["guest"]}
    assert await receive(room.member) == left
    assert await receive(room.clerk) == left
    assert not await run(Participant.objects.filter(peer_id=room.ids["guest"]).exists)()


async def test_a_colleague_can_be_disconnected_too(room: Room) -> None:
    await room.member.send_json_to({"type": "manage", "action": "disconnect", "to": room.ids["clerk"]})
    assert await receive(room.clerk) == {"type": "removed"}
    assert (await receive_close(room.clerk))["code"] == 4403
    assert await receive(room.guest) == {"type": "peer_left", "peer_id": room.ids["clerk"]}


async def test_hold_sends_a_guest_back_to_the_door_and_a_host_lets_them_in_again(room: Room) -> None:
    await room.member.send_json_to({"type": "manage", "action": "hold", "to": room.ids["guest"]})

    assert await receive(room.guest) == {"type": "on_hold"}
    left = {"type": "peer_left", "peer_id": room.ids["guest"]}
    assert await receive(room.guest) == left  # about itself: the page ignores it, on hold already
    knock = await run(Knock.objects.get)()
    assert knock.name == "Gus Guest"
    heard = {"type": "knock", "knock_id": knock.knock_id, "name": "Gus Guest"}
    assert await collect(room.member) == [left, heard]
    assert await collect(room.clerk) == [left, heard]
    assert await receive(room.outside) == heard
    assert not await run(Participant.objects.filter(peer_id=room.ids["guest"]).exists)()
    # The guest's socket stays open, at the door: no way back into the call before an answer.
    refused = await ask(room.guest, {"type": "join_call"})
    assert refused["code"] == "not_admitted"

    await room.clerk.send_json_to({"type": "admit", "knock_id": knock.knock_id})
    assert await receive(room.guest) == {"type": "admitted"}
    welcome = await ask(room.guest, {"type": "join_call"})
    assert welcome["type"] == "welcome"
    assert welcome["peer_id"] != room.ids["guest"]
    assert {peer["peer_id"] for peer in welcome["peers"]} == {room.ids["member"], room.ids["clerk"]}
    joined = await collect(room.member)
    assert any(m["type"] == "peer_joined" and m["peer"]["peer_id"] == welcome["peer_id"] for m in joined)
    assert await run(Knock.objects.count)() == 0


async def test_a_guest_on_hold_who_goes_away_withdraws_the_new_knock(room: Room) -> None:
    await room.member.send_json_to({"type": "manage", "action": "hold", "to": room.ids["guest"]})
    assert await receive(room.guest) == {"type": "on_hold"}
    await collect(room.member)
    knock = await run(Knock.objects.get)()

    await room.guest.disconnect()

    assert await receive(room.member) == {
        "type": "knock_resolved",
        "knock_id": knock.knock_id,
        "admitted": False,
        "withdrawn": True,
    }
    assert await run(Knock.objects.count)() == 0


async def test_only_a_rooms_guest_can_be_put_on_hold(room: Room) -> None:
    colleague = await ask(room.member, {"type": "manage", "action": "hold", "to": room.ids["clerk"]})
    assert (colleague["type"], colleague["code"]) == ("error", "not_allowed")
    refused = await ask(room.guest, {"type": "manage", "action": "hold", "to": room.ids["member"]})
    assert refused["code"] == "not_allowed"
    for socket in [room.member, room.clerk, room.guest]:
        assert await socket.receive_nothing(timeout=0.3)
    assert await run(Participant.objects.filter(peer_id=room.ids["clerk"]).exists)()
    assert await run(Knock.objects.count)() == 0


async def test_a_guest_may_not_manage_anyone(room: Room) -> None:
    for action in ("mute", "disconnect"):
        refused = await ask(room.guest, {"type": "manage", "action": action, "to": room.ids["member"]})
        assert (refused["type"], refused["code"]) == ("error", "not_allowed")
    for socket in [room.member, room.clerk]:
        assert await socket.receive_nothing(timeout=0.3)


async def test_manage_needs_a_peer_of_the_same_call(
    room: Room, sockets: Sockets, world: World, member_headers: Headers
) -> None:
    unknown = await ask(room.member, {"type": "manage", "action": "mute", "to": "nobody-at-all-here"})
    assert unknown["code"] == "no_such_peer"
    itself = await ask(room.member, {"type": "manage", "action": "disconnect", "to": room.ids["member"]})
    assert itself["code"] == "invalid"
    outside = await ask(room.outside, {"type": "manage", "action": "mute", "to": room.ids["guest"]})
    assert outside["code"] == "not_in_call"

    # A peer of another call (the user room's) is out of reach.
    _owner, owner_welcome = await enter(sockets, f"/ws/user-rooms/{world.user_room.token}/", member_headers)
    elsewhere = await ask(room.clerk, {"type": "manage", "action": "disconnect", "to": owner_welcome["peer_id"]})
    assert elsewhere["code"] == "no_such_peer"
    assert await run(Participant.objects.filter(peer_id=owner_welcome["peer_id"]).exists)()


async def _waiting_area_call(
    sockets: Sockets, world: World, member_headers: Headers
) -> tuple[Consultation, WebsocketCommunicator, Frame, WebsocketCommunicator, Frame]:
    astrid = await run(enter_waiting_area)(world.clinic_a, "Astrid", "Aalto")
    staff = await sockets.open(call_path(astrid), member_headers)
    staff_welcome = await ask(staff, {"type": "join_call"})
    await run(consultations.join)(astrid, world.member)
    patient, _status = await sockets.patient(astrid)
    patient_welcome = await ask(patient, {"type": "join_call"})
    await collect(staff)
    return astrid, staff, staff_welcome, patient, patient_welcome


async def test_a_patient_may_not_manage_and_cannot_be_disconnected(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    _astrid, staff, staff_welcome, patient, patient_welcome = await _waiting_area_call(sockets, world, member_headers)

    refused = await ask(patient, {"type": "manage", "action": "mute", "to": staff_welcome["peer_id"]})
    assert (refused["type"], refused["code"]) == ("error", "not_allowed")
    assert await staff.receive_nothing(timeout=0.3)

    # The team may ask the patient to mute, but a patient leaves the call by hold or end, not by `manage`.
    await staff.send_json_to({"type": "manage", "action": "mute", "to": patient_welcome["peer_id"]})
    assert await receive(patient) == {"type": "muted_by_host", "by": "Mia Memberg"}
    not_so = await ask(staff, {"type": "manage", "action": "disconnect", "to": patient_welcome["peer_id"]})
    assert not_so["code"] == "not_allowed"
    assert await run(Participant.objects.filter(peer_id=patient_welcome["peer_id"]).exists)()
    await still_open(patient)


async def test_the_team_puts_a_patient_in_the_call_on_hold(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    astrid, staff, _staff_welcome, patient, patient_welcome = await _waiting_area_call(sockets, world, member_headers)
    await staff.send_json_to({"type": "manage", "action": "hold", "to": patient_welcome["peer_id"]})
    # The same as the dashboard's hold: out of the call, back to the waiting screen, place kept.
    frames = await collect(patient)
    assert {"type": "peer_left", "peer_id": patient_welcome["peer_id"]} in frames
    assert [f["state"] for f in frames if f["type"] == "status"] == ["on_hold"]
    assert {"type": "peer_left", "peer_id": patient_welcome["peer_id"]} in await collect(staff)
    held = await run(Consultation.objects.get)(pk=astrid.pk)
    assert held.status == "on_hold" and held.waiting_since == astrid.waiting_since


async def test_an_invitee_may_chat_but_not_manage(sockets: Sockets, world: World, member_headers: Headers) -> None:
    astrid, staff, staff_welcome, _patient, _ = await _waiting_area_call(sockets, world, member_headers)
    invite = await run(consultations.invite_to_call)(astrid, world.member)
    invitee = await sockets.open(f"/ws/invites/{invite.token}/", await run(invitee_headers)(invite.token, "Ali"))
    invitee_welcome = await ask(invitee, {"type": "join_call"})
    await collect(staff)

    refused = await ask(invitee, {"type": "manage", "action": "disconnect", "to": staff_welcome["peer_id"]})
    assert refused["code"] == "not_allowed"
    await invitee.send_json_to({"type": "chat", "text": "Interpreter here."})
    assert (await receive(staff))["name"] == "Ali"
    # An invitee takes part as a guest, but of a consultation's call: there is no door to be sent back to.
    not_held = await ask(staff, {"type": "manage", "action": "hold", "to": invitee_welcome["peer_id"]})
    assert not_held["code"] == "not_allowed"


# --- Apps view-only ------------------------------------------------------------------------------------


def _apps_view_only(key: str) -> bool:
    return bool(Call.objects.filter(key=key).values_list("apps_view_only", flat=True).get())


async def test_a_host_makes_the_apps_view_only_for_everyone_and_a_latecomer_knows(
    room: Room, world: World, sockets: Sockets
) -> None:
    await room.member.send_json_to({"type": "apps", "view_only": True})

    heard = {"type": "apps", "view_only": True, "by": "Mia Memberg"}
    for socket in room.inside:  # the host's own socket included
        assert await receive(socket) == heard
    assert await room.outside.receive_nothing(timeout=0.3)  # not in the call: hears nothing
    assert await run(_apps_view_only)(world.meeting_room.call_key)

    # Whoever joins now (the admin outside, a reload) reads it in the welcome.
    welcome = await ask(room.outside, {"type": "join_call"})
    assert (welcome["type"], welcome["apps_view_only"]) == ("welcome", True)
    for socket in room.inside:
        assert [frame["type"] for frame in await collect(socket)] == ["peer_joined"]

    await room.clerk.send_json_to({"type": "apps", "view_only": False})
    for socket in [*room.inside, room.outside]:
        assert await receive(socket) == {"type": "apps", "view_only": False, "by": "Clem Clerkson"}
    assert not await run(_apps_view_only)(world.meeting_room.call_key)


async def test_a_guest_may_not_switch_the_apps(room: Room, world: World) -> None:
    for view_only in (True, False):
        refused = await ask(room.guest, {"type": "apps", "view_only": view_only})
        assert (refused["type"], refused["code"]) == ("error", "not_allowed")
    for socket in [room.member, room.clerk]:
        assert await socket.receive_nothing(timeout=0.3)
    assert not await run(_apps_view_only)(world.meeting_room.call_key)


async def test_a_host_outside_the_call_may_not_switch_the_apps(room: Room, world: World) -> None:
    refused = await ask(room.outside, {"type": "apps", "view_only": True})
    assert refused["code"] == "not_in_call"
    for socket in room.inside:
        assert await socket.receive_nothing(timeout=0.3)
    assert not await run(_apps_view_only)(world.meeting_room.call_key)


async def test_apps_is_a_strict_message(room: Room) -> None:
    bad_frames: list[Frame] = [
        {"type": "apps"},
        {"type": "apps", "view_only": True, "by": "Mallory"},
        {"type": "apps", "view_only": []},
    ]
    for bad in bad_frames:
        assert (await ask(room.member, bad))["code"] == "invalid"
    for socket in [room.clerk, room.guest]:
        assert await socket.receive_nothing(timeout=0.3)


async def test_the_apps_switch_counts_against_the_message_allowance(
    room: Room, settings: Settings, rate_limit_clock: RateLimitClock
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "socket_messages": "3/10seconds"}
    ratelimit.reset()  # the fixture's joins and admits counted too
    rate_limit_clock.to_window_start(10)  # all four messages in one window, however slow the machine
    for view_only in (True, False, True):
        await room.member.send_json_to({"type": "apps", "view_only": view_only})
        assert (await receive(room.guest))["view_only"] is view_only
    assert len(await collect(room.member)) == 3  # its own three
    refused = await ask(room.member, {"type": "apps", "view_only": False})
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    assert await room.guest.receive_nothing(timeout=0.3)


async def test_a_room_whose_call_empties_starts_afresh(room: Room, world: World, sockets: Sockets) -> None:
    await room.member.send_json_to({"type": "apps", "view_only": True})
    for socket in room.inside:
        await collect(socket)
    for socket in room.inside:
        await socket.send_json_to({"type": "leave_call"})
    for socket in room.inside:
        await collect(socket)

    welcome = await ask(room.outside, {"type": "join_call"})
    assert welcome["apps_view_only"] is False
    assert not await run(_apps_view_only)(world.meeting_room.call_key)


async def test_a_patient_and_an_invitee_may_not_switch_the_apps_but_hear_it(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    astrid, staff, _staff_welcome, patient, _ = await _waiting_area_call(sockets, world, member_headers)
    invite = await run(consultations.invite_to_call)(astrid, world.member)
    invitee = await sockets.open(f"/ws/invites/{invite.token}/", await run(invitee_headers)(invite.token, "Ali"))
    assert (await ask(invitee, {"type": "join_call"}))["apps_view_only"] is False
    for socket in [staff, patient]:
        await collect(socket)

    for socket in [patient, invitee]:
        refused = await ask(socket, {"type": "apps", "view_only": True})
        assert (refused["type"], refused["code"]) == ("error", "not_allowed")
    assert await staff.receive_nothing(timeout=0.3)
    assert not await run(_apps_view_only)(astrid.call_key)

    await staff.send_json_to({"type": "apps", "view_only": True})
    heard = {"type": "apps", "view_only": True, "by": "Mia Memberg"}
    for socket in [staff, patient, invitee]:
        assert await receive(socket) == heard
    # The patient's page reloads: a new socket, a new place, and the welcome says so.
    await patient.disconnect()
    again, _status = await sockets.patient(astrid)
    assert (await ask(again, {"type": "join_call"}))["apps_view_only"] is True
