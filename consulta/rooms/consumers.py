"""The rooms' sockets: the team in a meeting room, the owner in their user room, a guest at the door.

Hosts (`MeetingRoomSocket`, `UserRoomSocket`) join the room's `hosts.*` group
as they connect, then read the pending knocks: a knock made in between arrives
twice, and its `knock_id` tells the page so. A guest (`GuestSocket`) knocks,
waits for a host's answer, and only once admitted may join the call; a guest put on hold
knocks again on the same socket.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _

from consulta.calls import actions as calls
from consulta.calls import events
from consulta.calls.consumers import CallSocket
from consulta.calls.json_socket import CLOSE_NOT_ALLOWED, rate_limited
from consulta.calls.messages import (
    Admit,
    BadMessage,
    Decline,
    JoinCall,
    Knock,
    Message,
    OutAdmitted,
    OutKnock,
    OutKnockPending,
)
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.organisations import access
from consulta.rooms import actions


class RoomHostSocket(CallSocket):
    """A host of a room: hears its knocks, answers them, may manage the call's peers."""

    allowed = CallSocket.allowed | {"admit", "decline"}
    privileged = CallSocket.privileged | {"admit", "decline"}
    can_manage = True
    call_key: str
    hosts_group: str | None = None

    def room_key(self) -> str:
        """The room's call key, checking again that this person may host it (404/403 if not)."""
        raise NotImplementedError

    async def open(self) -> None:
        self.call_key = await database_sync_to_async(self.room_key)()
        self.hosts_group = events.hosts_group(self.call_key)
        await self.channel_layer.group_add(self.hosts_group, self.channel_name)
        await self.accept()
        for knock in await database_sync_to_async(calls.pending_knocks)(self.call_key):
            await self.send_message(OutKnock(knock_id=knock.knock_id, name=knock.name))

    async def handle(self, message: Message) -> None:
        if isinstance(message, Admit | Decline):
            await self.answer(message.knock_id, admit=isinstance(message, Admit))
        else:
            await super().handle(message)

    def authorise(self) -> None:
        self.room_key()

    async def answer(self, knock_id: str, *, admit: bool) -> None:
        try:
            await database_sync_to_async(calls.answer_knock)(self.call_key, knock_id, admit=admit)
        except calls.NoSuchKnock:
            raise BadMessage("no_such_knock", _("Nobody is knocking with that id any more.")) from None

    def call_identity(self) -> dict[str, Any]:
        user = self.scope["user"]
        return {
            "key": self.call_key,  # `authorise` has just checked, in the same trip, that this person may host it
            "role": "staff",
            "name": user.display_name,
            "principal": f"user:{user.pk}",
            "user_id": user.pk,
        }

    async def heartbeat(self) -> None:
        await super().heartbeat()
        # Withdraws knocks whose guest went silent (a worker that died never ran its disconnect).
        await database_sync_to_async(calls.pending_knocks)(self.call_key)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.hosts_group:
            await self.channel_layer.group_discard(self.hosts_group, self.channel_name)


class MeetingRoomSocket(RoomHostSocket):
    """`/ws/rooms/<token>/`: anyone who may use the clinic's meeting rooms, as a host."""

    def room_key(self) -> str:
        room, _standing = access.meeting_room_for(self.person(), self.scope["url_route"]["kwargs"]["token"])
        return room.call_key


class UserRoomSocket(RoomHostSocket):
    """`/ws/user-rooms/<token>/`: the room's owner only."""

    def room_key(self) -> str:
        return access.user_room_for(self.person(), self.scope["url_route"]["kwargs"]["token"]).call_key


