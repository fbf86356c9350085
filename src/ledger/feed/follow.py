"""``Feed``: pages of the log for its followers, positions as cursors, on either log.

A follower names the position it has and gets the events after it. One standing at the tail
(``ledger.feed.tail``) is served from the tail's window, and one with nothing new waits on
the tail, costing no read; one behind the window reads the log itself, through one of a few
readers kept for that, a page at a time, until it reaches the window. A poll that will not
wait (``fresh``) at the end reads the log once, so it sees what was committed just now even
before the tail has.

The log (on ``ledger api``) and the tail are opened with the first follower, not with the
process: a process nobody follows reads nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

from ledger.feed.pages import Page, Pager, encode, event_type
from ledger.feed.tail import Tail
from ledger.log import EventLog, LogReader, Position
from ledger.metrics import Metrics

READERS = 4  # readers lent to followers behind the window; more wait their turn
SCAN = 10_000  # records one page looks at, at most, while none matches its types
_SLICE = 0.5  # one read's wait while a follower behind the window reads the log
_AT_END = 0.1  # how long a follower at the end that will not wait reads the log for news


class Feed:
    def __init__(self, event_log: EventLog, metrics: Metrics, *, start_log: bool, window: int = 4096) -> None:
        """``start_log``: the feed starts the log itself (and closes it), when first followed."""
        self._log = event_log
        self._metrics = metrics
        self._start_log = start_log
        self._window = window
        self._tail: Tail | None = None
        self._opening = asyncio.Lock()
        self._log_started = False
        self._readers: list[LogReader] = []
        self._lending = asyncio.Semaphore(READERS)
        self.stopping = asyncio.Event()
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        self.stopping.set()
        if self._tail is not None:
            await self._tail.close()
        readers, self._readers = self._readers, []
        for reader in readers:
            with contextlib.suppress(Exception):
                await reader.close()
        if self._log_started:
            await self._log.close()

    def stop(self) -> None:
        """End every wait now: the process is shutting down."""
        self.stopping.set()
        if self._tail is not None:
            self._tail.wake()

    async def open(self) -> None:
        """Open the log and the tail now, if no follower has yet (raising when the log is unreachable)."""
        await self._ready()

    async def page(
        self, after: Position, types: frozenset[str] | None, limit: int, wait: float, *, fresh: bool = False
    ) -> Page:
        """The events after ``after`` (of ``types`` only, if given), up to ``limit``, waiting up
        to ``wait`` seconds while there are none. ``fresh``: a follower at the end reads the log
        itself once rather than answer from the tail, which may be a moment behind."""
        tail = await self._ready()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        position = after
        while True:
            changed = tail.watch()
            window = tail.window
            at_end = window.covers(position)
            if window.holds(position) and not (at_end and fresh):
                found = window.page(position, types, limit)
            else:
                budget = _AT_END if at_end else max(deadline - loop.time(), _SLICE)
                found = await self._read(position, types, limit, window.end, budget)
                fresh = False
            remaining = deadline - loop.time()
            if found.items or remaining <= 0 or self.stopping.is_set():
                return found
            position = found.next
            if tail.window.covers(position):
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await changed.wait()

    async def _ready(self) -> Tail:
        if self._tail is not None:
            return self._tail
        async with self._opening:
            if self._tail is None:
                if self._start_log and not self._log_started:
                    await self._log.start()
                    self._log_started = True
                tail = Tail(self._log, self._metrics, capacity=self._window)
                await tail.start()
                self._tail = tail
        return self._tail

    async def _read(
        self, position: Position, types: frozenset[str] | None, limit: int, target: Position, budget: float
    ) -> Page:
        """A page read from the log itself, from ``position`` on, until it has items, reaches
        ``target`` (where the tail stood) or has spent ``budget`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        pager = Pager(position, types, limit)
        async with self._lend() as reader:
            await reader.seek(position)
            while not pager.full and pager.looked_at < SCAN:
                left = deadline - loop.time()
                records = await reader.read(pager.wanted, timeout=max(0.05, min(left, _SLICE)))
                self._metrics.feed_reads.labels("follower").inc()
                for record in records:
                    pager.offer(record, event_type(record), functools.partial(encode, record))
                pager.passed(reader.position, reader.position)
                if pager.items or reader.position.covers(target) or left <= 0:
                    break
        return pager.page()

    @contextlib.asynccontextmanager
    async def _lend(self) -> AsyncIterator[LogReader]:
        """One of the kept readers (opened when none is free). A reader that failed is closed;
        one whose follower went away is kept, as every lending begins with a seek."""
        async with self._lending:
            reader = self._readers.pop() if self._readers else await self._log.open_reader()
            failed = False
            try:
                yield reader
            except Exception:
                failed = True
                raise
            finally:
                if failed or self._closed:
                    with contextlib.suppress(Exception):
                        await reader.close()
                else:
                    self._readers.append(reader)
