"""The audit trail as CSV: the filtered rows, streamed in bounded memory.

The rows come from `.iterator(chunk_size=2000)`, so a year of events never sits in memory.
Under ASGI (uvicorn, production) Django lists a synchronous iterator whole before sending
it; there the lines go out through an asynchronous iterator that pulls them in batches from
the same generator, in the request's one database thread. Under WSGI (and the test client)
the generator itself is the body.

A cell that a spreadsheet would read as a formula (=, +, -, @, tab, carriage return first)
gets a leading apostrophe: a meeting room's name or an e-mail address is somebody's typing.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Generator
from datetime import tzinfo
from itertools import islice

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.eventlog import describe
from consulta.eventlog.models import Event

CHUNK_SIZE = 2000  # rows per database fetch
LINES_PER_SEND = 500  # lines per hop to the database thread, under ASGI
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> str:
    """The cell as text, made inert for spreadsheets if it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like object whose write returns the line: csv.writer then makes strings, not a file."""

    def write(self, value: str) -> str:
        return value


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
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(header())
    for event in events.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([neutralised(cell) for cell in cells(event, zone)])


async def _in_batches(source: Generator[str, None, None]) -> AsyncIterator[str]:
    def batch() -> str:
        return "".join(islice(source, LINES_PER_SEND))

    try:
        while chunk := await sync_to_async(batch, thread_sensitive=True)():
            yield chunk
    finally:
        # A client gone half-way: the database cursor closes now, in its own thread.
        await sync_to_async(source.close, thread_sensitive=True)()


def csv_response(request: HttpRequest, events: QuerySet[Event], zone: tzinfo, filename: str) -> StreamingHttpResponse:
    body = lines(events, zone)
    content = _in_batches(body) if isinstance(request, ASGIRequest) else body
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
