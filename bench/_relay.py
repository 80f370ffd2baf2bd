"""The baselines' server: a bare WebSocket relay, nothing else.

Every text frame one client sends is forwarded, unchanged, to every other connected
client. No parsing, no database, no authentication: the least a server can do to
carry a message from one browser (or client) to another. Listens on 127.0.0.1 only,
on a free port it prints on the first line of its output, and runs until terminated.

    python -m bench._relay
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

HOST = "127.0.0.1"


async def _run() -> None:
    clients: set[ServerConnection] = set()

    async def relay(connection: ServerConnection) -> None:
        clients.add(connection)
        try:
            async for message in connection:
                for other in list(clients):
                    if other is not connection:
                        try:
                            await other.send(message)
                        except Exception:  # noqa: S112 - a client that left meanwhile gets nothing
                            continue
        finally:
            clients.discard(connection)

    await serve_until_stopped(relay)


async def serve_until_stopped(handler: Callable[[ServerConnection], Awaitable[None]]) -> None:
    """Serve on a free 127.0.0.1 port, print it for the parent process, stop on SIGTERM or SIGINT."""
    stop: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def stopping() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopping)
    # No compression, as the benchmark clients ask for none from either server.
    async with serve(handler, HOST, 0, compression=None, max_size=2**23) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(port, flush=True)
        await stop


def main_relay() -> None:
    asyncio.run(_run())
    sys.exit(0)


if __name__ == "__main__":
    main_relay()
