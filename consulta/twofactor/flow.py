"""Signing in, after the first factor (a password, or the organisation's identity provider).

`complete_sign_in` is the one way a person becomes logged in: the password login view and the
single sign-on callback both end here. A person with an authenticator, or one whose organisation
requires it, is not logged in yet: the session holds a *pending* sign-in (who, how, where to go
next, since when) and the browser goes on to the code page or to setting one up. Only when the
second factor passes does `django.contrib.auth.login` run, so until then every view, socket and
access check sees an anonymous visitor, with nothing of theirs to change.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, cast

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url

from consulta.accounts.models import User
from consulta.twofactor import actions

Via = Literal["password", "sso"]
BACKEND = "django.contrib.auth.backends.ModelBackend"
PENDING_KEY = "twofactor_pending"


@dataclass(frozen=True)
class Pending:
    user: User
    via: Via
    next_url: str


def complete_sign_in(request: HttpRequest, user: User, *, via: Via, next_url: str) -> HttpResponse:
    """Log `user` in and go on to `next_url` (already checked to be safe by the caller), or first
    ask for the second factor: its code, or setting one up when it is required and missing."""
    has_device = actions.confirmed_device(user) is not None
    if not has_device and not actions.must_have_second_factor(user):
        return redirect(log_in(request, user, next_url))
    # A new session key for the half-signed-in browser: a key planted before is worth nothing.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "via": via, "next": next_url, "at": time.time()}
    return redirect("twofactor:verify" if has_device else "twofactor:setup")


def pending(request: HttpRequest) -> Pending | None:
    """The sign-in waiting for its second factor; None when there is none or it is too old
    (then it is forgotten)."""
    held = request.session.get(PENDING_KEY)
    if not isinstance(held, dict):
        return None
    fresh = time.time() - float(held.get("at", 0)) < settings.MFA_PENDING_MINUTES * 60
    user_id = held.get("user")
    user = User.objects.filter(pk=user_id, is_active=True).first() if fresh and isinstance(user_id, int) else None
    if user is None or held.get("via") not in ("password", "sso"):
        cancel(request)
        return None
    return Pending(user=user, via=cast(Via, held["via"]), next_url=str(held.get("next") or ""))


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def finish(request: HttpRequest, signing_in: Pending) -> str:
    """The second factor passed: log the person in; returns where they go next."""
    cancel(request)
    return log_in(request, signing_in.user, signing_in.next_url)


def log_in(request: HttpRequest, user: User, next_url: str) -> str:
    login(request, user, backend=BACKEND)  # a new session key (django.contrib.auth cycles it)
    return next_url or resolve_url(settings.LOGIN_REDIRECT_URL)
