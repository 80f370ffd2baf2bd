"""The audit trail: who did what, when and from where, over the event log.

Two scopes, each loaded through `access`: the organisation's admins read the whole
organisation's log (every clinic, and what belongs to no clinic); a clinic's admin reads that
clinic's (the organisation's admins too). The page and its CSV take the same GET filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.eventlog import describe, export
from consulta.eventlog.filters import AuditFilterForm, Scope
from consulta.eventlog.models import Event
from consulta.organisations import access

PER_PAGE = 50


@dataclass(frozen=True)
class Row:
    """One event as the page shows it."""

    event: Event
    at: str  # the moment in the organisation's zone, as the page shows it
    at_iso: str
    who: str
    what: str
    summary: str


def _rows(events: list[Event], zone: tzinfo) -> list[Row]:
    return [
        Row(
            event=event,
            at=f"{timezone.localtime(event.at, zone):%Y-%m-%d %H:%M:%S}",
            at_iso=timezone.localtime(event.at, zone).isoformat(),
            who=describe.who(event),
            what=describe.label(event),
            summary=describe.summary(event, zone),
        )
        for event in events
    ]


def _filters_query(request: HttpRequest) -> str:
    """The filters as typed, without the page number: for the CSV link and the page links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _page(request: HttpRequest, scope: Scope, context: dict[str, Any], csv_url: str) -> HttpResponse:
    form = AuditFilterForm(request.GET, scope=scope)
    page = None
    if form.is_valid():
        page = Paginator(form.events(), PER_PAGE).get_page(request.GET.get("page"))
        context["rows"] = _rows(list(page.object_list), scope.zone)
    query = _filters_query(request)
    context |= {
        "form": form,
        "valid": page is not None,  # an empty page is falsy in a template: say whether there is one
        "page": page,
        "query": query,
        "csv_url": f"{csv_url}?{query}" if query else csv_url,
        "time_zone": scope.organisation.time_zone,
    }
    return render(request, "eventlog/audit.html", context, status=200 if page is not None else 400)


def _errors_text(form: AuditFilterForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        parts.append(f"{form.fields[name].label}: {text}" if name in form.fields else text)
    return "; ".join(parts)


def _csv(request: HttpRequest, scope: Scope, name: str) -> HttpResponseBase:
    form = AuditFilterForm(request.GET, scope=scope)
    if not form.is_valid():
        message = _("The filters are not valid: %(errors)s") % {"errors": _errors_text(form)}
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    today = timezone.localdate(timezone=scope.zone)
    return export.csv_response(request, form.events(), scope.zone, f"audit-{name}-{today:%Y-%m-%d}.csv")


# --- The organisation's trail ---------------------------------------------------------------


def _organisation_scope(request: HttpRequest, org_slug: str) -> tuple[access.OrganisationAccess, Scope]:
    standing = access.organisation_access(request.user, org_slug).require("can_see_audit")
    return standing, Scope(standing.organisation)


@login_required
def organisation_audit(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing, scope = _organisation_scope(request, org_slug)
    csv_url = reverse("eventlog:organisation_audit_csv", args=[org_slug])
    return _page(request, scope, {"standing": standing, "place": standing.organisation.name}, csv_url)


@login_required
def organisation_audit_csv(request: HttpRequest, org_slug: str) -> HttpResponseBase:
    _standing, scope = _organisation_scope(request, org_slug)
    return _csv(request, scope, org_slug)


# --- One clinic's trail ---------------------------------------------------------------------


def _clinic_scope(request: HttpRequest, slug: str) -> tuple[access.ClinicAccess, Scope]:
    standing = access.clinic_access(request.user, slug, "can_see_audit")
    return standing, Scope(standing.clinic.organisation, standing.clinic)


@login_required
def clinic_audit(request: HttpRequest, slug: str) -> HttpResponse:
    standing, scope = _clinic_scope(request, slug)
    csv_url = reverse("eventlog:clinic_audit_csv", args=[slug])
    context = {"standing": standing, "clinic": standing.clinic, "place": standing.clinic.name}
    return _page(request, scope, context, csv_url)


@login_required
def clinic_audit_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    _standing, scope = _clinic_scope(request, slug)
    return _csv(request, scope, slug)
