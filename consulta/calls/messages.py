"""Every WebSocket message, as a pydantic schema. docs/signalling.md describes the protocol.

Incoming messages are validated at the edge by `parse_incoming`; anything that
does not fit gets an error frame, never a traceback. Outgoing messages are
built from the `Out*` models so their shape is checked too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

# A whole SDP of a 6-way call with simulcast stays well under this.
MAX_FRAME_BYTES = 64 * 1024
PEER_ID = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- From browsers -----------------------------------------------------------------------


class SessionDescription(Message):
    type: Literal["offer", "answer", "rollback"]
    sdp: str = Field(default="", max_length=60_000)


class IceCandidate(Message):
    candidate: str = Field(max_length=1_000)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)
    usernameFragment: str | None = Field(default=None, max_length=256)


class Signal(Message):
    """An SDP description or an ICE candidate for one other peer of the call."""

    type: Literal["signal"]
    to: PEER_ID
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None

    @model_validator(mode="after")
    def one_payload(self) -> Signal:
        if (self.description is None) == (self.candidate is None):
            raise ValueError("A signal carries either a description or a candidate.")
        return self


class MediaState(Message):
    type: Literal["media_state"]
    audio: bool
    video: bool


class Heartbeat(Message):
    type: Literal["heartbeat"]


class JoinCall(Message):
    """Sent once media is ready: from then on the peer is part of the call.

    After a reconnect, `resume` names the peer id the browser had, to keep its
    place and its peer connections.
    """

    type: Literal["join_call"]
    resume: PEER_ID | None = None
    # A team member's first join from the dashboard: answer the caller (as the dashboard's
    # Join action does) in the same trip, so the patient hears `in_call` one request sooner.
    answer: bool = False


class LeaveCall(Message):
    type: Literal["leave_call"]
    # Sent by a page as it unloads (a closed tab, or a reload): the place goes, but what the
    # browser's session remembers stays (a room guest's admission, an invitee's name).
    unloading: bool = False


class Ping(Message):
    """The liveness check's only message (`core.consumers.PingConsumer`, which reads it without a parser)."""

    type: Literal["ping"]


class Subscribe(Message):
    """The dashboard's first message: send me the queue, then its changes."""

    type: Literal["subscribe"]


class Chat(Message):
    """A line of text for everyone in the call; relayed, never stored."""

    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=1_000)


class Knock(Message):
    """A guest asks to be let into a room."""

    type: Literal["knock"]
    name: str = Field(min_length=1, max_length=100)


class Admit(Message):
    type: Literal["admit"]
    knock_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")


class Decline(Message):
    type: Literal["decline"]
    knock_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,40}$")


class Manage(Message):
    """An account holder acts on another participant: ask them to mute, take them out, or put a room's guest on hold."""

    type: Literal["manage"]
    action: Literal["mute", "disconnect", "hold"]
    to: PEER_ID


class Apps(Message):
    """A host makes the call's apps (shared files, whiteboard) view-only for guests and patients, or not."""

    type: Literal["apps"]
    view_only: bool


class Quality(Message):
    """A browser's summary of its connections in this call so far (every 15 s, and as it leaves).

    Kept on its participant row, overwritten each time; written into one call.quality event when
    the person leaves. Numbers only, each bounded: nothing of the call's content. Null: not measured.
    """

    type: Literal["quality"]
    rtt_ms: int | None = Field(default=None, ge=0, le=60_000)  # median round trip
    loss_pct: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)
    kbps_in: int | None = Field(default=None, ge=0, le=1_000_000)  # median received bitrate
    kbps_out: int | None = Field(default=None, ge=0, le=1_000_000)
    freezes: int = Field(default=0, ge=0, le=1_000_000)  # video freezes of what it received
    freeze_seconds: float = Field(default=0, ge=0, le=1_000_000, allow_inf_nan=False)
    reconnects: int = Field(default=0, ge=0, le=10_000)
    relayed: bool = False  # any of its connections through a TURN relay


Incoming = Annotated[
    Signal
    | MediaState
    | Heartbeat
    | JoinCall
    | LeaveCall
    | Subscribe
    | Chat
    | Knock
    | Admit
    | Decline
    | Manage
    | Apps
    | Quality,
    Field(discriminator="type"),
]
_incoming = TypeAdapter(Incoming)


