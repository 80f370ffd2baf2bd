"""Every change to alerts passes through here, each logged as `alerts.changed` with the change.

The event names the fields that changed, never a phone number.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from consulta.accounts.models import User
from consulta.alerts.models import AlertPreference, EscalationPolicy
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Clinic


def preference_of(user: User, clinic: Clinic) -> AlertPreference:
    """The person's own preference for the clinic (unsaved and all off if they never set one)."""
    return AlertPreference.objects.filter(user=user, clinic=clinic).first() or AlertPreference(user=user, clinic=clinic)


def escalation_of(clinic: Clinic) -> EscalationPolicy:
    return EscalationPolicy.objects.filter(clinic=clinic).first() or EscalationPolicy(clinic=clinic)


def _apply(row: AlertPreference | EscalationPolicy, wanted: Mapping[str, object]) -> list[str] | None:
    """Set the wanted values on the row and save it; the names of the fields that changed
    (None, and nothing saved, when a stored row already holds them all)."""
    changed = [name for name, value in wanted.items() if getattr(row, name) != value]
    if not changed and row.pk:
        return None
    for name, value in wanted.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return changed


def save_preferences(user: User, clinic: Clinic, *, new_caller_email: bool, new_caller_sms: bool, phone: str) -> bool:
    """Set the person's own new-caller alerts for the clinic; whether anything changed."""
    with transaction.atomic():
        preference = preference_of(user, clinic)
        wanted = {"new_caller_email": new_caller_email, "new_caller_sms": new_caller_sms, "phone": phone}
        changed = _apply(preference, wanted)
        if changed is None:
            return False
        record(
            Kind.ALERTS_CHANGED,
            clinic_id=clinic.pk,
            subject=f"alert_preference:{preference.pk}",
            actor=user,
            # What the alerts are now, and which fields changed: no number.
            data={"changed": changed, "email": new_caller_email, "sms": new_caller_sms and bool(phone)},
        )
        return True


def save_escalation(
    clinic: Clinic, *, team_after_minutes: int | None, admin_after_minutes: int | None, by: User
) -> bool:
    """Set the clinic's escalation thresholds (None: that level off); whether anything changed."""
    with transaction.atomic():
        policy = escalation_of(clinic)
        wanted = {"team_after_minutes": team_after_minutes, "admin_after_minutes": admin_after_minutes}
        changed = _apply(policy, wanted)
        if changed is None:
            return False
        record(
            Kind.ALERTS_CHANGED,
            clinic_id=clinic.pk,
            subject=f"escalation_policy:{policy.pk}",
            actor=by,
            data={"changed": changed, **wanted},
        )
        return True
