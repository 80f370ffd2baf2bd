"""The Redis channel layer's pool, as the settings build it when REDIS_URL is set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
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


def _layer_with(extra: dict[str, str]) -> dict[str, object]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "consulta.settings", **extra}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_the_redis_layer_waits_for_a_free_connection_and_outlasts_its_own_blocking_receive() -> None:
    layer = _layer_with({"REDIS_URL": "redis://127.0.0.1:6390/0", "REDIS_MAX_CONNECTIONS": "42"})

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
