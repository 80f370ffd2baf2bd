"""Rate limits: one mechanism for HTTP views and WebSocket consumers.

    refused = hit("patient_entry_address", client_address(request))
    if refused:
        ...  # answer 429 and say "try again in refused.retry_after seconds"

`hit` is for synchronous code (views, database threads), `ahit` for the socket consumers'
event loop. Each rule's rate comes from `settings.RATE_LIMITS` (environment variables
`RATE_LIMIT_<RULE>`, see docs/configuration.md): one or more rates in the notation of the
`limits` library ("10/10minutes", "20/minute;100/hour"); "0" or "" switches the rule off, and
`RATE_LIMITS_ENABLED=false` switches them all off.

Storage:
- The shared rules count with `limits`' moving-window strategy: in this process's memory, or in
  Redis when `REDIS_URL` is set, so a limit holds across every worker. `ahit` talks to Redis
  through `limits.aio` with redis-py's asyncio client (one client per event loop), so it never
  blocks the loop; `hit` uses the synchronous client.
- `socket_messages` and `chat_messages` count per socket, and a socket lives in one process: they
  are always counted in this process, with a sliding-window counter of their own (the same
  approximation of a moving window as `limits`' sliding-window-counter strategy). `limits`'
  memory storage walks every key from a timer thread every 10 ms; with one key per open socket
  (10,000 in the benchmarks) that cost 13-19 % of a core at idle and 30-60 µs a hit, where this
  table costs about a microsecond and nothing at idle.

Keys are kept as digests (BLAKE2b of the key's parts): no e-mail or client address is written
to Redis. Redis pools wait (up to 2 s) for a free connection rather than fail, so a flood cannot
slip through by exhausting them. When Redis cannot be reached, a hit is let through (and a
warning logged, at most once a minute): a rate limit must not turn a Redis outage into a
refusal of every patient.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, get_args

import redis
import redis.asyncio
from django.conf import settings
from django.utils.translation import ngettext
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage as AsyncRedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

RuleName = Literal[
    "patient_entry_address",  # patient entry POSTs per client address
    "patient_entry_clinic",  # patient entries per clinic (well above one address's limit)
    "knock_link",  # knocks per guest link
    "knock_address",  # knocks per client address
    "socket_connect_address",  # WebSocket connections per client address (every socket kind)
    "socket_messages",  # messages per socket (burst allowance) -- process-local
    "chat_messages",  # chat lines per socket -- process-local
    "name_form_address",  # a guest's or invitee's name form, per client address (each makes a session)
    "password_reset_address",
    "password_reset_account",
    "invitation_email_address",
    "invitation_email_account",
    "alert_person",  # alert messages to one person about one clinic (a flood of fake callers)
    "precall_transfer_address",  # pre-call bandwidth test transfers (upload or download) per client address
    "precall_page_address",  # pre-call test pages per client address (each hands out a TURN credential)
    "entry_check_address",  # entry-check reports of the patient entry page per client address
    "mfa_code_account",  # two-factor or recovery codes tried, per account
    "mfa_code_address",  # two-factor or recovery codes tried, per client address
    "sso_address",  # single sign-on starts and callbacks per client address
    "api_key",  # REST API requests per API key
    "api_bad_key_address",  # REST API requests with a missing or wrong key, per client address
    "language_address",  # language picker choices per client address (each may write a row)
]
RULES: tuple[RuleName, ...] = get_args(RuleName)
# Counted per socket, in this process only (never in Redis).
LOCAL_RULES: frozenset[RuleName] = frozenset({"socket_messages", "chat_messages"})

KEY_PREFIX = "consulta-ratelimit"
REDIS_TIMEOUT_SECONDS = 2.0
_POOL_OPTIONS = {
    "max_connections": 50,
    "timeout": REDIS_TIMEOUT_SECONDS,  # waiting for a free connection of the pool
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
}
_WARN_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Refused:
    retry_after: int  # whole seconds (>= 1) until a retry may succeed


@lru_cache(maxsize=64)
def parse_rates(value: str) -> tuple[RateLimitItem, ...]:
    """The rates of one setting; () for a rule that is switched off ("0" or "")."""
    value = value.strip()
    if value in {"", "0"}:
        return ()
    return tuple(parse_many(value))


def _rates(rule: RuleName) -> tuple[RateLimitItem, ...]:
    if not settings.RATE_LIMITS_ENABLED:
        return ()
    return parse_rates(settings.RATE_LIMITS.get(rule, ""))


def _identifiers(rule: RuleName, key: tuple[str | int, ...]) -> tuple[str, ...]:
    """The rule and a digest of its key: no e-mail or client address is kept in Redis or memory."""
    joined = "\x1f".join(str(part) for part in key)
    return (rule, hashlib.blake2b(joined.encode(), digest_size=16, person=b"consulta-rl").hexdigest())


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


_last_warning = 0.0


def _storage_failed(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("Rate-limit storage unavailable, letting requests through: %s", error)


# --- shared rules: limits' moving window, in memory or Redis ----------------------------------

_memory = MemoryStorage()
_memory_limiter = MovingWindowRateLimiter(_memory)


def _redis_uri(url: str, *, asynchronous: bool) -> str:
    scheme, sep, rest = url.partition("://")
    if scheme == "unix":
        scheme = "redis+unix"
    return f"{'async+' if asynchronous else ''}{scheme}{sep}{rest}"


@lru_cache(maxsize=4)
def _sync_redis_limiter(url: str) -> MovingWindowRateLimiter:
    # A pool that waits for a free connection: redis-py's default one raises "Too many
    # connections" under a flood, which would let the flood through.
    pool = redis.BlockingConnectionPool.from_url(url, **_POOL_OPTIONS)
    storage = RedisStorage(
        _redis_uri(url, asynchronous=False), connection_pool=pool, key_prefix=KEY_PREFIX, wrap_exceptions=True
    )
    return MovingWindowRateLimiter(storage)


# redis-py's asyncio connections belong to the loop that opened them: one limiter per loop.
_async_redis_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncMovingWindowRateLimiter]]
_async_redis_limiters = weakref.WeakKeyDictionary()


def _async_redis_limiter(url: str) -> AsyncMovingWindowRateLimiter:
    per_loop = _async_redis_limiters.setdefault(asyncio.get_running_loop(), {})
    limiter = per_loop.get(url)
    if limiter is None:
        options: dict[str, Any] = {
            "connection_pool": redis.asyncio.BlockingConnectionPool.from_url(url, **_POOL_OPTIONS)
        }
        storage = AsyncRedisStorage(
            _redis_uri(url, asynchronous=True),
            implementation="redispy",
            key_prefix=KEY_PREFIX,
            wrap_exceptions=True,
            **options,  # passed on to redis-py: limits' annotation of these options is too narrow
        )
        limiter = per_loop[url] = AsyncMovingWindowRateLimiter(storage)
    return limiter


def _shared_hit(rates: tuple[RateLimitItem, ...], identifiers: tuple[str, ...]) -> Refused | None:
    limiter = _sync_redis_limiter(settings.REDIS_URL) if settings.REDIS_URL else _memory_limiter
    try:
        # With several rates, look before counting: a hit refused by one rate counts in none.
        full = [rate for rate in rates if not limiter.test(rate, *identifiers)] if len(rates) > 1 else []
        if not full:
            full = [rate for rate in rates if not limiter.hit(rate, *identifiers)]
        if not full:
            return None
        reset_at = max(limiter.get_window_stats(rate, *identifiers).reset_time for rate in full)
    except StorageError as error:
        _storage_failed(error.storage_error)
        return None
    return Refused(_retry_after(reset_at - time.time()))


async def _ashared_hit(rates: tuple[RateLimitItem, ...], identifiers: tuple[str, ...]) -> Refused | None:
    if not settings.REDIS_URL:
        # Memory only: a few microseconds of work under a lock, never a wait on I/O.
        return _shared_hit(rates, identifiers)
    limiter = _async_redis_limiter(settings.REDIS_URL)
    try:
        full = [rate for rate in rates if not await limiter.test(rate, *identifiers)] if len(rates) > 1 else []
        if not full:
            full = [rate for rate in rates if not await limiter.hit(rate, *identifiers)]
        if not full:
            return None
        reset_at = max([(await limiter.get_window_stats(rate, *identifiers)).reset_time for rate in full])
    except StorageError as error:
        _storage_failed(error.storage_error)
        return None
    return Refused(_retry_after(reset_at - time.time()))


# --- process-local rules: a sliding-window counter per key ------------------------------------


class _LocalCounters:
    """Per-socket counts, approximating a moving window as `limits`' sliding-window counter does:
    the previous window's count weighted by how much of it still overlaps the moving window."""

    SWEEP_EVERY_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (identifiers, seconds) -> [window number, previous window's count, this window's count]
        self._windows: dict[tuple[tuple[str, ...], int], list[int]] = {}
        self._longest = 0
        self._next_sweep = time.monotonic() + self.SWEEP_EVERY_SECONDS

    def hit(self, rates: tuple[RateLimitItem, ...], identifiers: tuple[str, ...]) -> Refused | None:
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            waits = [self._wait(rate, identifiers, now) for rate in rates]
            if any(wait is not None for wait in waits):
                return Refused(_retry_after(max(wait for wait in waits if wait is not None)))
            for rate in rates:
                self._windows[(identifiers, rate.get_expiry())][2] += 1
        return None

    def _wait(self, rate: RateLimitItem, identifiers: tuple[str, ...], now: float) -> float | None:
        """None when one more hit fits the rate, else the seconds until it would."""
        seconds = rate.get_expiry()
        self._longest = max(self._longest, seconds)
        number = int(now // seconds)
        window = self._windows.setdefault((identifiers, seconds), [number, 0, 0])
        if window[0] != number:
            window[1] = window[2] if window[0] == number - 1 else 0
            window[0], window[2] = number, 0
        _, previous, current = window
        elapsed = now / seconds - number  # fraction of this window gone by
        if math.floor(previous * (1 - elapsed) + current) + 1 <= rate.amount:
            return None
        allowed = rate.amount - 1  # the weighted count must fall to this for one more hit
        if current <= allowed and previous:
            # Later in this window, as the previous window's share shrinks.
            return (1 - (allowed - current) / previous - elapsed) * seconds
        # Not before the next window, where this window's count becomes the weighted share.
        return (1 - elapsed + max(0.0, 1 - allowed / current)) * seconds if current else seconds

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_EVERY_SECONDS
        for slot, window in list(self._windows.items()):
            if window[0] < int(now // slot[1]) - 1:  # nothing left in the moving window
                del self._windows[slot]

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def __len__(self) -> int:
        return len(self._windows)


_local = _LocalCounters()


# --- the API ------------------------------------------------------------------------------------


def hit(rule: RuleName, *key: str | int) -> Refused | None:
    """Count one event of `rule` for `key`; Refused (with the wait) when it is over the rate.

    A refused event is not counted, so a client that keeps trying is let in once the window
    has moved on."""
    rates = _rates(rule)
    if not rates:
        return None
    identifiers = _identifiers(rule, key)
    if rule in LOCAL_RULES:
        return _local.hit(rates, identifiers)
    return _shared_hit(rates, identifiers)


async def ahit(rule: RuleName, *key: str | int) -> Refused | None:
    """`hit` for the event loop: never blocks it on Redis."""
    rates = _rates(rule)
    if not rates:
        return None
    identifiers = _identifiers(rule, key)
    if rule in LOCAL_RULES:
        return _local.hit(rates, identifiers)
    return await _ashared_hit(rates, identifiers)


def retry_message(refused: Refused) -> str:
    """The one sentence every refused person reads: what happened, and when to try again."""
    if refused.retry_after < 60:
        seconds = refused.retry_after
        return ngettext(
            "Too many attempts. Please try again in %(count)d second.",
            "Too many attempts. Please try again in %(count)d seconds.",
            seconds,
        ) % {"count": seconds}
    minutes = math.ceil(refused.retry_after / 60)
    return ngettext(
        "Too many attempts. Please try again in %(count)d minute.",
        "Too many attempts. Please try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


def refuse_form(form: Any, request: Any, rule: RuleName) -> Refused | None:
    """Count one submission of a public form from the request's client address; when refused,
    the bound form carries the message (and keeps what was typed) and the caller answers 429."""
    from consulta.core.client import client_address

    refused = hit(rule, client_address(request))
    if refused is not None:
        form.add_error(None, retry_message(refused))
    return refused


def reset() -> None:
    """Forget every counter kept in this process (for tests; Redis is left alone)."""
    _memory.reset()
    _local.reset()
