from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consulta.consultations.models import EntryField, FieldKind, OpeningHours
from consulta.organisations import access
from consulta.organisations.models import Clinic
from consulta.rooms.models import WaitingArea


def _extra_field(field: EntryField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    if field.kind == FieldKind.NUMBER:
        return forms.DecimalField(**common, max_digits=20, decimal_places=6)
    if field.kind == FieldKind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    if field.kind == FieldKind.CHOICE:
        return forms.ChoiceField(**common, choices=[("", "—"), *[(c, c) for c in field.choice_list]])
    return forms.CharField(**common, max_length=200)


class EntryForm(forms.Form):
    """The patient's details. Extra questions come from the clinic's EntryFields."""

    # dir: a name runs in its own script's direction whatever the page's; a number left to right.
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name", "dir": "auto"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name", "dir": "auto"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "dir": "ltr"}),
        help_text=_("So the clinic can call you if the video connection fails."),
    )

    def __init__(self, *args: Any, area: WaitingArea, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = list(area.entry_fields.all())
        for field in self.extra:
            self.fields[f"extra_{field.pk}"] = _extra_field(field)
        self.fields["accept_terms"] = forms.BooleanField(
            label=_("I have read and accept the terms of use"),
            error_messages={"required": _("Please accept the terms of use to enter.")},
        )

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"]
        try:
            number = phonenumbers.parse(raw, settings.PHONE_REGION)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(_("Enter a phone number we can call, for example 070-123 45 67."))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def answers(self) -> list[list[str]]:
        answers = []
        for field in self.extra:
            value = self.cleaned_data.get(f"extra_{field.pk}")
            # Not `value or ""`: a number answered 0 is an answer, not a blank.
            answers.append([field.label, "" if value is None else str(value)])
        return answers


def prefill_initial(clinic: Clinic, token: str | None) -> dict[str, str]:
    """The entry form's first values from a one-click link's reference; none for an unknown or expired one."""
    link = access.prefill_link(clinic, token)
    if link is None:
        return {}
    return {"first_name": link.first_name, "last_name": link.last_name, "phone": link.phone}


class PrefillForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    phone = forms.CharField(label=_("Phone number"), max_length=32, required=False)


class NotifyForm(forms.Form):
    text = forms.CharField(label=_("Message to the patient"), max_length=300)


class WaitingAreaForm(forms.ModelForm[WaitingArea]):
    class Meta:
        model = WaitingArea
        fields = [
            "is_enabled",
            "closed_message",
            "show_queue_position",
            "device_check",
            "bandwidth_warn_kbps",
            "bandwidth_block_kbps",
        ]
        widgets = {"closed_message": forms.Textarea(attrs={"rows": 3})}

    BANDWIDTH_FIELDS = ("bandwidth_warn_kbps", "bandwidth_block_kbps")

    def __init__(
        self, data: Any = None, files: Any = None, *, instance: WaitingArea | None = None, **kwargs: Any
    ) -> None:
        # A form posted without the bandwidth levels (a page from before they existed) keeps them.
        missing = [name for name in self.BANDWIDTH_FIELDS if data is not None and name not in data]
        if missing and instance is not None:
            data = data.copy()
            for name in missing:
                data[name] = str(getattr(instance, name))
        super().__init__(data, files, instance=instance, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        warn, block = cleaned.get("bandwidth_warn_kbps"), cleaned.get("bandwidth_block_kbps")
        # 0 switches a level off: a block level with no warning level is fine.
        if warn and block and block > warn:
            self.add_error(
                "bandwidth_block_kbps",
                _("The block level must not be above the warning level (%(warn)s kbit/s).") % {"warn": warn},
            )
        return cleaned


OpeningHoursFormSet: type[forms.BaseInlineFormSet[OpeningHours, WaitingArea, forms.ModelForm[OpeningHours]]] = (
    forms.inlineformset_factory(
        WaitingArea,
        OpeningHours,
        fields=["weekday", "opens", "closes"],
        extra=1,
        can_delete=True,
        widgets={"opens": forms.TimeInput(attrs={"type": "time"}), "closes": forms.TimeInput(attrs={"type": "time"})},
    )
)

EntryFieldFormSet: type[forms.BaseInlineFormSet[EntryField, WaitingArea, forms.ModelForm[EntryField]]] = (
    forms.inlineformset_factory(
        WaitingArea,
        EntryField,
        fields=["label", "kind", "choices", "required", "position"],
        extra=1,
        can_delete=True,
        widgets={"choices": forms.Textarea(attrs={"rows": 2})},
    )
)


class InviteeForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("The others in the call see this name, for example “Ali, interpreter”."),
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )
