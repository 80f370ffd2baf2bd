"""What part of the event log a person may read (`Scope`), and the audit trail's filters.

Both end in one query: the scope is the query's first condition, and every filter narrows
it further in the database. Nothing is loaded and then thrown away in Python, so a filter
can never show a row the scope does not hold.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from consulta.accounts.models import User
from consulta.eventlog.describe import ADMINISTRATION_GROUP, CALL_GROUP, CONSULTATION_GROUP
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic, Organisation

# The kind filter's groups: value -> (label, kinds). A group's value has no dot; a kind's has.
GROUPS: dict[str, tuple[Any, frozenset[Kind]]] = {
    "administration": (_("Administration"), ADMINISTRATION_GROUP),
    "consultations": (_("Consultations"), CONSULTATION_GROUP),
    "calls": (_("Calls"), CALL_GROUP),
}
ORGANISATION_WIDE = "none"  # the clinic filter's value for events of no clinic (never a clinic's id)


@dataclass(frozen=True)
class Scope:
    """The whole organisation's log (its admins), or one clinic's (its admin, the organisation's admins)."""

    organisation: Organisation
    clinic: Clinic | None = None

    @property
    def zone(self) -> tzinfo:
        return zoneinfo.ZoneInfo(self.organisation.time_zone)

    def events(self) -> QuerySet[Event]:
        """Every event of the scope. A clinic's include the callers transferred into it."""
        events = Event.objects.filter(organisation=self.organisation)
        if self.clinic is not None:
            events = events.filter(Q(clinic=self.clinic) | Q(other_clinic=self.clinic))
        return events

    def people(self) -> QuerySet[User]:
        """The accounts that acted, or were acted on, in the scope."""
        scoped = self.events()
        return User.objects.filter(
            Exists(scoped.filter(actor_id=OuterRef("pk"))) | Exists(scoped.filter(target_id=OuterRef("pk")))
        ).order_by("email")


class PersonField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else str(obj.email)


def kind_choices() -> list[tuple[str, Any]]:
    """ "Any", then per group: the whole group, then each of its kinds, in the order kinds.py lists them."""
    choices: list[tuple[str, Any]] = [("", _("Anything"))]
    for value, (group_label, kinds) in GROUPS.items():
        inner: list[tuple[str, Any]] = [(value, _("All: %(group)s") % {"group": group_label})]
        inner += [(kind.value, kind.label) for kind in Kind if kind in kinds]
        choices.append((group_label, inner))
    return choices


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    person = PersonField(queryset=User.objects.none(), required=False, label=_("Person"), empty_label=_("Anyone"))
    text = forms.CharField(
        label=_("Or an e-mail address containing"),
        required=False,
        max_length=254,
        help_text=_("Matches who acted and whom it concerned."),
    )
    clinic = forms.ChoiceField(label=_("Clinic"), required=False)
    kind = forms.ChoiceField(label=_("What"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To (inclusive)"), required=False, widget=_date_input())

    def __init__(self, data: Any, *, scope: Scope) -> None:
        super().__init__(data)
        self.scope = scope
        person = self.fields["person"]
        assert isinstance(person, PersonField)
        person.queryset = scope.people()
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = kind_choices()
        if scope.clinic is not None:
            del self.fields["clinic"]  # one clinic's trail: nothing to choose
        else:
            clinic = self.fields["clinic"]
            assert isinstance(clinic, forms.ChoiceField)
            clinics = [(str(c.pk), c.name) for c in scope.organisation.clinics.order_by("name")]
            clinic.choices = [("", _("All clinics")), (ORGANISATION_WIDE, _("Organisation-wide")), *clinics]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return cleaned

    def events(self) -> QuerySet[Event]:
        """The scope's events the filters keep, newest first. Only for a valid form."""
        data = self.cleaned_data
        events = self.scope.events()
        if data.get("person"):
            events = events.filter(Q(actor=data["person"]) | Q(target=data["person"]))
        if text := data.get("text", "").strip():
            events = events.filter(Q(actor_label__icontains=text) | Q(target_label__icontains=text))
        events = _by_clinic(events, data.get("clinic", ""))
        events = _by_kind(events, data.get("kind", ""))
        if data.get("date_from"):
            events = events.filter(at__gte=_start_of(data["date_from"], self.scope.zone))
        if data.get("date_to"):
            events = events.filter(at__lt=_start_of(data["date_to"] + timedelta(days=1), self.scope.zone))
        return events.select_related("clinic", "other_clinic").order_by("-at", "-id")


def _by_clinic(events: QuerySet[Event], value: str) -> QuerySet[Event]:
    if value == ORGANISATION_WIDE:
        return events.filter(clinic__isnull=True)
    if value:
        return events.filter(Q(clinic_id=int(value)) | Q(other_clinic_id=int(value)))
    return events


def _by_kind(events: QuerySet[Event], value: str) -> QuerySet[Event]:
    if value in GROUPS:
        return events.filter(kind__in=[kind.value for kind in GROUPS[value][1]])
    if value:
        return events.filter(kind=value)
    return events


def _start_of(day: date, zone: tzinfo) -> datetime:
    """Local midnight of `day` in the organisation's zone (an aware moment: right across DST)."""
    return datetime.combine(day, time.min, tzinfo=zone)
