"""Organisation API keys: a secret shown once, kept as its SHA-256.

A key belongs to one organisation and sees nothing of another. It reads, or reads and
writes; it sees patients' names only when `can_see_names` says so; it is limited to a set
of the organisation's clinics, or to all of them (`all_clinics`: clinics made later too).
What a key may load is decided in `consulta/organisations/key_access.py`, nowhere else.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from consulta.organisations.models import Clinic, Organisation

TOKEN_PREFIX = "csk"  # noqa: S105 - the public marker every key begins with, no secret


class Access(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiKey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    # The token's public part (csk_<prefix>_...): finds the row, and names the key in the log.
    prefix = models.CharField(max_length=8, unique=True)
    # SHA-256 of the whole token: a copy of the database opens nothing.
    secret_hash = models.CharField(max_length=64)
    access = models.CharField(_("access"), max_length=5, choices=Access.choices, default=Access.READ)
    can_see_names = models.BooleanField(_("may see patients' names"), default=False)
    all_clinics = models.BooleanField(_("every clinic"), default=True)
    clinics = models.ManyToManyField(Clinic, blank=True, related_name="+", verbose_name=_("clinics"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_write(self) -> bool:
        return self.access == Access.WRITE
