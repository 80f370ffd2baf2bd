"""The WebSocket liveness check, through the whole ASGI application (origin check and auth included)."""

from __future__ import annotations

import json

import pytest
from channels.testing import WebsocketCommunicator

from consulta.asgi import application

PATH = "/ws/ping/"
SAME_ORIGIN = [(b"origin", b"http://localhost:8000"), (b"host", b"localhost:8000")]

# The auth middleware reads the session store: a real (transactional) database.
pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(headers: list[tuple[bytes, bytes]] = SAME_ORIGIN) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _subprotocol = await communicator.connect()
    assert connected
    return communicator


async def _ask(communicator: WebsocketCommunicator, text: str) -> dict[str, object]:
    # send_input rather than send_to, which refuses an empty frame before it is sent.
    await communicator.send_input({"type": "websocket.receive", "text": text})
    answer: dict[str, object] = json.loads(await communicator.receive_from())
    return answer


async def _still_open(communicator: WebsocketCommunicator) -> None:
    """The socket survived: it still answers a ping."""
    assert await _ask(communicator, json.dumps({"type": "ping"})) == {"type": "pong"}


async def test_ping_gets_pong() -> None:
    communicator = await _connect()
    assert await _ask(communicator, '{"type": "ping"}') == {"type": "pong"}
    assert await _ask(communicator, '{"type": "ping"}') == {"type": "pong"}  # and again
    await communicator.disconnect()


@pytest.mark.parametrize(
    "text",
    [
        "not json at all",
        '{"type": "ping"',  # cut short
        "",
        '["ping"]',  # JSON, but not an object
        '"ping"',
        '{"type": "pong"}',  # an unknown type
        '{"type": "subscribe", "clinic": "alder"}',
        '{"no_type": true}',
        json.dumps({"type": "ping", "padding": "x" * 300}),  # oversized
    ],
    ids=["garbage", "truncated", "empty", "array", "string", "pong", "unknown-type", "no-type", "oversized"],
)
async def test_bad_message_gets_an_error_frame_and_the_socket_stays_open(text: str) -> None:
    communicator = await _connect()
    answer = await _ask(communicator, text)
    assert answer["type"] == "error"
    assert answer["code"] == "bad_message"
    assert isinstance(answer["message"], str) and answer["message"]
    await _still_open(communicator)
    await communicator.disconnect()


async def test_binary_frame_gets_an_error_frame() -> None:
    communicator = await _connect()
    await communicator.send_to(bytes_data=b'{"type": "ping"}')
    answer = json.loads(await communicator.receive_from())
    assert answer["type"] == "error"
    await _still_open(communicator)
    await communicator.disconnect()


async def test_a_foreign_origin_is_refused() -> None:
    communicator = WebsocketCommunicator(application, PATH, headers=[(b"origin", b"https://evil.example")])
    connected, _code = await communicator.connect()
    assert not connected
    await communicator.disconnect()
