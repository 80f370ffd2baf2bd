"""Hostile traffic on the call sockets: ghost peers, stolen places, floods, what is sent after a close.

Issue 9, findings 3, 4 and 5. Each test failed before: one socket minted six ghost peers by
`join_call` with unknown `resume` ids, an invitee took another invitee's place, a chat loop
reached the other side tens of thousands of times, a thousand sockets knocked on one link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from consulta.calls.actions import MAX_PARTICIPANTS
from consulta.calls.models import Participant
from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    Frame,
    Sockets,
    ask,
    call_path,
    collect,
    enter,
    invitee_headers,
    receive,
    run,
    staff_headers,
    still_open,
)
from consulta.core import ratelimit
from consulta.rooms.tests.rooms import guest_path
from consulta.testing import RateLimitClock, World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def astrid(world: World) -> Consultation:
    return enter(world.clinic_a, "Astrid", "Aalto")


def random_peer_id() -> str:
    return secrets.token_urlsafe(12)


async def count_participants() -> int:
    return await run(Participant.objects.count)()


# --- One place per socket, resumable only by its holder ----------------------------------------------


async def test_one_socket_cannot_mint_ghost_peers(sockets: Sockets, world: World, astrid: Consultation) -> None:
    invite = await run(actions.invite_to_call)(astrid, world.member)
    invitee = await sockets.open(f"/ws/invites/{invite.token}/", await run(invitee_headers)(invite.token, "Ivy"))
    first = await ask(invitee, {"type": "join_call"})
    for _ in range(MAX_PARTICIPANTS + 2):
        again = await ask(invitee, {"type": "join_call", "resume": random_peer_id()})
        assert again["type"] == "welcome"
        assert again["peer_id"] == first["peer_id"]  # the socket's one place, every time
    assert await count_participants() == 1

    clinician = await sockets.open(call_path(astrid), await run(staff_headers)(world.member))
    welcome = await ask(clinician, {"type": "join_call"})
    assert welcome["type"] == "welcome", welcome  # not call_full


async def test_new_sockets_of_one_invitee_replace_their_place_not_add_to_it(
    sockets: Sockets, world: World, astrid: Consultation
) -> None:
    invite = await run(actions.invite_to_call)(astrid, world.member)
    headers = await run(invitee_headers)(invite.token, "Ivy")
    for _ in range(MAX_PARTICIPANTS + 1):
        socket = await sockets.open(f"/ws/invites/{invite.token}/", headers)
        assert (await ask(socket, {"type": "join_call", "resume": random_peer_id()}))["type"] == "welcome"
    assert await count_participants() == 1


async def test_an_invitee_cannot_take_another_invitees_place(
    sockets: Sockets, world: World, astrid: Consultation
) -> None:
    invite = await run(actions.invite_to_call)(astrid, world.member)
    path = f"/ws/invites/{invite.token}/"
    ivy = await sockets.open(path, await run(invitee_headers)(invite.token, "Ivy"))
    ivy_id = (await ask(ivy, {"type": "join_call"}))["peer_id"]
    otto = await sockets.open(path, await run(invitee_headers)(invite.token, "Otto"))
    otto_welcome = await ask(otto, {"type": "join_call", "resume": ivy_id})

    assert otto_welcome["peer_id"] != ivy_id
    assert [peer["peer_id"] for peer in otto_welcome["peers"]] == [ivy_id]
    ivy_place = await run(Participant.objects.get)(peer_id=ivy_id)
    assert ivy_place.name == "Ivy"
    # A signal for Ivy reaches Ivy alone.
    await collect(ivy)
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await otto.send_json_to({"type": "signal", "to": ivy_id, "description": offer})
    assert (await receive(ivy))["type"] == "signal"
    assert await otto.receive_nothing(timeout=0.3)


# --- Floods -------------------------------------------------------------------------------------------


async def test_a_chat_flood_is_cut_off_and_the_other_side_hears_only_the_allowance(
    sockets: Sockets, world: World, astrid: Consultation, settings: Settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat_messages": "5/minute"}
    invite = await run(actions.invite_to_call)(astrid, world.member)
    flooder = await sockets.open(f"/ws/invites/{invite.token}/", await run(invitee_headers)(invite.token, "Flo"))
    await ask(flooder, {"type": "join_call"})
    listener = await sockets.open(call_path(astrid), await run(staff_headers)(world.member))
    await ask(listener, {"type": "join_call"})
    await collect(flooder)

    errors: list[Frame] = []
    for n in range(200):
        await flooder.send_json_to({"type": "chat", "text": f"spam {n}"})
    close = None
    while close is None:
        output = await flooder.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            close = output
        elif '"error"' in output["text"]:
            errors.append(output)
    assert close["code"] == 4400  # error frames, then the close
    assert errors and all('"rate_limited"' in frame["text"] and '"retry_after"' in frame["text"] for frame in errors)
    heard = [frame for frame in await collect(listener) if frame["type"] == "chat"]
    assert len(heard) == 5


async def test_the_message_burst_allowance(
    sockets: Sockets, world: World, settings: Settings, rate_limit_clock: RateLimitClock
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "socket_messages": "10/10seconds"}
    rate_limit_clock.to_window_start(10)  # the eleven heartbeats in one window, however slow the machine
    dashboard = await sockets.open(f"/ws/clinic/{world.clinic_a.slug}/queue/", await run(staff_headers)(world.clerk))
    for _ in range(10):
        assert await ask(dashboard, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    refused = await ask(dashboard, {"type": "heartbeat"})
    assert refused["type"] == "error" and refused["code"] == "rate_limited"
    assert 1 <= refused["retry_after"] <= 20  # a sliding-window counter: at most two windows
    assert "try again" in refused["message"]


async def test_the_wait_message_speaks_the_sockets_language(sockets: Sockets, world: World, settings: Settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "socket_messages": "1/minute"}
    headers = [*await run(staff_headers)(world.clerk), (b"accept-language", b"sv")]
    dashboard = await sockets.open(f"/ws/clinic/{world.clinic_a.slug}/queue/", headers)
    await ask(dashboard, {"type": "heartbeat"})
    refused = await ask(dashboard, {"type": "heartbeat"})
    assert refused["code"] == "rate_limited"
    assert "försök igen" in refused["message"].lower(), refused["message"]


async def test_a_knock_flood_on_one_link_is_refused(sockets: Sockets, world: World, settings: Settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "knock_link": "3/10minutes", "knock_address": "100/minute"}
    answers = []
    for n in range(6):
        guest = await sockets.open(guest_path(world.guest_link))  # cookie-less, a new socket each time
        answers.append(await ask(guest, {"type": "knock", "name": f"Ghost {n}"}))
    assert [answer["type"] for answer in answers[:3]] == ["knock_pending"] * 3
    assert all(answer["code"] == "rate_limited" for answer in answers[3:])


async def test_knocks_from_one_address_are_limited_but_not_another_address(
    sockets: Sockets, world: World, settings: Settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "knock_address": "2/10minutes"}
    for n in range(2):
        guest = await sockets.open(guest_path(world.guest_link))
        assert (await ask(guest, {"type": "knock", "name": f"G{n}"}))["type"] == "knock_pending"
    flood = await sockets.open(guest_path(world.guest_link))
    assert (await ask(flood, {"type": "knock", "name": "G3"}))["code"] == "rate_limited"

    elsewhere = WebsocketCommunicator(
        sockets.make(guest_path(world.guest_link)).application, guest_path(world.guest_link), headers=SAME_ORIGIN
    )
    elsewhere.scope["client"] = ("127.0.0.2", 50000)
    sockets.opened.append(elsewhere)
    assert (await elsewhere.connect())[0]
    assert (await ask(elsewhere, {"type": "knock", "name": "Real Person"}))["type"] == "knock_pending"


async def test_too_many_connections_from_one_address_are_closed_with_4429(sockets: Sockets, settings: Settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "socket_connect_address": "3/minute"}
    for _ in range(3):
        await still_open_ping(await sockets.open("/ws/ping/"))
    assert await sockets.refused_with("/ws/ping/") == 4429
    ratelimit.reset()
    await still_open_ping(await sockets.open("/ws/ping/"))


async def still_open_ping(socket: WebsocketCommunicator) -> None:
    assert await ask(socket, {"type": "ping"}) == {"type": "pong"}


# --- TURN credentials -----------------------------------------------------------------------------


def turn_password(username: str, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()


async def test_turn_credentials_only_after_joining_and_renewed_before_they_run_out(
    sockets: Sockets, world: World, astrid: Consultation, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_SECRET = "test-secret"
    settings.TURN_CREDENTIAL_TTL = 600
    socket = await sockets.open(call_path(astrid), await run(staff_headers)(world.member))
    assert await ask(socket, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}  # nothing before joining
    welcome = await ask(socket, {"type": "join_call"})
    turn = welcome["ice_servers"][0]
    expires = int(turn["username"].split(":")[0])
    assert turn["credential"] == turn_password(turn["username"], "test-secret")

    from consulta.calls import consumers

    clock = consumers.time.monotonic
    monkeypatch.setattr(consumers.time, "monotonic", lambda: clock() + 301)  # past half the lifetime
    renewed = await ask(socket, {"type": "heartbeat"})
    assert renewed["type"] == "ice_servers"
    assert int(renewed["ice_servers"][0]["username"].split(":")[0]) >= expires
    assert await receive(socket) == {"type": "heartbeat_ack"}


# --- Nothing after a close, nothing in the log ------------------------------------------------------------


async def test_nothing_is_sent_after_a_close_and_nothing_is_logged(
    sockets: Sockets, world: World, astrid: Consultation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    patient, _status = await sockets.patient(astrid)
    for _ in range(25):  # 20 errors close the socket with 4400; the rest arrive after the close
        await patient.send_to(text_data="not json")
    frames = []
    while True:
        output = await patient.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        frames.append(output)
    assert output["code"] == 4400
    assert len(frames) == 20
    await run(actions.notify)(astrid, "Events after the close reach nobody")
    assert await patient.receive_nothing(timeout=0.3)
    assert [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR] == []


async def test_a_deeply_nested_frame_is_an_error_not_a_recursion(
    sockets: Sockets, astrid: Consultation, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    ping = await sockets.open("/ws/ping/")
    answer = await ask(ping, "[" * 5000 + "]" * 5000)
    assert answer["type"] == "error"
    await still_open_ping(ping)
    patient, _status = await sockets.patient(astrid)
    assert (await ask(patient, '{"type": "chat", "text": ' + "[" * 5000 + "]" * 5000 + "}"))["type"] == "error"
    await still_open(patient)
    assert [record for record in caplog.records if record.exc_info] == []


async def test_an_oversized_frame_is_refused_before_parsing(sockets: Sockets, astrid: Consultation) -> None:
    patient, _status = await sockets.patient(astrid)
    answer = await ask(patient, '{"type": "chat", "text": "' + "x" * 70_000 + '"}')
    assert answer["code"] == "too_large"
    await still_open(patient)


# --- Names leave the session when the call ends (finding 9) ------------------------------------------


def session_of(client: Client) -> dict[str, object]:
    from importlib import import_module

    from django.conf import settings as django_settings

    store = import_module(django_settings.SESSION_ENGINE).SessionStore(client.cookies["sessionid"].value)
    return dict(store.items())


async def test_an_invitees_name_leaves_the_session_when_the_call_ends(
    sockets: Sockets, world: World, astrid: Consultation
) -> None:
    invite = await run(actions.invite_to_call)(astrid, world.member)
    client = Client()
    url = reverse("consultations:join_by_invite", args=[invite.token])
    assert (await run(client.post)(url, {"name": "Ines Interpreter"})).status_code == 302
    headers = [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]
    assert "Ines Interpreter" in (await run(session_of)(client)).values()
    invitee = await sockets.open(f"/ws/invites/{invite.token}/", headers)
    await ask(invitee, {"type": "join_call"})

    await run(actions.end)(astrid)
    assert (await receive(invitee))["type"] == "call_ended"
    await invitee.receive_nothing(timeout=0.2)
    assert "Ines Interpreter" not in (await run(session_of)(client)).values()


async def test_a_declined_guests_name_leaves_the_session(sockets: Sockets, world: World) -> None:
    from consulta.rooms.tests.rooms import knock, named_guest, room_path

    client, headers = await run(named_guest)(world.guest_link, "Gita Guest")
    assert "Gita Guest" in (await run(session_of)(client)).values()
    host = await sockets.open(room_path(world.meeting_room), await run(staff_headers)(world.member))
    guest = await knock(sockets, world.guest_link, "Gita Guest", headers)
    heard = await receive(host)
    await host.send_json_to({"type": "decline", "knock_id": heard["knock_id"]})
    assert (await receive(guest))["type"] == "declined"
    assert (await guest.receive_output(timeout=3))["code"] == 4403
    assert "Gita Guest" not in (await run(session_of)(client)).values()
