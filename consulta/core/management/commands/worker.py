"""`manage.py worker`: Consulta's background worker.

django-tasks-db's `db_worker` (same options: `--batch`, `--max-tasks`, `--interval`,
`--worker-id`, ...), plus what it lacks: the tasks a killed worker left marked running are
queued again (see `consulta.core.tasks.requeue_abandoned_tasks`). Give each worker of a pool a
stable, unique `--worker-id` so that it takes back its own tasks the moment it starts again;
any other worker takes them once they have run longer than TASKS_RUNNING_TIMEOUT.

It also runs the schedule (`consulta.core.schedule`) in a thread: the alerts of new callers
and long waits every ALERT_POLL_SECONDS, `expire_waiting`'s work every minute and `cleanup`'s
hourly. `--no-schedule` leaves the schedule to other workers; `--batch` runs none of it.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from consulta.core.schedule import Scheduler, worker_jobs
from consulta.core.tasks import requeue_abandoned_tasks, watch_abandoned_tasks


class Command(db_worker.Command):
    help = (
        "Run the background worker (e-mail, text messages, alerts and the scheduled clean-ups), "
        "taking back tasks a killed worker left running."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="schedule",
            help="Run tasks only: no alerts' drain, no scheduled clean-ups (another worker runs them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = options["backend_name"]
        requeue_abandoned_tasks(worker_id=options["worker_id"], backend=backend)
        watch_abandoned_tasks(backend=backend)
        # With --reload the command runs twice: in the watching parent and in the child that
        # works. Only the child keeps a schedule.
        reloader_parent = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if options["schedule"] and not options["batch"] and not reloader_parent:
            Scheduler(worker_jobs()).start()
        super().handle(*args, **options)
