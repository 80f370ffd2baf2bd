"""Mark as left every caller whose connection has been gone longer than the grace period.

Open dashboards do this on their own every 20 s, and the worker's schedule every minute
(consulta/core/schedule.py), so the queue is also tidy when no dashboard is open. By hand: this.
"""

from typing import Any

from django.core.management.base import BaseCommand

from consulta.consultations import actions


class Command(BaseCommand):
    help = "Mark callers whose connection has been gone past the grace period as left."

    def handle(self, *args: Any, **options: Any) -> None:
        count = actions.expire_stale()
        self.stdout.write(f"{count} caller(s) marked as left.")
