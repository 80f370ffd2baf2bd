"""What the settings build for PostgreSQL and Redis, from DATABASE_URL and REDIS_URL (no server needed)."""

from __future__ import annotations

from consulta.testing import in_fresh_process

LAYER = """
import json
from channels.layers import get_channel_layer
layer = get_channel_layer()
pool = layer.create_pool(0)
kwargs = pool.connection_kwargs
print(json.dumps({
    "layer": type(layer).__module__ + "." + type(layer).__name__,
    "pool": type(pool).__name__,
    "max_connections": pool.max_connections,
    "socket_timeout": kwargs.get("socket_timeout"),
    "receive_timeout": layer.brpop_timeout,
    "port": kwargs.get("port"),
}))
"""


DATABASE = """
import json
from django.conf import settings
print(json.dumps(settings.DATABASES["default"]))
"""


def _probe(code: str, extra: dict[str, str]) -> dict[str, object]:
    """Run `code` in a fresh process whose settings see `extra` in the environment; what it prints."""
    answer: dict[str, object] = in_fresh_process(code, extra)
    return answer


def test_the_redis_layer_waits_for_a_free_connection_and_outlasts_its_own_blocking_receive() -> None:
    layer = _probe(LAYER, {"REDIS_URL": "redis://127.0.0.1:6390/0", "REDIS_MAX_CONNECTIONS": "42"})

    assert layer["layer"] == "consulta.core.channel_layer.RedisChannelLayer"
    # A full pool makes a command wait, not fail with "Too many connections".
    assert layer["pool"] == "BlockingConnectionPool"
    assert layer["max_connections"] == 42
    assert layer["port"] == 6390
    # redis-py 8 defaults to a 5 s socket timeout, the same as channels-redis's blocking
    # receive: the receive would time out whenever it waited its full time.
    socket_timeout, receive_timeout = layer["socket_timeout"], layer["receive_timeout"]
    assert isinstance(socket_timeout, int | float) and isinstance(receive_timeout, int | float)
    assert socket_timeout > receive_timeout


POSTGRES = "postgres://consulta@127.0.0.1:5432/consulta"


def test_postgresql_connections_come_from_a_pool() -> None:
    database = _probe(DATABASE, {"DATABASE_URL": POSTGRES, "DB_POOL_MAX_SIZE": "7", "DB_CONN_MAX_AGE": "0"})

    options = database["OPTIONS"]
    assert isinstance(options, dict)
    assert options["pool"]["max_size"] == 7
    assert database["CONN_MAX_AGE"] == 0


def test_the_pool_gives_way_to_persistent_connections_or_to_zero() -> None:
    # Django refuses both at once; and 0 turns the pool off.
    for extra in ({"DB_CONN_MAX_AGE": "60"}, {"DB_POOL_MAX_SIZE": "0"}):
        database = _probe(DATABASE, {"DATABASE_URL": POSTGRES, **extra})
        options = database.get("OPTIONS") or {}
        assert isinstance(options, dict)
        assert "pool" not in options, extra
