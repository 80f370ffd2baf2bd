"""Every change single sign-on makes passes through here, each with its event-log row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from consulta.accounts.models import User
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations import actions as organisations
from consulta.organisations.models import Organisation
from consulta.sso.linking import Claims, Decision
from consulta.sso.models import SETTINGS_FIELDS, ExternalIdentity, IdentityProvider


def save_provider(organisation: Organisation, values: dict[str, Any], *, client_secret: str = "") -> IdentityProvider:
    """Create or change the organisation's provider. An empty `client_secret` keeps the saved one.

    The event names the fields changed, "client_secret" among them, never the values of it."""
    with transaction.atomic():
        provider = IdentityProvider.objects.select_for_update().filter(organisation=organisation).first()
        creating = provider is None
        if provider is None:
            provider = IdentityProvider(organisation=organisation)
        changed = [name for name in SETTINGS_FIELDS if creating or getattr(provider, name) != values[name]]
        for name in SETTINGS_FIELDS:
            setattr(provider, name, values[name])
        if client_secret and client_secret != provider.client_secret:
            provider.client_secret = client_secret
            changed.append("client_secret")
        provider.save()
        if changed:
            record(
                Kind.SSO_CONFIGURED,
                organisation_id=organisation.pk,
                subject=f"identity_provider:{provider.pk}",
                data={"changed": changed, "created": creating},
            )
    return provider


def set_require_mfa(organisation: Organisation, require_mfa: bool) -> bool:
    """Switch "require two-factor login" for everyone with a role here; True when it changed."""
    with transaction.atomic():
        saved = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if saved.require_mfa == require_mfa:
            return False
        saved.require_mfa = organisation.require_mfa = require_mfa
        saved.save(update_fields=["require_mfa"])
        record(
            Kind.SIGN_IN_POLICY_CHANGED,
            organisation_id=organisation.pk,
            data={"changed": ["require_mfa"], "require_mfa": require_mfa},
        )
    return True


def _link(provider: IdentityProvider, user: User, claims: Claims, *, created: bool) -> None:
    ExternalIdentity.objects.create(provider=provider, user=user, subject=claims.subject, last_used_at=timezone.now())
    record(
        Kind.SSO_LINKED,
        organisation_id=provider.organisation_id,
        subject=f"identity_provider:{provider.pk}",
        actor=user,
        target=user,
        data={"created_account": created, "provider": provider.display_name},
    )


def carry_out(provider: IdentityProvider, decision: Decision) -> User:
    """The account a "known", "link" or "create" decision signs in, after linking it and accepting
    the person's pending invitations of this organisation."""
    assert decision.claims is not None and decision.outcome != "refuse"
    claims = decision.claims
    with transaction.atomic():
        if decision.outcome == "known":
            assert decision.user is not None
            ExternalIdentity.objects.filter(provider=provider, subject=claims.subject).update(
                last_used_at=timezone.now()
            )
            return decision.user
        user = decision.user
        if user is None:  # "create": an account of the first invitation's address, no password
            user = User.objects.create_user(
                email=decision.invitations[0].email,
                password=None,
                first_name=claims.given_name,
                last_name=claims.family_name,
            )
        for invitation in decision.invitations:
            organisations.accept_invitation(invitation, user)
        _link(provider, user, claims, created=decision.user is None)
    return user
