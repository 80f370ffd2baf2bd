"""Delete what has served its time. The worker's schedule runs it hourly (consulta/core/schedule.py;
the systemd timer deploy/consulta-cleanup.timer is optional), or run it by hand.

- expired sessions (Django's `clearsessions`: the session engine's `clear_expired()`);
- login records older than `LOGIN_RECORD_RETENTION_DAYS`: django-axes' failed-login
  attempts, its log of logins and logouts and its failure log (each holds an address, a
  browser and an account name). An attempt still inside the lock-out period
  (`AXES_COOLOFF_TIME`) is kept whatever the retention, so a clean-up never lifts a lock-out;
  with no cool-off at all (a lock-out without end) attempts are kept;
- one-click links (a known patient's name and phone) and call invitations past expiry;
- callers whose connection has been gone past the grace period, marked as left
  (`expire_waiting`'s work, which has its own minutely job: here it is the safety net,
  so no patient's details outlive a missed minutely run by more than an hour);
- the rows of background tasks finished more than `TASK_RECORD_RETENTION_DAYS` ago;
- events of the event log older than `EVENT_LOG_RETENTION_DAYS` (the audit trail's retention).

Each step prints how many rows went. Running it twice in a row deletes nothing the second time.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from consulta.consultations import actions as consultations
from consulta.core.tasks import prune_finished_tasks
from consulta.eventlog.log import delete_expired as delete_expired_events


def clear_expired_sessions() -> int | None:
    """Django's `clearsessions`; how many sessions went (None when the engine cannot say or clear)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = store.get_model_class() if hasattr(store, "get_model_class") else None
    expired = model.objects.filter(expire_date__lt=timezone.now()).count() if model is not None else None
    try:
        store.clear_expired()
    except NotImplementedError:  # a cache-only engine: its cache expires the sessions itself
        return None
    return expired


def delete_old_login_records() -> dict[str, int]:
    now = timezone.now()
    retention = timedelta(days=settings.LOGIN_RECORD_RETENTION_DAYS)
    cool_off = get_cool_off()
    counts = {}
    if cool_off is None:
        counts["login attempts"] = 0
    else:
        attempts, _per_model = AccessAttempt.objects.filter(attempt_time__lt=now - max(retention, cool_off)).delete()
        counts["login attempts"] = attempts
    counts["login log entries"], _per_model = AccessLog.objects.filter(attempt_time__lt=now - retention).delete()
    counts["login failure log entries"], _per_model = AccessFailureLog.objects.filter(
        attempt_time__lt=now - retention
    ).delete()
    return counts


class Command(BaseCommand):
    help = "Delete expired sessions, old login records, expired links and other rows past their time (run hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        sessions = clear_expired_sessions()
        self.stdout.write(
            f"{sessions} expired session(s) deleted."
            if sessions is not None
            else "Expired sessions: left to the session engine, which expires them itself."
        )
        for label, count in delete_old_login_records().items():
            self.stdout.write(f"{count} {label} older than {settings.LOGIN_RECORD_RETENTION_DAYS} day(s) deleted.")
        links, invites = consultations.delete_expired_links()
        self.stdout.write(f"{links} expired one-click link(s) deleted.")
        self.stdout.write(f"{invites} expired call invitation(s) deleted.")
        self.stdout.write(f"{consultations.expire_stale()} caller(s) gone past the grace period marked as left.")
        tasks = prune_finished_tasks(timedelta(days=settings.TASK_RECORD_RETENTION_DAYS))
        self.stdout.write(
            f"{tasks} finished background task(s) older than {settings.TASK_RECORD_RETENTION_DAYS} day(s) deleted."
        )
        events = delete_expired_events()
        self.stdout.write(f"{events} event(s) older than {settings.EVENT_LOG_RETENTION_DAYS} day(s) deleted.")
