"""Who is told when a caller waits, and how far the worker has got in telling them.

- `AlertPreference`: one person's own new-caller alerts for one clinic (e-mail to their
  account's address, SMS to a number they give). Nobody sets another person's.
- `EscalationPolicy`: a clinic's "tell the team after N minutes, then its admins after M".
- `Escalation`: that a caller's escalation of one level was sent, so it is sent once.
- `AlertCursor`: the last event of the event log that the worker's drain has handled.

The worker does the telling (consulta/alerts/delivery.py); nothing here names a patient.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic

# A day: past that a caller's wait is not a matter for an alert.
MAX_THRESHOLD_MINUTES = 24 * 60


def validate_e164(value: str) -> None:
    """A phone number in E.164 form (+46701234567) that `phonenumbers` knows to be valid."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value
    ):
        raise ValidationError(_("Enter a phone number in international form, for example +46701234567."))


class AlertPreference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preferences")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="alert_preferences")
    new_caller_email = models.BooleanField(_("e-mail me when a caller is waiting"), default=False)
    new_caller_sms = models.BooleanField(_("send me a text message when a caller is waiting"), default=False)
    phone = models.CharField(
        _("mobile number for text messages"), max_length=20, blank=True, validators=[validate_e164]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_alert_preference_per_person_and_clinic"),
        ]

    def __str__(self) -> str:
        return f"alerts of {self.user_id} in {self.clinic_id}"

    @property
    def wants_email(self) -> bool:
        return self.new_caller_email

    @property
    def wants_sms(self) -> bool:
        return self.new_caller_sms and bool(self.phone)


THRESHOLD_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_THRESHOLD_MINUTES)]


class EscalationPolicy(models.Model):
    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="escalation_policy")
    # Empty: no escalation of that level.
    team_after_minutes = models.PositiveIntegerField(
        _("alert the team when a caller has waited more than (minutes)"),
        null=True,
        blank=True,
        validators=THRESHOLD_VALIDATORS,
    )
    admin_after_minutes = models.PositiveIntegerField(
        _("then alert the clinic's admins after (minutes)"),
        null=True,
        blank=True,
        validators=THRESHOLD_VALIDATORS,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return f"escalation of {self.clinic_id}"

    def clean(self) -> None:
        team, admin = self.team_after_minutes, self.admin_after_minutes
        if team is not None and admin is not None and admin <= team:
            raise ValidationError(
                {
                    "admin_after_minutes": _(
                        "The admins are alerted after the team: give more than %(minutes)d minutes, or leave it empty."
                    )
                    % {"minutes": team}
                }
            )


class Level(models.TextChoices):
    TEAM = "team", _("Team")
    ADMIN = "admin", _("Clinic admins")


class Escalation(models.Model):
    """An escalation sent: the unique pair makes it once per caller and level, whichever worker."""

    consultation = models.ForeignKey("consultations.Consultation", on_delete=models.CASCADE, related_name="escalations")
    level = models.CharField(max_length=10, choices=Level.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consultation", "level"], name="one_escalation_per_caller_and_level"),
        ]

    def __str__(self) -> str:
        return f"{self.level} escalation of {self.consultation_id}"


class AlertCursor(models.Model):
    """One row (pk 1): every event up to `last_event_id` has been handled by a drain, but for
    the ids in `holes` ({id: when first missed}), which may still commit and are looked for again."""

    last_event_id = models.BigIntegerField(default=0)
    holes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"alerts drained up to event {self.last_event_id}"
