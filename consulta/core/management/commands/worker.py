"""`manage.py worker`: Consulta's background worker.

django-tasks-db's `db_worker` (same options: `--batch`, `--max-tasks`, `--interval`,
`--worker-id`, ...), plus what it lacks: the tasks a killed worker left marked running are
queued again (see `consulta.core.tasks.requeue_abandoned_tasks`). Give each worker of a pool a
stable, unique `--worker-id` so that it takes back its own tasks the moment it starts again;
any other worker takes them once they have run longer than TASKS_RUNNING_TIMEOUT.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands import db_worker

from consulta.core.tasks import requeue_abandoned_tasks, watch_abandoned_tasks


class Command(db_worker.Command):
    help = "Run the background worker (e-mail and other slow work), taking back tasks a killed worker left running."

    def handle(self, *args: Any, **options: Any) -> None:
        backend = options["backend_name"]
        requeue_abandoned_tasks(worker_id=options["worker_id"], backend=backend)
        watch_abandoned_tasks(backend=backend)
        super().handle(*args, **options)
