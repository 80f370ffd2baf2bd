"""The worker's schedule: what runs by the clock, in a thread of `manage.py worker`.

- every `ALERT_POLL_SECONDS` (2 s), in every worker: the alerts' drain of new callers and the
  check for long waits (`consulta.alerts.delivery`), each safe with any number of workers;
- every `WEBHOOK_POLL_SECONDS` (2 s), in every worker: the webhooks' drain of new events and the
  hand-over of due messages to a small pool of posting threads (`consulta.webhooks.delivery`):
  a slow endpoint holds up neither the alerts nor the schedule;
- every minute: `expire_waiting`'s work (callers gone past the grace period marked as left);
- every hour: `manage.py cleanup`'s work (expired sessions, old login records, ... ).

The last two are claimed for the whole pool: the worker that moves the job's `ScheduledRun`
row on (one UPDATE, so only one of them can) runs it, and the others skip that period. Both
are idempotent, so a worker that dies mid-job costs nothing: the next period runs it again.
A job that fails is logged and runs again at its next time; it never stops the schedule.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

EXPIRE_WAITING_SECONDS = 60.0
CLEANUP_SECONDS = 3600.0


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds
    run: Callable[[], object]
    pool_wide: bool = False  # once per period for every worker together (claimed in the database)


def claim(job: str, every: float) -> float:
    """Claim this period's run of a pool-wide job: 0 if this worker is to run it now, else the
    seconds until it is due again (another worker ran it lately)."""
    from consulta.core.models import ScheduledRun

    now = timezone.now()
    due = now - timedelta(seconds=every)
    ScheduledRun.objects.get_or_create(job=job, defaults={"started_at": due})
    if ScheduledRun.objects.filter(job=job, started_at__lte=due).update(started_at=now):
        return 0.0
    started = ScheduledRun.objects.filter(job=job).values_list("started_at", flat=True).first()
    return max(0.0, (started - due).total_seconds()) if started else every


def run_cleanup() -> None:
    """`manage.py cleanup`, its report in the worker's log."""
    report = io.StringIO()
    call_command("cleanup", stdout=report)
    for line in report.getvalue().splitlines():
        logger.info("Clean-up: %s", line)


def expire_waiting() -> None:
    from consulta.consultations.actions import expire_stale

    if count := expire_stale():
        logger.info("%d caller(s) gone past the grace period marked as left.", count)


def drain_alerts() -> None:
    from consulta.alerts.delivery import drain

    if count := drain():
        logger.info("%d alert message(s) about new callers queued.", count)


def escalate_waits() -> None:
    from consulta.alerts.delivery import escalate

    if count := escalate():
        logger.info("%d alert message(s) about long waits queued.", count)


def webhooks() -> None:
    from consulta.webhooks.delivery import dispatch, drain

    if count := drain():
        logger.info("%d webhook message(s) queued.", count)
    dispatch()


def prune_webhooks() -> None:
    from consulta.webhooks.delivery import prune

    if count := prune():
        logger.info("%d old webhook message(s) deleted.", count)


def worker_jobs() -> list[Job]:
    return [
        Job("alerts.drain", settings.ALERT_POLL_SECONDS, drain_alerts),
        Job("alerts.escalate", settings.ALERT_POLL_SECONDS, escalate_waits),
        Job("webhooks", settings.WEBHOOK_POLL_SECONDS, webhooks),
        Job("webhooks.prune", CLEANUP_SECONDS, prune_webhooks, pool_wide=True),
        Job("expire_waiting", EXPIRE_WAITING_SECONDS, expire_waiting, pool_wide=True),
        Job("cleanup", CLEANUP_SECONDS, run_cleanup, pool_wide=True),
    ]


class Scheduler:
    def __init__(self, jobs: list[Job], clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs = jobs
        self.clock = clock
        self._next = {job.name: clock() for job in jobs}  # when each is next looked at: at once
        self._stopping = threading.Event()

    def run_due(self) -> list[str]:
        """Run every job whose time has come; the names of those that ran."""
        ran = []
        for job in self.jobs:
            if self.clock() < self._next[job.name]:
                continue
            self._next[job.name] = self.clock() + job.every
            try:
                if job.pool_wide and (wait := claim(job.name, job.every)):
                    self._next[job.name] = self.clock() + wait
                    continue
                job.run()
                ran.append(job.name)
            except Exception:  # a thread of its own: log it, and the job runs at its next time
                logger.exception("The scheduled job %s failed; it runs again in %g s.", job.name, job.every)
            finally:
                close_old_connections()  # this thread's own connections
        return ran

    def run(self) -> None:
        period = min(job.every for job in self.jobs)
        while not self._stopping.is_set():
            self.run_due()
            self._stopping.wait(period)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="schedule", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stopping.set()
