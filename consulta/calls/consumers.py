"""The call signalling every call socket carries: `CallSocket`, on the shared `JsonSocket`.

Join, relay signals to one peer, media state, chat, managing others and the apps'
view-only switch (account holders only), the browser's connection summary (`quality`), leave.
Subclasses say which call a socket may
join and as whom. Every joined socket also sweeps its call for participants gone silent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.calls import actions as calls
from consulta.calls import events
from consulta.calls.client import client_of_scope
from consulta.calls.json_socket import CLOSE_NOT_ALLOWED, JsonSocket, rate_limited
from consulta.calls.messages import (
    Apps,
    BadMessage,
    Chat,
    JoinCall,
    LeaveCall,
    Manage,
    MediaState,
    Message,
    OutChat,
    OutIceServers,
    OutSignal,
    OutWelcome,
    Quality,
    Signal,
)
from consulta.calls.models import Participant
from consulta.core import ratelimit

logger = logging.getLogger(__name__)


class CallSocket(JsonSocket):
    allowed = frozenset(
        {"heartbeat", "join_call", "leave_call", "signal", "media_state", "chat", "manage", "apps", "quality"}
    )
    # `join_call` is privileged too: it checks access in the same trip as its identity (`_prepare_join`).
    privileged = frozenset({"manage", "apps"})
    # Account holders (the team's sockets) may mute, take out or hold others and make the apps
    # view-only; patients and guests may not.
    can_manage = False
    peer_id: str | None = None
    peer_name = ""
    call_id: int | None = None
    call_group: str | None = None
    # When this socket's TURN credentials were handed out (time.monotonic()), to renew them in time.
    ice_issued_at = 0.0
    # While joined: the task that drops the call's silent participants (`sweep`).
    sweeper: asyncio.Task[None] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ends (a disconnect, a cancelled worker): no sweep outlives it.
            self.stop_sweeping()

    def call_identity(self) -> dict[str, Any]:
        """In a database thread: the call key and who this socket is in it (key, role, name,
        principal, user_id, consultation_id); raise BadMessage when it may not join now.

        `principal` names who holds the place (an account, a patient's space, an invitee's or
        guest's browser session): only the same principal may resume a peer id.
        """
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
        elif isinstance(message, Apps):
            await self.set_apps(message)
        elif isinstance(message, Quality):
            self.require_call()
            assert self.peer_id is not None
            summary = message.model_dump(exclude={"type"})
            await database_sync_to_async(calls.touch)(self.peer_id, quality=summary)
        elif isinstance(message, LeaveCall):
            await (self.leave_place() if message.unloading else self.leave_call())
        else:
            await super().handle(message)

    def require_call(self) -> None:
        if self.peer_id is None:
            raise BadMessage("not_in_call", _("Join the call first."))

    def resume_for(self, requested: str | None) -> str | None:
        """The peer id to take back: the socket's own while it has one (one place per socket),
        else the one the browser names after a reconnect, which `calls.join` honours only for
        the principal that held it."""
        return self.peer_id or requested

    def _prepare_join(self, message: JoinCall) -> tuple[dict[str, Any], int]:
        """One trip to the database thread: the access check, who joins, and the call's id."""
        self.last_access_check = time.monotonic()
        self.authorise()
        if message.answer:
            self.answer_caller()
        identity = self.call_identity()
        return identity, calls.call_id_for_joining(identity["key"])

    def answer_caller(self) -> None:
        """`join_call` with `answer`: only a team member's socket answers a caller."""
        raise BadMessage("not_allowed", _("Only the clinic's team answers a caller."))

    async def join_call(self, message: JoinCall) -> None:
        try:
            identity, call_id = await database_sync_to_async(self._prepare_join)(message)
        except (Http404, PermissionDenied):
            await self.revoke()
            return
        # In the call's group before the others hear of us: their first offers must reach us.
        group = events.call_group(call_id)
        if self.call_group and self.call_group != group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
        await self.channel_layer.group_add(group, self.channel_name)
        try:
            me, others, view_only = await database_sync_to_async(self._join)(identity, self.resume_for(message.resume))
        except calls.CallFull:
            if group != self.call_group:
                await self.channel_layer.group_discard(group, self.channel_name)
            raise BadMessage(
                "call_full",
                _("This call already has %(count)s people, the most it can hold.") % {"count": calls.MAX_PARTICIPANTS},
            ) from None
        self.peer_id, self.peer_name, self.call_id = me.peer_id, me.name, me.call_id
        self.call_group = group
        self.ice_issued_at = time.monotonic()
        welcome = OutWelcome(
            peer_id=me.peer_id,
            peers=[calls.peer(other) for other in others],
            ice_servers=calls.ice_servers(me.peer_id),
            ice_transport_policy="relay" if settings.CALL_ICE_TRANSPORT_POLICY == "relay" else "all",
            apps_view_only=view_only,
            client=calls.peer(me).client,
        )
        await self.send_message(welcome)
        self.start_sweeping()

    def _join(self, identity: dict[str, Any], resume: str | None) -> tuple[Participant, list[Participant], bool]:
        """In a database thread: take the place; returns (me, the others, whether the apps are view-only)."""
        browser = client_of_scope(self.scope)
        me, others, _resumed = calls.join(channel_name=self.channel_name, resume=resume, browser=browser, **identity)
        return me, others, me.call.apps_view_only

    def start_sweeping(self) -> None:
        if self.sweeper is None or self.sweeper.done():
            self.sweeper = asyncio.create_task(self.sweep())

    def stop_sweeping(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None

    async def sweep(self) -> None:
        """While this socket is in a call: every `sweep_seconds()`, drop the participants silent past
        the timeout, so everyone else hears `peer_left` without waiting for a join. Every joined
        socket sweeps (any one still there is enough); the state is in the database, so sockets on
        other workers count too."""
        while True:
            await asyncio.sleep(calls.sweep_seconds())
            call_id = self.call_id
            if call_id is None or self.closed:
                return
            try:
                await database_sync_to_async(calls.drop_silent)(call_id)
            except Exception as error:  # a busy database: the next sweep tries again
                logger.warning("%s: a sweep failed with %s", type(self).__name__, type(error).__name__)

    async def relay(self, message: Signal) -> None:
        self.require_call()
        assert self.call_group is not None and self.peer_id is not None
        if message.to == self.peer_id:
            raise BadMessage("invalid", _("A peer cannot signal itself."))
        out = OutSignal(sender=self.peer_id, description=message.description, candidate=message.candidate)
        # The whole call's group receives it; only the addressed peer's socket passes it on.
        await self.channel_layer.group_send(self.call_group, events.event(out, to_peer=message.to))

    async def chat(self, message: Chat) -> None:
        """Relayed to everyone in the call, the sender included; stored nowhere."""
        self.require_call()
        assert self.call_group is not None and self.peer_id is not None
        refusal = await ratelimit.ahit("chat_messages", self.channel_name)
        if refusal is not None:
            raise rate_limited(refusal)
        text = message.text.strip()
        if not text:
            raise BadMessage("invalid", _("text: write something first."))
        sent_at = timezone.now().isoformat(timespec="seconds")
        out = OutChat(sender=self.peer_id, name=self.peer_name, text=text, sent_at=sent_at)
        await self.channel_layer.group_send(self.call_group, events.event(out))

    async def manage(self, message: Manage) -> None:
        if not self.can_manage:
            raise BadMessage("not_allowed", _("Only the clinic's team may manage others in a call."))
        self.require_call()
        assert self.call_id is not None
        if message.to == self.peer_id:
            raise BadMessage("invalid", _("Use your own controls for yourself."))
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
            raise BadMessage("no_such_peer", _("That person is no longer in the call.")) from None
        except calls.CannotRemovePatient:
            raise BadMessage(
                "not_allowed", _("A waiting-area caller leaves the call by being put on hold or by ending it.")
            ) from None
        except calls.CannotHold:
            raise BadMessage(
                "not_allowed", _("Only a room's guest or a waiting-area caller can be put on hold.")
            ) from None

    async def set_apps(self, message: Apps) -> None:
        """A host makes the call's apps view-only for guests and patients (or not); everyone hears `apps`."""
        if not self.can_manage:
            raise BadMessage("not_allowed", _("Only the clinic's team may make the apps view-only."))
        self.require_call()
        assert self.call_id is not None and self.peer_id is not None
        try:
            await database_sync_to_async(calls.set_apps_view_only)(
                self.call_id, self.peer_id, view_only=message.view_only, by=self.peer_name
            )
        except calls.NoSuchPeer:
            raise BadMessage("not_in_call", _("Join the call first.")) from None

    async def hold_patient(self, consultation_id: int) -> None:
        """Put a waiting-area caller in this call on hold; only the clinic's team sockets can."""
        raise calls.CannotHold

    async def leave_call(self) -> None:
        """Out of the call for good (Leave pressed, access lost); subclasses forget more."""
        await self.leave_place()

    async def leave_place(self) -> None:
        """Out of the call, the browser's session left as it is (a page unloading)."""
        if self.peer_id:
            await database_sync_to_async(calls.leave)(self.peer_id)
        await self.forget_call()

    async def forget_call(self) -> None:
        self.stop_sweeping()
        if self.call_group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
        self.peer_id = None
        self.call_id = None
        self.call_group = None

    async def heartbeat(self) -> None:
        if self.peer_id:
            await database_sync_to_async(calls.touch)(self.peer_id)
            await self.renew_ice_servers()

    async def renew_ice_servers(self) -> None:
        """TURN credentials live only as long as `TURN_CREDENTIAL_TTL`: fresh ones before half of it has passed."""
        if not self.peer_id or time.monotonic() - self.ice_issued_at < settings.TURN_CREDENTIAL_TTL / 2:
            return
        self.ice_issued_at = time.monotonic()
        await self.send_message(OutIceServers(ice_servers=calls.ice_servers(self.peer_id)))

    async def lose_access(self) -> None:
        await self.leave_call()

    async def forget_in_session(self, *keys: str) -> None:
        """The call is over for this browser: what it gave for it (a name, a peer id) leaves its session."""
        session = self.scope["session"]

        def forget() -> None:
            removed = [session.pop(key, None) for key in keys]
            if any(value is not None for value in removed):
                session.save()

        await database_sync_to_async(forget)()

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
        # flowing peer to peer meanwhile. Silence past the timeout removes it
        # (another participant's `sweep`). A page that goes away sends `leave_call`
        # first, which has been handled by now: frames are handled in order.
        self.stop_sweeping()
        if self.call_group:
            await self.channel_layer.group_discard(self.call_group, self.channel_name)
