"""The code fields. Each checks its rate limits first (per account and per client address):
a refused form says when to try again, and the view answers 429."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from consulta.accounts.models import User
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.twofactor import codes

# Codes are not words: no spelling checks, no capital letter of the phone's keyboard.
_PLAIN = {"autocapitalize": "off", "spellcheck": "false"}


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app."""

    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )
    wrong_format = _("Type the six digits your app shows, for example 123456.")

    def __init__(self, *args: Any, user: User, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request
        self.refused: ratelimit.Refused | None = None

    def clean_code(self) -> str:
        typed: str = self.cleaned_data["code"]
        self.refused = ratelimit.hit("mfa_code_account", self.user.pk) or ratelimit.hit(
            "mfa_code_address", client_address(self.request)
        )
        if self.refused:
            raise forms.ValidationError(ratelimit.retry_message(self.refused))
        return self.normalise(typed)

    def normalise(self, typed: str) -> str:
        code = codes.normalise_totp(typed)
        if not code:
            raise forms.ValidationError(self.wrong_format)
        return code

    @property
    def status(self) -> int:
        return 429 if self.refused else 200


class RecoveryCodeForm(CodeForm):
    """One of the ten recovery codes, instead of the app's code."""

    code = forms.CharField(
        label=_("Recovery code"),
        max_length=40,
        help_text=_("Ten letters and digits, as on your saved list, for example ACD23-EFG46."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )

    def normalise(self, typed: str) -> str:
        code = codes.normalise_recovery_code(typed)
        if len(code) != codes.LENGTH:
            raise forms.ValidationError(_("A recovery code has ten letters and digits."))
        return code


class CurrentCodeForm(CodeForm):
    """Confirms a change on the security page: the app's code, or (the app lost) a recovery code."""

    code = forms.CharField(
        label=_("Current code"),
        max_length=40,
        help_text=_(
            "The six digits your authenticator app shows now. Lost the app? One of your recovery codes works too."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def normalise(self, typed: str) -> str:
        return current_code(typed)


def current_code(typed: str) -> str:
    """The app's six digits, or else a recovery code, as typed: normalised, or a form error."""
    if codes.looks_like_totp(typed):
        return codes.normalise_totp(typed)
    code = codes.normalise_recovery_code(typed)
    if len(code) != codes.LENGTH:
        raise forms.ValidationError(_("Type the six digits of your app, or a recovery code."))
    return code


class ReplaceForm(CodeForm):
    """Moving to a new phone: the current app's code (or a recovery code) says it is the person,
    the new app's code says the new one works. One submission counts once against the limits."""

    current = forms.CharField(
        label=_("Code from your current app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", **_PLAIN}),
    )
    field_order = ["current", "code"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Six-digit code from your new app")

    def clean_current(self) -> str:
        return current_code(self.cleaned_data["current"])
