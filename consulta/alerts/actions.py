"""Every change to alerts passes through here, each logged as `alerts.changed` with the change.

The event names the fields that changed, never a phone number.
"""

from __future__ import annotations

from django.db import transaction

from consulta.accounts.models import User
from consulta.alerts.models import AlertPreference, EscalationPolicy
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Clinic

PREFERENCE_FIELDS = ("new_caller_email", "new_caller_sms", "phone")
ESCALATION_FIELDS = ("team_after_minutes", "admin_after_minutes")


def preference_of(user: User, clinic: Clinic) -> AlertPreference:
    """The person's own preference for the clinic (unsaved and all off if they never set one)."""
    return AlertPreference.objects.filter(user=user, clinic=clinic).first() or AlertPreference(user=user, clinic=clinic)


def escalation_of(clinic: Clinic) -> EscalationPolicy:
    return EscalationPolicy.objects.filter(clinic=clinic).first() or EscalationPolicy(clinic=clinic)


def save_preferences(user: User, clinic: Clinic, *, new_caller_email: bool, new_caller_sms: bool, phone: str) -> bool:
    """Set the person's own new-caller alerts for the clinic; whether anything changed."""
    with transaction.atomic():
        preference = preference_of(user, clinic)
        wanted = {"new_caller_email": new_caller_email, "new_caller_sms": new_caller_sms, "phone": phone}
        changed = [name for name in PREFERENCE_FIELDS if getattr(preference, name) != wanted[name]]
        if not changed and preference.pk:
            return False
        for name, value in wanted.items():
            setattr(preference, name, value)
        preference.full_clean()
        preference.save()
        record(
            Kind.ALERTS_CHANGED,
            clinic_id=clinic.pk,
            subject=f"alert_preference:{preference.pk}",
            actor=user,
            # What the alerts are now, and which fields changed: no number.
            data={
                "changed": changed,
                "email": new_caller_email,
                "sms": new_caller_sms and bool(phone),
            },
        )
        return True


def save_escalation(
    clinic: Clinic, *, team_after_minutes: int | None, admin_after_minutes: int | None, by: User
) -> bool:
    """Set the clinic's escalation thresholds (None: that level off); whether anything changed."""
    with transaction.atomic():
        policy = escalation_of(clinic)
        wanted = {"team_after_minutes": team_after_minutes, "admin_after_minutes": admin_after_minutes}
        changed = [name for name in ESCALATION_FIELDS if getattr(policy, name) != wanted[name]]
        if not changed and policy.pk:
            return False
        for name, value in wanted.items():
            setattr(policy, name, value)
        policy.full_clean()
        policy.save()
        record(
            Kind.ALERTS_CHANGED,
            clinic_id=clinic.pk,
            subject=f"escalation_policy:{policy.pk}",
            actor=by,
            data={"changed": changed, **wanted},
        )
        return True
