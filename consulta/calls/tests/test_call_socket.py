"""Call signalling: the team's `/ws/consultations/<id>/call/` and the patient's socket taking part in one call."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from pytest_django import Settings

from consulta.accounts.models import User
from consulta.calls.actions import MAX_PARTICIPANTS
from consulta.calls.models import Call, Participant
from consulta.consultations import actions
from consulta.consultations.models import Consultation, ConsultationRecord
from consulta.consultations.tests.sockets import (
    Frame,
    Headers,
    Sockets,
    ask,
    call_path,
    collect,
    enter,
    receive,
    receive_close,
    run,
    staff_headers,
    still_open,
)
from consulta.organisations.models import ClinicMembership, ClinicRole
from consulta.testing import World, make_user

pytestmark = pytest.mark.django_db(transaction=True)

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


@pytest.fixture
def astrid(world: World) -> Consultation:
    return enter(world.clinic_a, "Astrid", "Aalto", "+46701111111")


@pytest.fixture
def member_headers(world: World) -> Headers:
    return staff_headers(world.member)


@pytest.fixture
def clerk_headers(world: World) -> Headers:
    return staff_headers(world.clerk)


async def _answer(consultation: Consultation, world: World) -> None:
    """The clinic answers: the patient's status becomes in_call."""
    await run(actions.join)(consultation, world.member)


async def _staff_joins(
    sockets: Sockets, consultation: Consultation, headers: Headers
) -> tuple[WebsocketCommunicator, Frame]:
    socket = await sockets.open(call_path(consultation), headers)
    welcome = await ask(socket, {"type": "join_call"})
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def _patient_joins(sockets: Sockets, consultation: Consultation) -> tuple[WebsocketCommunicator, Frame]:
    """The patient's socket, once answered, joins the call; returns it and its welcome."""
    socket, status = await sockets.patient(consultation)
    assert status["state"] == "in_call"
    welcome = await ask(socket, {"type": "join_call"})
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


def _peer(peer_id: str, name: str, role: str, audio: bool = True, video: bool = True) -> Frame:
    # No User-Agent in these tests: browser and system not known (test_call_quality.py has them).
    client = {"browser": "", "browser_version": "", "os": ""}
    return {"peer_id": peer_id, "name": name, "role": role, "audio": audio, "video": video, "client": client}


# --- Who may take part ---------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["anonymous", "outsider", "reporter"])
async def test_people_outside_the_clinics_team_get_4404(
    sockets: Sockets, world: World, astrid: Consultation, person: str
) -> None:
    user = world.person(person)
    headers = await run(staff_headers)(user) if isinstance(user, User) else None
    assert await sockets.refused_with(call_path(astrid), headers) == 4404


async def test_a_member_of_another_clinic_gets_4404(sockets: Sockets, world: World, astrid: Consultation) -> None:
    birch_member = await run(make_user)("bea@acme.test", "Bea", "Birchley")
    await run(ClinicMembership.objects.create)(clinic=world.clinic_b, user=birch_member, role=ClinicRole.MEMBER)
    assert await sockets.refused_with(call_path(astrid), await run(staff_headers)(birch_member)) == 4404


async def test_an_unknown_consultation_gets_4404(sockets: Sockets, member_headers: Headers) -> None:
    assert await sockets.refused_with("/ws/consultations/987654/call/", member_headers) == 4404


# --- Joining ---------------------------------------------------------------------------------------------


