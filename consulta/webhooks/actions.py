"""Every change to webhook endpoints passes through here, with its event in the same transaction.

Events name the endpoint ("webhook:7") and the fields changed, never its URL (a query may hold
a token) nor its secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.core.tasks import enqueue_email
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Clinic, Organisation, OrganisationRole
from consulta.webhooks.models import EVENT_TYPES, WebhookEndpoint, WebhookMessage, new_secret

TEST_TYPE = "webhook.test"
# The fields an admin sets on the endpoint's form, as the event names them.
FIELDS = ("url", "description", "event_types", "all_clinics", "include_patient_names")


def checked_types(event_types: Iterable[str]) -> list[str]:
    """The event types, in the order of EVENT_TYPES; ValueError for one that is not offered."""
    wanted = set(event_types)
    if unknown := wanted - {kind.value for kind in EVENT_TYPES}:
        raise ValueError(f"not webhook event types: {sorted(unknown)}")
    return [kind.value for kind in EVENT_TYPES if kind.value in wanted]


def _log(kind: Kind, endpoint: WebhookEndpoint, **details: Any) -> None:
    record(kind, organisation_id=endpoint.organisation_id, subject=f"webhook:{endpoint.pk}", **details)


def _clinic_ids(endpoint: WebhookEndpoint) -> set[int]:
    return set(endpoint.clinics.values_list("pk", flat=True))


def create_endpoint(
    organisation: Organisation,
    *,
    url: str,
    description: str = "",
    event_types: Iterable[str],
    all_clinics: bool = True,
    clinics: Iterable[Clinic] = (),
    include_patient_names: bool = False,
    created_by: User | None = None,
) -> WebhookEndpoint:
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organisation=organisation,
            url=url,
            description=description,
            event_types=checked_types(event_types),
            all_clinics=all_clinics,
            include_patient_names=include_patient_names,
            created_by=created_by,
        )
        if not all_clinics:
            endpoint.clinics.set([clinic for clinic in clinics if clinic.organisation_id == organisation.pk])
        _log(Kind.WEBHOOK_CREATED, endpoint, data={"event_types": endpoint.event_types})
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, *, clinics: Iterable[Clinic] = (), **values: Any) -> WebhookEndpoint:
    """Save the form's values (`FIELDS`) and clinics; the event lists the fields that changed."""
    if "event_types" in values:
        values["event_types"] = checked_types(values["event_types"])
    with transaction.atomic():
        saved = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        changed = [name for name in FIELDS if name in values and getattr(saved, name) != values[name]]
        for name in FIELDS:
            if name in values:
                setattr(endpoint, name, values[name])
        endpoint.save(update_fields=list(FIELDS))
        wanted = (
            set() if endpoint.all_clinics else {c.pk for c in clinics if c.organisation_id == endpoint.organisation_id}
        )
        if wanted != _clinic_ids(saved):
            endpoint.clinics.set(wanted)
            changed.append("clinics")
        if changed:
            _log(Kind.WEBHOOK_UPDATED, endpoint, data={"changed": changed})
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret, used from the next attempt on (the receiver must change too)."""
    with transaction.atomic():
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
        _log(Kind.WEBHOOK_UPDATED, endpoint, data={"changed": ["secret"]})
    return endpoint


def set_enabled(endpoint: WebhookEndpoint, enabled: bool) -> WebhookEndpoint:
    """An admin switches the endpoint on (its pending messages then go) or off."""
    with transaction.atomic():
        endpoint.enabled = enabled
        endpoint.disabled_at = None if enabled else timezone.now()
        endpoint.disabled_reason = "" if enabled else _("Disabled by an admin.")
        endpoint.failed_messages, endpoint.failing_since = 0, None
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "failed_messages", "failing_since"])
        _log(Kind.WEBHOOK_UPDATED, endpoint, data={"changed": ["enabled"], "enabled": enabled})
    return endpoint


def send_test(endpoint: WebhookEndpoint) -> WebhookMessage:
    """A test message for the worker to post at once, like any other: `webhook.test`, naming nobody."""
    now = timezone.now()
    payload = {"type": TEST_TYPE, "timestamp": now.isoformat(), "data": {"endpoint_id": endpoint.pk}}
    return WebhookMessage.objects.create(
        endpoint=endpoint,
        event_id=None,
        msg_id=f"msg_test_{secrets.token_hex(8)}",
        ordering_key=f"test:{endpoint.pk}",
        type=TEST_TYPE,
        payload=payload,
        next_attempt_at=now,
    )


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        _log(Kind.WEBHOOK_DELETED, endpoint, data={"event_types": endpoint.event_types})
        endpoint.delete()  # its messages and their attempts with it


# --- Disabled by the worker, after failures ------------------------------------------------------


def _failing_reason(endpoint: WebhookEndpoint, now: datetime) -> str | None:
    if endpoint.failed_messages >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        return _("%(count)d messages in a row could not be delivered.") % {"count": endpoint.failed_messages}
    hours = settings.WEBHOOK_DISABLE_AFTER_HOURS
    if endpoint.failing_since is not None and now - endpoint.failing_since >= timedelta(hours=hours):
        return _("No delivery has succeeded for %(hours)d hours.") % {"hours": hours}
    return None


def organisation_admins(organisation_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            organisation_memberships__organisation_id=organisation_id,
            organisation_memberships__role=OrganisationRole.ADMIN,
        ).order_by("pk")
    )


def _tell_admins(endpoint: WebhookEndpoint) -> None:
    page = settings.BASE_URL + reverse("webhooks:endpoint", args=[endpoint.organisation.slug, endpoint.pk])
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A webhook endpoint of %(organisation)s was disabled") % {
            "organisation": endpoint.organisation.name
        }
        context = {
            "endpoint": endpoint,
            "organisation": endpoint.organisation.name,
            "page": page,
            "site_name": settings.SITE_NAME,
        }
        body = render_to_string("webhooks/email/disabled.txt", context)
    recipients = [admin.email for admin in organisation_admins(endpoint.organisation_id)]
    if recipients:
        enqueue_email(subject=subject, body=body, recipients=recipients)


def disable_if_failing(endpoint_id: int, now: datetime) -> bool:
    """Disable the endpoint if it keeps failing, with its event and an e-mail to the organisation's
    admins, in the caller's transaction (the worker's, after a failed attempt). Whether it was."""
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().select_related("organisation").filter(pk=endpoint_id).first()
        )
        if endpoint is None or not endpoint.enabled or (reason := _failing_reason(endpoint, now)) is None:
            return False
        endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        _log(Kind.WEBHOOK_DISABLED, endpoint, actor=None, data={"failed_messages": endpoint.failed_messages})
        _tell_admins(endpoint)
    return True
