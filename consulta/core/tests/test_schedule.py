"""The worker's schedule (consulta/core/schedule.py): jobs by the clock, pool-wide ones claimed once per period."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from consulta.alerts.tests.helpers import DATABASE_TASKS, cursor_at_now, patient_enters, recipients, subscribe
from consulta.consultations.models import Consultation
from consulta.core.models import ScheduledRun
from consulta.core.schedule import CLEANUP_SECONDS, EXPIRE_WAITING_SECONDS, Job, Scheduler, worker_jobs
from consulta.testing import World

pytestmark = pytest.mark.django_db  # each job's connections are closed after it


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _counting(ran: list[str], name: str) -> Any:
    return lambda: ran.append(name)


def test_each_job_runs_at_once_then_every_period() -> None:
    clock, ran = Clock(), list[str]()
    scheduler = Scheduler([Job("fast", 2, _counting(ran, "fast")), Job("slow", 60, _counting(ran, "slow"))], clock)
    assert scheduler.run_due() == ["fast", "slow"]
    assert scheduler.run_due() == []
    clock.now += 2
    assert scheduler.run_due() == ["fast"]
    clock.now += 58
    assert scheduler.run_due() == ["fast", "slow"]
    assert ran == ["fast", "slow", "fast", "fast", "slow"]


def test_a_failing_job_is_logged_and_stops_nothing(caplog: pytest.LogCaptureFixture) -> None:
    clock, ran = Clock(), list[str]()

    def broken() -> None:
        raise RuntimeError("the database went away")

    scheduler = Scheduler([Job("broken", 2, broken), Job("fine", 2, _counting(ran, "fine"))], clock)
    assert scheduler.run_due() == ["fine"]
    assert "The scheduled job broken failed" in caplog.text
    clock.now += 2
    assert scheduler.run_due() == ["fine"]  # the broken one is tried again, and fails again
    assert caplog.text.count("The scheduled job broken failed") == 2


def test_a_pool_wide_job_runs_in_one_worker_per_period() -> None:
    ran: list[str] = []
    clocks = [Clock(), Clock()]
    workers = [
        Scheduler([Job("cleanup", 3600, _counting(ran, f"worker {i}"), pool_wide=True)], clocks[i]) for i in (0, 1)
    ]
    assert workers[0].run_due() == ["cleanup"]
    assert workers[1].run_due() == []  # claimed by the first for this hour
    assert ran == ["worker 0"]

    # An hour later the first to look claims it; here the second.
    ScheduledRun.objects.filter(job="cleanup").update(started_at=timezone.now() - timedelta(seconds=3601))
    clocks[1].now += 3600
    assert workers[1].run_due() == ["cleanup"]
    clocks[0].now += 3600
    assert workers[0].run_due() == []
    assert ran == ["worker 0", "worker 1"]


def test_a_worker_that_lost_the_claim_looks_again_when_the_period_ends() -> None:
    clock, ran = Clock(), list[str]()
    ScheduledRun.objects.create(job="cleanup", started_at=timezone.now() - timedelta(seconds=3000))  # another's
    scheduler = Scheduler([Job("cleanup", 3600, _counting(ran, "ran"), pool_wide=True)], clock)
    assert scheduler.run_due() == []
    clock.now += 590  # the other's hour ends in ~600 s: not yet looked at again
    assert scheduler.run_due() == []
    ScheduledRun.objects.filter(job="cleanup").update(started_at=timezone.now() - timedelta(seconds=3601))
    clock.now += 11
    assert scheduler.run_due() == ["cleanup"]


def test_the_worker_runs_the_alerts_expire_waiting_and_cleanup(settings: Any) -> None:
    jobs = {job.name: job for job in worker_jobs()}
    assert jobs["alerts.drain"].every == jobs["alerts.escalate"].every == settings.ALERT_POLL_SECONDS
    assert (jobs["expire_waiting"].every, jobs["expire_waiting"].pool_wide) == (EXPIRE_WAITING_SECONDS, True)
    assert (jobs["cleanup"].every, jobs["cleanup"].pool_wide) == (CLEANUP_SECONDS, True) == (3600, True)
    assert not jobs["alerts.drain"].pool_wide  # every worker drains: the cursor's lock keeps it once


def test_one_round_of_the_schedule_does_each_jobs_work(
    world: World, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TASKS = DATABASE_TASKS
    cursor_at_now()
    subscribe(world.member, world.clinic_a)
    new_caller = patient_enters(world.clinic_a)
    gone = patient_enters(world.clinic_b)
    Consultation.objects.filter(pk=gone.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    expired = SessionStore()
    expired.set_expiry(-60)
    expired.create()

    with caplog.at_level(logging.INFO):
        ran = Scheduler(worker_jobs()).run_due()
    assert ran == ["alerts.drain", "alerts.escalate", "webhooks", "webhooks.prune", "expire_waiting", "cleanup"]
    assert recipients() == [world.member.email]  # the drain queued the new caller's alert
    assert not Consultation.objects.filter(pk=gone.pk).exists()  # expire_waiting marked them as left
    assert Consultation.objects.filter(pk=new_caller.pk).exists()
    assert not Session.objects.filter(session_key=expired.session_key).exists()  # the clean-up ran
    assert "Clean-up: 1 expired session(s) deleted." in caplog.text
