"""Sending events to WebSocket groups, always after the database commit.

The sender names the recipients: a group that holds exactly the sockets
allowed to see the event. Group names are built here from ids we generated,
never from raw input.
"""

from __future__ import annotations

import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from consulta.calls.messages import Message, dump


def queue_group(clinic_id: int) -> str:
    """Every dashboard socket of one clinic's team."""
    return f"queue.{clinic_id}"


def patient_group(consultation_id: int) -> str:
    """The sockets of one patient: their own space, nobody else's."""
    return f"patient.{consultation_id}"


def call_group(call_id: int) -> str:
    """Every socket taking part in one call."""
    return f"call.{call_id}"


def user_group(user_id: int) -> str:
    """Every socket of one account, on every worker: where "your access changed" reaches them."""
    return f"user.{user_id}"


def guest_link_group(link_id: int) -> str:
    """Every socket that came in through one guest link: told when the link is revoked."""
    return f"guestlink.{link_id}"


def hosts_group(call_key: str) -> str:
    """The sockets of a room's hosts: they hear its knocks. `call_key` is ours ("room:3"), never input."""
    assert re.fullmatch(r"[a-z]+:[0-9]+", call_key), call_key
    return "hosts." + call_key.replace(":", ".")


def event(message: Message, to_peer: str | None = None) -> dict[str, Any]:
    """The channel-layer event carrying one message; `kind` and `peer` let consumers react without parsing."""
    return {
        "type": "deliver",
        "text": dump(message),
        "to": to_peer,
        "kind": getattr(message, "type", ""),
        # The peer an event is about: peer_left and media_state name it, peer_joined carries it.
        "peer": getattr(message, "peer_id", None) or getattr(getattr(message, "peer", None), "peer_id", None),
        "state": getattr(message, "state", None),
    }


def send_now(group: str, message: Message, to_peer: str | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, event(message, to_peer))


def send_on_commit(group: str, message: Message, to_peer: str | None = None) -> None:
    """Send after the surrounding transaction commits; never for a rolled-back change."""
    transaction.on_commit(lambda: send_now(group, message, to_peer))


def send_to_channel_on_commit(channel_name: str, message: Message) -> None:
    """Send to one socket (a knocking guest, by the channel name we stored) after the commit."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None and channel_name:
            async_to_sync(layer.send)(channel_name, event(message))

    transaction.on_commit(send)


# The channel-layer event that makes a socket check its person's access again
# (`JsonSocket.access_recheck`, in calls/json_socket.py).
RECHECK = {"type": "access.recheck"}


def send_raw(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def recheck_on_commit(group: str) -> None:
    """After the commit, every socket in `group` checks again what its person may see, and closes if nothing."""
    transaction.on_commit(lambda: send_raw(group, RECHECK))
