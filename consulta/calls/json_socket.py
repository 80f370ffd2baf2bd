"""The shared base of every Consulta socket: `JsonSocket`.

It validates each frame against `messages.py` and answers bad input with an error
frame (closing after too many), never a traceback; it counts messages against the
rate limits; and it keeps the person's access current: privileged messages check it
again as they arrive, and an `access.recheck` event (sent to the person's `user.<id>`
group when a role, a membership, a password or a login ends; see
`organisations/revocation.py`) closes the socket with 4403 once the person may no
longer hold it. Nothing is sent after a close.
"""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from consulta.calls import events
from consulta.calls.messages import BadMessage, Heartbeat, Message, OutError, OutHeartbeat, dump, parse_incoming
from consulta.core import languages, ratelimit
from consulta.core.client import client_address
from consulta.eventlog import context as eventlog_context
from consulta.organisations import access

logger = logging.getLogger(__name__)

CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_ABUSE = 4400
CLOSE_TOO_MANY = 4429  # too many connections from one address: the browser tries again later
CLOSE_SERVER_ERROR = 1011
MAX_ERRORS = 20
# A socket's person is checked again at least this often (with its heartbeats): a session
# that ran out or an invitation past its time ends sockets too, not only the events that say so.
ACCESS_RECHECK_SECONDS = 60


def rate_limited(refusal: ratelimit.Refused) -> BadMessage:
    return BadMessage("rate_limited", ratelimit.retry_message(refusal), retry_after=refusal.retry_after)


def socket_language(scope: dict[str, Any]) -> str:
    """The language of the page that opened the socket: a signed-in person's own (as
    core.middleware.PersonLanguage), else the language cookie, else Accept-Language."""
    user = scope.get("user")
    own = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if own and own in languages.BY_CODE:
        return str(own)
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
    cookies = scope.get("cookies") or {}
    request = SimpleNamespace(
        COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")}, path_info="/"
    )
    return translation.get_language_from_request(request)  # type: ignore[arg-type]


class JsonSocket(AsyncWebsocketConsumer):
    allowed: frozenset[str] = frozenset({"heartbeat"})
    # Messages that act with the person's access: it is checked again as each one arrives.
    privileged: frozenset[str] = frozenset()
    accepted = False
    closed = False
    errors = 0
    language = settings.LANGUAGE_CODE
    last_access_check = 0.0

    async def connect(self) -> None:
        self.language = socket_language(self.scope)
        eventlog_context.set_for_socket(self.scope)  # whom this socket's events name, and from where
        self.last_access_check = time.monotonic()
        refusal = await ratelimit.ahit("socket_connect_address", client_address(self.scope))
        if refusal is not None:
            await self.refuse(CLOSE_TOO_MANY)
            return
        try:
            # Listening before the check: a change made while it runs still reaches this socket.
            await self.listen_for_access_changes()
            await self.open()
        except Http404:
            await self.refuse(CLOSE_NOT_FOUND)
        except PermissionDenied:
            await self.refuse(CLOSE_NOT_ALLOWED)
        except Exception as error:  # client input must never put a traceback in the log
            logger.warning("%s: refused a connection after %s", type(self).__name__, type(error).__name__)
            await self.refuse(CLOSE_SERVER_ERROR)

    async def open(self) -> None:
        """Check permission, join groups, then accept. Raise Http404 or PermissionDenied to refuse."""
        await self.accept()

    async def listen_for_access_changes(self) -> None:
        """Join the groups through which this socket hears that its person's access changed."""
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_add(events.user_group(user.pk), self.channel_name)

    def authorise(self) -> None:
        """In a database thread: may the person still hold this socket? Raise Http404 or PermissionDenied if not."""

    def person(self) -> access.AnyUser:
        """The socket's account as it stands now (anonymous once logged out, removed or deactivated)."""
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None:
            return access.AnonymousUser()
        return access.session_person(session.session_key, user.pk)

    async def still_allowed(self) -> bool:
        self.last_access_check = time.monotonic()
        try:
            await database_sync_to_async(self.authorise)()
        except (Http404, PermissionDenied):
            return False
        return True

    async def access_recheck(self, event: dict[str, Any]) -> None:
        """The person's access changed somewhere (any worker): keep the socket only if it still may be held."""
        if self.closed:
            return
        session = self.scope.get("session")
        ended = event.get("ended_session")
        if (ended and session is not None and ended == session.session_key) or not await self.still_allowed():
            await self.revoke()

    async def revoke(self) -> None:
        """Access ended: leave whatever the socket takes part in, then close with 4403."""
        await self.lose_access()
        await self.close(CLOSE_NOT_ALLOWED)

    async def lose_access(self) -> None:
        """Subclasses leave their call here."""

    async def refuse(self, code: int) -> None:
        # Accept first: a close before accept reaches the browser as a bare
        # HTTP 403 and loses the code that tells it not to retry.
        await self.accept()
        await self.close(code)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        if self.accepted:
            return
        self.accepted = True
        await super().accept(subprotocol, headers)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True
        await super().close(code, reason)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False) -> None:
        if self.closed:
            return  # nothing is sent after a close: the server would refuse it (and log a traceback)
        await super().send(text_data, bytes_data, close)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        with translation.override(self.language):
            await self.receive_message(text_data)

    async def receive_message(self, text_data: str | None) -> None:
        try:
            refusal = await ratelimit.ahit("socket_messages", self.channel_name)
            if refusal is not None:
                raise rate_limited(refusal)
            message = self.parse(text_data)
            if getattr(message, "type", None) in self.privileged and not await self.still_allowed():
                await self.revoke()
                return
            await self.handle(message)
        except BadMessage as error:
            await self.reject(error.code, error.message, error.retry_after)
        except Exception as error:  # a bug of ours, met by a client's message: one line, no traceback
            logger.warning("%s: a message failed with %s", type(self).__name__, type(error).__name__)
            await self.reject("server_error", "The server could not handle that message. Try again.")

    def parse(self, text: str | None) -> Message:
        return parse_incoming(text, self.allowed)

    async def handle(self, message: Message) -> None:
        if isinstance(message, Heartbeat):
            if time.monotonic() - self.last_access_check >= ACCESS_RECHECK_SECONDS and not await self.still_allowed():
                await self.revoke()
                return
            await self.heartbeat()
            await self.send_message(OutHeartbeat())

    async def heartbeat(self) -> None:
        """Subclasses refresh presence here."""

    async def reject(self, code: str, text: str, retry_after: int | None = None) -> None:
        self.errors += 1
        await self.send_message(OutError(code=code, message=text, retry_after=retry_after))
        if self.errors >= MAX_ERRORS:
            await self.close(CLOSE_ABUSE)

    async def send_message(self, message: Message) -> None:
        await self.send(text_data=dump(message))

    async def deliver(self, event: dict[str, Any]) -> None:
        """An event from a group this socket belongs to."""
        await self.send(text_data=event["text"])
