"""Clinics, their waiting area's state now, and patient links for booked appointments."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Router
from ninja import Status as Answer
from ninja.errors import HttpError

from consulta.api.auth import request_key
from consulta.api.endpoints import SLUG_PATTERN, errors
from consulta.api.schemas import CallerOut, ClinicOut, PatientLinkIn, PatientLinkOut, WaitingAreaOut
from consulta.consultations import actions
from consulta.consultations.hours import is_open
from consulta.consultations.models import QUEUE_ORDER, Consultation, Status
from consulta.organisations import key_access
from consulta.organisations.models import Clinic

router = Router(tags=["clinics"])

Slug = Path(..., max_length=60, pattern=SLUG_PATTERN, description="The clinic's short name (its slug).")


def entry_url(clinic: Clinic) -> str:
    return settings.BASE_URL + reverse("consultations:entry", args=[clinic.slug])


def _clinic(clinic: Clinic) -> ClinicOut:
    return ClinicOut(
        slug=clinic.slug, name=clinic.name, time_zone=clinic.effective_time_zone, patient_link=entry_url(clinic)
    )


@router.get("/clinics", response={200: list[ClinicOut], **errors()}, url_name="clinics")
def list_clinics(request: HttpRequest) -> list[ClinicOut]:
    """The clinics this key sees."""
    return [_clinic(clinic) for clinic in key_access.key_clinics(request_key(request))]


@router.get("/clinics/{slug}", response={200: ClinicOut, **errors(404, 422)}, url_name="clinic")
def get_clinic(request: HttpRequest, slug: str = Slug) -> ClinicOut:
    return _clinic(key_access.key_clinic(request_key(request), slug))


def _caller(consultation: Consultation, names: bool) -> CallerOut:
    return CallerOut(
        id=consultation.pk,
        status=consultation.status,  # type: ignore[arg-type]
        waiting_since=consultation.waiting_since,
        urgent=consultation.urgent_since is not None,
        first_name=consultation.first_name if names else None,
        last_name=consultation.last_name if names else None,
    )


@router.get("/clinics/{slug}/waiting-area", response={200: WaitingAreaOut, **errors(404, 422)}, url_name="waiting_area")
def waiting_area(request: HttpRequest, slug: str = Slug) -> WaitingAreaOut:
    """How many wait and for how long; the callers, by id (names only for a key that may see them)."""
    key = request_key(request)
    clinic = key_access.key_clinic(key, slug)
    names = key_access.key_access(key).can_see_names
    callers = list(key_access.key_consultations(key).filter(clinic=clinic).order_by(*QUEUE_ORDER))
    waiting = [caller for caller in callers if caller.status == Status.WAITING]
    first = min((caller.waiting_since for caller in waiting), default=None)
    longest = max(0, int((timezone.now() - first).total_seconds())) if first else None
    return WaitingAreaOut(
        clinic=clinic.slug,
        open=is_open(clinic.waiting_area),
        waiting=len(waiting),
        longest_wait_seconds=longest,
        callers=[_caller(caller, names) for caller in callers],
    )


@router.post(
    "/clinics/{slug}/patient-links",
    response={201: PatientLinkOut, **errors(400, 403, 404, 422)},
    url_name="patient_links",
)
def create_patient_link(request: HttpRequest, body: PatientLinkIn, slug: str = Slug) -> Answer[PatientLinkOut]:
    """A one-click link for a booked appointment: the patient's entry form opens filled in.

    The consultation the patient starts by it carries `external_reference`, and so do its webhooks.
    """
    key = request_key(request)
    clinic = key_access.key_clinic(key, slug, "can_write")
    now = timezone.now()
    expires_at = body.expires_at or now + timedelta(hours=settings.PREFILL_LINK_HOURS)
    if expires_at <= now:
        raise HttpError(422, _("The link's expiry must be in the future."))
    if expires_at > now + timedelta(days=settings.API_PATIENT_LINK_MAX_DAYS):
        days = settings.API_PATIENT_LINK_MAX_DAYS
        raise HttpError(422, _("A link expires at most %(days)s days ahead.") % {"days": days})
    token = actions.make_prefill_link(
        clinic,
        None,
        first_name=body.first_name,
        last_name=body.last_name,
        phone=body.phone,
        external_reference=body.external_reference,
        expires_at=expires_at,
    )
    link = PatientLinkOut(
        url=f"{entry_url(clinic)}?p={token}",
        expires_at=expires_at,
        clinic=clinic.slug,
        external_reference=body.external_reference,
    )
    return Answer(201, link)
