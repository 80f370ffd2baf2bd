"""Every socket kind under generated garbage (hypothesis): error frames only, no traceback, a server that keeps serving.

For each WebSocket route (ping, patient, queue, team call, invitee, meeting room, user
room, guest) a person who may open it connects, then sends a bounded list of generated
frames: random text and bytes, valid JSON of the wrong shape, near-valid messages of every
type of `consulta.calls.messages.Incoming` with a field dropped, added or replaced, strings
around and far past the 64 KiB frame limit, JSON nested thousands of levels deep, bytes that
are not UTF-8, numbers out of every range, unknown types. After each frame the test sends
the socket's own heartbeat (`ping` on the ping socket) and reads every answer up to its
acknowledgement, so each answer belongs to one frame. It asserts:

- every answer is a JSON text frame of a type the server sends (`Out*` in messages.py), and a
  frame the schema refuses gets an `{"type": "error", ...}` frame; none says "server_error"
  (that is the consumers' catch-all: one of our bugs, reached by client input);
- the consumer never raises, and nothing at WARNING or above carries a traceback
  (`exc_info`), nothing is logged at ERROR;
- the socket either still acknowledges its heartbeat or was closed with 4400 (too many bad
  frames), and sends nothing after that close;
- a fresh connection of the same kind still works.

Text frames never hold lone surrogates: an ASGI server decodes text frames as strict UTF-8,
so those can only arrive JSON-escaped ("\\ud800"), which the test sends. Bytes that are not
UTF-8 arrive as binary frames, which the test sends too.

`make test` runs the bounded profile: a few examples per kind, derandomized (the same frames
on every run, so CI is reproducible), no example database written. A longer, random run:

    HYPOTHESIS_PROFILE=long .venv/bin/pytest consulta/core/tests/test_socket_fuzz.py

The plain tests at the bottom pin what the fuzzing found, one input each, so a regression
shows even if hypothesis generates other frames one day.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from consulta.asgi import application
from consulta.calls import messages
from consulta.calls.messages import MAX_FRAME_BYTES
from consulta.consultations import actions
from consulta.consultations.consumers import InviteeSocket, PatientSocket, QueueSocket, TeamCallSocket
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    TIMEOUT,
    Headers,
    call_path,
    enter,
    patient_path,
    queue_path,
    run,
    staff_headers,
)
from consulta.consultations.tests.test_call_invites import invitee_headers
from consulta.rooms.consumers import GuestSocket, MeetingRoomSocket, UserRoomSocket
from consulta.rooms.tests.rooms import guest_path, room_path, user_room_path
from consulta.routing import websocket_urlpatterns
from consulta.testing import World

# The auth middleware reads sessions, the consumers write presence: a real (transactional) database.
pytestmark = pytest.mark.django_db(transaction=True)

# --- Profiles: bounded in `make test`, long on demand ------------------------------------------------

_SHARED = hypothesis_settings(
    deadline=None,  # a frame of 1 MiB or a database write is not a performance bug here
    database=None,  # no example database written into the repository
    # One world and one caller serve all the examples of a test; frames of 1 MiB are meant.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
hypothesis_settings.register_profile("bounded", _SHARED, max_examples=20, derandomize=True, print_blob=False)
hypothesis_settings.register_profile("long", _SHARED, max_examples=300, derandomize=False, print_blob=True)
PROFILE = hypothesis_settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
# Frames per connection: 20 bad ones close a socket (4400), so some examples reach the close.
MAX_FRAMES = int(os.environ.get("SOCKET_FUZZ_FRAMES", "30"))

CLOSE_ABUSE = 4400

# --- What the server may send -------------------------------------------------------------------------


def _sent_types() -> frozenset[str]:
    """The `type` of every message the server builds (the `Out*` models and the like carry it as a default)."""
    types = set()
    for value in vars(messages).values():
        if isinstance(value, type) and issubclass(value, BaseModel) and "type" in value.model_fields:
            default = value.model_fields["type"].default
            if isinstance(default, str):
                types.add(default)
    return frozenset(types)


SENT_TYPES = _sent_types()
INCOMING = TypeAdapter(messages.Incoming)
# The test's own parsers, bound now: test_a_frame_past_the_limit_is_refused_before_it_is_parsed
# watches every later call of json.loads and TypeAdapter.validate_json, which are the server's.
_loads = json.loads
_validate = INCOMING.validate_json
INCOMING_CLASSES: tuple[type[messages.Message], ...] = get_args(get_args(messages.Incoming)[0])

# --- The socket kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One socket route, and how a person who may use it opens it."""

    name: str
    route: str  # the route's pattern in consulta/routing.py
    allowed: frozenset[str]  # the message types it takes
    heartbeat: dict[str, str] = field(default_factory=lambda: {"type": "heartbeat"})
    ack: dict[str, str] = field(default_factory=lambda: {"type": "heartbeat_ack"})


