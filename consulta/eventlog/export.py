"""The audit trail as CSV: the filtered rows, streamed in bounded memory.

The rows come from `.iterator(chunk_size=2000)`, so a year of events never sits in memory;
the lines go out in blocks, pulled in the request's thread under ASGI, and every cell is made
safe for spreadsheets (`consulta.core.downloads`).
"""

from __future__ import annotations

import csv
from collections.abc import Generator
from datetime import tzinfo

from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.core.downloads import EchoFile, in_blocks, pulled, spreadsheet_safe
from consulta.eventlog import describe
from consulta.eventlog.models import Event

CHUNK_SIZE = 2000  # rows per database fetch


def neutralised(value: object) -> str:
    """The cell as text, made inert for spreadsheets if it would start a formula."""
    return spreadsheet_safe("" if value is None else str(value))


def header() -> list[str]:
    return [
        _("Time"),
        _("Kind"),
        _("What"),
        _("Actor"),
        _("Client address"),
        _("Clinic"),
        _("Subject"),
        _("Concerning"),
        _("Summary"),
    ]


def cells(event: Event, zone: tzinfo) -> list[str]:
    return [
        timezone.localtime(event.at, zone).isoformat(),
        event.kind,
        describe.label(event),
        describe.who(event),
        event.client_address or "",
        event.clinic.name if event.clinic else "",
        event.subject,
        event.target_label,
        describe.summary(event, zone),
    ]


def lines(events: QuerySet[Event], zone: tzinfo) -> Generator[str, None, None]:
    """The CSV, line by line: a byte-order mark (so that spreadsheets read UTF-8), the header, the rows."""
    writer = csv.writer(EchoFile())
    yield "\ufeff" + writer.writerow(header())
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([neutralised(cell) for cell in cells(event, zone)])


def csv_response(request: HttpRequest, events: QuerySet[Event], zone: tzinfo, filename: str) -> StreamingHttpResponse:
    body = in_blocks(lines(events, zone))
    content = pulled(body) if isinstance(request, ASGIRequest) else body
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
