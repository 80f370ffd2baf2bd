from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Organisation
from consulta.sso.models import SETTINGS_FIELDS, IdentityProvider

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class ChooseForm(forms.Form):
    email = forms.EmailField(
        label=_("Your work e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class IdentityProviderForm(forms.ModelForm[IdentityProvider]):
    # Write-only: never rendered back into the page; left empty, the saved one is kept.
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    issuer = forms.URLField(
        label=_("Issuer URL"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The provider's issuer, exactly as in its /.well-known/openid-configuration."),
    )
    allowed_domains = forms.CharField(
        label=_("Allowed e-mail domains"),
        help_text=_("One or more, separated by commas or new lines, for example acme.example."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = IdentityProvider
        fields = list(SETTINGS_FIELDS)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if self.instance.pk and not self.is_bound:
            self.initial["allowed_domains"] = ", ".join(self.instance.allowed_domains)
        has_secret = bool(self.instance.pk and self.instance.client_secret)
        self.fields["client_secret"].help_text = (
            _("A secret is saved. Leave this empty to keep it, or type a new one to replace it.")
            if has_secret
            else _("The secret your provider gave for this client.")
        )

    def clean_issuer(self) -> str:
        issuer = str(self.cleaned_data["issuer"]).strip()
        if issuer.startswith("https://"):
            return issuer
        if issuer.startswith("http://") and settings.SSO_ALLOW_HTTP_ISSUERS:
            return issuer
        raise forms.ValidationError(_("The issuer URL must begin with https://."))

    def clean_scopes(self) -> str:
        scopes = str(self.cleaned_data["scopes"]).split()
        if "openid" not in scopes:
            raise forms.ValidationError(_("The scopes must include openid."))
        return " ".join(dict.fromkeys(scopes))

    def clean_allowed_domains(self) -> list[str]:
        raw = str(self.cleaned_data["allowed_domains"]).lower()
        domains = list(dict.fromkeys(part.strip().lstrip("@") for part in re.split(r"[,\s]+", raw) if part.strip()))
        if not domains:
            raise forms.ValidationError(_("Give at least one e-mail domain."))
        wrong = [domain for domain in domains if not DOMAIN.match(domain)]
        if wrong:
            raise forms.ValidationError(_("Not an e-mail domain: %(domains)s") % {"domains": ", ".join(wrong)})
        taken = [
            domain
            for domain in domains
            for other in IdentityProvider.objects.exclude(organisation=self.organisation).only("allowed_domains")
            if domain in other.allowed_domains
        ]
        if taken:
            raise forms.ValidationError(
                _("Already used by another organisation's provider: %(domains)s") % {"domains": ", ".join(taken)}
            )
        return domains

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("client_secret") and not (self.instance.pk and self.instance.client_secret):
            self.add_error("client_secret", _("Give the client secret."))
        return data


class SignInPolicyForm(forms.Form):
    require_mfa = forms.BooleanField(
        label=_("Require two-factor login for everyone with a role here"),
        required=False,
        help_text=_("Each person then signs in with a code from an authenticator app as well."),
    )
