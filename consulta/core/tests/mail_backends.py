"""E-mail backends for tests that run a real worker process (locmem's outbox is per process)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    """Writes the e-mail of each send to a file of its own in $TEST_MAIL_DIR, after $TEST_MAIL_DELAY seconds.

    The delay stands for a slow SMTP server, so that a test can kill the worker mid-send.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["file_path"] = os.environ["TEST_MAIL_DIR"]
        super().__init__(*args, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0")))
        return super().send_messages(email_messages)  # a file per connection: one per task
