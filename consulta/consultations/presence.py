"""Patients' heartbeats, written to the database in batches.

A heartbeat only proves that a waiting patient is still there. Written one by one,
10,000 waiting patients heartbeating every 25 s make 400 write transactions a second:
SQLite's single write lock is then held most of the time and every entry waits behind
it. Each worker process instead gathers the heartbeats it receives and writes them in
one statement every `PRESENCE_FLUSH_SECONDS`, well inside the reconnect grace period
that `last_seen_at` guards. A worker that dies loses at most one batch: those patients'
`last_seen_at` is that much older, and their sockets reconnect elsewhere.
"""

from __future__ import annotations

import asyncio
import weakref

from channels.db import database_sync_to_async
from django.conf import settings

from consulta.consultations import actions


class _Batch:
    """The heartbeats one event loop has received since its last write."""

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.writer: asyncio.Task[None] | None = None

    def add(self, consultation_id: int) -> None:
        self.pending.add(consultation_id)
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.write_later())

    async def write_later(self) -> None:
        await asyncio.sleep(settings.PRESENCE_FLUSH_SECONDS)
        ids, self.pending = self.pending, set()
        if ids:
            await database_sync_to_async(actions.patients_seen)(ids)


# One batch per event loop: tests run each in a loop of its own, and a task cannot outlive its loop.
_batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batch] = weakref.WeakKeyDictionary()


def _batch() -> _Batch:
    loop = asyncio.get_running_loop()
    batch = _batches.get(loop)
    if batch is None:
        batch = _batches[loop] = _Batch()
    return batch


async def heartbeat(consultation_id: int) -> None:
    """The patient's socket is alive: refresh `last_seen_at` with the next batch."""
    if settings.PRESENCE_FLUSH_SECONDS <= 0:
        await database_sync_to_async(actions.patients_seen)({consultation_id})
    else:
        _batch().add(consultation_id)


async def written() -> None:
    """Wait until the batch under way, if any, is in the database."""
    writer = _batch().writer
    if writer is not None:
        await writer


def forget(consultation_id: int) -> None:
    """The socket closed: a heartbeat still waiting must not mark the patient connected again."""
    _batch().pending.discard(consultation_id)
