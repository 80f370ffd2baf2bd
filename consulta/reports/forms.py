"""The report's inputs: a GET form, so a report is a link (bookmarked, shared, exported)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic
from consulta.reports.period import MAX_DAYS, Criteria, last_full_month

DATE_FORMAT = "%Y-%m-%d"
MAX_MIN_CALL_MINUTES = 24 * 60


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every zone of the tz database, without the "posix/" and "right/" copies some systems have."""
    names = sorted(name for name in zoneinfo.available_timezones() if not name.startswith(("posix/", "right/")))
    return [(name, name.replace("_", " ")) for name in names]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=_date_input(), input_formats=[DATE_FORMAT])
    date_to = forms.DateField(label=_("To (inclusive)"), widget=_date_input(), input_formats=[DATE_FORMAT])
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)
    min_call_minutes = forms.IntegerField(
        label=_("Shortest call counted (minutes)"),
        min_value=0,
        max_value=MAX_MIN_CALL_MINUTES,
        help_text=_("Leaves out answered consultations and room calls whose call was shorter."),
    )
    clinic = forms.ChoiceField(label=_("Clinic"), required=False)

    def __init__(self, data: Mapping[str, Any], *, clinics: Sequence[Clinic] | None) -> None:
        super().__init__(data)
        if clinics is None:
            del self.fields["clinic"]  # one clinic's own report
        else:
            clinic_field = self.fields["clinic"]
            assert isinstance(clinic_field, forms.ChoiceField)
            clinic_field.choices = [("", _("All clinics")), *((c.slug, c.name) for c in clinics)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if last < first:
                self.add_error("date_to", _("The end date is before the start date."))
            elif (last - first).days + 1 > MAX_DAYS:
                self.add_error(
                    "date_to", _("A report covers at most %(days)s days: choose a shorter range.") % {"days": MAX_DAYS}
                )
        return cleaned

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(
            first_day=data["date_from"],
            last_day=data["date_to"],
            zone=zoneinfo.ZoneInfo(data["time_zone"]),
            min_call_seconds=data["min_call_minutes"] * 60,
        )

    def query(self) -> dict[str, str]:
        """The canonical GET parameters of this (valid) report: for its download links."""
        data = self.cleaned_data
        params = {
            "date_from": data["date_from"].strftime(DATE_FORMAT),
            "date_to": data["date_to"].strftime(DATE_FORMAT),
            "time_zone": data["time_zone"],
            "min_call_minutes": str(data["min_call_minutes"]),
        }
        if data.get("clinic"):
            params["clinic"] = data["clinic"]
        return params


def form_data(given: Mapping[str, str], time_zone: str) -> dict[str, str]:
    """What was typed, over the defaults: last full month, the given zone, every call."""
    first, last = last_full_month(zoneinfo.ZoneInfo(time_zone))
    defaults = {
        "date_from": first.strftime(DATE_FORMAT),
        "date_to": last.strftime(DATE_FORMAT),
        "time_zone": time_zone,
        "min_call_minutes": "0",
        "clinic": "",
    }
    return {**defaults, **{key: given[key] for key in defaults if key in given}}