KINDS = [
    Kind("ping", "ws/ping/", frozenset({"ping"}), {"type": "ping"}, {"type": "pong"}),
    Kind("patient", "ws/patient/<str:token>/", PatientSocket.allowed),
    Kind("queue", "ws/clinic/<slug:slug>/queue/", QueueSocket.allowed),
    Kind("team_call", "ws/consultations/<int:consultation_id>/call/", TeamCallSocket.allowed),
    Kind("invitee", "ws/invites/<str:token>/", InviteeSocket.allowed),
    Kind("meeting_room", "ws/rooms/<str:token>/", MeetingRoomSocket.allowed),
    Kind("user_room", "ws/user-rooms/<str:token>/", UserRoomSocket.allowed),
    Kind("guest", "ws/guest/<str:token>/", GuestSocket.allowed),
]
KIND = {kind.name: kind for kind in KINDS}


@dataclass
class Target:
    path: str
    headers: Callable[[], Headers]  # run in a database thread, once per connection (a fresh browser)


@pytest.fixture
def targets(world: World) -> dict[str, Target]:
    """Where each kind connects, and as whom: always somebody who may."""
    caller = enter(world.clinic_a, "Fay", "Fuzzwell")
    invite = actions.invite_to_call(caller, world.member)
    member = staff_headers(world.member)
    # The dashboard fuzzed is clinic B's (the organisation admin's): its sweep of stale callers
    # never reaches clinic A's caller, whom the patient, call and invitee sockets need.
    admin = staff_headers(world.org_admin)
    return {
        "ping": Target("/ws/ping/", lambda: SAME_ORIGIN),
        "patient": Target(patient_path(caller), lambda: SAME_ORIGIN),
        "queue": Target(queue_path(world.clinic_b), lambda: admin),
        "team_call": Target(call_path(caller), lambda: member),
        "invitee": Target(f"/ws/invites/{invite.token}/", lambda: invitee_headers(invite.token, "Ines Invitee")),
        "meeting_room": Target(room_path(world.meeting_room), lambda: member),
        "user_room": Target(user_room_path(world.user_room), lambda: member),
        "guest": Target(guest_path(world.guest_link), lambda: SAME_ORIGIN),
    }


def test_every_socket_route_is_fuzzed() -> None:
    """A new socket route needs its kind here (and in the permission matrix)."""
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert routes == {kind.route for kind in KINDS}


def test_every_incoming_message_type_has_a_near_valid_base() -> None:
    """A new message type in messages.py needs a valid example below, to be mutated."""
    declared = {cls.model_fields["type"].annotation.__args__[0] for cls in INCOMING_CLASSES}  # type: ignore[union-attr]
    assert declared == {base["type"] for base in BASES}
    for base in BASES:
        INCOMING.validate_python(base)  # each base really is valid


# --- Frames ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """One frame to send: text or bytes. Its repr is short, for hypothesis's report of a 1 MiB frame."""

    data: str | bytes
    label: str

    def __repr__(self) -> str:
        shown = self.data if len(self.data) <= 120 else self.data[:60]
        more = (
            f"…({len(self.data)} {'bytes' if isinstance(self.data, bytes) else 'chars'})" if shown != self.data else ""
        )
        return f"{self.label}:{shown!r}{more}"


