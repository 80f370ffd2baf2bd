"""consulta/core/ratelimit.py: rules from settings, refusals with a wait, memory and Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from unittest import mock

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from consulta.core import ratelimit
from consulta.core.ratelimit import RULES, Refused, ahit, hit, reset
from consulta.testing import RateLimitClock

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def limits(**rates: str) -> override_settings:
    from django.conf import settings

    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **rates}, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def test_every_rule_has_a_default_rate_in_settings() -> None:
    from django.conf import settings

    assert set(settings.RATE_LIMITS) == set(RULES)
    for rule in RULES:
        assert ratelimit.parse_rates(settings.RATE_LIMITS[rule]), rule


def test_a_flood_is_refused_once_over_the_rate_and_other_keys_are_untouched() -> None:
    with limits(patient_entry_address="5/10minutes"):
        assert [hit("patient_entry_address", "198.51.100.7") for _ in range(5)] == [None] * 5
        refused = hit("patient_entry_address", "198.51.100.7")
        assert isinstance(refused, Refused)
        assert 590 <= refused.retry_after <= 600
        # Another address, and the same address under another rule, count on their own.
        assert hit("patient_entry_address", "198.51.100.8") is None
        assert hit("knock_address", "198.51.100.7") is None


def test_keys_of_several_parts_are_kept_apart() -> None:
    with limits(password_reset_account="1/hour"):
        assert hit("password_reset_account", "a@example.org") is None
        assert hit("password_reset_account", "b@example.org") is None
        assert hit("password_reset_account", "a@example.org") is not None
    with limits(invitation_email_account="1/hour"):
        assert hit("invitation_email_account", 1, "x") is None
        assert hit("invitation_email_account", 1, "y") is None
        assert hit("invitation_email_account", 12) is None


def test_a_refused_hit_is_not_counted_so_the_window_moves_on(rate_limit_clock: RateLimitClock) -> None:
    with limits(knock_link="2/2seconds"):
        assert hit("knock_link", "t") is None
        assert hit("knock_link", "t") is None
        for _ in range(20):  # hammering while refused does not extend the wait
            refused = hit("knock_link", "t")
            assert refused is not None and refused.retry_after <= 2
        rate_limit_clock.advance(2.05)
        assert hit("knock_link", "t") is None


def test_several_rates_for_one_rule_all_hold(rate_limit_clock: RateLimitClock) -> None:
    with limits(knock_address="3/second;4/minute"):
        assert [hit("knock_address", "a") for _ in range(3)] == [None] * 3
        assert hit("knock_address", "a") is not None  # 3/second
        rate_limit_clock.advance(1.05)
        assert hit("knock_address", "a") is None
        refused = hit("knock_address", "a")  # 4/minute
        assert refused is not None and refused.retry_after > 50


@pytest.mark.parametrize("off", ["0", "", " 0 "])
def test_a_rate_of_zero_or_nothing_switches_one_rule_off(off: str) -> None:
    with limits(patient_entry_address=off):
        assert all(hit("patient_entry_address", "a") is None for _ in range(100))


def test_rate_limits_enabled_false_switches_every_rule_off() -> None:
    with limits(patient_entry_address="1/hour", chat_messages="1/hour"), override_settings(RATE_LIMITS_ENABLED=False):
        assert all(hit("patient_entry_address", "a") is None for _ in range(10))
        assert all(hit("chat_messages", "s") is None for _ in range(10))


def test_reset_forgets_every_counter() -> None:
    with limits(patient_entry_address="1/hour", socket_messages="1/hour"):
        assert hit("patient_entry_address", "a") is None
        assert hit("socket_messages", "s") is None
        assert hit("patient_entry_address", "a") is not None
        assert hit("socket_messages", "s") is not None
        reset()
        assert hit("patient_entry_address", "a") is None
        assert hit("socket_messages", "s") is None


def test_settings_read_rates_from_the_environment_and_refuse_nonsense() -> None:
    from consulta import settings as settings_module

    env = {"RATE_LIMIT_KNOCK_LINK": "7/minute", "RATE_LIMIT_CHAT_MESSAGES": "0"}
    with mock.patch.dict("os.environ", env):
        rates = settings_module._rate_limits()
    assert rates["knock_link"] == "7/minute"
    assert rates["chat_messages"] == "0"
    assert rates["patient_entry_address"] == settings_module.RATE_LIMIT_DEFAULTS["patient_entry_address"]
    with mock.patch.dict("os.environ", {"RATE_LIMIT_KNOCK_LINK": "lots"}), pytest.raises(ImproperlyConfigured):
        settings_module._rate_limits()


# --- per-socket rules: counted in this process -----------------------------------------------


def test_socket_messages_allow_a_burst_then_refuse() -> None:
    with limits(socket_messages="200/10seconds"):
        # A 6-person call's ICE burst: ~100 signal messages in a second passes whole.
        assert all(hit("socket_messages", "specific.abc") is None for _ in range(200))
        refused = hit("socket_messages", "specific.abc")
        assert refused is not None and 1 <= refused.retry_after <= 20
        assert hit("socket_messages", "specific.other") is None


def test_chat_messages_refuse_a_loop_and_say_when_to_type_again(rate_limit_clock: RateLimitClock) -> None:
    with limits(chat_messages="3/2seconds"):
        results = [hit("chat_messages", "sock") for _ in range(50)]
        assert results[:3] == [None] * 3
        refusals = [result for result in results[3:] if result is not None]
        assert len(refusals) == 47
        wait = max(refusal.retry_after for refusal in refusals)
        assert 1 <= wait <= 4
        rate_limit_clock.advance(wait + 0.05)
        assert hit("chat_messages", "sock") is None


def test_per_socket_rules_never_go_to_redis() -> None:
    with limits(socket_messages="1/hour"), override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        assert hit("socket_messages", "s") is None  # no connection attempted, nothing let through wrongly
        assert hit("socket_messages", "s") is not None


def test_local_counters_are_swept_once_idle() -> None:
    counters = ratelimit._LocalCounters()
    rates = ratelimit.parse_rates("5/second")
    for socket_number in range(100):
        counters.hit(rates, ("socket_messages", str(socket_number)))
    assert len(counters) == 100
    counters._sweep(time.monotonic() + 3)
    assert len(counters) == 0


async def test_ahit_counts_with_hit_in_memory() -> None:
    with limits(socket_connect_address="3/minute", chat_messages="2/minute"):
        assert hit("socket_connect_address", "203.0.113.1") is None
        assert await ahit("socket_connect_address", "203.0.113.1") is None
        assert await ahit("socket_connect_address", "203.0.113.1") is None
        refused = await ahit("socket_connect_address", "203.0.113.1")
        assert refused is not None and refused.retry_after > 50
        assert await ahit("chat_messages", "s") is None
        assert await ahit("chat_messages", "s") is None
        assert await ahit("chat_messages", "s") is not None


# --- Redis: one count for every worker ----------------------------------------------------------


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def redis_limits(**rates: str) -> override_settings:
    from django.conf import settings

    return override_settings(
        RATE_LIMITS={**settings.RATE_LIMITS, **rates}, RATE_LIMITS_ENABLED=True, REDIS_URL=REDIS_TEST_URL
    )


def test_redis_counts_are_shared_and_survive_a_reset_of_this_process(redis_db: redis.Redis) -> None:
    with redis_limits(password_reset_account="2/hour"):
        assert hit("password_reset_account", "a@example.org") is None
        assert hit("password_reset_account", "a@example.org") is None
        keys = redis_db.keys("consulta-ratelimit:*")
        assert len(keys) == 1 and b"password_reset_account" in keys[0]
        assert b"example.org" not in keys[0]  # a digest of the e-mail, not the e-mail
        reset()  # memory only: another worker's view of Redis is unchanged
        refused = hit("password_reset_account", "a@example.org")
        assert refused is not None and 3500 < refused.retry_after <= 3600


async def test_ahit_and_hit_share_redis_counts(redis_db: redis.Redis) -> None:
    with redis_limits(socket_connect_address="3/minute"):
        assert await ahit("socket_connect_address", "203.0.113.9") is None
        assert await asyncio.to_thread(hit, "socket_connect_address", "203.0.113.9") is None
        assert await ahit("socket_connect_address", "203.0.113.9") is None
        refused = await ahit("socket_connect_address", "203.0.113.9")
        assert refused is not None and 50 < refused.retry_after <= 60
        assert await ahit("socket_connect_address", "203.0.113.10") is None


async def test_ahit_does_not_block_the_event_loop_on_redis(redis_db: redis.Redis) -> None:
    """While hits wait on Redis, the loop keeps running other tasks."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    with redis_limits(socket_connect_address="1000/minute"):
        task = asyncio.create_task(ticker())
        results = await asyncio.gather(*(ahit("socket_connect_address", f"a{n % 10}") for n in range(200)))
        stop.set()
        await task
    assert results == [None] * 200
    assert ticks > 20  # a blocking client would have let the ticker run once at most


