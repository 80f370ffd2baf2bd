"""Shared helpers for the socket tests: open sockets through the whole ASGI app, read frames, clean up.

Every socket is opened against `consulta.asgi.application`, so the routing, the
session auth middleware and the origin check run as in production. Use the
`sockets` fixture to open them: it disconnects every one at the end of the test.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from consulta.accounts.models import User
from consulta.asgi import application
from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.organisations.models import Clinic

Headers = list[tuple[bytes, bytes]]
Frame = dict[str, Any]

# A browser on the site itself; "127.0.0.1" is in the default ALLOWED_HOSTS.
SAME_ORIGIN: Headers = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
# Long enough for a slow machine; waits end as soon as the frame is there.
TIMEOUT = 3
# How long "nothing arrives" is watched for.
QUIET = 0.3


def staff_headers(user: User) -> Headers:
    """Same-origin headers carrying the session cookie of `user`, logged in with a test client."""
    client = Client()
    client.force_login(user)
    return [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def invitee_headers(token: str, name: str) -> Headers:
    """The invitee's browser after giving their name on the invitation page."""
    client = Client()
    response = client.post(reverse("consultations:join_by_invite", args=[token]), {"name": name})
    assert response.status_code == 302
    return [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def patient_path(consultation: Consultation) -> str:
    return f"/ws/patient/{consultation.token}/"


def queue_path(clinic: Clinic) -> str:
    return f"/ws/clinic/{clinic.slug}/queue/"


def call_path(consultation: Consultation) -> str:
    return f"/ws/consultations/{consultation.pk}/call/"


def enter(clinic: Clinic, first_name: str, last_name: str, phone: str = "+46701234567") -> Consultation:
    """A patient enters the clinic's waiting area, as the entry page does."""
    return actions.enter(clinic, first_name=first_name, last_name=last_name, phone=phone, answers=[])


async def receive(communicator: WebsocketCommunicator) -> Frame:
    frame: Frame = await communicator.receive_json_from(timeout=TIMEOUT)
    return frame


async def receive_close(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The next thing the server sends, expected to be a close."""
    output: dict[str, Any] = await communicator.receive_output(timeout=TIMEOUT)
    return output


async def ask(communicator: WebsocketCommunicator, message: Frame | str) -> Frame:
    """Send one frame (a dict as JSON, a str as is) and return the answer."""
    await communicator.send_to(text_data=message if isinstance(message, str) else json.dumps(message))
    return await receive(communicator)


async def collect(communicator: WebsocketCommunicator) -> list[Frame]:
    """Every frame that arrives until the socket stays quiet for QUIET seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=QUIET):
        frames.append(await receive(communicator))
    return frames


async def still_open(communicator: WebsocketCommunicator) -> None:
    """The socket survived: a heartbeat still gets its answer."""
    assert await ask(communicator, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}


class Sockets:
    """Opens sockets for one test and remembers them, to disconnect each at the end."""

    def __init__(self) -> None:
        self.opened: list[WebsocketCommunicator] = []

    def make(self, path: str, headers: Headers | None = None) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(application, path, headers=SAME_ORIGIN if headers is None else headers)
        self.opened.append(communicator)
        return communicator

    async def open(self, path: str, headers: Headers | None = None) -> WebsocketCommunicator:
        """An accepted socket (and nothing else asserted)."""
        communicator = self.make(path, headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected, f"{path} was not accepted"
        return communicator

    async def refused_with(self, path: str, headers: Headers | None = None) -> int:
        """Open a socket the server refuses; returns the close code it was refused with.

        The server accepts first and then closes, so the browser sees the code
        (a close before the accept reaches it as a bare HTTP 403).
        """
        communicator = self.make(path, headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected, "a refusal must accept first, then close with a code"
        output = await receive_close(communicator)
        assert output["type"] == "websocket.close", output
        code: int = output["code"]
        return code

    async def patient(self, consultation: Consultation) -> tuple[WebsocketCommunicator, Frame]:
        """The patient's own socket and the status it gets on connect."""
        communicator = await self.open(patient_path(consultation))
        status = await receive(communicator)
        assert status["type"] == "status", status
        return communicator, status

    async def dashboard(self, clinic: Clinic, headers: Headers) -> tuple[WebsocketCommunicator, list[Frame]]:
        """A subscribed dashboard socket and its snapshot's callers."""
        communicator = await self.open(queue_path(clinic), headers)
        snapshot = await ask(communicator, {"type": "subscribe"})
        assert snapshot["type"] == "snapshot", snapshot
        callers: list[Frame] = snapshot["callers"]
        return communicator, callers

    async def close_all(self) -> None:
        for communicator in self.opened:
            if communicator._future is not None and communicator.future.done():
                continue  # already over (the app ended or a wait timed out)
            await communicator.disconnect(timeout=TIMEOUT)


@pytest.fixture
async def sockets() -> AsyncIterator[Sockets]:
    opened = Sockets()
    try:
        yield opened
    finally:
        await opened.close_all()
        layer = get_channel_layer()
        if layer is not None:
            await layer.flush()


# Actions run in a worker thread, as the views run them.
run = database_sync_to_async