class BadMessage(Exception):
    def __init__(self, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after  # seconds, for `rate_limited`


def parse_incoming(text: str | None, allowed: frozenset[str]) -> Message:
    """Validate one frame; raise BadMessage with a short, safe explanation.

    The size is checked before any parsing (the server refuses larger frames before
    they are buffered: `--ws-max-size`), and pydantic's JSON parser stops at 200 levels
    of nesting with a validation error, never a RecursionError.
    """
    if text is None:
        raise BadMessage("bad_frame", _("Send text frames holding JSON."))
    if len(text) > MAX_FRAME_BYTES or len(text.encode(errors="replace")) > MAX_FRAME_BYTES:
        raise BadMessage("too_large", f"Frames may hold at most {MAX_FRAME_BYTES} bytes.")
    try:
        message = _incoming.validate_json(text)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise BadMessage("invalid", f"{where}: {first.get('msg', 'invalid')}".strip(": ")) from None
    if message.type not in allowed:
        raise BadMessage("unexpected", f"“{message.type}” is not expected on this connection.")
    return message


# --- To browsers -------------------------------------------------------------------------


class Client(Message):
    """A participant's browser and system, from its socket's User-Agent (`calls.client`); "" if unknown."""

    browser: str = ""
    browser_version: str = ""
    os: str = ""


class Peer(Message):
    peer_id: str
    name: str
    role: Literal["patient", "staff", "guest"]
    audio: bool = True
    video: bool = True
    client: Client = Client()


class OutError(Message):
    type: Literal["error"] = "error"
    code: str
    message: str
    # Seconds until trying again may succeed (code "rate_limited"); left out of other errors.
    retry_after: int | None = Field(default=None, exclude_if=lambda value: value is None)


class OutWelcome(Message):
    """The call's state at the moment this peer joined it."""

    type: Literal["welcome"] = "welcome"
    peer_id: str
    peers: list[Peer]
    ice_servers: list[dict[str, Any]]
    # RTCConfiguration.iceTransportPolicy: "relay" uses TURN relays only (CALL_ICE_TRANSPORT_POLICY).
    ice_transport_policy: Literal["all", "relay"] = "all"
    # Whether a host made the apps view-only for guests and patients (`apps`).
    apps_view_only: bool = False
    # This peer's own browser and system, as the others see it (`Peer.client`).
    client: Client = Client()


class OutIceServers(Message):
    """Fresh TURN credentials for a peer still in the call, before the ones it has run out."""

    type: Literal["ice_servers"] = "ice_servers"
    ice_servers: list[dict[str, Any]]


class OutPeerJoined(Message):
    type: Literal["peer_joined"] = "peer_joined"
    peer: Peer


class OutPeerLeft(Message):
    type: Literal["peer_left"] = "peer_left"
    peer_id: str


class OutSignal(Message):
    type: Literal["signal"] = "signal"
    sender: str = Field(serialization_alias="from")
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None


class OutMediaState(Message):
    type: Literal["media_state"] = "media_state"
    peer_id: str
    audio: bool
    video: bool


class OutPong(Message):
    type: Literal["pong"] = "pong"


class OutHeartbeat(Message):
    type: Literal["heartbeat_ack"] = "heartbeat_ack"


class PatientStatus(Message):
    """What a waiting patient sees about their own place. Nothing about anyone else."""

    type: Literal["status"] = "status"
    state: Literal["waiting", "in_call", "on_hold", "ended", "left"]
    clinic_name: str
    position: int | None = None
    estimated_wait_minutes: int | None = None


class PatientNotice(Message):
    type: Literal["notice"] = "notice"
    text: str


class CallEnded(Message):
    type: Literal["call_ended"] = "call_ended"


class CallerCard(Message):
    """One caller as the clinic's team sees it on the dashboard."""

    id: int
    version: int
    name: str
    phone: str
    answers: list[tuple[str, str]]
    status: Literal["waiting", "in_call", "on_hold"]
    waiting_since: str  # ISO 8601, UTC
    connected: bool
    in_call_with: int | None = None
    language: str = "en"  # the patient's (settings.LANGUAGES); the page names it in its own language
    # Triage: the reason's code (consultations.models.UrgentReason) and its label, or None when
    # not urgent; urgent callers sort first, the first marked first (ISO 8601, UTC).
    urgent: str | None = None
    urgent_label: str | None = None
    urgent_since: str | None = None


class OutQueueSnapshot(Message):
    type: Literal["snapshot"] = "snapshot"
    callers: list[CallerCard]


class OutCallerUpdated(Message):
    type: Literal["caller"] = "caller"
    caller: CallerCard


class OutCallerRemoved(Message):
    type: Literal["caller_removed"] = "caller_removed"
    id: int
    version: int


class OutChat(Message):
    type: Literal["chat"] = "chat"
    sender: str = Field(serialization_alias="from")
    name: str
    text: str
    sent_at: str  # ISO 8601, UTC


class OutKnock(Message):
    type: Literal["knock"] = "knock"
    knock_id: str
    name: str


class OutKnockResolved(Message):
    """A knock is gone: answered by a host, or withdrawn (the guest left before an answer)."""

    type: Literal["knock_resolved"] = "knock_resolved"
    knock_id: str
    admitted: bool
    withdrawn: bool = False


class OutKnockPending(Message):
    type: Literal["knock_pending"] = "knock_pending"


class OutAdmitted(Message):
    type: Literal["admitted"] = "admitted"


class OutDeclined(Message):
    type: Literal["declined"] = "declined"


class OutMutedByHost(Message):
    type: Literal["muted_by_host"] = "muted_by_host"
    by: str


class OutRemoved(Message):
    type: Literal["removed"] = "removed"


class OutApps(Message):
    """To everyone in the call: a host made the apps view-only for guests and patients, or editable again."""

    type: Literal["apps"] = "apps"
    view_only: bool
    by: str


class OutOnHold(Message):
    """A host put this room guest on hold: out of the call, knocking again on the same socket."""

    type: Literal["on_hold"] = "on_hold"


def dump(message: Message) -> str:
    return message.model_dump_json(by_alias=True)
