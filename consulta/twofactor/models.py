"""Recovery codes: the way in when the authenticator app is lost. The app itself is django-otp's
`TOTPDevice` (its `confirmed` flag says whether enrolment finished)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RecoveryCode(models.Model):
    """One one-time code, kept only as its SHA-256 digest (the person saw it once)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_person")]

    def __str__(self) -> str:
        return f"recovery code #{self.pk} of user #{self.user_id}"
