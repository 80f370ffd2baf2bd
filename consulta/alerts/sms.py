"""Text messages: a pluggable backend (`SMS_BACKEND`) and the worker's `send_sms` task.

- "console" (the default) prints each message on standard output, as Django's console
  e-mail backend does: the demo and development. The number is shown masked.
- "http": a generic HTTP gateway. Each message is one POST of JSON
  `{"to": "+46...", "from": SMS_FROM, "text": "..."}` to `SMS_GATEWAY_URL` with
  `Authorization: Bearer <SMS_GATEWAY_TOKEN>`. A 2xx answer is sent; a network error, a
  time-out, a 5xx or a 429 is transient (the task is queued again with a delay, doubling,
  at most `SMS_SEND_ATTEMPTS` attempts); any other 4xx, or a redirect (never followed: it
  would carry the token elsewhere), is permanent: given up at once.

`send_sms` follows `consulta.core.tasks.send_email`: a row of the database backend written in
the caller's transaction, retried by queueing a new row. Neither the phone number nor the
token ever reaches a log line; once the task has finished, the number is blanked in its row.
"""

from __future__ import annotations

import json
import logging
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import DatabaseError, transaction
from django.dispatch import receiver
from django.utils import timezone
from django_tasks import TaskResult, task
from django_tasks.signals import task_finished
from django_tasks_db.backend import DatabaseBackend

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A message was not sent. `permanent`: trying again would give the same answer."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> None: ...


def masked(number: str) -> str:
    """+46701234567 → +4670*****67: enough to tell two numbers apart on a console, no more."""
    return number[:5] + "*" * max(0, len(number) - 7) + number[-2:] if len(number) > 7 else "*" * len(number)


class ConsoleBackend:
    def send(self, to: str, text: str) -> None:
        sys.stdout.write(f"SMS from {settings.SMS_FROM} to {masked(to)}:\n{text}\n{'-' * 79}\n")
        sys.stdout.flush()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an error: following it would carry the bearer token to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class HttpBackend:
    def send(self, to: str, text: str) -> None:
        body = json.dumps({"to": to, "from": settings.SMS_FROM, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 - the gateway the operator configured
            settings.SMS_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
        )
        try:
            with _OPENER.open(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as answer:
                answer.read()
        except urllib.error.HTTPError as error:
            # Only the status: the URL may carry a key, the answer may echo the number.
            # A 4xx says the same next time; so does a redirect (never followed, see above).
            permanent = error.code < 500 and error.code != 429
            raise SmsError(f"the gateway answered HTTP {error.code}", permanent=permanent) from None
        except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
            reason = getattr(error, "reason", error)
            raise SmsError(f"the gateway could not be reached ({type(reason).__name__})") from None


BACKENDS: dict[str, type[SmsBackend]] = {"console": ConsoleBackend, "http": HttpBackend}


def backend() -> SmsBackend:
    return BACKENDS[settings.SMS_BACKEND]()


@task()
def send_sms(*, to: str, text: str, attempt: int = 1) -> bool:
    """Send one text message through SMS_BACKEND; run by the worker."""
    try:
        backend().send(to, text)
        return True
    except SmsError as error:
        if error.permanent or attempt >= settings.SMS_SEND_ATTEMPTS or not send_sms.get_backend().supports_defer:
            logger.error("Sending a text message failed (%s) on attempt %d: given up.", error, attempt)
            raise
        delay = settings.SMS_RETRY_SECONDS * 2 ** (attempt - 1)
        retry = send_sms.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            to=to, text=text, attempt=attempt + 1
        )
        logger.warning(
            "Sending a text message failed (%s) on attempt %d of %d: trying again in %d s as task %s.",
            error,
            attempt,
            settings.SMS_SEND_ATTEMPTS,
            delay,
            retry.id,
        )
        raise


def enqueue_sms(*, to: str, text: str) -> None:
    """Queue one text message for the worker; nothing is sent unless the caller's transaction commits."""
    arguments: dict[str, Any] = {"to": str(to), "text": str(text)}
    if isinstance(send_sms.get_backend(), DatabaseBackend):
        send_sms.enqueue(**arguments)  # a row of the caller's transaction
    else:
        transaction.on_commit(lambda: send_sms.enqueue(**arguments))


@receiver(task_finished)
def _forget_number(sender: object, task_result: TaskResult[Any], **kwargs: object) -> None:
    """Blank a finished message's number in its stored row: a person's phone stays no longer than needed."""
    db_result = getattr(task_result, "db_result", None)
    if db_result is None or task_result.task.func is not send_sms.func:
        return
    stored = db_result.args_kwargs
    stored["kwargs"] = {**stored.get("kwargs", {}), "to": ""}
    try:
        type(db_result).objects.filter(pk=db_result.pk).update(args_kwargs=stored)
    except DatabaseError:
        logger.warning("Could not blank the number of finished text message task %s.", task_result.id, exc_info=True)
