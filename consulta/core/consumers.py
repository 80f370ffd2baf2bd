"""A liveness check for the WebSocket side: answers each ping with a pong.

Load balancers and the set-up checks use it to prove that WebSockets reach
the ASGI server through every proxy in between. It needs no login, so it is
the cheapest socket to abuse: no JSON parser sees its frames, and it shares
`JsonSocket`'s limits (connections per address, messages per socket, a close
after too many errors).
"""

from __future__ import annotations

from consulta.calls.json_socket import JsonSocket
from consulta.calls.messages import BadMessage, Message, OutPong, Ping

# Anything longer than a ping, with room for spaces, is not one.
MAX_PING_CHARS = 64


class PingConsumer(JsonSocket):
    def parse(self, text: str | None) -> Message:
        # Compared without whitespace, a frame is a ping or it is not: nothing to parse.
        if text is None or len(text) > MAX_PING_CHARS or "".join(text.split()) != '{"type":"ping"}':
            raise BadMessage("bad_message", 'Send {"type": "ping"}.')
        return Ping(type="ping")

    async def handle(self, message: Message) -> None:
        await self.send_message(OutPong())
