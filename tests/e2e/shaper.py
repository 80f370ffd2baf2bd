"""A shaped line between the host and a network namespace, in user space: rate, delay, loss, outage.

Why not `tc netem`: the kernels of some machines this runs on (this one: a Firecracker guest
kernel) have no netem qdisc ("Specified qdisc kind is unknown"), nor fq_codel or an ingress
hook. So tests/e2e/netns.py, when asked for a shaped link, joins the namespace to the host
with two TUN devices instead of a veth, and this process carries every IP packet between
them: per direction, random loss first, then a FIFO that sends at `rate_kbit` (tail drop past
QUEUE_MS of backlog, as a real line's buffer), then `delay_ms` of propagation. The same shaping
applies to each direction, as netem on both veth ends would.

    python -m tests.e2e.shaper HOST_TUN NAMESPACE_TUN
    -> prints "ready" once both devices exist (the parent then moves NAMESPACE_TUN into the
       namespace and gives both addresses); then reads one JSON line per change on stdin,
       {"rate_kbit": 350, "delay_ms": 50, "loss_percent": 2} ({} = unshaped), answers "ok",
       and prints a JSON line of counters when stdin closes.
"""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time
from dataclasses import dataclass, field

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
QUEUE_MS = 300  # backlog a shaped line buffers before it drops (tail drop)
MAX_PACKET = 65536
NICENESS = -10  # root only; elsewhere the line runs at the normal priority


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


@dataclass
class Direction:
    """One direction of the line: what it reads from, where it writes, and its own queue clock."""

    source: int
    target: int
    free_at: float = 0.0  # when the line has sent everything queued so far
    counts: dict[str, int] = field(default_factory=lambda: {"in": 0, "out": 0, "lost": 0, "dropped": 0})


class Line:
    def __init__(self, host_fd: int, namespace_fd: int) -> None:
        self.directions = [Direction(host_fd, namespace_fd), Direction(namespace_fd, host_fd)]
        self.rate_bps = 0.0
        self.delay_s = 0.0
        self.loss = 0.0
        self.pending: list[tuple[float, int, int, bytes]] = []  # (release time, order, target, packet)
        self.order = 0

    def shape(self, rate_kbit: float = 0, delay_ms: float = 0, loss_percent: float = 0) -> None:
        self.rate_bps, self.delay_s, self.loss = rate_kbit * 1000, delay_ms / 1000, loss_percent / 100

    def receive(self, direction: Direction, now: float) -> None:
        for _ in range(64):  # a burst at a time; select() brings us back for the rest
            try:
                packet = os.read(direction.source, MAX_PACKET)
            except BlockingIOError:
                return
            direction.counts["in"] += 1
            if self.loss and random.random() < self.loss:
                direction.counts["lost"] += 1
                continue
            leaves = now
            if self.rate_bps:
                start = max(now, direction.free_at)
                if start - now > QUEUE_MS / 1000:
                    direction.counts["dropped"] += 1
                    continue
                direction.free_at = leaves = start + len(packet) * 8 / self.rate_bps
            self.order += 1
            heapq.heappush(self.pending, (leaves + self.delay_s, self.order, direction.target, packet))

    def release(self, now: float) -> float | None:
        """Send every packet due by `now`; the seconds until the next one is due (None: none)."""
        while self.pending and self.pending[0][0] <= now:
            _due, _order, target, packet = heapq.heappop(self.pending)
            try:
                os.write(target, packet)
            except OSError:  # the device's own queue is full or it is going: a lost packet
                continue
            next(d for d in self.directions if d.target == target).counts["out"] += 1
        return self.pending[0][0] - now if self.pending else None


def serve(host_name: str, namespace_name: str) -> None:
    # The line stands for a network, which a busy CPU does not slow: ahead of the browsers.
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    line = Line(open_tun(host_name), open_tun(namespace_name))
    print("ready", flush=True)
    stdin = sys.stdin.fileno()
    sources = {direction.source: direction for direction in line.directions}
    buffered = b""
    while True:
        wait = line.release(time.monotonic())
        readable, _, _ = select.select([stdin, *sources], [], [], wait)
        now = time.monotonic()
        for fd in readable:
            if fd != stdin:
                line.receive(sources[fd], now)
                continue
            chunk = os.read(stdin, 4096)
            if not chunk:  # the parent is done (or gone): the line goes with it
                print(json.dumps([d.counts for d in line.directions]), flush=True)
                return
            buffered += chunk
            while b"\n" in buffered:
                command, buffered = buffered.split(b"\n", 1)
                line.shape(**json.loads(command))
                print("ok", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
