"""Organisations, their clinics, and who holds which role where.

A person can hold a different role in every clinic and in the organisation
itself. What each role may do lives in `access.py`, not here.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def new_token() -> str:
    # 32 random bytes: 256 bits, far beyond guessing.
    return secrets.token_urlsafe(32)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Stockholm", validators=[validate_time_zone]
    )
    support_contact = models.CharField(_("support contact"), max_length=200, blank=True)
    terms = models.TextField(_("terms of use"), blank=True)
    privacy_policy = models.TextField(_("privacy policy"), blank=True)
    require_mfa = models.BooleanField(
        _("require two-factor login"),
        default=False,
        help_text=_("Everyone with a role here signs in with a second factor: an authenticator app's code."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Clinic(models.Model):
    """A clinic. It is never deleted: its waiting area and reports depend on it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clinics")
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("short name"),
        max_length=60,
        unique=True,
        help_text=_("Used in the clinic's links. Letters, digits and hyphens."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty to use the organisation's time zone."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="clinic_name_unique_in_organisation"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        from consulta.rooms.models import WaitingArea

        adding = self._state.adding
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if adding:
            # Every clinic has its waiting area from its first moment.
            WaitingArea.objects.create(clinic=self)

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or self.organisation.time_zone


class OrganisationRole(models.TextChoices):
    ADMIN = "admin", _("Organisation admin")
    COORDINATOR = "coordinator", _("Organisation coordinator")
    REPORTER = "reporter", _("Organisation reporter")


class ClinicRole(models.TextChoices):
    ADMIN = "admin", _("Clinic admin")
    CLERK = "clerk", _("Clinic clerk")
    MEMBER = "member", _("Team member")


class OrganisationMembership(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=OrganisationRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_organisation_role_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user}, {self.get_role_display()}, {self.organisation}"


class ClinicMembership(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships")
    role = models.CharField(_("role"), max_length=20, choices=ClinicRole.choices)
    is_service_referrer = models.BooleanField(
        _("service referrer"),
        default=False,
        help_text=_("May transfer callers into other clinics' waiting areas."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="one_clinic_role_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user}, {self.get_role_display()}, {self.clinic}"


def invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An e-mailed offer of a role, to somebody who has no account yet.

    Exactly one of `clinic_role` (with `clinic`) and `organisation_role` is set.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    clinic_role = models.CharField(_("role"), max_length=20, choices=ClinicRole.choices, blank=True)
    organisation_role = models.CharField(_("role"), max_length=20, choices=OrganisationRole.choices, blank=True)
    is_service_referrer = models.BooleanField(_("service referrer"), default=False)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(clinic__isnull=False, organisation_role="") & ~models.Q(clinic_role=""))
                | models.Q(clinic__isnull=True, clinic_role="") & ~models.Q(organisation_role=""),
                name="invitation_offers_one_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.role_label})"

    @property
    def role_label(self) -> str:
        if self.clinic_id:
            return str(ClinicRole(self.clinic_role).label)
        return str(OrganisationRole(self.organisation_role).label)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None and self.expires_at > timezone.now()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
