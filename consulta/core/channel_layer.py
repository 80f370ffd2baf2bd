"""The Redis channel layer, with a connection pool fit for reconnect storms.

channels-redis builds redis-py's plain `ConnectionPool`, which refuses a command
outright ("Too many connections") once all its connections are in use. When a worker
dies, thousands of patients' sockets reconnect to the others within seconds, each
joining a group: with a plain pool some of those joins fail and the sockets close
again. A `BlockingConnectionPool` makes them wait their turn for a connection instead.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        return BlockingConnectionPool.from_url(host.pop("address"), **host)
