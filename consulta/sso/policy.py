"""Whether a person must sign in through their organisation's identity provider."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.sso.models import IdentityProvider


def required_provider(user: User) -> IdentityProvider | None:
    """An enabled, required provider of an organisation the person holds a role in (there or
    in one of its clinics), if any."""
    return (
        IdentityProvider.objects.select_related("organisation")
        .filter(enabled=True, required=True)
        .filter(
            Q(organisation__memberships__user=user) | Q(organisation__clinics__memberships__user=user),
        )
        .order_by("pk")
        .first()
    )


def password_login_refused(user: User) -> str | None:
    """A message if `user` may not sign in with a password (their organisation requires single
    sign-on), else None. The message links to the single sign-on page (it is safe HTML)."""
    provider = required_provider(user)
    if provider is None:
        return None
    text = _("%(organisation)s requires you to sign in with %(provider)s, not with a password.") % {
        "organisation": provider.organisation.name,
        "provider": provider.display_name,
    }
    link = reverse("sso:begin", args=[provider.organisation.slug])
    return format_html(
        '{} <a href="{}">{}</a>', text, link, _("Sign in with %(provider)s") % {"provider": provider.display_name}
    )
