"""RFC 6238 time-based codes, computed here with hmac and hashlib: the tests check the server's
codes against this independent implementation, never against django-otp's own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

STEP = 30


def key_of(secret: str) -> bytes:
    """The key of a base32 secret as an app is given it ("ABCD EFGH ..." or unpadded)."""
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, digits: int = 6) -> str:
    """RFC 4226: HMAC-SHA-1 of the counter, dynamically truncated."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def step_of(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP)


def totp(secret: str | bytes, at: float | None = None, *, steps_ahead: int = 0, digits: int = 6) -> str:
    """The code for the time step of `at` (now by default), or `steps_ahead` steps later."""
    key = key_of(secret) if isinstance(secret, str) else secret
    return hotp(key, step_of(at) + steps_ahead, digits)