PEER = "peer-abcdefgh"
KNOCK = "knock-abcdefgh"
BASES: list[dict[str, Any]] = [
    {"type": "signal", "to": PEER, "description": {"type": "offer", "sdp": "v=0\r\n"}},
    {
        "type": "signal",
        "to": PEER,
        "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0},
    },
    {"type": "media_state", "audio": True, "video": False},
    {"type": "heartbeat"},
    {"type": "join_call"},
    {"type": "join_call", "resume": PEER},
    {"type": "join_call", "answer": True},
    {"type": "leave_call"},
    {"type": "subscribe"},
    {"type": "chat", "text": "hello"},
    {"type": "knock", "name": "Gus Guest"},
    {"type": "admit", "knock_id": KNOCK},
    {"type": "decline", "knock_id": KNOCK},
    {"type": "manage", "action": "mute", "to": PEER},
    {"type": "manage", "action": "disconnect", "to": PEER},
    {"type": "manage", "action": "hold", "to": PEER},
    {"type": "apps", "view_only": True},
    {"type": "apps", "view_only": False},
    {"type": "quality"},
    {
        "type": "quality",
        "rtt_ms": 48,
        "loss_pct": 0.5,
        "kbps_in": 900,
        "kbps_out": 850,
        "freezes": 1,
        "freeze_seconds": 0.4,
        "reconnects": 0,
        "relayed": True,
    },
]

# Numbers past every range a field has, and past what a parser holds (a float of 1e309 is inf).
HUGE_NUMBERS = [10**100, -(10**100), 2**63, -(2**63) - 1, 2**64, -1, 65, 1e308, -1e308, 5e-324]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(HUGE_NUMBERS)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Near and past the limit; "é" and "😀" take 2 and 4 bytes, so few characters can be many bytes.
huge_sizes = st.sampled_from(
    [MAX_FRAME_BYTES - 200, MAX_FRAME_BYTES - 1, MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, 2 * MAX_FRAME_BYTES, 1 << 20]
) | st.integers(MAX_FRAME_BYTES - 40, MAX_FRAME_BYTES + 40)
huge_chars = st.sampled_from(["x", "é", "😀", " "])


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a message (dict keys, nested too) a mutation can reach."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*at, key))
            found.extend(_paths(inner, (*at, key)))
    return found


