"""A hot standby: a writer that waits for the log's lease with its state already at the log's tail.

While another process holds the lease, the standby loads the snapshot, reads the log after
it and then follows the tail as it grows (``recovery.follow``), reading committed events
only (``read_committed`` on Kafka, committed rows on PostgreSQL). It never writes and never
snapshots. When the lease comes free (the active writer stopped, or died and its database
session with it), taking over is fencing the log and reading the few events committed since
the last read: seconds, not the minutes a cold start from the snapshot can take.
"""

from __future__ import annotations

import asyncio

import structlog

from ledger.log import EventLog
from ledger.memory import freeze_survivors
from ledger.metrics import Metrics
from ledger.writer.lease import WriterLease
from ledger.writer.recovery import follow, restore
from ledger.writer.retrying import Backoff
from ledger.writer.snapshots import SnapshotStore
from ledger.writer.state import Folded

log = structlog.get_logger("ledger.writer")


class HotStandby:
    def __init__(
        self, lease: WriterLease, event_log: EventLog, snapshots: SnapshotStore | None, metrics: Metrics
    ) -> None:
        self._lease = lease
        self._log = event_log
        self._snapshots = snapshots
        self._metrics = metrics
        self.folded: Folded | None = None  # once warm: the state, at most a read behind the tail

    async def wait(self) -> Folded | None:
        """Follow the log until the lease is taken; answer the state then (None if not yet warm)."""
        following = asyncio.create_task(self._warm_and_follow(), name="ledger-writer-follow")
        try:
            await self._take_lease()
        finally:
            following.cancel()
            await asyncio.wait([following])
        return self.folded

    async def _take_lease(self) -> None:
        backoff = Backoff(self._metrics, "lease")
        while True:
            try:
                await self._lease.acquire()
            except Exception as e:  # the database is away: wait for it, and the lease, again
                await asyncio.sleep(backoff.failed(e))
            else:
                log.info("writer_lease_taken", warm=self.folded is not None)
                return

    async def _warm_and_follow(self) -> None:
        backoff = Backoff(self._metrics, "standby")
        while True:
            try:
                if self.folded is None:
                    folded = await restore(self._log, self._snapshots)
                    freeze_survivors()  # the state lives as long as the writer: never rescan it
                    self.folded = folded
                    log.info("writer_standby_warm", events=folded.events, position=repr(folded.position))
                await follow(self._log, self.folded)
            except Exception as e:  # what it folded is whole: following goes on from there
                await asyncio.sleep(backoff.failed(e))
