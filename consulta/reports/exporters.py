"""Downloads of a report, one exporter class per format, found by name in `EXPORTERS`.

As pretix's exporter registry: a format is a class with an identifier, a file extension and
a way to answer. Both write `tables.py`'s sections and rows, so they hold the page's numbers.
Memory stays bounded however long the period: rows are read 2,000 at a time; the CSV goes
out as it is written, the workbook is written (XlsxWriter's constant_memory mode) to a
temporary file that is then sent in blocks.

Under ASGI (uvicorn) Django would first read a synchronous streaming body into one list,
so there the body is an asynchronous iterator that pulls each block in the request's thread
(`thread_sensitive`: where its database connection lives).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any, ClassVar

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from consulta.core.downloads import EchoFile, in_blocks, pulled, spreadsheet_safe
from consulta.reports.queries import Report
from consulta.reports.tables import (
    consultation_header,
    consultation_lines,
    room_call_header,
    room_call_lines,
    summary_sections,
)

FILE_BLOCK = 64 * 1024


def _file_blocks(file: IO[bytes]) -> Iterator[bytes]:
    while block := file.read(FILE_BLOCK):
        yield block


def _disposition(filename: str) -> str:
    header = content_disposition_header(as_attachment=True, filename=filename)
    assert header is not None  # only None for an inline answer without a name
    return header


class Exporter:
    identifier: ClassVar[str]
    extension: ClassVar[str]
    content_type: ClassVar[str]

    def __init__(self, report: Report) -> None:
        self.report = report

    def response(self, filename: str, asynchronous: bool) -> HttpResponseBase:
        raise NotImplementedError


def _safe_text(value: Any) -> Any:
    """A cell a spreadsheet will not run: text that looks like a formula gets a leading quote."""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


class CSVExporter(Exporter):
    identifier = "csv"
    extension = "csv"
    content_type = "text/csv; charset=utf-8"

    def lines(self) -> Iterator[str]:
        writer = csv.writer(EchoFile())
        yield "\ufeff"  # a byte-order mark: spreadsheet programs then read the file as UTF-8

        def table(title: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
            yield writer.writerow([_safe_text(title)])
            yield writer.writerow([_safe_text(cell) for cell in header])
            for row in rows:
                yield writer.writerow([_safe_text(cell) for cell in row])
            yield writer.writerow([])

        for section in summary_sections(self.report):
            yield from table(section.title, section.header, section.rows)
        yield from table(_("Consultations"), consultation_header(), consultation_lines(self.report))
        yield from table(_("Room calls"), room_call_header(), room_call_lines(self.report))

    def response(self, filename: str, asynchronous: bool) -> HttpResponseBase:
        blocks = in_blocks(self.lines())
        body: Any = pulled(blocks) if asynchronous else blocks
        disposition = _disposition(filename)
        return StreamingHttpResponse(body, content_type=self.content_type, headers={"Content-Disposition": disposition})


class ExcelExporter(Exporter):
    identifier = "xlsx"
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def write(self, file: IO[bytes]) -> None:
        options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        workbook = xlsxwriter.Workbook(file, options)
        formats = {
            "bold": workbook.add_format({"bold": True}),
            "time": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        }
        summary = workbook.add_worksheet(_("Summary")[:31])
        row = 0
        for section in summary_sections(self.report):
            row = self._table(summary, row, section.title, section.header, section.rows, formats) + 1
        for title, header, rows in (
            (_("Consultations"), consultation_header(), consultation_lines(self.report)),
            (_("Room calls"), room_call_header(), room_call_lines(self.report)),
        ):
            self._table(workbook.add_worksheet(title[:31]), -1, None, header, rows, formats)
        workbook.close()

    @staticmethod
    def _table(
        sheet: Any,
        row: int,
        title: str | None,
        header: Iterable[Any],
        rows: Iterable[Iterable[Any]],
        formats: dict[str, Any],
    ) -> int:
        """Write a table from the row after `row` (constant_memory: rows in order); its last row."""
        if title is not None:
            row += 1
            sheet.write_string(row, 0, title, formats["bold"])
        row += 1
        for column, heading in enumerate(header):
            sheet.write_string(row, column, heading, formats["bold"])
        for line in rows:
            row += 1
            for column, value in enumerate(line):
                if isinstance(value, datetime):
                    sheet.write_datetime(row, column, value, formats["time"])
                elif isinstance(value, str):
                    sheet.write_string(row, column, value)  # never a formula, whatever it starts with
                elif value is not None:
                    sheet.write_number(row, column, value)
        return row

    def response(self, filename: str, asynchronous: bool) -> HttpResponseBase:
        file = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it once sent
        try:
            self.write(file)
            size = file.tell()
            file.seek(0)
        except BaseException:
            file.close()
            raise
        if not asynchronous:
            return FileResponse(file, as_attachment=True, filename=filename, content_type=self.content_type)
        response = FileResponse(pulled(_file_blocks(file), closing=file), content_type=self.content_type)
        response["Content-Length"] = str(size)
        response["Content-Disposition"] = _disposition(filename)
        return response


EXPORTERS: dict[str, type[Exporter]] = {exporter.identifier: exporter for exporter in (CSVExporter, ExcelExporter)}
