"""How the writer's state is rebuilt from the log: a snapshot it can trust, then the log after it.

``restore`` is a start's: the newest usable snapshot (``ledger.writer.snapshots`` says which
are), then every event after it, folded in a batch at a time. A snapshot that loads yet does
not fit the log's tail is not to be trusted either: it is ignored and the whole log is read.
``read_to_end`` goes on from wherever a state stands (a standby taking over, a writer back
from a failed append); ``follow`` keeps a hot standby's state at the log's tail.
"""

from __future__ import annotations

import structlog

from ledger.log import EventLog, LogError, Position
from ledger.writer.snapshots import Snapshot, SnapshotStore
from ledger.writer.state import Folded

log = structlog.get_logger("ledger.writer")

BATCH = 5000


async def restore(event_log: EventLog, snapshots: SnapshotStore | None) -> Folded:
    """The state of the whole log as it ends now, from the snapshot when one fits."""
    snapshot = None if snapshots is None else await usable_snapshot(event_log, snapshots)
    if snapshot is None:
        folded = Folded()
        await read_to_end(event_log, folded)
        return folded
    folded = Folded(snapshot.state, snapshot.position, snapshot.events, resumed=snapshot.events)
    try:
        await read_to_end(event_log, folded)
    except (LogError, OSError):
        raise
    except Exception as e:
        # The snapshot loaded, yet the log's tail does not apply to it: it is not to be trusted.
        log.warning("snapshot_ignored", events=snapshot.events, reason=f"the log's tail fails on it: {e!r}")
        folded = Folded()
        await read_to_end(event_log, folded)
    return folded


async def usable_snapshot(event_log: EventLog, snapshots: SnapshotStore) -> Snapshot | None:
    """The stored snapshot of this log, unless it reaches past the log's end (then another
    log's, whatever its identity says: one whose topics were replaced under the same name)."""
    snapshot = await snapshots.load(event_log.identity())
    if snapshot is None:
        return None
    end = await event_log.end_position()
    mine = Position({tp: o for tp, o in snapshot.position.items() if tp.topic in event_log.topics})
    if not end.covers(mine):
        log.warning("snapshot_ignored", events=snapshot.events, reason="its position is past the log's end")
        return None
    return snapshot


async def read_to_end(event_log: EventLog, folded: Folded) -> None:
    """Fold the log from ``folded``'s position up to the end it has now."""
    reader = await event_log.open_reader()
    try:
        await reader.seek(folded.position)
        end = await event_log.end_position()
        while True:
            records = await reader.read(max_records=BATCH, timeout=0.2)
            folded.fold(records, reader.position)
            if not records and reader.position.covers(end):
                return
    finally:
        await reader.close()


async def follow(event_log: EventLog, folded: Folded) -> None:
    """Fold the log's tail into ``folded`` as it grows, until cancelled (a hot standby's wait).

    Cancelled only while it waits on the log, never inside a fold: what it folded is whole."""
    reader = await event_log.open_reader()
    try:
        await reader.seek(folded.position)
        while True:
            records = await reader.read(max_records=BATCH, timeout=0.5)
            folded.fold(records, reader.position)
    finally:
        await reader.close()
