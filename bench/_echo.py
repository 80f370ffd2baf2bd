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
import signal
import sys

from websockets.asyncio.server import ServerConnection, serve

HOST = "127.0.0.1"
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

    stop: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def stopping() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopping)
    async with serve(handle, HOST, 0, compression=None, max_size=2**23) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        await stop


def main_echo() -> None:
    asyncio.run(_run())
    sys.exit(0)


if __name__ == "__main__":
    main_echo()
