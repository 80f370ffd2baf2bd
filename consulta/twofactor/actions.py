"""Every change to a person's second factor passes through here, with its event-log rows.

The person's own changes (enrolment, removal, new recovery codes, a recovery code used) are
recorded in each organisation where they hold a role, so each organisation's audit trail shows
its own people; a person with no role anywhere leaves no event. An admin's reset is recorded
in the admin's organisation, with the person as its target. No event carries a code or secret.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from consulta.accounts.models import User
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Organisation
from consulta.twofactor import codes
from consulta.twofactor.models import RecoveryCode

DEVICE_NAME = "Authenticator app"


class ActionError(Exception):
    """A rule said no; the message is written for the person who asked."""


# --- Reading -------------------------------------------------------------------------------


def organisations_of(user: User) -> QuerySet[Organisation]:
    """Where the person holds a role: an organisation role, or a role in one of its clinics."""
    return Organisation.objects.filter(Q(memberships__user=user) | Q(clinics__memberships__user=user)).distinct()


def requiring_organisations(user: User) -> list[Organisation]:
    """The person's organisations that require a second factor of everyone with a role there."""
    return list(organisations_of(user).filter(require_mfa=True).order_by("name"))


def must_have_second_factor(user: User) -> bool:
    return organisations_of(user).filter(require_mfa=True).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def unconfirmed_device(user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret however often the page is opened."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def check_totp(device: TOTPDevice, typed: str) -> bool:
    """django-otp's check: allows a step of clock drift, and refuses a code (or an older one)
    once one of its time step was accepted (`last_t`)."""
    code = codes.normalise_totp(typed)
    return bool(code) and bool(device.verify_token(code))


# --- Changing ------------------------------------------------------------------------------


def _record_for_person(kind: Kind, user: User, data: dict[str, Any] | None = None) -> None:
    for organisation_id in organisations_of(user).values_list("pk", flat=True):
        # actor given: at sign-in nobody is logged in yet, so the request has no person.
        record(kind, organisation_id=organisation_id, actor=user, data=data)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    made = list(dict.fromkeys(codes.new_recovery_code() for _ in range(codes.COUNT * 2)))[: codes.COUNT]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=codes.hash_recovery_code(code)) for code in made]
    )
    return made


def enrol(user: User, device: TOTPDevice) -> list[str]:
    """The authenticator's first code was right: it counts from now on. Returns the new
    recovery codes (their digests are kept, the codes themselves shown once)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        made = _new_recovery_codes(user)
        _record_for_person(Kind.MFA_ENROLLED, user)
    return made


def make_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    with transaction.atomic():
        made = _new_recovery_codes(user)
        _record_for_person(Kind.MFA_RECOVERY_CODES_MADE, user)
    return made


def use_recovery_code(user: User, typed: str) -> int | None:
    """Spend one recovery code: how many are left, or None when `typed` is none of them."""
    digest = codes.hash_recovery_code(typed)
    with transaction.atomic():
        unused = list(RecoveryCode.objects.select_for_update().filter(user=user, used_at__isnull=True))
        # Every digest compared in constant time, and all of them: no early exit to time.
        matches = [code for code in unused if codes.same_hash(code.code_hash, digest)]
        if not matches:
            return None
        spent = matches[0]
        spent.used_at = timezone.now()
        spent.save(update_fields=["used_at"])
        left = len(unused) - 1
        _record_for_person(Kind.MFA_RECOVERY_CODE_USED, user, {"remaining": left})
    return left


def removal_refused(user: User) -> str | None:
    """Why the person may not remove their second factor, or None."""
    required = requiring_organisations(user)
    if not required:
        return None
    return _("%(organisations)s requires two-factor login of everyone with a role there.") % {
        "organisations": ", ".join(organisation.name for organisation in required)
    }


def _delete_second_factor(user: User) -> bool:
    """Every device of the person (a set-up never finished too) and their recovery codes; whether
    there was a second factor in use (a confirmed app, or codes)."""
    in_use = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    recovery, _per_model = RecoveryCode.objects.filter(user=user).delete()
    return in_use or bool(recovery)


def remove(user: User) -> None:
    """The person's own removal of their authenticator and recovery codes."""
    reason = removal_refused(user)
    if reason:
        raise ActionError(reason)
    with transaction.atomic():
        if _delete_second_factor(user):
            _record_for_person(Kind.MFA_REMOVED, user)


def reset(person: User, organisation: Organisation, *, by: User) -> None:
    """An organisation admin's reset of a person who lost their device: the authenticator and
    recovery codes go, and at their next sign-in they set up a new one (when it is required)."""
    with transaction.atomic():
        had = _delete_second_factor(person)
        record(Kind.MFA_RESET, organisation_id=organisation.pk, actor=by, target=person, data={"had_device": had})
