"""The tail: one reader per process following the log's end, waking the followers that wait.

However many followers wait for new events, the process reads the log's end once: the tail
reads what is appended into its window (``ledger.feed.window``) and wakes every waiting
follower, which then takes its page from the window without a read of its own. On PostgreSQL
the tail's reader sleeps on the log's LISTEN/NOTIFY wake-up between appends, on Kafka it is
one ``read_committed`` consumer; so idle followers cost nothing at all.

The tail is supervised: a failure (the log unreachable, say) is logged (``feed_tail_failed``)
and counted (``ledger_feed_tail_restarts_total``), and the tail opens a new reader where the
last one stopped, with backoff. Meanwhile the window still serves what it holds.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ledger.feed.window import Window
from ledger.log import EventLog, LogReader, Position
from ledger.metrics import Metrics

log = structlog.get_logger("ledger.feed")

BATCH = 1000
READ_WAIT = 5.0  # a read's wait while nothing is appended; new events end it at once
BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0


class Tail:
    def __init__(self, event_log: EventLog, metrics: Metrics, *, capacity: int) -> None:
        self._log = event_log
        self._metrics = metrics
        self._capacity = capacity
        self._reader: LogReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.window = Window(Position.empty(), capacity)

    async def start(self) -> None:
        """Begin at the log's end (raising when the log cannot be reached)."""
        end = await self._log.end_position()
        self.window = Window(end, self._capacity)
        self._reader = await self._open(end)
        self._task = asyncio.create_task(self._follow(), name="feed-tail")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._drop()

    def watch(self) -> asyncio.Event:
        """The event the next change sets: taken before looking, so no change goes unseen."""
        return self._changed

    def wake(self) -> None:
        """Wake every waiting follower now, changed or not (the process is stopping)."""
        woken, self._changed = self._changed, asyncio.Event()
        woken.set()

    async def _open(self, at: Position) -> LogReader:
        reader = await self._log.open_reader()
        try:
            await reader.seek(at)
        except BaseException:
            await reader.close()
            raise
        return reader

    async def _follow(self) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                if self._reader is None:
                    self._reader = await self._open(self.window.end)
                    log.info("feed_tail_resumed")
                await self._read(self._reader)
                delay = BACKOFF_FIRST
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._metrics.feed_tail_restarts.inc()
                log.warning("feed_tail_failed", error=repr(e), retry_in=delay)
                await self._drop()
                await asyncio.sleep(delay)
                delay = min(BACKOFF_CAP, delay * 2)

    async def _read(self, reader: LogReader) -> None:
        records = await reader.read(max_records=BATCH, timeout=READ_WAIT)
        self._metrics.feed_reads.labels("tail").inc()
        if records or not self.window.end.covers(reader.position):
            self.window.add(records, reader.position)
            self.wake()

    async def _drop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.close()
