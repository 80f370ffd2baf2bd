"""Signing in, after the first factor (a password, or the organisation's identity provider).

`complete_sign_in` is the one way a person becomes logged in: the password login view and
the single sign-on callback both end here. (First version: no second factor yet.)
"""

from __future__ import annotations

from typing import Literal

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from consulta.accounts.models import User

Via = Literal["password", "sso"]
BACKEND = "django.contrib.auth.backends.ModelBackend"


def complete_sign_in(request: HttpRequest, user: User, *, via: Via, next_url: str) -> HttpResponse:
    """Log `user` in and go on to `next_url` (already checked to be safe by the caller)."""
    login(request, user, backend=BACKEND)
    return redirect(next_url or "core:home")
