"""When the active writer snapshots its state: beside the loop, one at a time, and at a clean stop.

Only the active writer snapshots (a standby's state is the active one's, a little later).
A snapshot is begun between two batches and pickled in a forked child
(``SnapshotStore.save_apart``), so the writer goes on deciding meanwhile; a missed snapshot
only slows the next start, so a failure is logged, never raised.
"""

from __future__ import annotations

import asyncio

import structlog

from ledger.log import EventLog
from ledger.writer.snapshots import Snapshot, SnapshotStore
from ledger.writer.state import Folded

log = structlog.get_logger("ledger.writer")


class Snapshotter:
    def __init__(self, store: SnapshotStore | None, event_log: EventLog, *, every: int) -> None:
        self._store = store
        self._log = event_log
        self._every = every
        self._taken_at = 0  # events the last snapshot held (the one resumed, at first)
        self._running: asyncio.Task[None] | None = None

    def resumed(self, events: int) -> None:
        """The state came from a snapshot of ``events`` events (or from none: 0)."""
        self._taken_at = events

    def due(self, folded: Folded) -> bool:
        """``every`` events since the last, or one per stream held if more.

        A snapshot costs in proportion to the state (pickling every stream), so it waits for
        at least as many events as the state holds streams: its cost per event stays constant
        however large the state grows. Measured with 100k streams, snapshots every 10k events
        took a fifth of the server's time under batch load.
        """
        if self._store is None:
            return False
        return folded.events - self._taken_at >= max(self._every, len(folded.state.heads))

    async def begin(self, folded: Folded) -> None:
        """Begin a snapshot of the state now and return at once; none while one is running."""
        if self._store is None or (self._running is not None and not self._running.done()):
            return
        events = folded.events
        try:
            snapshot = Snapshot(self._log.identity(), folded.position, events, folded.state)
            finish = await self._store.save_apart(snapshot)
        except Exception as e:
            log.warning("snapshot_failed", error=repr(e))
            return
        self._taken_at = events

        async def finished() -> None:
            try:
                size = await finish()
            except Exception as e:
                log.warning("snapshot_failed", error=repr(e))
            else:
                log.info("snapshot_taken", events=events, bytes=size)

        self._running = asyncio.create_task(finished(), name="ledger-writer-snapshot")

    async def settle(self) -> None:
        """Wait for the snapshot running, if any, to be stored (or logged as failed)."""
        if self._running is not None:
            await self._running

    async def take(self, folded: Folded) -> None:
        """A snapshot of the state now, waited for: the clean stop's, after any in flight."""
        await self.settle()  # never two at once, and never the older one last
        await self.begin(folded)
        await self.settle()
