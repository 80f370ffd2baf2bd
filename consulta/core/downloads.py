"""Streamed downloads (the audit trail's CSV, a report's CSV and workbook), in bounded memory.

- `in_blocks`: a few hundred CSV lines per write, not one.
- `pulled`: under ASGI (uvicorn, production) Django lists a synchronous streaming body whole
  before sending it; the body is then an asynchronous iterator that pulls each block in the
  request's one database thread (`thread_sensitive`: where the rows' cursor lives), and closes
  the source there when the client goes half-way.
- `spreadsheet_safe`: text a spreadsheet would run as a formula (=, +, -, @, tab, carriage
  return first) gets a leading apostrophe: a name or an e-mail address is somebody's typing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import IO, Any, TypeVar

from asgiref.sync import sync_to_async

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINES_PER_BLOCK = 500
T = TypeVar("T")
_END: Any = object()


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class EchoFile:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def in_blocks(lines: Iterable[str]) -> Iterator[str]:
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) >= LINES_PER_BLOCK:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def _next(parts: Iterator[T]) -> T:
    return next(parts, _END)


async def pulled(parts: Iterator[T], closing: IO[bytes] | None = None) -> AsyncIterator[T]:
    """`parts`, each pulled in the request's thread; the source (and `closing`) closed at the end."""
    pull = sync_to_async(_next, thread_sensitive=True)
    try:
        while (part := await pull(parts)) is not _END:
            yield part
    finally:
        close = getattr(parts, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=True)()
        if closing is not None:
            closing.close()
