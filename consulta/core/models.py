"""The worker's schedule's one table: when each scheduled job last started (consulta/core/schedule.py)."""

from __future__ import annotations

from django.db import models


class ScheduledRun(models.Model):
    """A pool-wide claim: the worker that moves `started_at` on runs the job, the others skip it."""

    job = models.CharField(max_length=60, primary_key=True)
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.job} started {self.started_at:%Y-%m-%d %H:%M:%S}"
