"""The API's endpoints, one module per resource. Every row through key_access, every change through actions."""

from __future__ import annotations

from typing import Any

from consulta.api.schemas import Error

# Largest id a path or query accepts: beyond it SQLite's integers overflow.
MAX_ID = 2**53
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
MAX_OFFSET = 10**9


def errors(*codes: int) -> dict[int, Any]:
    """The error answers an endpoint can give, each a JSON `Error`: 401 and 429 always (the key)."""
    return dict.fromkeys(sorted({401, 429, *codes}), Error)
