"""The next batch read and decoded while the current one is applied: one batch ahead, no more.

A projector catching up waits on PostgreSQL about as long as it works; reading the next
records from the log and decoding them fills that wait, on this process's core while the
database uses another. Only one batch is ever read ahead, so memory stays bounded.

Only reading is done ahead: which records are applied, parked or held, and where the
checkpoint goes, is decided when the batch is taken (``applying``), so a batch's rows and its
checkpoint still commit together and a crash replays exactly what it did before. A batch read
ahead is the very batch the reader would have read next; whenever the projector goes on from
elsewhere (a reload after a failure, a new bound, a hand-over) ``seek`` drops it first.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from ledger.log import LogReader, Position, Record
from ledger.projector.decoding import Decoded

DECODE_SLICE = 250
"""Records decoded between two turns of the event loop: a few milliseconds' work."""

Decode = Callable[[list[Record]], list[tuple[Record, Decoded]]]


@dataclass(slots=True)
class Batch:
    """Records as read, the reader's position past them, and the ones the projection applies,
    decoded (or why they cannot be)."""

    records: list[Record]
    position: Position
    decoded: list[tuple[Record, Decoded]]


class ReadAhead:
    """A log reader that reads (and decodes) the next batch as soon as one is taken."""

    def __init__(self, reader: LogReader, decode: Decode, max_records: int, timeout: float) -> None:
        self._reader = reader
        self._decode = decode
        self._max_records = max_records
        self._timeout = timeout
        self._pending: asyncio.Task[Batch] | None = None

    async def _read(self) -> Batch:
        records = await self._reader.read(max_records=self._max_records, timeout=self._timeout)
        position = self._reader.position
        decoded: list[tuple[Record, Decoded]] = []
        for start in range(0, len(records), DECODE_SLICE):
            # Decoding runs while the batch before is applied; a slice at a time, so that the
            # applying goes on as soon as each statement's answer is in.
            await asyncio.sleep(0)
            decoded += self._decode(records[start : start + DECODE_SLICE])
        return Batch(records, position, decoded)

    async def take(self) -> Batch:
        """The next batch (read ahead, or read now), and the one after it started.

        A read that failed ahead raises here, as it would have had it been read now; nothing
        is read ahead after it (the projector seeks before it reads again)."""
        pending, self._pending = self._pending, None
        batch = await (pending if pending is not None else self._read())
        self._pending = asyncio.create_task(self._read(), name="projector-read-ahead")
        return batch

    async def seek(self, position: Position) -> None:
        """Go on from ``position``; what was read ahead is dropped. A read in flight is let
        finish rather than cancelled, so the reader is never left halfway through one; its
        failure is of no interest now."""
        pending, self._pending = self._pending, None
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
        await self._reader.seek(position)

    async def close(self) -> None:
        """Stop reading ahead (the reader itself is its owner's to close)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
            await asyncio.wait([pending])  # a cancellation of the caller still goes through
            if not pending.cancelled():
                pending.exception()  # retrieved: a read that failed as it stopped is of no interest
