"""The tests' own RFC 6238 implementation, against the RFC's published test values."""

from __future__ import annotations

import base64

import pytest

from consulta.twofactor.tests.totp import key_of, totp

RFC_KEY = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1


@pytest.mark.parametrize(
    ("at", "code"),
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
     (2000000000, "69279037"), (20000000000, "65353130")],
)  # fmt: skip
def test_rfc_6238_vectors(at: int, code: str) -> None:
    assert totp(RFC_KEY, at, digits=8) == code
    assert totp(RFC_KEY, at) == code[-6:]


def test_a_base32_secret_as_shown_in_groups_reads_back() -> None:
    secret = base64.b32encode(RFC_KEY).decode()
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert key_of(grouped) == RFC_KEY
