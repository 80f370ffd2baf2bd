"""Access that follows the person: when what someone may see shrinks, their open sockets hear of it.

Each receiver sends, after the commit, one `access.recheck` to the person's `user.<id>`
group: every socket they hold, on every worker (the channel layer crosses them), checks
their access again through `access` and closes with 4403 if it ended (`JsonSocket`).

Signal receivers rather than calls in the actions modules, because access also ends where
no action of ours runs: a cascade (a clinic or an account deleted), the admin site, Django's
own logout and password-reset views. Granting access sends a recheck too: harmless, and one
rule is easier to trust than two.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from consulta.accounts.models import User
from consulta.calls import events
from consulta.organisations.models import ClinicMembership, OrganisationMembership

# The fields of an account whose change ends what its sessions may do.
_ACCESS_FIELDS = ("password", "is_active")


def access_changed(user_id: int) -> None:
    events.recheck_on_commit(events.user_group(user_id))


@receiver(user_logged_out)
def logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    # Sent before Django flushes the session: name the session, so that its sockets close
    # whatever the order in which the flush and the recheck arrive.
    if user is None or request is None or not request.session.session_key:
        return
    group, event = events.user_group(user.pk), {**events.RECHECK, "ended_session": request.session.session_key}
    transaction.on_commit(lambda: events.send_raw(group, event))


@receiver(pre_save, sender=User)
def _remember_access_fields(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(_ACCESS_FIELDS)):
        instance._access_before = None  # type: ignore[attr-defined]
        return
    instance._access_before = User.objects.filter(pk=instance.pk).values_list(*_ACCESS_FIELDS).first()  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _account_changed(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_access_before", None)
    if not created and before is not None and before != (instance.password, instance.is_active):
        access_changed(instance.pk)


@receiver(post_save, sender=ClinicMembership)
@receiver(post_delete, sender=ClinicMembership)
@receiver(post_save, sender=OrganisationMembership)
@receiver(post_delete, sender=OrganisationMembership)
def _membership_changed(sender: Any, instance: ClinicMembership | OrganisationMembership, **kwargs: Any) -> None:
    access_changed(instance.user_id)
