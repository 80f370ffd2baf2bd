"""An organisation's OpenID Connect identity provider, and the accounts linked to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Organisation

DEFAULT_SCOPES = "openid email profile"


# The provider's settings an admin changes on the sign-in page (the secret apart: see below).
SETTINGS_FIELDS = (
    "display_name",
    "issuer",
    "client_id",
    "scopes",
    "email_claim",
    "given_name_claim",
    "family_name_claim",
    "allowed_domains",
    "trust_unverified_email",
    "enabled",
    "required",
)


class IdentityProvider(models.Model):
    """One per organisation. Its staff sign in there; the linking rules are in linking.py."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="identity_provider")
    display_name = models.CharField(
        _("provider name"), max_length=80, help_text=_("What your staff see, for example “Acme ID”.")
    )
    issuer = models.URLField(
        _("issuer URL"),
        max_length=300,
        help_text=_("The provider's issuer, exactly as in its /.well-known/openid-configuration."),
    )
    client_id = models.CharField(_("client ID"), max_length=300)
    # Kept as given: the token request needs it as it is. Never shown back nor logged.
    client_secret = models.CharField(_("client secret"), max_length=500, blank=True)
    scopes = models.CharField(_("scopes"), max_length=300, default=DEFAULT_SCOPES)
    email_claim = models.CharField(_("e-mail claim"), max_length=80, default="email")
    given_name_claim = models.CharField(_("given name claim"), max_length=80, default="given_name")
    family_name_claim = models.CharField(_("family name claim"), max_length=80, default="family_name")
    allowed_domains = models.JSONField(_("allowed e-mail domains"), default=list)
    trust_unverified_email = models.BooleanField(
        _("trust e-mail addresses without email_verified"),
        default=False,
        help_text=_("Only for a provider that checks every address itself but does not say so in its answer."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    required = models.BooleanField(
        _("staff must sign in with this provider"),
        default=False,
        help_text=_("Everyone with a role here is refused at the password form and signs in here instead."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("identity provider")
        verbose_name_plural = _("identity providers")

    def __str__(self) -> str:
        return f"{self.display_name} ({self.organisation})"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def allows(self, email: str) -> bool:
        domain = email.rpartition("@")[2].lower()
        return bool(domain) and domain in {d.lower() for d in self.allowed_domains}


class ExternalIdentity(models.Model):
    """A person at a provider (its `sub` claim), linked to one account: later sign-ins match by it first."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="identities")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities")
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="one_account_per_provider_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.provider.display_name}"
