"""What a report covers: local dates in a time zone, and the database's side of local time.

Local days and hours are the chosen zone's, across daylight-saving changes: a report from
1 to 31 March in Europe/Stockholm runs from local midnight to local midnight, 743 hours.

Grouping by local hour happens in two steps. The database groups rows by the quarter hour
of UTC they fall in (`QuarterHour`: plain integer arithmetic on the epoch, native SQL on
SQLite and PostgreSQL); Python then gives each quarter hour its local day and hour with
zoneinfo (`local_slot`), a few thousand conversions instead of one per row. It is exact
because every offset in use since 1980 is a whole number of quarter hours (India +5:30,
Nepal +5:45) and changes on a quarter hour. Django's Trunc/Extract with `tzinfo` are
right too, but on SQLite they call Python for every row: seven seconds for a year of a
busy organisation, where the quarter hours take a fraction of one (BENCHMARKS.md, issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import ExpressionWrapper, F, Func, IntegerField, Value
from django.db.models.expressions import Combinable

SLOT_SECONDS = 900
MAX_DAYS = 366


@dataclass(frozen=True)
class Criteria:
    """A report's period (local dates, both inclusive) and filters."""

    first_day: date
    last_day: date
    zone: ZoneInfo
    min_call_seconds: int = 0

    @property
    def start(self) -> datetime:
        """Local midnight at the start of the first day."""
        return datetime.combine(self.first_day, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        """Local midnight after the last day (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


def last_full_month(zone: ZoneInfo, now: datetime | None = None) -> tuple[date, date]:
    """The first and last day of the month before this one, in `zone`."""
    today = (now or datetime.now(tz=zone)).astimezone(zone).date()
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class EpochSeconds(Func):
    """Whole seconds since 1970 of a datetime column, computed by the database."""

    output_field = IntegerField()
    # PostgreSQL (and the SQL standard's EXTRACT); FLOOR, as a cast alone would round.
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps datetimes in SQLite as UTC text; strftime('%s') reads it natively.
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)", **extra
        )


def quarter_hour(column: str) -> Combinable:
    """The number of the UTC quarter hour a datetime column falls in (epoch seconds // 900)."""
    return ExpressionWrapper(EpochSeconds(F(column)) / Value(SLOT_SECONDS), output_field=IntegerField())


@lru_cache(maxsize=65536)
def local_slot(slot: int, zone: ZoneInfo) -> tuple[date, int]:
    """The local day and hour (0-23) of UTC quarter hour number `slot`."""
    local = datetime.fromtimestamp(slot * SLOT_SECONDS, tz=zone)
    return local.date(), local.hour
