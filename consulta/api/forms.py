from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consulta.api.models import Access
from consulta.organisations.models import Clinic, Organisation


class ApiKeyForm(forms.Form):
    ALL, CHOSEN = "all", "chosen"

    name = forms.CharField(
        label=_("Key name"), max_length=100, help_text=_("What uses the key, for example “Booking system”.")
    )
    access = forms.ChoiceField(label=_("Access"), choices=Access.choices, initial=Access.READ, widget=forms.RadioSelect)
    can_see_names = forms.BooleanField(
        label=_("May see patients' names"),
        required=False,
        help_text=_("Without it, callers are shown by number only."),
    )
    clinic_scope = forms.ChoiceField(
        label=_("Clinics"),
        choices=[(ALL, _("Every clinic, including clinics added later")), (CHOSEN, _("Only the clinics chosen below"))],
        initial=ALL,
        widget=forms.RadioSelect,
    )
    clinics = forms.ModelMultipleChoiceField(
        label=_("Chosen clinics"), queryset=Clinic.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinics = self.fields["clinics"]
        assert isinstance(clinics, forms.ModelMultipleChoiceField)
        clinics.queryset = organisation.clinics.order_by("name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the key a name."))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("clinic_scope") == self.CHOSEN and not cleaned.get("clinics"):
            self.add_error("clinics", _("Choose at least one clinic, or every clinic."))
        return cleaned

    def chosen_clinics(self) -> list[Clinic] | None:
        """None for every clinic."""
        if self.cleaned_data["clinic_scope"] == self.ALL:
            return None
        return list(self.cleaned_data["clinics"])
