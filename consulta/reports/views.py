"""Report pages and their downloads, for an organisation or one clinic.

Loaded only through `access`: an organisation's report for its admins, coordinators and
reporters; a clinic's for its clinic admin and every organisation role. Reading only:
nothing here changes anything, so nothing goes to the event log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from consulta.organisations import access
from consulta.organisations.models import Clinic, Organisation
from consulta.reports import charts
from consulta.reports.exporters import EXPORTERS
from consulta.reports.forms import ReportForm, form_data
from consulta.reports.queries import Report, Scope, build_report
from consulta.reports.tables import quality_sections, transfer_rows, weekday_names


@dataclass(frozen=True)
class Place:
    """Where the report is asked for: the organisation's page or one clinic's."""

    organisation: Organisation
    clinics: list[Clinic]  # the clinics one may choose from (org scope), or the one clinic
    organisation_wide: bool
    standing: access.OrganisationAccess | access.ClinicAccess
    export: str  # the URL name of its downloads
    url_args: list[str]

    def form(self, request: HttpRequest) -> ReportForm:
        zone = self.organisation.time_zone if self.organisation_wide else self.clinics[0].effective_time_zone
        return ReportForm(form_data(request.GET, zone), clinics=self.clinics if self.organisation_wide else None)

    def scope(self, form: ReportForm) -> Scope:
        chosen = form.cleaned_data.get("clinic")
        if not self.organisation_wide:
            return Scope(self.organisation, tuple(self.clinics), whole_organisation=False)
        if chosen:
            return Scope(
                self.organisation, tuple(c for c in self.clinics if c.slug == chosen), whole_organisation=False
            )
        return Scope(self.organisation, tuple(self.clinics), whole_organisation=True)


def _organisation_place(request: HttpRequest, org_slug: str) -> Place:
    standing = access.organisation_access(request.user, org_slug).require("can_see_reports")
    organisation = standing.organisation
    clinics = list(organisation.clinics.order_by("name"))
    return Place(organisation, clinics, True, standing, "reports:export_organisation", [org_slug])


def _clinic_place(request: HttpRequest, slug: str) -> Place:
    standing = access.clinic_access(request.user, slug, "can_see_reports")
    clinic = standing.clinic
    return Place(clinic.organisation, [clinic], False, standing, "reports:export_clinic", [slug])


def _charts(report: Report) -> dict[str, Any]:
    waiting = report.waiting
    by_week, volumes = charts.volume_points(waiting.by_day)
    count = _("Consultations")
    return {
        "waits": charts.bar_chart(
            "chart-waits", _("Waits of answered consultations"), charts.wait_points(waiting), _("Wait"), count
        ),
        "volumes": charts.bar_chart(
            "chart-volumes",
            _("Entries by week") if by_week else _("Entries by day"),
            volumes,
            _("Week") if by_week else _("Date"),
            count,
        ),
        "hours": charts.bar_chart(
            "chart-hours", _("Entries by hour of the day"), charts.hour_points(waiting), _("Hour"), count
        ),
        "weekdays": charts.bar_chart(
            "chart-weekdays",
            _("Entries by weekday"),
            charts.weekday_points(waiting, weekday_names()),
            _("Weekday"),
            count,
        ),
        "outcomes": charts.stacked_bar("chart-outcomes", _("Outcomes"), charts.outcome_parts(waiting)),
    }


def _page(request: HttpRequest, place: Place) -> HttpResponse:
    form = place.form(request)
    context: dict[str, Any] = {"place": place, "standing": place.standing, "form": form, "report": None}
    if not place.organisation_wide:
        context["clinic"] = place.clinics[0]
    if form.is_valid():
        report = build_report(place.scope(form), form.criteria())
        query = urlencode(form.query())
        context |= {
            "report": report,
            "charts": _charts(report),
            "transfers": transfer_rows(report.waiting),
            # The same tables as the downloads write (tables.py): the page and the files agree.
            "quality_sections": quality_sections(report.quality),
            "downloads": [
                (name.upper(), f"{reverse(place.export, args=[*place.url_args, name])}?{query}") for name in EXPORTERS
            ],
        }
    return render(request, "reports/report.html", context)


def _export(request: HttpRequest, place: Place, format_name: str) -> HttpResponseBase:
    exporter = EXPORTERS.get(format_name)
    if exporter is None:
        raise Http404
    form = place.form(request)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    scope = place.scope(form)
    report = build_report(scope, form.criteria())
    criteria = report.criteria
    filename = (
        f"{scope.slug}-report-{criteria.first_day.isoformat()}-{criteria.last_day.isoformat()}.{exporter.extension}"
    )
    return exporter(report).response(filename, asynchronous=isinstance(request, ASGIRequest))


@login_required
def organisation_report(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _page(request, _organisation_place(request, org_slug))


@login_required
def clinic_report(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _clinic_place(request, slug))


@login_required
def organisation_export(request: HttpRequest, org_slug: str, format_name: str) -> HttpResponseBase:
    return _export(request, _organisation_place(request, org_slug), format_name)


@login_required
def clinic_export(request: HttpRequest, slug: str, format_name: str) -> HttpResponseBase:
    return _export(request, _clinic_place(request, slug), format_name)
