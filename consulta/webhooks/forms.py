"""The endpoint form: URL (checked by the SSRF guard's save-time rules), event types, clinics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consulta.core import outbound
from consulta.organisations.models import Clinic, Organisation
from consulta.webhooks.models import EVENT_TYPES

SCOPE_ALL, SCOPE_SOME = "all", "some"


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Where we post each event, for example https://appointments.example.org/consulta-webhooks."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Event types"),
        choices=[(kind.value, f"{kind.label} ({kind.value})") for kind in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event type.")},
    )
    scope = forms.ChoiceField(
        label=_("Clinics"),
        choices=[(SCOPE_ALL, _("Every clinic of the organisation, new ones included")), (SCOPE_SOME, _("Only these:"))],
        widget=forms.RadioSelect,
        initial=SCOPE_ALL,
    )
    clinics = forms.ModelMultipleChoiceField(
        label=_("Clinics"), queryset=Clinic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    include_patient_names = forms.BooleanField(
        label=_("Payloads carry patients' names"),
        required=False,
        help_text=_("Without it the payloads name nobody: the consultation's id and your external reference only."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinics"].queryset = organisation.clinics.order_by("name")  # type: ignore[attr-defined]

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        try:
            outbound.check_url(
                url,
                allow_http=settings.WEBHOOK_ALLOW_HTTP,
                allowed=outbound.networks(settings.WEBHOOK_ALLOWED_NETWORKS),
            )
        except outbound.BadURL as error:
            raise forms.ValidationError(str(error)) from None
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == SCOPE_SOME and not data.get("clinics"):
            self.add_error("clinics", _("Choose at least one clinic, or every clinic."))
        return data

    def values(self) -> dict[str, Any]:
        """The action's keyword arguments."""
        data = self.cleaned_data
        every = data["scope"] == SCOPE_ALL
        return {
            "url": data["url"],
            "description": data["description"],
            "event_types": data["event_types"],  # put in order (and checked) by the actions
            "all_clinics": every,
            "clinics": [] if every else list(data["clinics"]),
            "include_patient_names": data["include_patient_names"],
        }

    @classmethod
    def initial_of(cls, endpoint: Any) -> dict[str, Any]:
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "scope": SCOPE_ALL if endpoint.all_clinics else SCOPE_SOME,
            "clinics": list(endpoint.clinics.all()),
            "include_patient_names": endpoint.include_patient_names,
        }