def _parent(message: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        message = message[key]
    return message


@st.composite
def near_valid(draw: st.DrawFn) -> Sent:
    """A valid message of some type, then (usually) one field dropped, added, replaced or retyped."""
    message = copy.deepcopy(draw(st.sampled_from(BASES)))
    mutation = draw(st.sampled_from(["none", "drop", "extra", "replace", "retype", "wrap", "huge"]))
    paths = _paths(message)
    path = draw(st.sampled_from(paths))
    parent = _parent(message, path)
    if mutation == "drop":
        del parent[path[-1]]
    elif mutation == "extra":
        parent[draw(st.text(min_size=1, max_size=10).filter(lambda key: key not in parent))] = draw(json_values)
    elif mutation == "replace":
        parent[path[-1]] = draw(json_values)
    elif mutation == "retype":
        message["type"] = draw(st.sampled_from(sorted(SENT_TYPES | {"ping", "pong", "Heartbeat", ""})) | st.text())
    elif mutation == "wrap":
        message = draw(st.sampled_from([[message], {"message": message}, {"type": message["type"], "data": message}]))
    elif mutation == "huge":
        parent[path[-1]] = draw(huge_chars) * draw(huge_sizes)
    return Sent(json.dumps(message, ensure_ascii=draw(st.booleans())), f"near_valid/{mutation}")


@st.composite
def huge(draw: st.DrawFn) -> Sent:
    text = draw(huge_chars) * draw(huge_sizes)
    shape = draw(st.sampled_from(["raw", "chat", "sdp", "knock", "list"]))
    frames = {
        "raw": text,
        "chat": json.dumps({"type": "chat", "text": text}, ensure_ascii=False),
        "sdp": json.dumps({"type": "signal", "to": PEER, "description": {"type": "offer", "sdp": text}}),
        "knock": json.dumps({"type": "knock", "name": text}, ensure_ascii=False),
        "list": json.dumps([text, text]),
    }
    return Sent(frames[shape], f"huge/{shape}")


@st.composite
def deep(draw: st.DrawFn) -> Sent:
    depth = draw(st.integers(1_000, 6_000))
    closed = "[" * depth + "]" * depth
    shape = draw(st.sampled_from(["open", "closed", "object", "in_chat", "in_signal", "in_extra"]))
    frames = {
        "open": "[" * depth,
        "closed": closed,
        "object": '{"a":' * depth + "null" + "}" * depth,
        "in_chat": '{"type": "chat", "text": ' + closed + "}",
        "in_signal": '{"type": "signal", "to": "' + PEER + '", "description": ' + closed + "}",
        "in_extra": '{"type": "heartbeat", "x": ' + closed + "}",
    }
    return Sent(frames[shape], f"deep/{shape}/{depth}")


NOT_UTF8 = [
    b"\xff\xfe\xfd",
    b'{"type": "heartbeat"}\xff',
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\x80",
    b"\xf8\x88\x80\x80\x80",
]
ESCAPED = [
    '{"type": "chat", "text": "\\ud800"}',  # a lone surrogate, JSON-escaped
    '{"type": "knock", "name": "\\udfff Gus"}',
    '{"type": "knock", "name": "Gus\\u0000Guest"}',  # NUL: PostgreSQL refuses it in text
    '{"type": "chat", "text": "\u0000"}',
    '{"type": "heartbeat", "\\ud800": 1}',
]
RAW_NUMBERS = ["9" * 5_000, "-" + "9" * 5_000, "1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1" + "0" * 400]


@st.composite
def out_of_range(draw: st.DrawFn) -> Sent:
    """Numbers as JSON text a Python `json.dumps` would never write: 5,000 digits, NaN, 1e999."""
    number = draw(st.sampled_from(RAW_NUMBERS))
    shape = draw(st.sampled_from(["bare", "index", "audio", "type", "resume"]))
    frames = {
        "bare": number,
        "index": '{"type": "signal", "to": "'
        + PEER
        + '", "candidate": {"candidate": "c", "sdpMLineIndex": '
        + number
        + "}}",
        "audio": '{"type": "media_state", "audio": ' + number + ', "video": true}',
        "type": '{"type": ' + number + "}",
        "resume": '{"type": "join_call", "resume": ' + number + "}",
    }
    return Sent(frames[shape], f"number/{shape}")


frames_strategy = st.one_of(
    st.text(max_size=200).map(lambda text: Sent(text, "text")),
    st.binary(max_size=200).map(lambda data: Sent(data, "bytes")),
    json_values.map(lambda value: Sent(json.dumps(value), "json")),
    near_valid(),
    near_valid(),
    huge(),
    deep(),
    st.sampled_from(NOT_UTF8).map(lambda data: Sent(data, "not_utf8")),
    st.sampled_from(ESCAPED).map(lambda text: Sent(text, "escaped")),
    out_of_range(),
    st.text(max_size=20).map(lambda kind: Sent(json.dumps({"type": kind}), "unknown_type")),
)

# Every category at least once in every run, whatever hypothesis draws: the worst first (so that
# the ping socket meets them before 20 errors close it), then a valid message of every type.
ONE_OF_EACH = [
    Sent("[" * 5_000, "deep/open"),
    Sent('{"type": "chat", "text": ' + "[" * 1_000 + "]" * 1_000 + "}", "deep/in_chat"),
    Sent("x" * (MAX_FRAME_BYTES + 1), "huge/raw"),
    Sent(json.dumps({"type": "chat", "text": "é" * 40_000}, ensure_ascii=False), "huge/chat"),
    Sent(b"\xff\xfe\xfd", "not_utf8"),
    *(Sent(text, "escaped") for text in ESCAPED),
    Sent('{"type": "media_state", "audio": ' + "9" * 5_000 + ', "video": true}', "number/audio"),
    Sent('{"type": "no_such_type"}', "unknown_type"),
    Sent("[1, 2, 3]", "json"),
    *(Sent(json.dumps(base), "near_valid/none") for base in BASES),
]
TOO_MANY_ERRORS = [Sent("not json", "text")] * 25


def must_be_refused(kind: Kind, sent: Sent) -> bool:
    """Is this frame one the socket has to answer with an error frame (not merely may)?"""
    if isinstance(sent.data, bytes):
        return True  # every socket speaks JSON in text frames
    if kind.name == "ping":
        try:
            return bool(_loads(sent.data) != {"type": "ping"})
        except (ValueError, RecursionError):
            return True
    if len(sent.data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        return True
    try:
        message = _validate(sent.data)
    except Exception:
        return True
    return message.type not in kind.allowed


# --- Talking to a socket -----------------------------------------------------------------------------


class Misbehaved(AssertionError):
    """The server did something a client's frame must never make it do."""


@dataclass
class Window:
    """What one frame got: its answers, up to the acknowledgement of the heartbeat sent after it."""

    frames: list[dict[str, Any]]
    closed: int | None = None


async def _output(communicator: WebsocketCommunicator, about: str) -> dict[str, Any]:
    try:
        output: dict[str, Any] = await communicator.receive_output(timeout=TIMEOUT)
    except TimeoutError:
        raise Misbehaved(f"no answer within {TIMEOUT} s to {about}") from None
    except Exception as error:  # the consumer itself raised: in production, a traceback in the log
        raise Misbehaved(f"the consumer raised {type(error).__name__}: {error!s:.200} (after {about})") from error
    return output


def _decode(output: dict[str, Any], kind: Kind, about: str) -> dict[str, Any]:
    if output.get("bytes") is not None or not isinstance(output.get("text"), str):
        raise Misbehaved(f"a frame that is not text answered {about}: {output!r:.200}")
    try:
        frame = _loads(output["text"])
    except ValueError:
        raise Misbehaved(f"a frame that is not JSON answered {about}: {output['text']!r:.200}") from None
    if not isinstance(frame, dict) or frame.get("type") not in SENT_TYPES | {kind.ack["type"]}:
        raise Misbehaved(f"an unexpected frame answered {about}: {frame!r:.200}")
    if frame["type"] == "error":
        if not (isinstance(frame.get("code"), str) and isinstance(frame.get("message"), str) and frame["message"]):
            raise Misbehaved(f"an error frame without code and message answered {about}: {frame!r:.200}")
        if frame["code"] == "server_error":
            raise Misbehaved(f"the server's own failure (server_error) answered {about}: {frame!r:.200}")
    return frame


async def send(communicator: WebsocketCommunicator, sent: Sent) -> None:
    # send_input, not send_to: send_to refuses an empty text frame before it is sent.
    key = "bytes" if isinstance(sent.data, bytes) else "text"
    await communicator.send_input({"type": "websocket.receive", key: sent.data})


async def exchange(communicator: WebsocketCommunicator, kind: Kind, sent: Sent) -> Window:
    """Send one frame and then a heartbeat; return what came back before the heartbeat's acknowledgement."""
    await send(communicator, sent)
    await send(communicator, Sent(json.dumps(kind.heartbeat), "heartbeat"))
    about = repr(sent)
    # A frame that is itself a heartbeat gets an acknowledgement of its own, first.
    acks = 0
    window = Window([])
    while True:
        output = await _output(communicator, about)
        if output["type"] == "websocket.close":
            window.closed = output.get("code", 1000)
            return window
        if output["type"] != "websocket.send":
            raise Misbehaved(f"an unexpected ASGI message after {about}: {output!r:.200}")
        frame = _decode(output, kind, about)
        if frame == kind.ack:
            acks += 1
            if acks == 2 or window.frames or not _heartbeat_like(kind, sent):
                return window
            continue
        window.frames.append(frame)


def _heartbeat_like(kind: Kind, sent: Sent) -> bool:
    try:
        value = _loads(sent.data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and value.get("type") == kind.heartbeat["type"]


async def nothing_after_close(communicator: WebsocketCommunicator, kind: Kind, about: str) -> None:
    """After its close the socket stays silent, whatever still arrives (a browser's frames in flight)."""
    await send(communicator, Sent("not json", "text"))
    await send(communicator, Sent(json.dumps(kind.heartbeat), "heartbeat"))
    try:
        quiet = await communicator.receive_nothing(timeout=0.2)
    except Exception as error:
        raise Misbehaved(f"the consumer raised {type(error).__name__} after its close (after {about})") from error
    if not quiet:
        output = await communicator.receive_output(timeout=TIMEOUT)
        raise Misbehaved(f"sent after its own close (after {about}): {output!r:.200}")


async def connect(kind: Kind, target: Target) -> WebsocketCommunicator:
    """A fresh browser opens the socket; it is accepted and answers its heartbeat."""
    headers = await run(target.headers)()
    communicator = WebsocketCommunicator(application, target.path, headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    if not connected:
        raise Misbehaved(f"a fresh {kind.name} socket was not accepted")
    await send(communicator, Sent(json.dumps(kind.heartbeat), "heartbeat"))
    while True:  # whatever the socket says on connect (a patient's status, a host's knocks), then the ack
        output = await _output(communicator, f"a fresh {kind.name} socket's first heartbeat")
        if output["type"] == "websocket.close":
            raise Misbehaved(f"a fresh {kind.name} socket was closed at once with {output.get('code')}")
        if _decode(output, kind, "a fresh socket's first heartbeat") == kind.ack:
            return communicator


async def hang_up(communicator: WebsocketCommunicator) -> None:
    # If the consumer already failed, that failure is what is reported, not this one.
    with contextlib.suppress(Exception):
        await communicator.disconnect(timeout=TIMEOUT)


def problems_in_log(records: list[logging.LogRecord]) -> list[str]:
    """Records that mean a traceback or an error in the server log."""
    return [
        f"{record.levelname} {record.name}: {record.getMessage():.200}"
        + (" (with a traceback)" if record.exc_info else "")
        for record in records
        if record.levelno >= logging.ERROR or (record.levelno >= logging.WARNING and record.exc_info)
    ]


def _reset_rate_limits() -> None:
    try:
        ratelimit = importlib.import_module("consulta.core.ratelimit")
    except ImportError:  # a tree without rate limits (the fuzzing is run against older code too)
        return
    ratelimit.reset()


async def fuzz_once(kind: Kind, target: Target, frames: list[Sent], caplog: pytest.LogCaptureFixture) -> int | None:
    """One connection, the frames, the checks; then a fresh connection of the same kind.

    Returns the code the socket closed with (4400), or None if it stayed open.
    """
    closed = None
    _reset_rate_limits()  # each example is a new client: the limits count per test otherwise
    caplog.clear()
    communicator = await connect(kind, target)
    try:
        for index, sent in enumerate(frames):
            window = await exchange(communicator, kind, sent)
            about = f"frame {index} {sent!r}"
            if must_be_refused(kind, sent) and not any(frame["type"] == "error" for frame in window.frames):
                raise Misbehaved(f"no error frame answered {about}: got {window.frames!r:.300}")
            if window.closed is not None:
                if window.closed != CLOSE_ABUSE:
                    raise Misbehaved(f"closed with {window.closed} (not {CLOSE_ABUSE}) after {about}")
                await nothing_after_close(communicator, kind, about)
                closed = window.closed
                break
    finally:
        await hang_up(communicator)
    fresh = await connect(kind, target)
    await hang_up(fresh)
    logged = problems_in_log(caplog.records)
    assert not logged, f"client input put these in the log: {logged}"
    return closed


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
@PROFILE
@given(frames=st.lists(frames_strategy, min_size=1, max_size=MAX_FRAMES))
@example(frames=ONE_OF_EACH)
@example(frames=TOO_MANY_ERRORS)
async def test_socket_survives_generated_frames(
    kind: Kind, frames: list[Sent], targets: dict[str, Target], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await fuzz_once(kind, targets[kind.name], frames, caplog)


# --- Findings, one input each ------------------------------------------------------------------------

EVERY_KIND = pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)


DEEP = [
    Sent("[" * 5_000, "deep/open"),
    Sent("[" * 1_000 + "]" * 1_000, "deep/closed"),
    Sent('{"a":' * 1_000 + "null" + "}" * 1_000, "deep/object"),
    Sent('{"type": "heartbeat", "x": ' + "[" * 1_000 + "]" * 1_000 + "}", "deep/in_extra"),
]


@EVERY_KIND
async def test_deep_nesting_gets_an_error_frame(
    kind: Kind, targets: dict[str, Target], caplog: pytest.LogCaptureFixture
) -> None:
    """JSON nested 1,000 levels or more is refused with an error frame, not a RecursionError, and no traceback."""
    caplog.set_level(logging.WARNING)
    await fuzz_once(kind, targets[kind.name], DEEP, caplog)


@EVERY_KIND
async def test_a_frame_past_the_limit_is_refused_before_it_is_parsed(
    kind: Kind, targets: dict[str, Target], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than 64 KiB gets "too large" (or the ping socket's error) and no JSON parser ever sees it."""
    parsed: list[int] = []
    real_loads, real_validate = json.loads, TypeAdapter.validate_json

    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(len(text))
        return real_loads(text, *args, **kwargs)

    def validate_json(self: TypeAdapter[Any], data: Any, *args: Any, **kwargs: Any) -> Any:
        parsed.append(len(data))
        return real_validate(self, data, *args, **kwargs)

    monkeypatch.setattr(json, "loads", loads)
    monkeypatch.setattr(TypeAdapter, "validate_json", validate_json)
    caplog.set_level(logging.WARNING)
    big = json.dumps({"type": "ping" if kind.name == "ping" else "chat", "text": "x" * (2 * MAX_FRAME_BYTES)})
    await fuzz_once(kind, targets[kind.name], [Sent(big, "huge/chat")], caplog)
    assert not [size for size in parsed if size > MAX_FRAME_BYTES], "a frame past the limit was parsed"


@EVERY_KIND
async def test_nothing_is_sent_after_the_close_for_too_many_errors(
    kind: Kind, targets: dict[str, Target], caplog: pytest.LogCaptureFixture
) -> None:
    """Twenty-five bad frames: twenty error frames, a close with 4400, then silence whatever still arrives."""
    caplog.set_level(logging.WARNING)
    assert await fuzz_once(kind, targets[kind.name], [Sent("not json", "text")] * 25, caplog) == CLOSE_ABUSE


ODD = [
    Sent(b"\xff\xfe\xfd", "not_utf8"),
    Sent(b'{"type": "heartbeat"}', "bytes"),
    *(Sent(text, "escaped") for text in ESCAPED),
    *(
        Sent('{"type": "media_state", "audio": ' + number + ', "video": true}', "number/audio")
        for number in RAW_NUMBERS
    ),
]


@EVERY_KIND
async def test_odd_bytes_and_numbers_get_an_error_frame(
    kind: Kind, targets: dict[str, Target], caplog: pytest.LogCaptureFixture
) -> None:
    """Binary frames, escaped surrogates and NUL, numbers of 5,000 digits, NaN, 1e999: error frames only."""
    caplog.set_level(logging.WARNING)
    await fuzz_once(kind, targets[kind.name], ODD, caplog)
