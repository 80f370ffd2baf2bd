"""Recovery codes and six-digit codes as typed: making, normalising, hashing, comparing."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# No 0/O, 1/I/L, 5/S or 8/B: a code is read off paper and typed by hand.
ALPHABET = "ACDEFGHJKMNPQRTUVWXYZ234679"
LENGTH = 10
COUNT = 10


def new_recovery_code() -> str:
    """Ten random characters, grouped for reading: "XXXXX-XXXXX" (about 47 bits)."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_recovery_code(typed: str) -> str:
    """What the person typed, without spaces or hyphens, in capitals."""
    return re.sub(r"[\s-]", "", typed).upper()


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def same_hash(first: str, second: str) -> bool:
    """Constant-time: how long a comparison takes tells nothing about the stored digest."""
    return hmac.compare_digest(first.encode(), second.encode())


def normalise_totp(typed: str) -> str:
    """A six-digit code as typed ("123 456" counts): the digits, or "" when it is not one."""
    digits = re.sub(r"\s", "", typed)
    return digits if re.fullmatch(r"\d{6}", digits) else ""


def looks_like_totp(typed: str) -> bool:
    return bool(normalise_totp(typed))


def grouped(secret: str, size: int = 4) -> str:
    """A base32 secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))
