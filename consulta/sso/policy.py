"""Whether a person must sign in through their organisation's identity provider."""

from __future__ import annotations

from consulta.accounts.models import User


def password_login_refused(user: User) -> str | None:
    """A message if `user` may not sign in with a password (their organisation requires single
    sign-on), else None. (First version: nobody is refused.)"""
    return None
