"""How the report page shows its figures: durations in words, means to one decimal."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Whole seconds (as in the downloads) in hours, minutes and seconds: "1 h 5 min", "4 min 9 s"."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": f"{hours:,}", "minutes": minutes}
    if minutes:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": secs}
    return _("%(seconds)s s") % {"seconds": secs}


@register.filter
def decimal(value: float | None) -> str:
    return "—" if value is None else number_format(value, 1)


@register.filter
def count(value: int | None) -> str:
    return "—" if value is None else str(value)


@register.filter
def figure(value: float | str | None) -> str:
    """A cell of a section the downloads hold too (tables.py): the same number, in the reader's format."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return number_format(value)
    return str(value)
