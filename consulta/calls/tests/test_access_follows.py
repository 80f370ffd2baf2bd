"""Access that follows the person, live: a socket loses what its person may no longer see.

Issue 9, finding 1: a clerk removed from the clinic (or logged out) kept receiving every new
caller on an open dashboard, a fresh `subscribe` returned the whole queue, and a removed
member's open call socket could still `join_call` and receive TURN credentials. Each test
here failed before sockets listened on `user.<id>` and privileged messages checked again.
"""

from __future__ import annotations

import time

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from pytest_django import Settings

from consulta.calls import json_socket
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    Frame,
    Headers,
    Sockets,
    ask,
    call_path,
    enter,
    queue_path,
    receive,
    run,
    still_open,
)
from consulta.organisations import actions as organisations
from consulta.organisations.models import ClinicMembership, OrganisationMembership, OrganisationRole
from consulta.rooms import actions as rooms
from consulta.rooms.tests.rooms import enter as enter_room
from consulta.rooms.tests.rooms import knock, room_path
from consulta.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

# "Within a second" (the bar); the in-memory layer delivers in milliseconds.
WITHIN = 1.0


def logged_in(user: object) -> tuple[Client, Headers]:
    """A browser logged in as `user`: its client (to log out with) and its socket headers."""
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client, [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def closed_within(socket: WebsocketCommunicator, seconds: float = WITHIN) -> tuple[int, list[Frame]]:
    """Read until the server closes the socket; its close code and the frames that came before."""
    frames: list[Frame] = []
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"still open after {seconds} s; frames: {frames}"
        output = await socket.receive_output(timeout=remaining)
        if output["type"] == "websocket.close":
            return output["code"], frames
        frames.append(output)


async def subscribed(sockets: Sockets, world: World, headers: Headers) -> WebsocketCommunicator:
    dashboard = await sockets.open(queue_path(world.clinic_a), headers)
    assert (await ask(dashboard, {"type": "subscribe"}))["type"] == "snapshot"
    return dashboard


async def test_a_clerk_removed_from_the_clinic_loses_the_open_dashboard_at_once(sockets: Sockets, world: World) -> None:
    _client, headers = await run(logged_in)(world.clerk)
    dashboard = await subscribed(sockets, world, headers)
    await run(organisations.remove_from_clinic)(await run(world.membership)(world.clerk))

    code, frames = await closed_within(dashboard)
    assert code == 4403
    assert frames == []
    # A caller arriving afterwards reaches no socket of the clerk's (the socket is gone).
    await run(enter)(world.clinic_a, "Nina", "Newcomer")
    assert await dashboard.receive_nothing(timeout=0.2)


async def test_logging_out_closes_the_sessions_sockets(sockets: Sockets, world: World) -> None:
    client, headers = await run(logged_in)(world.clerk)
    dashboard = await subscribed(sockets, world, headers)
    _other_client, other_headers = await run(logged_in)(world.clerk)  # the clerk's second browser
    elsewhere = await subscribed(sockets, world, other_headers)

    response = await run(client.post)("/accounts/logout/")
    assert response.status_code == 302

    code, _frames = await closed_within(dashboard)
    assert code == 4403
    await still_open(elsewhere)  # another browser's login is not this one's


async def test_a_deactivated_account_loses_every_socket(sockets: Sockets, world: World) -> None:
    _client, headers = await run(logged_in)(world.member)
    dashboard = await subscribed(sockets, world, headers)
    world.member.is_active = False
    await run(world.member.save)()
    assert (await closed_within(dashboard))[0] == 4403


async def test_a_password_change_ends_the_other_sessions_sockets(sockets: Sockets, world: World) -> None:
    _client, headers = await run(logged_in)(world.member)
    dashboard = await subscribed(sockets, world, headers)
    world.member.set_password("a brand new and much longer passphrase")
    await run(world.member.save)()
    assert (await closed_within(dashboard))[0] == 4403


async def test_a_fresh_subscribe_checks_access_again(sockets: Sockets, world: World) -> None:
    """A change that sends no event (a bulk update) still stops the next privileged message."""
    await run(enter)(world.clinic_a, "Quentin", "Queue")
    _client, headers = await run(logged_in)(world.coordinator)
    dashboard = await subscribed(sockets, world, headers)
    await run(
        OrganisationMembership.objects.filter(user=world.coordinator).update  # no signal: no recheck event
    )(role=OrganisationRole.REPORTER)

    await dashboard.send_json_to({"type": "subscribe"})
    code, frames = await closed_within(dashboard)
    assert code == 4403
    assert frames == []  # no snapshot: the queue's names never left the server


async def test_a_removed_member_cannot_join_the_call_nor_get_turn_credentials(
    sockets: Sockets, world: World, settings: Settings
) -> None:
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_SECRET = "test-secret"
    astrid = await run(enter)(world.clinic_a, "Astrid", "Aalto")
    _client, headers = await run(logged_in)(world.member)
    call = await sockets.open(call_path(astrid), headers)
    # Moved out of the clinic by a change that sends no event (a bulk update sends no signal):
    await run(ClinicMembership.objects.filter(user=world.member, clinic=world.clinic_a).update)(clinic=world.clinic_b)
    assert await call.receive_nothing(timeout=0.2)

    await call.send_json_to({"type": "join_call"})
    code, frames = await closed_within(call)
    assert code == 4403
    assert not any(frame.get("type") == "welcome" for frame in frames), frames


async def test_a_member_removed_mid_call_leaves_it_and_the_others_hear_so(sockets: Sockets, world: World) -> None:
    astrid = await run(enter)(world.clinic_a, "Astrid", "Aalto")
    _c1, member_headers = await run(logged_in)(world.member)
    _c2, admin_headers = await run(logged_in)(world.clinic_admin)
    admin = await sockets.open(call_path(astrid), admin_headers)
    assert (await ask(admin, {"type": "join_call"}))["type"] == "welcome"
    member = await sockets.open(call_path(astrid), member_headers)
    member_welcome = await ask(member, {"type": "join_call"})
    assert (await receive(admin))["type"] == "peer_joined"

    await run(organisations.remove_from_clinic)(await run(world.membership)(world.member))

    assert (await closed_within(member))[0] == 4403
    assert await receive(admin) == {"type": "peer_left", "peer_id": member_welcome["peer_id"]}


async def test_a_host_removed_from_the_clinic_loses_the_meeting_room(sockets: Sockets, world: World) -> None:
    _client, headers = await run(logged_in)(world.member)
    host, _welcome = await enter_room(sockets, room_path(world.meeting_room), headers)
    await run(organisations.remove_from_clinic)(await run(world.membership)(world.member))
    assert (await closed_within(host))[0] == 4403


async def test_a_revoked_guest_link_closes_its_guests_sockets(sockets: Sockets, world: World) -> None:
    guest = await knock(sockets, world.guest_link)
    await run(rooms.revoke_guest_link)(world.guest_link)
    assert (await closed_within(guest))[0] == 4403


async def test_a_session_that_ended_without_an_event_ends_at_the_next_heartbeat(
    sockets: Sockets, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_socket, "ACCESS_RECHECK_SECONDS", 0)
    _client, headers = await run(logged_in)(world.clerk)
    dashboard = await subscribed(sockets, world, headers)
    await run(Session.objects.all().delete)()  # expired and cleared, say: no signal
    await dashboard.send_json_to({"type": "heartbeat"})
    assert (await closed_within(dashboard))[0] == 4403


async def test_a_patients_socket_closes_when_the_space_is_gone_without_an_event(
    sockets: Sockets, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_socket, "ACCESS_RECHECK_SECONDS", 0)
    astrid = await run(enter)(world.clinic_a, "Astrid", "Aalto")
    patient, _status = await sockets.patient(astrid)
    await run(Consultation.objects.filter(pk=astrid.pk).delete)()
    await patient.send_json_to({"type": "heartbeat"})
    assert (await closed_within(patient))[0] == 4403


async def test_sockets_that_keep_their_access_stay(sockets: Sockets, world: World) -> None:
    """A change to someone else's access, or one that keeps this person's, closes nothing."""
    _c1, clerk_headers = await run(logged_in)(world.clerk)
    _c2, member_headers = await run(logged_in)(world.member)
    clerk = await subscribed(sockets, world, clerk_headers)
    member = await subscribed(sockets, world, member_headers)
    await run(organisations.remove_from_clinic)(await run(world.membership)(world.member))
    assert (await closed_within(member))[0] == 4403
    await still_open(clerk)
    await run(world.clerk.save)(update_fields=["last_login"])
    await still_open(clerk)


async def test_a_role_that_loses_the_capability_closes_the_socket(sockets: Sockets, world: World) -> None:
    _client, headers = await run(logged_in)(world.coordinator)
    dashboard = await subscribed(sockets, world, headers)  # coordinators may use every waiting area
    membership = await run(world.organisation_membership)(world.coordinator)
    membership.role = OrganisationRole.REPORTER  # reporters see reports, never a waiting area
    await run(membership.save)()
    assert (await closed_within(dashboard))[0] == 4403