class GuestSocket(CallSocket):
    """`/ws/guest/<token>/`: somebody with a guest link knocks, and once let in takes part as a guest."""

    allowed = CallSocket.allowed | {"knock"}
    token: str
    call_key: str
    link_id: int
    admitted = False
    knock_id: str | None = None
    knock_name = ""

    @property
    def remembered_key(self) -> str:
        """The session key under which this browser keeps its peer id in this room's call."""
        return f"room-guest:{self.token}"

    @property
    def unloaded_key(self) -> str:
        """When this browser's page last unloaded while in this room's call (see `leave_place`)."""
        return f"room-guest-unloaded:{self.token}"

    @property
    def name_key(self) -> str:
        """Where the guest page keeps the name this browser gave (see rooms.views.guest)."""
        return f"guest-name:{self.token}"

    @property
    def principal(self) -> str:
        """This browser at this link; a guest without a session cookie is only this socket."""
        return f"guest:{self.link_id}:{self.scope['session'].session_key or self.channel_name}"

    async def open(self) -> None:
        self.token = self.scope["url_route"]["kwargs"]["token"]
        # 404 for a link that is not (or no longer) valid, 403 for a patient's browser.
        link = await database_sync_to_async(access.guest_link_for)(self.token, self.scope["session"])
        self.call_key, self.link_id = link.room.call_key, link.pk
        # Told when the link is revoked; checked again once listening, so a revocation in between counts.
        await self.channel_layer.group_add(events.guest_link_group(link.pk), self.channel_name)
        await database_sync_to_async(self.authorise)()
        await self.accept()

    def authorise(self) -> None:
        access.guest_link_for(self.token, self.scope["session"])

    async def handle(self, message: Message) -> None:
        if isinstance(message, Knock):
            await self.knock(message.name)
        else:
            await super().handle(message)

    async def knock(self, name: str) -> None:
        if self.admitted:
            await self.send_message(OutAdmitted())
            return
        if self.knock_id is not None:
            raise BadMessage("already_knocking", _("You are already knocking: wait for an answer."))
        name = name.strip()
        if not name:
            raise BadMessage("invalid", _("name: give your name."))
        for rule, key in (("knock_link", self.token), ("knock_address", client_address(self.scope))):
            refusal = await ratelimit.ahit(rule, key)  # type: ignore[arg-type]
            if refusal is not None:
                raise rate_limited(refusal)
        self.knock_name = name
        knock = await database_sync_to_async(self._knock)(name)
        if knock is None:
            self.admitted = True
            await self.send_message(OutAdmitted())
        else:
            self.knock_id = knock.knock_id
            await self.send_message(OutKnockPending())

    def _knock(self, name: str) -> Any:
        try:
            link = access.guest_link_for(self.token)
        except Http404:
            raise BadMessage("ended", _("This guest link is no longer valid.")) from None
        session = self.scope["session"]
        unloaded_at = session.get(self.unloaded_key)
        reloaded = unloaded_at is not None and time.time() - unloaded_at < settings.PARTICIPANT_TIMEOUT_SECONDS
        return actions.knock(
            link,
            name=name,
            channel_name=self.channel_name,
            remembered_peer=session.get(self.remembered_key),
            reloaded=reloaded,
        )

    def call_identity(self) -> dict[str, Any]:
        # `authorise` has just checked, in the same trip, that the link is still valid.
        if not self.admitted:
            raise BadMessage("not_admitted", _("Knock first, and wait until someone lets you in."))
        return {"key": self.call_key, "role": "guest", "name": self.knock_name, "principal": self.principal}

    async def join_call(self, message: JoinCall) -> None:
        # `resume_for` reads the session: `open` loaded it already, in a worker thread.
        await super().join_call(message)
        if self.peer_id:
            await database_sync_to_async(self._remember)(self.peer_id)

    def _remember(self, peer_id: str) -> None:
        """Keep the peer id in the browser's session, so a reconnect skips the knock while still in the call."""
        session = self.scope["session"]
        if session.session_key and session.get(self.remembered_key) != peer_id:
            session[self.remembered_key] = peer_id
            session.save()

    async def heartbeat(self) -> None:
        await super().heartbeat()
        if self.knock_id:
            await database_sync_to_async(calls.touch_knock)(self.knock_id)

    async def deliver(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "admitted":
            self.admitted, self.knock_id = True, None
        held = kind == "on_hold" and event.get("to") is not None and event.get("to") == self.peer_id
        await super().deliver(event)
        if held:
            await self.back_to_the_door()
        elif kind == "declined":
            self.knock_id = None
            await self.forget_guest()
            await self.close(CLOSE_NOT_ALLOWED)
        elif kind in ("call_ended", "removed"):
            await self.forget_guest()

    async def leave_call(self) -> None:
        await super().leave_call()
        await self.forget_guest()

    async def leave_place(self) -> None:
        await super().leave_place()
        if self.admitted:
            await database_sync_to_async(self._remember_unload)()

    def _remember_unload(self) -> None:
        """The page unloaded in the call (a reload, or a closed tab): a knock soon after comes straight back in."""
        session = self.scope["session"]
        if session.session_key:
            session[self.unloaded_key] = time.time()
            session.save()

    async def forget_guest(self) -> None:
        """The call is over for this guest: their name and place leave the browser's session."""
        await self.forget_in_session(self.name_key, self.remembered_key, self.unloaded_key)

    async def back_to_the_door(self) -> None:
        """Put on hold: out of the call, knocking again under the same name on this same socket."""
        await self.forget_call()
        self.admitted = False
        if self.knock_id is None:
            knock = await database_sync_to_async(calls.knock)(
                self.call_key, name=self.knock_name, channel_name=self.channel_name
            )
            self.knock_id = knock.knock_id

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.knock_id:
            await database_sync_to_async(calls.withdraw_knock)(self.knock_id)
