from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic, ClinicRole, OrganisationRole

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime"})


def time_zone_choices(blank_label: str | None) -> list[tuple[str, str]]:
    choices = [(tz, tz.replace("_", " ")) for tz in TIME_ZONES]
    return [("", blank_label), *choices] if blank_label else choices


class ClinicForm(forms.ModelForm[Clinic]):
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = Clinic
        fields = ["name", "slug", "time_zone"]

    def __init__(self, *args: Any, organisation_time_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        time_zone = self.fields["time_zone"]
        assert isinstance(time_zone, forms.ChoiceField)
        time_zone.choices = time_zone_choices(str(_("The organisation's (%(tz)s)") % {"tz": organisation_time_zone}))
        self.fields["name"].label = _("Clinic name")
        if "slug" in self.fields:  # the settings form leaves the slug out: links stay stable
            self.fields["slug"].label = _("Short name for links")

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].lower()

    def clean_name(self) -> str:
        # The organisation is not a form field, so Django skips the constraint
        # clinic_name_unique_in_organisation: check it here, or saving fails.
        name: str = self.cleaned_data["name"]
        taken = Clinic.objects.filter(organisation_id=self.instance.organisation_id, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This organisation already has a clinic with this name."))
        return name


class ClinicSettingsForm(ClinicForm):
    class Meta(ClinicForm.Meta):
        fields = ["name", "time_zone"]


def _role_field(roles: list[str], labels: type[ClinicRole] | type[OrganisationRole]) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Role"), choices=[(r, labels(r).label) for r in roles])


class ClinicInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"))
    is_service_referrer = forms.BooleanField(
        label=_("Service referrer (may transfer callers to other clinics)"), required=False
    )

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(roles, ClinicRole)
        self.fields["role"].initial = ClinicRole.MEMBER


class ClinicMemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ClinicRole.choices)
    is_service_referrer = forms.BooleanField(label=_("Service referrer"), required=False)


class OrganisationInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(roles, OrganisationRole)


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name or e-mail"), required=False, max_length=100)
