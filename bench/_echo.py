"""The capacity benchmark's baseline server: a bare `websockets` server for many idle clients.

A heartbeat ({"type": "heartbeat"}) is answered to its sender with heartbeat_ack, as
Consulta answers it; every other text frame is forwarded, unchanged, to the clients connected on
/listen/ (the dashboard's stand-in). No database, no parsing beyond that one test.
Listens on 127.0.0.1 only, on a free port it prints on the first line of its
output, and runs until terminated.

    python -m bench._echo
"""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection

from bench._relay import serve_until_stopped

HEARTBEAT_ACK = '{"type":"heartbeat_ack"}'  # Consulta's answer, byte for byte


async def _run() -> None:
    listeners: set[ServerConnection] = set()

    async def handle(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        if path.startswith("/listen/"):
            listeners.add(connection)
        try:
            async for message in connection:
                if isinstance(message, str) and '"heartbeat"' in message:
                    await connection.send(HEARTBEAT_ACK)
                    continue
                for other in list(listeners):
                    try:
                        await other.send(message)
                    except Exception:  # noqa: S112 - a client that left meanwhile gets nothing
                        continue
        finally:
            listeners.discard(connection)

    await serve_until_stopped(handle)


def main_echo() -> None:
    asyncio.run(_run())
    sys.exit(0)


if __name__ == "__main__":
    main_echo()