async def test_the_team_member_and_the_patient_meet_in_the_call(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    assert set(staff_welcome) == {
        "type",
        "peer_id",
        "peers",
        "ice_servers",
        "ice_transport_policy",
        "apps_view_only",
        "client",
    }
    assert staff_welcome["apps_view_only"] is False
    assert staff_welcome["ice_transport_policy"] == "all"  # CALL_ICE_TRANSPORT_POLICY's default
    assert staff_welcome["peers"] == []
    assert isinstance(staff_welcome["ice_servers"], list)
    staff_id = staff_welcome["peer_id"]

    await _answer(astrid, world)
    patient, patient_welcome = await _patient_joins(sockets, astrid)
    patient_id = patient_welcome["peer_id"]

    assert patient_id != staff_id
    assert patient_welcome["peers"] == [_peer(staff_id, "Mia Memberg", "staff")]
    assert await receive(staff) == {"type": "peer_joined", "peer": _peer(patient_id, "Astrid Aalto", "patient")}
    assert await staff.receive_nothing(timeout=0.3)
    assert await patient.receive_nothing(timeout=0.3)  # no peer_joined about itself


async def test_a_signal_reaches_only_the_peer_it_is_for(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, patient_welcome = await _patient_joins(sockets, astrid)
    clerk, _ = await _staff_joins(sockets, astrid, clerk_headers)
    await collect(staff)
    await collect(patient)
    staff_id, patient_id = staff_welcome["peer_id"], patient_welcome["peer_id"]

    await staff.send_json_to({"type": "signal", "to": patient_id, "description": OFFER})
    assert await receive(patient) == {"type": "signal", "from": staff_id, "description": OFFER, "candidate": None}

    await patient.send_json_to({"type": "signal", "to": staff_id, "candidate": CANDIDATE})
    relayed = await receive(staff)
    assert relayed["from"] == patient_id
    assert relayed["description"] is None
    assert {key: relayed["candidate"][key] for key in CANDIDATE} == CANDIDATE

    for socket in (staff, patient, clerk):
        assert await socket.receive_nothing(timeout=0.3)


async def test_a_signal_never_crosses_into_another_call(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    bertil = await run(enter)(world.clinic_a, "Bertil", "Berg", "+46702222222")
    in_astrids, _ = await _staff_joins(sockets, astrid, member_headers)
    in_bertils, bertils_welcome = await _staff_joins(sockets, bertil, clerk_headers)

    await in_astrids.send_json_to({"type": "signal", "to": bertils_welcome["peer_id"], "description": OFFER})

    assert await in_bertils.receive_nothing(timeout=0.3)
    assert await in_astrids.receive_nothing(timeout=0.3)


async def test_media_state_reaches_the_others_and_newcomers_see_it(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    await collect(staff)
    staff_id = staff_welcome["peer_id"]

    await staff.send_json_to({"type": "media_state", "audio": False, "video": True})

    assert await receive(patient) == {"type": "media_state", "peer_id": staff_id, "audio": False, "video": True}
    # The sender knows its own state: an echo would show it a tile of itself.
    assert await staff.receive_nothing(timeout=0.3)
    _clerk, clerk_welcome = await _staff_joins(sockets, astrid, clerk_headers)
    assert _peer(staff_id, "Mia Memberg", "staff", audio=False) in clerk_welcome["peers"]


async def test_leaving_tells_the_others(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    await collect(staff)

    await staff.send_json_to({"type": "leave_call"})

    assert await receive(patient) == {"type": "peer_left", "peer_id": staff_welcome["peer_id"]}
    assert not await run(Participant.objects.filter(peer_id=staff_welcome["peer_id"]).exists)()
    # The leaver may hear of its own leaving (its client ignores it), of nothing else.
    for frame in await collect(staff):
        assert frame == {"type": "peer_left", "peer_id": staff_welcome["peer_id"]}
    # Out of the call: signalling needs a new join.
    error = await ask(staff, {"type": "signal", "to": "abcdefgh12", "description": OFFER})
    assert (error["type"], error["code"]) == ("error", "not_in_call")


async def test_hold_takes_the_patient_out_of_the_call(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    staff, _ = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, patient_welcome = await _patient_joins(sockets, astrid)
    await collect(staff)
    patient_id = patient_welcome["peer_id"]

    await run(actions.hold)(astrid)

    assert await receive(staff) == {"type": "peer_left", "peer_id": patient_id}
    on_patient = await collect(patient)
    assert {"type": "peer_left", "peer_id": patient_id} in on_patient
    assert on_patient[-1]["type"] == "status"
    assert on_patient[-1]["state"] == "on_hold"
    # On hold: the patient cannot come back into the call by itself.
    error = await ask(patient, {"type": "join_call"})
    assert (error["type"], error["code"]) == ("error", "not_in_call")
    error = await ask(patient, {"type": "signal", "to": "abcdefgh12", "description": OFFER})
    assert (error["type"], error["code"]) == ("error", "not_in_call")
    assert await staff.receive_nothing(timeout=0.3)


async def test_the_end_ends_the_call_for_everyone(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    staff, _ = await _staff_joins(sockets, astrid, member_headers)
    clerk, _ = await _staff_joins(sockets, astrid, clerk_headers)
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    await collect(staff)
    await collect(clerk)

    await run(actions.end)(astrid)

    assert await receive(staff) == {"type": "call_ended"}
    assert await receive(clerk) == {"type": "call_ended"}
    assert await receive(patient) == {"type": "call_ended"}
    assert (await receive(patient))["state"] == "ended"
    assert await receive_close(patient) == {"type": "websocket.close", "code": 1000}
    assert await run(Call.objects.count)() == 0
    assert await run(Participant.objects.count)() == 0
    record = await run(ConsultationRecord.objects.get)()
    assert record.max_participants == 3
    # The team's sockets stay open (the page shows the end), out of any call.
    await still_open(staff)
    error = await ask(staff, {"type": "join_call"})
    assert (error["type"], error["code"]) == ("error", "ended")


# --- Reconnecting ---------------------------------------------------------------------------------------


async def test_a_reconnected_socket_resumes_its_place_without_a_new_peer_joined(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, patient_welcome = await _patient_joins(sockets, astrid)
    await collect(staff)
    patient_id = patient_welcome["peer_id"]

    await patient.disconnect()  # the network drops; media would flow on meanwhile
    again, status = await sockets.patient(astrid)
    assert status["state"] == "in_call"
    resumed = await ask(again, {"type": "join_call", "resume": patient_id})

    assert resumed["type"] == "welcome"
    assert resumed["peer_id"] == patient_id
    assert [peer["peer_id"] for peer in resumed["peers"]] == [staff_welcome["peer_id"]]
    assert await staff.receive_nothing(timeout=0.3)  # no peer_joined, no peer_left
    # Signals now reach the new socket.
    await staff.send_json_to({"type": "signal", "to": patient_id, "description": OFFER})
    assert (await receive(again))["from"] == staff_welcome["peer_id"]


async def test_nobody_can_resume_someone_elses_place(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    await collect(staff)

    clerk = await sockets.open(call_path(astrid), clerk_headers)
    welcome = await ask(clerk, {"type": "join_call", "resume": staff_welcome["peer_id"]})

    assert welcome["type"] == "welcome"
    assert welcome["peer_id"] != staff_welcome["peer_id"]
    joined = await receive(staff)
    assert joined["type"] == "peer_joined"
    assert joined["peer"]["peer_id"] == welcome["peer_id"]
    assert joined["peer"]["name"] == "Clem Clerkson"
    # The member's signals still reach only the member.
    await patient.send_json_to({"type": "signal", "to": staff_welcome["peer_id"], "candidate": CANDIDATE})
    assert (await receive(staff))["type"] == "signal"
    assert await clerk.receive_nothing(timeout=0.3)


async def test_a_peer_silent_past_the_timeout_is_dropped_when_someone_joins(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, clerk_headers: Headers
) -> None:
    staff, staff_welcome = await _staff_joins(sockets, astrid, member_headers)
    await run(Participant.objects.filter(peer_id=staff_welcome["peer_id"]).update)(
        last_seen_at=timezone.now() - timedelta(minutes=5)
    )

    _clerk, clerk_welcome = await _staff_joins(sockets, astrid, clerk_headers)

    assert clerk_welcome["peers"] == []
    assert await receive(staff) == {"type": "peer_left", "peer_id": staff_welcome["peer_id"]}


# --- The cap -------------------------------------------------------------------------------------------


async def test_a_seventh_person_is_refused_until_someone_leaves(
    sockets: Sockets, world: World, astrid: Consultation
) -> None:
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    team = [world.member, world.clerk, world.clinic_admin, world.org_admin, world.coordinator]
    in_call = [patient]
    for user in team:
        socket, _ = await _staff_joins(sockets, astrid, await run(staff_headers)(user))
        in_call.append(socket)
    assert len(in_call) == MAX_PARTICIPANTS
    extra_member = await run(make_user)("max@acme.test", "Max", "Extra")
    await run(ClinicMembership.objects.create)(clinic=world.clinic_a, user=extra_member, role=ClinicRole.MEMBER)
    extra_headers = await run(staff_headers)(extra_member)
    for socket in in_call:
        await collect(socket)

    seventh = await sockets.open(call_path(astrid), extra_headers)
    refused = await ask(seventh, {"type": "join_call"})

    assert refused["type"] == "error"
    assert refused["code"] == "call_full"
    assert str(MAX_PARTICIPANTS) in refused["message"]
    assert await seventh.receive_nothing(timeout=0.3)  # no welcome
    for socket in in_call:
        assert await socket.receive_nothing(timeout=0.3)  # and no peer_joined
    assert await run(Participant.objects.count)() == MAX_PARTICIPANTS

    await in_call[-1].send_json_to({"type": "leave_call"})
    assert (await receive(patient))["type"] == "peer_left"

    welcome = await ask(seventh, {"type": "join_call"})
    assert welcome["type"] == "welcome"
    assert len(welcome["peers"]) == MAX_PARTICIPANTS - 1


# --- ICE servers ---------------------------------------------------------------------------------------


async def test_the_welcome_carries_stun_and_time_limited_turn_credentials(
    sockets: Sockets, astrid: Consultation, member_headers: Headers, settings: Settings
) -> None:
    settings.STUN_URLS = ["stun:127.0.0.1:3478"]
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_SECRET = "s3cret"
    settings.TURN_CREDENTIAL_TTL = 3600

    before = int(time.time())
    _staff, welcome = await _staff_joins(sockets, astrid, member_headers)
    after = int(time.time())

    stun, turn = welcome["ice_servers"]
    assert stun == {"urls": ["stun:127.0.0.1:3478"]}
    assert turn["urls"] == ["turn:127.0.0.1:3478"]
    expiry, peer_id = turn["username"].split(":")
    assert peer_id == welcome["peer_id"]
    assert before + 3600 <= int(expiry) <= after + 3600
    digest = hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()


async def test_without_turn_settings_only_stun_is_offered(
    sockets: Sockets, astrid: Consultation, member_headers: Headers, settings: Settings
) -> None:
    settings.STUN_URLS = ["stun:127.0.0.1:3478"]
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_SECRET = ""  # no secret shared with the TURN server: no credentials to hand out

    _staff, welcome = await _staff_joins(sockets, astrid, member_headers)

    assert welcome["ice_servers"] == [{"urls": ["stun:127.0.0.1:3478"]}]


async def test_the_welcome_carries_the_relay_only_policy(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, settings: Settings
) -> None:
    settings.TURN_URLS = ["turn:127.0.0.1:3478"]
    settings.TURN_SECRET = "s3cret"
    settings.CALL_ICE_TRANSPORT_POLICY = "relay"

    _staff, welcome = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    _patient, patient_welcome = await _patient_joins(sockets, astrid)

    assert welcome["ice_transport_policy"] == patient_welcome["ice_transport_policy"] == "relay"
    assert welcome["ice_servers"][0]["urls"] == ["turn:127.0.0.1:3478"]


def test_a_bad_ice_transport_policy_refuses_to_start() -> None:
    """The settings module itself refuses: a typo would otherwise leave calls silently direct."""
    for environment, message in (
        ({"CALL_ICE_TRANSPORT_POLICY": "relay-only"}, "CALL_ICE_TRANSPORT_POLICY must be all or relay"),
        ({"CALL_ICE_TRANSPORT_POLICY": "relay", "TURN_URLS": "", "TURN_SECRET": ""}, "needs TURN_URLS and TURN_SECRET"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "import consulta.settings"],
            env={**os.environ, "SECRET_KEY": "k" * 50, "DJANGO_SETTINGS_MODULE": "consulta.settings", **environment},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr


# --- Malformed signals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "hint"),
    [
        ({"to": "not a peer id!", "description": OFFER}, "signal.to"),
        ({"to": "short", "description": OFFER}, "signal.to"),
        ({"to": "abcdefgh12", "description": {"type": "offer", "sdp": "x" * 60_001}}, "signal.description.sdp"),
        ({"to": "abcdefgh12", "description": {"type": "pranswer", "sdp": "v=0"}}, "signal.description.type"),
        ({"to": "abcdefgh12", "candidate": {**CANDIDATE, "relay": "evil"}}, "signal.candidate.relay"),
        ({"to": "abcdefgh12", "candidate": {**CANDIDATE, "sdpMLineIndex": -1}}, "signal.candidate.sdpMLineIndex"),
        ({"to": "abcdefgh12", "description": OFFER, "from": "abcdefgh13"}, "signal.from"),
    ],
    ids=["bad-peer-id", "short-peer-id", "sdp-too-long", "bad-sdp-type", "candidate-extra", "bad-mline", "forged-from"],
)
async def test_a_malformed_signal_gets_an_error_and_is_not_relayed(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers, signal: Frame, hint: str
) -> None:
    staff, _ = await _staff_joins(sockets, astrid, member_headers)
    await _answer(astrid, world)
    patient, _ = await _patient_joins(sockets, astrid)
    await collect(staff)

    error = await ask(staff, {"type": "signal", **signal})

    assert error["type"] == "error"
    assert error["code"] == "invalid"
    assert error["message"].startswith(hint)
    assert "Traceback" not in error["message"]
    assert await patient.receive_nothing(timeout=0.3)
    await still_open(staff)


async def test_a_peer_cannot_signal_itself(sockets: Sockets, astrid: Consultation, member_headers: Headers) -> None:
    staff, welcome = await _staff_joins(sockets, astrid, member_headers)
    error = await ask(staff, {"type": "signal", "to": welcome["peer_id"], "description": OFFER})
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert await staff.receive_nothing(timeout=0.3)


async def test_a_team_socket_must_join_before_signalling(
    sockets: Sockets, astrid: Consultation, member_headers: Headers
) -> None:
    staff = await sockets.open(call_path(astrid), member_headers)
    for message in (
        {"type": "signal", "to": "abcdefgh12", "description": OFFER},
        {"type": "media_state", "audio": True, "video": False},
    ):
        error = await ask(staff, message)
        assert (error["type"], error["code"]) == ("error", "not_in_call")
    await still_open(staff)


async def test_a_team_member_answers_and_joins_in_one_message(
    sockets: Sockets, world: World, astrid: Consultation, member_headers: Headers
) -> None:
    """The dashboard's Join over the call's own socket: `join_call` with `answer` puts the caller
    in the call (their status says so) and the member in it, without the HTTP Join first."""
    patient, status = await sockets.patient(astrid)
    assert status["state"] == "waiting"
    member = await sockets.open(call_path(astrid), member_headers)

    welcome = await ask(member, {"type": "join_call", "answer": True})

    assert welcome["type"] == "welcome", welcome
    heard = await receive(patient)
    assert (heard["type"], heard["state"]) == ("status", "in_call")
    await run(astrid.refresh_from_db)()
    assert astrid.status == "in_call" and astrid.answered_at is not None
    # The patient's join now finds the member in the call.
    joined = await ask(patient, {"type": "join_call"})
    assert [peer["peer_id"] for peer in joined["peers"]] == [welcome["peer_id"]]


async def test_only_the_team_answers_a_caller(sockets: Sockets, astrid: Consultation, world: World) -> None:
    await _answer(astrid, world)
    patient, _status = await sockets.patient(astrid)

    refused = await ask(patient, {"type": "join_call", "answer": True})

    assert refused["type"] == "error" and refused["code"] == "not_allowed", refused
    assert not await run(Participant.objects.exists)()
