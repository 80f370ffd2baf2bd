"""Background tasks: the work that leaves the request and runs in the worker.

Django's task framework (the `django-tasks` package; built into Django 6) with the database
backend of `django-tasks-db`: a task is a row in the project's own database, so the embedded
SQLite default needs no other server and PostgreSQL serves at scale. `manage.py worker` runs
the rows (`make run` starts it beside the server; deploy/consulta-worker.service in production).
`TASKS_BACKEND=immediate` runs each task at once in the enqueuing process instead.

E-mail is the first such work. Callers render subject and body in the request (in the person's
language) and hand plain strings to `enqueue_email`; the worker sends them with Django's mail API.

- **Commit, or nothing.** With the database backend the task row is written in the caller's
  transaction: committed with the change it belongs to and rolled back with it, and never lost
  between the commit and a callback. Any other backend enqueues in `transaction.on_commit`.
- **Retries.** django-tasks has no retry of its own. An e-mail that fails with a transient
  error (a refused or timed-out connection, a 4xx answer) is queued again with a delay
  (`EMAIL_RETRY_SECONDS`, doubling), at most `EMAIL_SEND_ATTEMPTS` attempts in all; the failed
  attempt's row is marked failed. A permanent refusal (5xx) is not retried.
- **A killed worker loses nothing.** The library marks a claimed row running and nothing ever
  runs it again if its worker dies (`kill -9`, a lost machine). `requeue_abandoned_tasks` puts
  such rows back in the queue: the rows of the worker's own id when it starts again, and any row
  running longer than `TASKS_RUNNING_TIMEOUT`. Delivery is at least once: a worker killed after
  the SMTP server took a message but before the row was marked done sends that message again.
- **Secrets don't stay.** A body may carry a password-reset or invitation link: it is in the
  row only until the e-mail is sent. When the task finishes (sent, or given up) the body is
  blanked in its row; subject and recipients stay until `prune_finished_tasks` deletes the row.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, connections, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus, task
from django_tasks.signals import task_finished
from django_tasks_db.backend import DatabaseBackend

if TYPE_CHECKING:
    from django_tasks_db.models import DBTaskResultQuerySet

logger = logging.getLogger(__name__)


# --- E-mail ---------------------------------------------------------------------------------


@task()
def send_email(
    *,
    subject: str,
    body: str,
    recipients: list[str],
    html_body: str | None = None,
    from_email: str | None = None,
    attempt: int = 1,
) -> int:
    """Send one e-mail through Django's mail API (EMAIL_BACKEND); run by the worker."""
    message = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=recipients)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    try:
        return message.send()
    except OSError as error:  # smtplib.SMTPException is an OSError, like a refused or timed-out connection
        if (
            attempt >= settings.EMAIL_SEND_ATTEMPTS
            or _is_permanent(error)
            or not send_email.get_backend().supports_defer
        ):
            logger.error("Sending an e-mail failed (%s) on attempt %d: given up.", type(error).__name__, attempt)
            raise
        delay = settings.EMAIL_RETRY_SECONDS * 2 ** (attempt - 1)
        retry = send_email.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            subject=subject,
            body=body,
            recipients=recipients,
            html_body=html_body,
            from_email=from_email,
            attempt=attempt + 1,
        )
        logger.warning(
            "Sending an e-mail failed (%s) on attempt %d of %d: trying again in %d s as task %s.",
            type(error).__name__,
            attempt,
            settings.EMAIL_SEND_ATTEMPTS,
            delay,
            retry.id,
        )
        raise


def _is_permanent(error: OSError) -> bool:
    """A 5xx answer: the server will say the same next time."""
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return False


def enqueue_email(
    *,
    subject: str,
    body: str,
    recipients: list[str],
    html_body: str | None = None,
    from_email: str | None = None,
) -> None:
    """Queue one e-mail for the worker; nothing is sent unless the caller's transaction commits."""
    arguments: dict[str, Any] = {
        "subject": "".join(str(subject).splitlines()),  # a header: one line
        "body": str(body),
        "recipients": [str(address) for address in recipients],
        "html_body": str(html_body) if html_body else None,
        "from_email": from_email,
    }
    if isinstance(send_email.get_backend(), DatabaseBackend):
        send_email.enqueue(**arguments)  # a row of the caller's transaction
    else:
        transaction.on_commit(lambda: send_email.enqueue(**arguments))


@receiver(task_finished)
def _forget_email_body(sender: object, task_result: TaskResult[Any], **kwargs: object) -> None:
    """Blank a finished e-mail's body (it may hold a reset or invitation link) in its stored row."""
    db_result = getattr(task_result, "db_result", None)
    if db_result is None or task_result.task.func is not send_email.func:
        return
    stored = db_result.args_kwargs
    stored["kwargs"] = {**stored.get("kwargs", {}), "body": "", "html_body": None}
    try:
        type(db_result).objects.filter(pk=db_result.pk).update(args_kwargs=stored)
    except DatabaseError:
        logger.warning("Could not blank the body of finished e-mail task %s.", task_result.id, exc_info=True)


# --- Keeping the queue ----------------------------------------------------------------------


def _rows() -> DBTaskResultQuerySet:
    from django_tasks_db.models import DBTaskResult  # needs the app registry

    return DBTaskResult.objects.all()


def prune_finished_tasks(older_than: timedelta) -> int:
    """Delete the rows of tasks that finished (sent or given up) more than `older_than` ago.

    For the scheduled clean-up (`manage.py cleanup`). Returns how many rows went.
    """
    cutoff = timezone.now() - older_than
    deleted, _per_model = _rows().finished().filter(finished_at__lt=cutoff).delete()
    return deleted


def requeue_abandoned_tasks(*, worker_id: str = "", started_before: datetime | None = None, backend: str = "") -> int:
    """Put back in the queue the running tasks whose worker is gone; returns how many.

    `worker_id`: those this worker id had claimed (a worker starting again after being killed:
    the id is unique across the pool, so nobody else runs them). `started_before`: those
    running since before that time, whoever claimed them.
    """
    running = _rows().running()
    if backend:
        running = running.filter(backend_name=backend)
    abandoned: list[Any] = []
    if started_before is not None:
        abandoned += running.filter(started_at__lt=started_before).values_list("pk", flat=True)
    if worker_id:
        abandoned += [row.pk for row in running.only("pk", "worker_ids") if row.worker_ids[-1:] == [worker_id]]
    if not abandoned:
        return 0
    count = running.filter(pk__in=abandoned).update(status=TaskResultStatus.READY)
    if count:
        logger.warning("%d task(s) left running by a worker that stopped are queued again.", count)
    return count


def watch_abandoned_tasks(backend: str = "") -> threading.Thread:
    """Start a daemon thread that requeues tasks running longer than TASKS_RUNNING_TIMEOUT."""
    timeout = settings.TASKS_RUNNING_TIMEOUT
    period = max(1, min(60, timeout // 2))

    def watch() -> None:
        while True:
            time.sleep(period)
            try:
                requeue_abandoned_tasks(started_before=timezone.now() - timedelta(seconds=timeout), backend=backend)
            except DatabaseError:
                logger.warning("Could not look for abandoned tasks; trying again in %d s.", period, exc_info=True)
            finally:
                connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=watch, name="abandoned-tasks", daemon=True)
    thread.start()
    return thread
