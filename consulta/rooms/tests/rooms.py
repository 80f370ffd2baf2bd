"""Helpers of the room tests: paths, a host in a room, a guest knocking and let in."""

from __future__ import annotations

from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import reverse

from consulta.consultations.tests.sockets import SAME_ORIGIN, Frame, Headers, Sockets, ask, receive
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom


def room_path(room: MeetingRoom) -> str:
    return f"/ws/rooms/{room.token}/"


def user_room_path(room: UserRoom) -> str:
    return f"/ws/user-rooms/{room.token}/"


def guest_path(link: GuestLink | str) -> str:
    return f"/ws/guest/{link if isinstance(link, str) else link.token}/"


def browser_headers(client: Client) -> Headers:
    """Same-origin headers carrying the session cookie of a test client (a guest's or a patient's browser)."""
    return [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


def named_guest(link: GuestLink, name: str) -> tuple[Client, Headers]:
    """A guest's browser after giving their name on the guest page: it has a session."""
    client = Client()
    response = client.post(reverse("rooms:guest", args=[link.token]), {"name": name})
    assert response.status_code == 302, response
    return client, browser_headers(client)


async def enter(sockets: Sockets, path: str, headers: Headers) -> tuple[WebsocketCommunicator, Frame]:
    """A host opens the room's socket and enters its call; returns the socket and its welcome."""
    socket = await sockets.open(path, headers)
    welcome = await ask(socket, {"type": "join_call"})
    assert welcome["type"] == "welcome", welcome
    return socket, welcome


async def knock(
    sockets: Sockets, link: GuestLink | str, name: str = "Gus Guest", headers: Headers | None = None
) -> WebsocketCommunicator:
    """A guest opens the link's socket and knocks; the knock is pending."""
    guest = await sockets.open(guest_path(link), headers)
    assert await ask(guest, {"type": "knock", "name": name}) == {"type": "knock_pending"}
    return guest


async def let_in(
    sockets: Sockets,
    host: WebsocketCommunicator,
    link: GuestLink,
    name: str = "Gus Guest",
    headers: Headers | None = None,
) -> tuple[WebsocketCommunicator, Frame]:
    """A guest knocks, `host` lets them in, and they join the call; returns the guest's socket and welcome."""
    guest = await knock(sockets, link, name, headers)
    heard = await receive(host)
    assert heard == {"type": "knock", "knock_id": heard["knock_id"], "name": name}, heard
    await host.send_json_to({"type": "admit", "knock_id": heard["knock_id"]})
    assert await receive(guest) == {"type": "admitted"}
    assert await receive(host) == {
        "type": "knock_resolved",
        "knock_id": heard["knock_id"],
        "admitted": True,
        "withdrawn": False,
    }
    welcome = await ask(guest, {"type": "join_call"})
    assert welcome["type"] == "welcome", welcome
    return guest, welcome
