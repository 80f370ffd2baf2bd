from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MeetingRoomForm(forms.Form):
    name = forms.CharField(label=_("Room name"), max_length=120)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the room a name."))
        return name


class GuestLinkForm(forms.Form):
    VALIDITY = [
        ("1", _("1 day")),
        ("7", _("7 days")),
        ("30", _("30 days")),
        ("90", _("90 days")),
    ]
    label = forms.CharField(
        label=_("For whom (optional)"),
        max_length=120,
        required=False,
        help_text=_("A note for your team, for example the guest's name."),
    )
    valid_days = forms.TypedChoiceField(label=_("Valid for"), choices=VALIDITY, coerce=int, initial="7")


class GuestNameForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        help_text=_("Whoever lets you in, and everyone in the call, sees this name."),
        widget=forms.TextInput(attrs={"dir": "auto"}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give your name."))
        return name


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        help_text=_("We send the link there. Leave it empty to copy the link yourself."),
    )
