"""Bearer-key authentication of the API, rate-limited both ways.

A request with a key that works counts against that key (`api_key`); one without a key,
or with a malformed, unknown or revoked one, counts against its client address
(`api_bad_key_address`), so keys are not found by trying. Over either limit: 429. No cookie
or session authenticates the API: CSRF protects cookies, and there are none here.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from consulta.api import actions
from consulta.api.models import TOKEN_PREFIX, ApiKey
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.eventlog import context

TOKEN_PATTERN = re.compile(rf"^{TOKEN_PREFIX}_([a-z0-9]{{8}})_[A-Za-z0-9_-]{{32,100}}$")


class RateLimited(Exception):
    def __init__(self, refused: ratelimit.Refused) -> None:
        super().__init__(refused.retry_after)
        self.refused = refused


def key_for_token(token: str) -> ApiKey | None:
    """The active key whose secret this is, or None."""
    found = TOKEN_PATTERN.match(token)
    if found is None:
        return None
    key = ApiKey.objects.select_related("organisation").filter(prefix=found.group(1)).first()
    if key is None or not hmac.compare_digest(key.secret_hash, ApiKey.hash_token(token)):
        return None
    return key if key.is_active else None


class KeyAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        # HttpBearer answers None to a missing or non-bearer header without calling
        # `authenticate`: those count against the address too.
        key = super().__call__(request)
        if key is None:
            refused = ratelimit.hit("api_bad_key_address", client_address(request))
            if refused is not None:
                raise RateLimited(refused)
            return None
        refused = ratelimit.hit("api_key", key.pk)
        if refused is not None:
            raise RateLimited(refused)
        actions.mark_used(key)
        # Every event this request causes names the key (eventlog/context.py).
        context.set_api_key(key.prefix)
        return key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return key_for_token(token.strip())


def request_key(request: HttpRequest) -> ApiKey:
    """The key of an authenticated API request."""
    key = getattr(request, "auth", None)
    assert isinstance(key, ApiKey)
    return key
