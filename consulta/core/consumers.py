"""A liveness check for the WebSocket side: answers each ping with a pong.

Load balancers and the set-up checks use it to prove that WebSockets reach
the ASGI server through every proxy in between.
"""

from __future__ import annotations

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer


class PingConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message: Any = json.loads(text_data or "")
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "ping" and len(text_data or "") < 256:
            await self.send(json.dumps({"type": "pong"}))
        else:
            error = {"type": "error", "code": "bad_message", "message": 'Send {"type": "ping"}.'}
            await self.send(json.dumps(error))
