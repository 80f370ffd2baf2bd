"""The shared base of every Consulta socket, and the call signalling it carries.

`JsonSocket` validates each frame against `messages.py` and answers bad input
with an error frame (closing after too many), never a traceback. `CallSocket`
adds the call: join, relay signals to one peer, media state, chat, managing
others (account holders only), leave. Subclasses say which call a socket may
join and as whom.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from consulta.calls import actions as calls
from consulta.calls import events
from consulta.calls.messages import (
    BadMessage,
    Chat,
    Heartbeat,
    JoinCall,
    LeaveCall,
    Manage,
    MediaState,
    Message,
    OutChat,
    OutError,
    OutHeartbeat,
    OutSignal,
    OutWelcome,
    Signal,
    dump,
    parse_incoming,
)

logger = logging.getLogger(__name__)

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_ABUSE = 4400
MAX_ERRORS = 20


class JsonSocket(AsyncWebsocketConsumer):
    allowed: frozenset[str] = frozenset({"heartbeat"})

    async def connect(self) -> None:
        self.errors = 0
        try:
            await self.open()
        except Http404:
            await self.refuse(CLOSE_NOT_FOUND)
        except PermissionDenied:
            await self.refuse(CLOSE_NOT_ALLOWED)

    async def open(self) -> None:
        """Check permission, join groups, then accept. Raise Http404 or PermissionDenied to refuse."""
        await self.accept()

    async def refuse(self, code: int) -> None:
        # Accept first: a close before accept reaches the browser as a bare
        # HTTP 403 and loses the code that tells it not to retry.
        await self.accept()
        await self.close(code)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = parse_incoming(text_data, self.allowed)
            await self.handle(message)
        except BadMessage as error:
            await self.reject(error.code, error.message)
        except Exception:
            logger.exception("socket message failed")
            await self.reject("server_error", "The server could not handle that message. Try again.")

    async def handle(self, message: Message) -> None:
        if isinstance(message, Heartbeat):
            await self.heartbeat()
            await self.send_message(OutHeartbeat())

    async def heartbeat(self) -> None:
        """Subclasses refresh presence here."""

    async def reject(self, code: str, text: str) -> None:
        self.errors += 1
        await self.send_message(OutError(code=code, message=text))
        if self.errors >= MAX_ERRORS:
            await self.close(CLOSE_ABUSE)

    async def send_message(self, message: Message) -> None:
        await self.send(text_data=dump(message))

    async def deliver(self, event: dict[str, Any]) -> None:
        """An event from a group this socket belongs to."""
        await self.send(text_data=event["text"])


class CallSocket(JsonSocket):
    allowed = frozenset({"heartbeat", "join_call", "leave_call", "signal", "media_state", "chat", "manage"})
    # Account holders (the team's sockets) may mute, take out or hold others; patients and guests may not.
    can_manage = False
    peer_id: str | None = None
    peer_name = ""
    call_id: int | None = None
    call_group: str | None = None

    async def call_identity(self) -> dict[str, Any]:
        """The call key and who this socket is in it: key, role, name, user_id, consultation_id."""
        raise NotImplementedError

    async def handle(self, message: Message) -> None:
        if isinstance(message, JoinCall):
            await self.join_call(message)
        elif isinstance(message, Signal):
            await self.relay(message)
        elif isinstance(message, MediaState):
            self.require_call()
            await database_sync_to_async(calls.set_media)(self.peer_id, audio=message.audio, video=message.video)
        elif isinstance(message, Chat):
            await self.chat(message)
        elif isinstance(message, Manage):
            await self.manage(message)
        elif isinstance(message, LeaveCall):
            await self.leave_call()
        else:
            await super().handle(message)

    def require_call(self) -> None:
        if self.peer_id is None:
            raise BadMessage("not_in_call", "Join the call first.")

    def resume_for(self, requested: str | None) -> str | None:
        """The peer id this socket may take back after a reconnect."""
        return requested or self.peer_id

    async def join_call(self, message: JoinCall) -> None:
        identity = await self.call_identity()
        # In the call's group before the others hear of us: their first offers must reach us.
        call_id = await database_sync_to_async(calls.call_id_for_joining)(identity["key"])
        group = events.call_group(call_id)
        if self.call_group and self.call_group != group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
        await self.channel_layer.group_add(group, self.channel_name)
        try:
            me, others, _resumed = await database_sync_to_async(calls.join)(
                channel_name=self.channel_name, resume=self.resume_for(message.resume), **identity
            )
        except calls.CallFull:
            if group != self.call_group:
                await self.channel_layer.group_discard(group, self.channel_name)
            raise BadMessage(
                "call_full", f"This call already has {calls.MAX_PARTICIPANTS} people, the most it can hold."
            ) from None
        self.peer_id, self.peer_name, self.call_id = me.peer_id, me.name, me.call_id
        self.call_group = group
        welcome = OutWelcome(
            peer_id=me.peer_id,
            peers=[calls.peer(other) for other in others],
            ice_servers=calls.ice_servers(me.peer_id),
        )
        await self.send_message(welcome)

    async def relay(self, message: Signal) -> None:
        self.require_call()
        assert self.call_group is not None and self.peer_id is not None
        if message.to == self.peer_id:
            raise BadMessage("invalid", "A peer cannot signal itself.")
        out = OutSignal(sender=self.peer_id, description=message.description, candidate=message.candidate)
        # The whole call's group receives it; only the addressed peer's socket passes it on.
        await self.channel_layer.group_send(self.call_group, events.event(out, to_peer=message.to))

    async def chat(self, message: Chat) -> None:
        """Relayed to everyone in the call, the sender included; stored nowhere."""
        self.require_call()
        assert self.call_group is not None and self.peer_id is not None
        text = message.text.strip()
        if not text:
            raise BadMessage("invalid", "text: write something first.")
        sent_at = timezone.now().isoformat(timespec="seconds")
        out = OutChat(sender=self.peer_id, name=self.peer_name, text=text, sent_at=sent_at)
        await self.channel_layer.group_send(self.call_group, events.event(out))

    async def manage(self, message: Manage) -> None:
        if not self.can_manage:
            raise BadMessage("not_allowed", "Only the clinic's team may manage others in a call.")
        self.require_call()
        assert self.call_id is not None
        if message.to == self.peer_id:
            raise BadMessage("invalid", "Use your own controls for yourself.")
        try:
            if message.action == "mute":
                await database_sync_to_async(calls.ask_to_mute)(self.call_id, message.to, by=self.peer_name)
            elif message.action == "hold":
                consultation_id = await database_sync_to_async(calls.consultation_of)(self.call_id, message.to)
                if consultation_id is None:
                    await database_sync_to_async(calls.hold_guest)(self.call_id, message.to)
                else:
                    await self.hold_patient(consultation_id)
            else:
                await database_sync_to_async(calls.remove_from_call)(self.call_id, message.to)
        except calls.NoSuchPeer:
            raise BadMessage("no_such_peer", "That person is no longer in the call.") from None
        except calls.CannotRemovePatient:
            raise BadMessage(
                "not_allowed", "A waiting-area caller leaves the call by being put on hold or by ending it."
            ) from None
        except calls.CannotHold:
            raise BadMessage(
                "not_allowed", "Only a room's guest or a waiting-area caller can be put on hold."
            ) from None

    async def hold_patient(self, consultation_id: int) -> None:
        """Put a waiting-area caller in this call on hold; only the clinic's team sockets can."""
        raise calls.CannotHold

    async def leave_call(self) -> None:
        if self.peer_id:
            await database_sync_to_async(calls.leave)(self.peer_id)
        await self.forget_call()

    async def forget_call(self) -> None:
        if self.call_group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
        self.peer_id = None
        self.call_id = None
        self.call_group = None

    async def heartbeat(self) -> None:
        if self.peer_id:
            await database_sync_to_async(calls.touch)(self.peer_id)

    async def deliver(self, event: dict[str, Any]) -> None:
        to = event.get("to")
        if to is not None and to != self.peer_id:
            return
        if event.get("kind") in ("media_state", "peer_joined") and self.peer_id and event.get("peer") == self.peer_id:
            # About this very socket: it knows its own state, and an echo would show it a tile of itself.
            return
        await super().deliver(event)
        kind = event.get("kind")
        if kind == "removed":
            # A host took this peer out of the call (`to` named it): no reconnecting.
            await self.forget_call()
            await self.close(CLOSE_NOT_ALLOWED)
        elif kind == "call_ended" or (kind == "peer_left" and self.peer_id and event.get("peer") == self.peer_id):
            # The call ended, or this socket's own peer was dropped (hold, transfer, timeout).
            await self.forget_call()

    async def disconnect(self, code: int) -> None:
        # Not a leave: the browser may reconnect and resume its place, media
        # flowing peer to peer meanwhile. Silence past the timeout removes it.
        if self.call_group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
