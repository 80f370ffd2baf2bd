from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from consulta.accounts.models import User
from consulta.core.tasks import enqueue_email
from consulta.sso import policy


class LoginForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        widget = self.fields["username"].widget
        assert isinstance(widget, forms.TextInput)
        widget.input_type = "email"
        widget.attrs["autocomplete"] = "email"

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user: User) -> None:
        """Inactive accounts (Django's check), then the organisation's sign-in policy: a person whose
        organisation requires single sign-on is told so, and not logged in."""
        super().confirm_login_allowed(user)
        refused = policy.password_login_refused(user)
        if refused:
            raise forms.ValidationError(refused, code="single_sign_on_required")


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, whose e-mail leaves the request: rendered here, sent by the worker."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else None
        enqueue_email(
            subject=loader.render_to_string(subject_template_name, context),
            body=loader.render_to_string(email_template_name, context),
            recipients=[to_email],
            html_body=html,
            from_email=from_email,
        )


class InvitationSignupForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 13 characters. A short sentence is easy to remember and hard to guess."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            from consulta.accounts.models import User

            candidate = User(
                email=self.email, first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
