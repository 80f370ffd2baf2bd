"""Who a person coming back from their organisation's identity provider is: the linking rules.

Reading the claims is pure (`read_claims`); deciding reads the database but changes nothing
(`decide`); actions.py carries the decision out. Nobody joins an organisation by signing in
alone: an account is linked or made only for a role or a pending invitation HERE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q

from consulta.accounts.models import User
from consulta.organisations.models import ClinicMembership, Invitation, OrganisationMembership
from consulta.sso.models import ExternalIdentity, IdentityProvider

Reason = Literal["no_subject", "no_email", "unverified_email", "domain_not_allowed", "inactive", "no_role"]
Outcome = Literal["known", "link", "create", "refuse"]


@dataclass(frozen=True)
class Claims:
    subject: str
    email: str
    given_name: str
    family_name: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    user: User | None = None
    invitations: list[Invitation] = field(default_factory=list)  # pending, of this organisation, to accept
    claims: Claims | None = None
    reason: Reason | None = None


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _verified(value: Any) -> bool:
    # Some providers send the JSON string "true" rather than the boolean.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def read_claims(provider: IdentityProvider, claims: dict[str, Any]) -> Claims | Reason:
    """The person's subject, e-mail and names from the validated claims, or why they are refused."""
    subject = _text(claims.get("sub"), 255)
    if not subject:
        return "no_subject"
    email = _text(claims.get(provider.email_claim), 254).lower()
    if "@" not in email:
        return "no_email"
    if not provider.trust_unverified_email and not _verified(claims.get("email_verified")):
        return "unverified_email"
    if not provider.allows(email):
        return "domain_not_allowed"
    return Claims(
        subject=subject,
        email=email,
        given_name=_text(claims.get(provider.given_name_claim), 150),
        family_name=_text(claims.get(provider.family_name_claim), 150),
    )


def pending_invitations(provider: IdentityProvider, email: str) -> list[Invitation]:
    return list(
        Invitation.objects.pending()
        .filter(organisation_id=provider.organisation_id, email__iexact=email)
        .order_by("pk")
    )


def holds_role(user: User, organisation_id: int) -> bool:
    """A role in the organisation itself or in one of its clinics."""
    return (
        OrganisationMembership.objects.filter(organisation_id=organisation_id, user=user).exists()
        or ClinicMembership.objects.filter(clinic__organisation_id=organisation_id, user=user).exists()
    )


def decide(provider: IdentityProvider, claims: Claims) -> Decision:
    """Known subject -> its account; else an account with a role or invitation here -> link it;
    else an invitation here -> a new account; else refused."""
    known = ExternalIdentity.objects.select_related("user").filter(provider=provider, subject=claims.subject).first()
    if known is not None:
        if not known.user.is_active:
            return Decision("refuse", claims=claims, reason="inactive")
        return Decision("known", user=known.user, claims=claims)
    invitations = pending_invitations(provider, claims.email)
    account = User.objects.filter(Q(email__iexact=claims.email)).first()
    if account is not None:
        if not account.is_active:
            return Decision("refuse", claims=claims, reason="inactive")
        if holds_role(account, provider.organisation_id) or invitations:
            return Decision("link", user=account, invitations=invitations, claims=claims)
        return Decision("refuse", claims=claims, reason="no_role")
    if invitations:
        return Decision("create", invitations=invitations, claims=claims)
    return Decision("refuse", claims=claims, reason="no_role")
