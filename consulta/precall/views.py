"""The pre-call test (public, no login), its bandwidth endpoints, and the entry page's check report.

- `precall_page`, `clinic_precall_page`: the test; the clinic's page applies its thresholds.
- `download`: GET ?bytes=N answers N random (incompressible) bytes, never cached.
- `upload`: POST of an application/octet-stream body, read and thrown away. CSRF-protected like
  every POST: the page script sends the page's token in X-CSRFToken, so another site cannot make
  a visitor's browser spend its upload here.
- `entry_check`: the entry page's report of one completed check run, recorded in the event log.

Every endpoint counts against its client address (consulta/core/ratelimit.py) and answers bad
input with 400 and a JSON message, never a traceback.
"""

from __future__ import annotations

import os

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from pydantic import ValidationError

from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.organisations import access
from consulta.organisations.models import Clinic
from consulta.precall import actions
from consulta.precall.pagedata import precall_page_data
from consulta.precall.schemas import EntryCheckReport

# One transfer of the bandwidth test at most (1 MiB): what deploy/nginx.conf lets through
# (client_max_body_size 1m).
MAX_TRANSFER_BYTES = 1024 * 1024
MAX_REPORT_BYTES = 4096  # an entry-check report is a few hundred bytes


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message}, status=status)


def _refused(request: HttpRequest, rule: ratelimit.RuleName) -> JsonResponse | None:
    refused = ratelimit.hit(rule, client_address(request))
    if refused is None:
        return None
    response = _error(ratelimit.retry_message(refused), 429)
    response["Retry-After"] = str(refused.retry_after)
    return response


def _page(request: HttpRequest, clinic: Clinic | None) -> HttpResponse:
    """The test page; each load hands out a TURN credential, so loads are counted per address."""
    refused = ratelimit.hit("precall_page_address", client_address(request))
    if refused is not None:
        response = HttpResponse(ratelimit.retry_message(refused), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(refused.retry_after)
        return response
    page_data = precall_page_data(request, clinic.waiting_area if clinic else None)
    return render(request, "precall/precall.html", {"clinic": clinic, "page_data": page_data})


@require_GET
def precall_page(request: HttpRequest) -> HttpResponse:
    return _page(request, None)


def _clinic_with_open_area(slug: str) -> Clinic:
    """The clinic of a patient link, 404 for an unknown clinic or a switched-off waiting area."""
    clinic = access.public_clinic(slug)
    if not clinic.waiting_area.is_enabled:
        raise Http404
    return clinic


@require_GET
def clinic_precall_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _clinic_with_open_area(slug))


@require_GET
def download(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("bytes", "")
    size = int(raw) if raw.isdigit() and len(raw) <= 9 else 0
    if not 1 <= size <= MAX_TRANSFER_BYTES:
        return _error(_("Ask for 1 to %(max)d bytes.") % {"max": MAX_TRANSFER_BYTES}, 400)
    refused = _refused(request, "precall_transfer_address")
    if refused is not None:
        return refused
    response = HttpResponse(os.urandom(size), content_type="application/octet-stream")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    if request.content_type != "application/octet-stream":
        return _error(_("Send the test data as application/octet-stream."), 400)
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    declared = int(raw_length) if raw_length.isdigit() else None
    too_big = _("At most %(max)d bytes per upload.") % {"max": MAX_TRANSFER_BYTES}
    if declared is not None and declared > MAX_TRANSFER_BYTES:
        return _error(too_big, 413)  # refused before a byte of it is read
    refused = _refused(request, "precall_transfer_address")
    if refused is not None:
        return refused
    received = 0
    while chunk := request.read(64 * 1024):  # read and thrown away: nothing is kept
        received += len(chunk)
        if received > MAX_TRANSFER_BYTES:
            return _error(too_big, 413)
    response = JsonResponse({"ok": True, "received": received})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def entry_check(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = access.public_clinic(slug)
    refused = _refused(request, "entry_check_address")
    if refused is not None:
        return refused
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if raw_length.isdigit() and int(raw_length) > MAX_REPORT_BYTES:
        return _error(_("The check report is too large."), 400)
    try:
        report = EntryCheckReport.model_validate_json(request.body)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'report'}: {e['msg']}" for e in error.errors())
        return _error(_("This is not a check report: %(problems)s") % {"problems": problems[:500]}, 400)
    actions.record_entry_check(clinic, report, request.headers.get("User-Agent", ""))
    return JsonResponse({"ok": True})
