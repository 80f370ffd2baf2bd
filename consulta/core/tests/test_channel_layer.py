"""The in-memory channel layer: expired messages still go, without a sweep of everything at each step."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer as ChannelsLayer
from channels.layers import get_channel_layer

from consulta.core.channel_layer import InMemoryChannelLayer


def _count_sweeps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted = [0]
    sweep = ChannelsLayer._clean_expired

    def counting(self: ChannelsLayer) -> None:
        counted[0] += 1
        sweep(self)

    monkeypatch.setattr(ChannelsLayer, "_clean_expired", counting)
    return counted


def test_the_settings_use_it() -> None:
    assert isinstance(get_channel_layer(), InMemoryChannelLayer)


async def test_many_sends_within_a_second_sweep_once(monkeypatch: pytest.MonkeyPatch) -> None:
    sweeps = _count_sweeps(monkeypatch)
    layer = InMemoryChannelLayer()
    channels = [await layer.new_channel() for _ in range(200)]
    for channel in channels:
        await layer.group_add("queue.1", channel)

    for _ in range(50):
        await layer.group_send("queue.1", {"type": "deliver"})
    for channel in channels:
        assert await layer.receive(channel) == {"type": "deliver"}

    assert sweeps[0] == 1  # not 50 + 200 + 200


async def test_an_expired_message_still_goes_and_takes_its_channel_out_of_groups() -> None:
    layer: Any = InMemoryChannelLayer(expiry=0)  # a message expires as soon as it is sent
    layer.sweep_every_seconds = 0  # every step sweeps
    gone, alive = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("queue.1", gone)
    await layer.group_add("queue.1", alive)
    await layer.send(gone, {"type": "deliver", "n": 1})  # never received: it expires
    layer.expiry = 60  # the messages from here on do not

    await layer.group_send("queue.1", {"type": "deliver", "n": 2})  # sweeps first, then sends

    assert gone not in layer.groups["queue.1"]
    assert gone not in layer.channels
    assert alive in layer.groups["queue.1"]
    assert await layer.receive(alive) == {"type": "deliver", "n": 2}
