"""Changes to a person's own account that are not sign-in (twofactor, sso) or roles (organisations)."""

from __future__ import annotations

from consulta.accounts.models import User


def set_language(user: User, language: str) -> None:
    """Kept on the account: every browser they sign in from, and their e-mails, follow it."""
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
