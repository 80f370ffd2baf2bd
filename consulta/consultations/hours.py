"""Is a waiting area open now? Opening hours are kept in the clinic's time zone."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.utils import timezone

from consulta.rooms.models import WaitingArea


def is_open(area: WaitingArea, at: datetime | None = None) -> bool:
    if not area.is_enabled:
        return False
    hours = list(area.opening_hours.all())
    if not hours:
        return True  # no schedule set: open whenever switched on
    local = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(area.clinic.effective_time_zone))
    now = local.time()
    return any(h.weekday == local.weekday() and h.opens <= now < h.closes for h in hours)
