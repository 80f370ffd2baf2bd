"""Many idle patients: WebSocket clients that only send heartbeats, in a process of their own.

The capacity benchmark drives it by JSON lines on stdin, one answer line on stdout each:

    {"cmd": "open", "urls": [...], "origins": [...]}  → {"opened", "failed", "errors", "seconds"}
    {"cmd": "stats"}                                  → {"alive", "closed", "close_codes", "heartbeats",
                                                         "received", "heartbeat_rtt_ms"} (RTTs since last stats)
    {"cmd": "close"}                                  → {"closed"}, then the process exits

Each client sends {"type": "heartbeat"} every `--heartbeat` seconds (the browser's
interval), the first one at a random point of the first interval so the load is
even, reads everything the server sends (as a browser does), and times each
heartbeat to the server's heartbeat answer. Connections open with at most
`--concurrency` handshakes in flight. 127.0.0.1 only; no keepalive pings from
the client (browsers send none); the server's own pings are answered.

    python -m bench._swarm [--heartbeat 25] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from bench._common import summarize

OPEN_TIMEOUT_S = 30.0
CLOSE_TIMEOUT_S = 5.0


class Swarm:
    def __init__(self, heartbeat_s: float, concurrency: int) -> None:
        self.heartbeat_s = heartbeat_s
        self.gate = asyncio.Semaphore(concurrency)
        self.connections: list[ClientConnection] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.closed = 0
        self.close_codes: Counter[str] = Counter()
        self.heartbeats = 0
        self.received = 0
        self.rtts: list[float] = []

    async def _open_one(self, url: str, origin: str) -> ClientConnection:
        async with self.gate:
            return await connect(
                url,
                origin=Origin(origin),
                compression=None,
                ping_interval=None,
                open_timeout=OPEN_TIMEOUT_S,
                close_timeout=CLOSE_TIMEOUT_S,
                max_size=2**23,
                proxy=None,
            )

    async def open(self, urls: list[str], origins: list[str]) -> dict[str, Any]:
        started = time.monotonic()
        results = await asyncio.gather(
            *(self._open_one(url, origin) for url, origin in zip(urls, origins, strict=True)),
            return_exceptions=True,
        )
        errors: Counter[str] = Counter()
        opened = 0
        for result in results:
            if isinstance(result, BaseException):
                errors[type(result).__name__ + ": " + str(result)[:80]] += 1
                continue
            opened += 1
            self.connections.append(result)
            task = asyncio.create_task(self._hold(result))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return {
            "opened": opened,
            "failed": len(urls) - opened,
            "errors": dict(errors.most_common(5)),
            "seconds": round(time.monotonic() - started, 2),
        }

    async def _hold(self, connection: ClientConnection) -> None:
        pending: list[float] = []

        async def beat() -> None:
            await asyncio.sleep(random.uniform(0, self.heartbeat_s))
            while True:
                pending.append(time.perf_counter())
                await connection.send('{"type": "heartbeat"}')
                self.heartbeats += 1
                await asyncio.sleep(self.heartbeat_s)

        beating = asyncio.create_task(beat())
        try:
            async for message in connection:
                self.received += 1
                if pending and '"heartbeat' in str(message):  # heartbeat_ack (ours) or heartbeat
                    self.rtts.append((time.perf_counter() - pending.pop(0)) * 1000)
        except ConnectionClosed:
            pass
        finally:
            beating.cancel()
            self.closed += 1
            code = connection.close_code
            self.close_codes[str(code)] += 1

    def stats(self) -> dict[str, Any]:
        rtts, self.rtts = self.rtts, []
        return {
            "alive": len(self.connections) - self.closed,
            "closed": self.closed,
            "close_codes": dict(self.close_codes),
            "heartbeats": self.heartbeats,
            "received": self.received,
            "heartbeat_rtt_ms": summarize(rtts),
        }

    async def close(self) -> dict[str, Any]:
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)
        for task in list(self.tasks):
            task.cancel()
        return {"closed": len(self.connections)}


async def _run(heartbeat_s: float, concurrency: int) -> None:
    swarm = Swarm(heartbeat_s, concurrency)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:  # the benchmark went away: close everything
            await swarm.close()
            return
        command = json.loads(line)
        answer: dict[str, Any]
        if command["cmd"] == "open":
            answer = await swarm.open(command["urls"], command["origins"])
        elif command["cmd"] == "stats":
            answer = swarm.stats()
        elif command["cmd"] == "close":
            answer = await swarm.close()
        else:
            answer = {"error": f"unknown command {command['cmd']!r}"}
        print(json.dumps(answer), flush=True)
        if command["cmd"] == "close":
            return


def main_swarm() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heartbeat", type=float, default=25.0)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(_run(args.heartbeat, args.concurrency))


if __name__ == "__main__":
    main_swarm()
