"""The writer on real logs: group commit, fencing, restarts from snapshot plus tail, idempotency."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ledger.envelope import chain_breaks
from ledger.log import EventLog, Record
from ledger.writer import IdempotencyConflict, Writer, WriterUnavailable
from ledger.writer.service import Status
from ledger.writer.snapshots import SnapshotStore
from tests.support.commands import location, request

from .conftest import LogFactory


async def read_all(log: EventLog) -> list[Record]:
    reader = await log.open_reader()
    records: list[Record] = []
    while batch := await reader.read(max_records=1000, timeout=0.5):
        records.extend(batch)
    await reader.close()
    return records


async def test_concurrent_commands_share_group_commits_and_chain_cleanly(make_log: LogFactory) -> None:
    log = await make_log()
    writer = Writer(log)
    await writer.start()
    results = await asyncio.gather(*(writer.submit(location(i)) for i in range(200)))
    await writer.stop()

    assert len({r.events[0].id for r in results}) == 200
    records = await read_all(log)
    assert len(records) == 200
    by_stream: dict[str, list] = {}
    for record in records:
        event = record.envelope()
        by_stream.setdefault(event.stream, []).append(event)
    assert all(chain_breaks(events) == [] for events in by_stream.values())


async def test_a_second_writer_fences_the_first_and_nothing_is_written_twice(make_log: LogFactory) -> None:
    first = Writer(await make_log())
    await first.start()
    await first.submit(location(1))

    second = Writer(await make_log())
    await second.start()
    with pytest.raises(WriterUnavailable):
        await first.submit(location(2))
    assert first.status is Status.FENCED
    with pytest.raises(WriterUnavailable):  # and it stays down: it refuses at once from now on
        await first.submit(location(3))

    await second.submit(location(4))
    # The second writer knows what the first wrote: the same id is refused, not written twice.
    with pytest.raises(Exception, match="already") as refused:
        await second.submit(location(1))
    assert type(refused.value).__name__ == "AlreadyExists"
    await second.stop()
    await first.stop()

    streams = sorted(r.envelope().stream for r in await read_all(await make_log()))
    assert streams == ["location:LOC-1", "location:LOC-4"]


async def test_restart_from_snapshot_plus_tail_rebuilds_the_same_state(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    store = SnapshotStore(db, prefix)
    await store.setup()
    log = await make_log()
    writer = Writer(log, store, snapshot_every=25)
    await writer.start()
    for i in range(60):
        await writer.submit(location(i, key=f"key-{i}"))
    before = writer.model
    await writer.stop()
    snapshot = await store.load(log.identity())
    assert snapshot is not None
    assert snapshot.events == 60  # the clean stop took the last one

    # Writes after the snapshot, by another process, then a restart that must read them.
    other = Writer(await make_log(), None)
    await other.start()
    await other.submit(location("late"))
    await other.stop()

    restarted = Writer(await make_log(), store)
    await restarted.start()
    assert set(restarted.model.locations) == set(before.locations) | {"LOC-late"}
    # Idempotency keys survive the restart: same body answers the first result, another conflicts.
    replay = await restarted.submit(location(7, key="key-7"))
    assert replay.events[0].stream == "location:LOC-7"
    with pytest.raises(IdempotencyConflict):
        await restarted.submit(location(7, key="key-7", name="Another name"))
    await restarted.stop()
    assert len(await read_all(log)) == 61


async def test_a_snapshot_is_the_state_when_it_began_while_the_writer_goes_on(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    store = SnapshotStore(db, prefix)
    await store.setup()
    log = await make_log()
    writer = Writer(log, store, snapshot_every=10)
    await writer.start()
    for i in range(10):
        await writer.submit(location(i))  # the tenth begins a snapshot in a forked child
    for i in range(10, 15):
        await writer.submit(location(i))  # decided and committed while it is being pickled
    snapshot = None
    for _ in range(200):
        if (snapshot := await store.load(log.identity())) is not None:
            break
        await asyncio.sleep(0.05)
    assert snapshot is not None
    assert snapshot.events == 10
    assert set(snapshot.state.model.locations) == {f"LOC-{i}" for i in range(10)}
    assert len(writer.model.locations) == 15
    await writer.stop()
    final = await store.load(log.identity())
    assert final is not None
    assert final.events == 15  # the clean stop's, taken after the first was stored


async def test_a_refused_command_in_a_batch_leaves_the_others_and_the_state_intact(
    make_log: LogFactory,
) -> None:
    writer = Writer(await make_log())
    await writer.start()
    outcomes = await asyncio.gather(
        writer.submit(location(1)),
        writer.submit(location(1)),  # refused: already exists
        writer.submit(location(2)),
        return_exceptions=True,
    )
    assert [type(o).__name__ for o in outcomes] == ["CommandResult", "AlreadyExists", "CommandResult"]
    assert set(writer.model.locations) == {"LOC-1", "LOC-2"}
    customer = request("register-customer", {"customer_id": "C-1", "name": "Acme"})
    await writer.submit(customer)
    await writer.stop()