def test_an_unreachable_redis_lets_requests_through_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    ratelimit._last_warning = 0.0
    with redis_limits(patient_entry_address="1/hour"), override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        assert hit("patient_entry_address", "a") is None
        assert hit("patient_entry_address", "a") is None
    warnings = [record for record in caplog.records if "Rate-limit storage unavailable" in record.getMessage()]
    assert len(warnings) == 1


async def test_a_concurrent_flood_on_redis_is_refused_not_let_through(redis_db: redis.Redis) -> None:
    """More hits at once than the Redis pool has connections: they wait for one, none slip by."""
    with redis_limits(socket_connect_address="100/minute"):
        results = await asyncio.gather(*(ahit("socket_connect_address", "203.0.113.66") for _ in range(300)))
    assert results.count(None) == 100
    assert all(isinstance(result, Refused) for result in results if result is not None)


def test_the_shared_test_servers_lift_every_rule() -> None:
    """tests/e2e/server.py enters many patients from 127.0.0.1: it must list every rule."""
    from tests.e2e.server import HIGH_LIMITS, default_limits_env

    assert {f"RATE_LIMIT_{rule.upper()}" for rule in RULES} | {"WAITING_AREA_MAX_CALLERS"} == set(HIGH_LIMITS)
    assert all(ratelimit.parse_rates(rate) for name, rate in HIGH_LIMITS.items() if name.startswith("RATE_LIMIT_"))
    assert default_limits_env({**HIGH_LIMITS, "KEEP": "1"}) == {"KEEP": "1"}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "Too many attempts. Please try again in 1 second."),
        (45, "Too many attempts. Please try again in 45 seconds."),
        (60, "Too many attempts. Please try again in 1 minute."),
        (61, "Too many attempts. Please try again in 2 minutes."),
        (600, "Too many attempts. Please try again in 10 minutes."),
    ],
)
def test_the_refusal_says_when_to_try_again(seconds: int, text: str) -> None:
    assert ratelimit.retry_message(Refused(seconds)) == text
