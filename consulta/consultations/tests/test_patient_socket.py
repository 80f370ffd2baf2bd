"""The patient's own socket, `/ws/patient/<token>/`: their status, notices, and nothing about anyone else."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from consulta.calls.json_socket import MAX_ERRORS
from consulta.calls.messages import MAX_FRAME_BYTES
from consulta.consultations import actions, presence
from consulta.consultations.models import Consultation, ConsultationRecord, Outcome
from consulta.consultations.tests.sockets import (
    Frame,
    Sockets,
    ask,
    collect,
    enter,
    patient_path,
    receive,
    receive_close,
    run,
    still_open,
)
from consulta.testing import World

pytestmark = pytest.mark.django_db(transaction=True)

# Everything a status frame may hold: the patient's own state, nothing else.
STATUS_KEYS = {"type", "state", "clinic_name", "position", "estimated_wait_minutes"}


def _status(state: str, position: int | None = None) -> Frame:
    return {
        "type": "status",
        "state": state,
        "clinic_name": "Alder Clinic",
        "position": position,
        "estimated_wait_minutes": None,
    }


def _show_positions(world: World, show: bool = True) -> None:
    area = world.clinic_a.waiting_area
    area.show_queue_position = show
    area.save()


@pytest.fixture
def astrid(world: World) -> Consultation:
    return enter(world.clinic_a, "Astrid", "Aalto", "+46701111111")


@pytest.fixture
def bertil(world: World, astrid: Consultation) -> Consultation:
    """Enters after Astrid: second in the queue."""
    return enter(world.clinic_a, "Bertil", "Berg", "+46702222222")


async def test_a_valid_token_gets_its_status_on_connect(sockets: Sockets, astrid: Consultation) -> None:
    _socket, status = await sockets.patient(astrid)
    assert status == _status("waiting")


async def test_the_status_carries_the_position_where_the_clinic_shows_it(
    sockets: Sockets, world: World, astrid: Consultation, bertil: Consultation
) -> None:
    await run(_show_positions)(world)
    _a, status_a = await sockets.patient(astrid)
    _b, status_b = await sockets.patient(bertil)
    assert status_a == _status("waiting", position=1)
    assert status_b == _status("waiting", position=2)


async def test_an_unknown_token_is_accepted_then_closed_with_4404(sockets: Sockets, world: World) -> None:
    assert await sockets.refused_with("/ws/patient/no-such-token-at-all/") == 4404


async def test_a_foreign_origin_is_refused_before_anything_else(sockets: Sockets, astrid: Consultation) -> None:
    communicator = sockets.make(patient_path(astrid), headers=[(b"origin", b"https://evil.example")])
    connected, _code = await communicator.connect()
    assert not connected
    assert (await run(Consultation.objects.get)(pk=astrid.pk)).connected is False


# --- Privacy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("show_positions", [False, True], ids=["no-positions", "positions"])
async def test_nothing_about_other_patients_reaches_a_patient(
    sockets: Sockets, world: World, show_positions: bool
) -> None:
    await run(_show_positions)(world, show_positions)
    astrid = await run(enter)(world.clinic_a, "Astrid", "Aalto", "+46701111111")
    bertil = await run(enter)(world.clinic_a, "Bertil", "Berg", "+46702222222")
    socket_a, status_a = await sockets.patient(astrid)
    socket_b, status_b = await sockets.patient(bertil)
    assert status_a == _status("waiting", 1 if show_positions else None)
    assert status_b == _status("waiting", 2 if show_positions else None)
    seen_by_b: list[Frame] = []
    seen_by_b += await collect(socket_b)  # Astrid's socket connecting is Astrid's business

    # Cecilia enters after both.
    cecilia = await run(enter)(world.clinic_a, "Cecilia", "Carlsson", "+46703333333")
    seen_by_a = await collect(socket_a)
    seen_by_b += await collect(socket_b)

    # The clinic answers Astrid, puts her on hold, writes to her, ends her consultation.
    await run(actions.join)(astrid, world.member)
    seen_by_a += await collect(socket_a)
    seen_by_b += await collect(socket_b)
    await run(actions.hold)(astrid)
    seen_by_a += await collect(socket_a)
    seen_by_b += await collect(socket_b)
    await run(actions.notify)(astrid, "Back in a minute")
    seen_by_a += await collect(socket_a)
    seen_by_b += await collect(socket_b)
    await run(actions.end)(astrid)
    seen_by_a.append(await receive(socket_a))
    seen_by_b += await collect(socket_b)

    # Astrid saw her own story: her place as Cecilia entered (where shown), then each change.
    assert [frame.get("state", frame["type"]) for frame in seen_by_a] == [
        *(["waiting"] if show_positions else []),
        "in_call",
        "on_hold",
        "notice",
        "ended",
    ]
    for frame in seen_by_b:
        # Only Bertil's own status: no notice, no card, no count, no other id.
        assert frame["type"] == "status", frame
        assert set(frame) == STATUS_KEYS, frame
        assert frame["state"] == "waiting"
        assert frame["clinic_name"] == "Alder Clinic"
        text = json.dumps(frame)
        for other in (astrid, cecilia):
            for secret in (other.first_name, other.last_name, other.phone, other.token):
                assert secret not in text
    if show_positions:
        # Cecilia's entry: still second. Astrid answered: first. Astrid's hold and
        # notice: nothing. Astrid ended: first (re-announced, unchanged).
        assert [frame["position"] for frame in seen_by_b] == [2, 1, 1]
    else:
        assert seen_by_b == []


async def test_a_patient_sees_their_own_position_change_and_nothing_else(
    sockets: Sockets, world: World, astrid: Consultation, bertil: Consultation
) -> None:
    await run(_show_positions)(world)
    _socket_a, _ = await sockets.patient(astrid)
    socket_b, status_b = await sockets.patient(bertil)
    assert status_b["position"] == 2

    await run(actions.end)(astrid)
    moved = await receive(socket_b)
    assert set(moved) == STATUS_KEYS
    assert (moved["state"], moved["position"]) == ("waiting", 1)
    assert await socket_b.receive_nothing(timeout=0.3)


# --- Notices and the end ----------------------------------------------------------------------------


async def test_a_notice_reaches_only_its_patient(sockets: Sockets, astrid: Consultation, bertil: Consultation) -> None:
    socket_a, _ = await sockets.patient(astrid)
    socket_b, _ = await sockets.patient(bertil)

    await run(actions.notify)(astrid, "Running 5 minutes late")

    assert await receive(socket_a) == {"type": "notice", "text": "Running 5 minutes late"}
    assert await socket_b.receive_nothing(timeout=0.3)
    assert await socket_a.receive_nothing(timeout=0.3)


async def test_the_end_closes_the_space_and_keeps_only_an_anonymous_record(
    sockets: Sockets, world: World, astrid: Consultation
) -> None:
    socket_a, _ = await sockets.patient(astrid)
    await run(actions.join)(astrid, world.member)
    assert (await receive(socket_a))["state"] == "in_call"
    # Entered ten minutes ago, answered four minutes ago.
    now = timezone.now()
    entered, answered = now - timedelta(minutes=10), now - timedelta(minutes=4)
    await run(Consultation.objects.filter(pk=astrid.pk).update)(entered_at=entered, answered_at=answered)
    astrid = await run(Consultation.objects.select_related("clinic__waiting_area").get)(pk=astrid.pk)

    astrid_id = astrid.pk
    await run(actions.end)(astrid)

    assert await receive(socket_a) == _status("ended")
    assert await receive_close(socket_a) == {"type": "websocket.close", "code": 1000}
    # The token opens nothing any more.
    assert await sockets.refused_with(patient_path(astrid)) == 4404
    assert not await run(Consultation.objects.filter(pk=astrid_id).exists)()

    record = await run(ConsultationRecord.objects.get)()
    # Times and counts only: a new field here must be checked for personal data first.
    # `answered_by` is the clinician's account (who saw the patient), never the patient.
    assert {f.name for f in ConsultationRecord._meta.get_fields()} == {
        "id",
        "clinic",
        "entered_at",
        "answered_at",
        "answered_by",
        "ended_at",
        "wait_seconds",
        "call_seconds",
        "max_participants",
        "outcome",
        "was_transferred",
    }
    assert record.clinic_id == world.clinic_a.pk
    assert record.outcome == Outcome.ENDED
    assert record.entered_at == entered
    assert record.answered_at == answered
    assert record.wait_seconds == 6 * 60
    assert 4 * 60 <= record.call_seconds <= 4 * 60 + 5
    assert record.was_transferred is False
    assert record.ended_at >= now
    for value in (record.entered_at, record.ended_at, record.outcome, record.wait_seconds, record.call_seconds):
        assert "Astrid" not in str(value) and "Aalto" not in str(value)


async def test_a_patient_who_leaves_gets_left_and_the_socket_closes(sockets: Sockets, astrid: Consultation) -> None:
    socket_a, _ = await sockets.patient(astrid)

    await run(actions.leave)(astrid)

    assert (await receive(socket_a))["state"] == "left"
    assert await receive_close(socket_a) == {"type": "websocket.close", "code": 1000}
    record = await run(ConsultationRecord.objects.get)()
    assert (record.outcome, record.answered_at, record.call_seconds) == (Outcome.LEFT, None, 0)


# --- Bad input ----------------------------------------------------------------------------------


BAD_INPUT = {
    "not-json": ("this is not JSON", "invalid", "Invalid JSON"),
    "unknown-type": (json.dumps({"type": "launch_rockets"}), "invalid", "launch_rockets"),
    "extra-field": (json.dumps({"type": "heartbeat", "admin": True}), "invalid", "heartbeat.admin"),
    "no-type": (json.dumps({"text": "hello"}), "invalid", "type"),
    "oversized": (
        json.dumps({"type": "heartbeat", "padding": "x" * MAX_FRAME_BYTES}),
        "too_large",
        str(MAX_FRAME_BYTES),
    ),
    "dashboard-message": (json.dumps({"type": "subscribe"}), "unexpected", "subscribe"),
    "signal-before-join": (
        json.dumps({"type": "signal", "to": "abcdefgh12", "description": {"type": "offer", "sdp": "v=0"}}),
        "not_in_call",
        "Join the call first",
    ),
    "media-state-before-join": (
        json.dumps({"type": "media_state", "audio": False, "video": True}),
        "not_in_call",
        "Join the call first",
    ),
    "join-while-waiting": (json.dumps({"type": "join_call"}), "not_in_call", "not started the call"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
async def test_bad_input_gets_an_error_frame_and_the_socket_stays_open(
    sockets: Sockets, astrid: Consultation, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    text, code, hint = BAD_INPUT[name]
    socket_a, _ = await sockets.patient(astrid)

    with caplog.at_level(logging.ERROR):
        answer = await ask(socket_a, text)

    assert answer["type"] == "error"
    assert answer["code"] == code
    assert hint in answer["message"]
    assert "Traceback" not in answer["message"]
    assert set(answer) == {"type", "code", "message"}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # handled, not crashed
    await still_open(socket_a)


async def test_a_binary_frame_gets_an_error_frame(sockets: Sockets, astrid: Consultation) -> None:
    socket_a, _ = await sockets.patient(astrid)
    await socket_a.send_to(bytes_data=b'{"type": "heartbeat"}')
    answer = await receive(socket_a)
    assert answer == {"type": "error", "code": "bad_frame", "message": "Send text frames holding JSON."}
    await still_open(socket_a)


async def test_repeated_abuse_closes_the_socket_with_4400(sockets: Sockets, astrid: Consultation) -> None:
    socket_a, _ = await sockets.patient(astrid)
    for _ in range(MAX_ERRORS - 1):
        assert (await ask(socket_a, "{nope"))["type"] == "error"
    await still_open(socket_a)  # a heartbeat does not wipe the slate, but the socket is still there

    assert (await ask(socket_a, "{nope"))["code"] == "invalid"  # the 20th
    assert await receive_close(socket_a) == {"type": "websocket.close", "code": 4400}


# --- Heartbeat and presence -------------------------------------------------------------------------


async def _seen_long_ago(*consultations: Consultation) -> datetime:
    """Set their last_seen_at half an hour back; that time."""
    long_ago = timezone.now() - timedelta(minutes=30)
    await run(Consultation.objects.filter(pk__in=[c.pk for c in consultations]).update)(last_seen_at=long_ago)
    return long_ago


async def test_heartbeat_gets_an_ack_and_refreshes_last_seen_with_the_next_batch(
    sockets: Sockets, astrid: Consultation, settings: Any
) -> None:
    settings.PRESENCE_FLUSH_SECONDS = 1
    socket_a, _ = await sockets.patient(astrid)
    long_ago = await _seen_long_ago(astrid)

    assert await ask(socket_a, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    assert (await run(Consultation.objects.get)(pk=astrid.pk)).last_seen_at == long_ago  # not yet: batched

    await presence.written()
    refreshed = await run(Consultation.objects.get)(pk=astrid.pk)
    assert refreshed.last_seen_at > long_ago + timedelta(minutes=29)
    assert refreshed.connected is True


async def test_heartbeats_of_many_patients_are_one_write(
    sockets: Sockets, astrid: Consultation, bertil: Consultation, settings: Any
) -> None:
    settings.PRESENCE_FLUSH_SECONDS = 1
    socket_a, _ = await sockets.patient(astrid)
    socket_b, _ = await sockets.patient(bertil)
    long_ago = await _seen_long_ago(astrid, bertil)

    assert await ask(socket_a, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    assert await ask(socket_b, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    assert await ask(socket_a, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}

    await presence.written()
    a = await run(Consultation.objects.get)(pk=astrid.pk)
    b = await run(Consultation.objects.get)(pk=bertil.pk)
    assert a.last_seen_at == b.last_seen_at  # one UPDATE, one timestamp
    assert a.last_seen_at > long_ago + timedelta(minutes=29)


async def test_a_heartbeat_waiting_for_its_batch_does_not_outlive_the_socket(
    sockets: Sockets, astrid: Consultation, settings: Any
) -> None:
    settings.PRESENCE_FLUSH_SECONDS = 1
    socket_a, _ = await sockets.patient(astrid)
    await _seen_long_ago(astrid)
    assert await ask(socket_a, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}

    await socket_a.disconnect()
    gone = await run(Consultation.objects.get)(pk=astrid.pk)
    await presence.written()  # the batch's time has passed

    after = await run(Consultation.objects.get)(pk=astrid.pk)
    assert after.connected is False  # the forgotten heartbeat did not bring her back
    assert after.last_seen_at == gone.last_seen_at


async def test_with_no_batching_a_heartbeat_is_written_at_once(
    sockets: Sockets, astrid: Consultation, settings: Any
) -> None:
    settings.PRESENCE_FLUSH_SECONDS = 0
    socket_a, _ = await sockets.patient(astrid)
    long_ago = await _seen_long_ago(astrid)

    assert await ask(socket_a, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}

    refreshed = await run(Consultation.objects.get)(pk=astrid.pk)
    assert refreshed.last_seen_at > long_ago + timedelta(minutes=29)


def test_a_batch_brings_back_a_patient_marked_gone_while_a_socket_still_beats(
    astrid: Consultation, bertil: Consultation
) -> None:
    actions.patient_presence(astrid.pk, connected=True)
    actions.patient_presence(astrid.pk, connected=False)  # her second tab closed
    before = Consultation.objects.get(pk=astrid.pk)

    actions.patients_seen({astrid.pk, bertil.pk})

    after = Consultation.objects.get(pk=astrid.pk)
    assert after.connected is True
    assert after.version > before.version  # the dashboards were told
    assert Consultation.objects.get(pk=bertil.pk).last_seen_at > bertil.last_seen_at


async def test_presence_follows_the_socket_and_the_queue_place_stays(sockets: Sockets, astrid: Consultation) -> None:
    assert astrid.connected is False
    socket_a, _ = await sockets.patient(astrid)
    connected = await run(Consultation.objects.get)(pk=astrid.pk)
    assert connected.connected is True

    await socket_a.disconnect()

    gone = await run(Consultation.objects.get)(pk=astrid.pk)
    assert gone.connected is False
    assert gone.waiting_since == astrid.waiting_since
    assert gone.version > connected.version  # the dashboards were told

    # Coming back (a reload) finds the same place.
    _again, status = await sockets.patient(astrid)
    assert status == _status("waiting")
    back = await run(Consultation.objects.get)(pk=astrid.pk)
    assert (back.connected, back.waiting_since) == (True, astrid.waiting_since)
