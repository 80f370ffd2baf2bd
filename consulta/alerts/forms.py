from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consulta.alerts.models import MAX_THRESHOLD_MINUTES, AlertPreference, EscalationPolicy


class PreferenceForm(forms.ModelForm[AlertPreference]):
    """One person's own new-caller alerts for one clinic."""

    class Meta:
        model = AlertPreference
        fields = ["new_caller_email", "new_caller_sms", "phone"]
        labels = {
            "new_caller_email": _("E-mail me when a caller is waiting"),
            "new_caller_sms": _("Send me a text message when a caller is waiting"),
            "phone": _("Mobile number for text messages"),
        }
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_caller_email"].label = _("E-mail me at %(email)s when a caller is waiting") % {"email": email}
        self.fields["phone"].help_text = _("For example 070-123 45 67, or with the country code: +46 70 123 45 67.")

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, settings.PHONE_REGION)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("This is not a phone number we can text, for example 070-123 45 67."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_caller_sms") and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Give the mobile number the text messages should go to."))
        return cleaned


class EscalationForm(forms.ModelForm[EscalationPolicy]):
    """The clinic's escalation thresholds, for those who may configure the clinic."""

    class Meta:
        model = EscalationPolicy
        fields = ["team_after_minutes", "admin_after_minutes"]
        labels = {
            "team_after_minutes": _("Alert the team when a caller has waited more than (minutes)"),
            "admin_after_minutes": _("Then alert the clinic's admins after (minutes)"),
        }
        help_texts = {
            "team_after_minutes": _(
                "Everyone of the team who asked for alerts is told, by e-mail or text message. Empty: no such alert."
            ),
            "admin_after_minutes": _(
                "The clinic's admins are told by e-mail (and by text message if they gave a number here)."
                " More minutes than above. Empty: no such alert."
            ),
        }
        widgets = {
            name: forms.NumberInput(attrs={"min": 1, "max": MAX_THRESHOLD_MINUTES, "inputmode": "numeric"})
            for name in ("team_after_minutes", "admin_after_minutes")
        }
