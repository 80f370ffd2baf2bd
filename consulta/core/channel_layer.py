"""The channel layers, each fit for thousands of sockets.

The Redis layer (several processes) gets a connection pool fit for reconnect storms.

channels-redis builds redis-py's plain `ConnectionPool`, which refuses a command
outright ("Too many connections") once all its connections are in use. When a worker
dies, thousands of patients' sockets reconnect to the others within seconds, each
joining a group: with a plain pool some of those joins fail and the sockets close
again. A `BlockingConnectionPool` makes them wait their turn for a connection instead.

The in-memory layer (one process) sweeps expired messages and memberships at most once
a second. Channels' own sweeps every channel and group at each receive and group send:
with 10,000 waiting patients each socket's receive costs 10,000 steps, and a storm of
them reconnecting costs 10,000² (bench/capacity.py: 274 s to open 5,000 more sockets
beside 5,000 open ones).
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer as BaseInMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)


class InMemoryChannelLayer(BaseInMemoryChannelLayer):
    # Messages expire after a minute and memberships after a day: a second's delay is nothing.
    sweep_every_seconds = 1.0
    _swept_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_every_seconds:
            self._swept_at = now
            super()._clean_expired()
