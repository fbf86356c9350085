"""Snapshots the writer must not resume: corrupt, of other code, of another log; and the
projectors' checkpoints of another log. Each is ignored (logged with its reason) and the
writer and the read models end exactly as a start from the log alone would leave them."""

from __future__ import annotations

import asyncio
import pickle
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

import handlers.model
import projections
from ledger.log import EventLog, Position, TopicPartition
from ledger.projector import ProjectorRuntime, bookkeeping, runtime
from ledger.projector.compare import differences
from ledger.writer import Writer, service
from ledger.writer import snapshots as snapshots_module
from ledger.writer.snapshots import Snapshot, SnapshotStore
from tests.support.commands import location
from tests.support.fresh_logs import drop_log
from tests.support.history import company_history
from tests.support.logs import captured, named

from .conftest import LogFactory


@dataclass(frozen=True)
class Retired:
    """A class of the write model that a later version of the code no longer has."""

    note: str


Retired.__module__ = "handlers.model"


@dataclass(frozen=True)
class Foreign:
    """A class from outside the code a snapshot's version covers."""

    note: str


async def store_for(db: asyncpg.Pool, prefix: str) -> SnapshotStore:
    store = SnapshotStore(db, prefix)
    await store.setup()
    return store


async def locations_written(log: EventLog, store: SnapshotStore | None, count: int) -> None:
    writer = Writer(log, store, snapshot_every=10)
    await writer.start()
    for i in range(count):
        await writer.submit(location(i))
    await writer.stop()  # the clean stop's snapshot holds all of them


async def restart(log: EventLog, store: SnapshotStore, monkeypatch: pytest.MonkeyPatch) -> tuple[Writer, str]:
    """A writer started on ``log`` with ``store``; answers it and why it ignored the snapshot."""
    writer = Writer(log, store)
    with captured(monkeypatch, service, snapshots_module) as events:
        await writer.start()
    ignored = named(events, "snapshot_ignored")
    assert len(ignored) == 1, events
    return writer, str(ignored[0]["reason"])


async def from_the_log_alone(log: EventLog) -> dict[str, dict[Any, Any]]:
    writer = Writer(log)
    await writer.start()
    await writer.stop()
    return writer.model.tables()


async def test_a_corrupt_snapshot_is_ignored_and_the_writer_reads_the_whole_log(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = await make_log()
    store = await store_for(db, prefix)
    await locations_written(log, store, 25)
    assert await store.load(log.identity()) is not None
    await db.execute(
        "UPDATE ledger_writer.snapshots SET state = $2 WHERE name = $1", prefix, b"\x80\x05not a pickle"
    )

    writer, reason = await restart(await make_log(), store, monkeypatch)
    assert "does not load" in reason
    assert set(writer.model.locations) == {f"LOC-{i}" for i in range(25)}
    await writer.submit(location(25))
    await writer.stop()
    assert writer.model.tables() == await from_the_log_alone(log)


def with_retired_class(state: Any) -> Any:
    state.retired = Retired("pickled while the code still had it")
    return state


def with_foreign_class(state: Any) -> Any:
    state.foreign = Foreign("not covered by the snapshot's version")
    return state


CHANGES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "a class the code no longer has": (with_retired_class, "Retired"),
    "a class the version does not cover": (
        with_foreign_class,
        "outside the code the snapshot version covers",
    ),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
async def test_a_snapshot_of_another_class_layout_is_ignored(
    make_log: LogFactory,
    db: asyncpg.Pool,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    change: tuple[Callable[[Any], Any], str],
) -> None:
    log = await make_log()
    store = await store_for(db, prefix)
    await locations_written(log, store, 12)
    taken = await store.load(log.identity())
    assert taken is not None
    with monkeypatch.context() as older_code:  # the code that took the snapshot had this class
        older_code.setattr(handlers.model, "Retired", Retired, raising=False)
        altered, because = change
        state = altered(taken.state)
        await store.store(taken, pickle.dumps(state, pickle.HIGHEST_PROTOCOL))

    writer, reason = await restart(await make_log(), store, monkeypatch)
    assert "does not load" in reason
    assert because in reason
    assert set(writer.model.locations) == {f"LOC-{i}" for i in range(12)}
    await writer.stop()


async def test_a_snapshot_taken_by_other_code_is_ignored(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = await make_log()
    store = await store_for(db, prefix)
    await locations_written(log, store, 12)
    await db.execute("UPDATE ledger_writer.snapshots SET model_version = 'older' WHERE name = $1", prefix)

    writer, reason = await restart(await make_log(), store, monkeypatch)
    assert "taken by other code" in reason
    assert set(writer.model.locations) == {f"LOC-{i}" for i in range(12)}
    await writer.stop()


async def test_a_snapshot_of_another_log_under_the_same_name_is_ignored(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await make_log()
    store = await store_for(db, prefix)
    await locations_written(old, store, 30)
    old_identity = old.identity()
    await drop_log(old, prefix)

    fresh = await make_log()  # the same name, a new log: what ``ledger import`` would fill
    assert fresh.identity() != old_identity
    refill = Writer(fresh)
    await refill.start()
    for i in range(100, 140):  # more events than the snapshot's position counts
        await refill.submit(location(i))
    await refill.stop()
    await settled(fresh, refill.position)

    writer, reason = await restart(await make_log(), store, monkeypatch)
    assert "another log" in reason
    assert set(writer.model.locations) == {f"LOC-{i}" for i in range(100, 140)}
    await writer.stop()
    snapshot = await store.load(fresh.identity())
    assert snapshot is not None  # the clean stop's, now of the fresh log
    assert snapshot.events == 40


async def settled(log: EventLog, position: Position, timeout: float = 60) -> None:
    """Wait until ``log`` ends at or past ``position``. Kafka writes the commit markers into
    partitions just made again under an old name a moment late, and readers stop before them."""
    async with asyncio.timeout(timeout):
        while not (await log.end_position()).covers(position):
            await asyncio.sleep(0.2)


async def caught_up(runtime_: ProjectorRuntime, timeout: float = 120) -> None:
    async with asyncio.timeout(timeout):
        while True:
            await runtime_.refresh_end()
            if runtime_.caught_up():
                return
            await asyncio.sleep(0.2)


async def test_a_refill_of_a_fresh_log_resumes_neither_the_old_snapshot_nor_the_old_checkpoints(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await make_log()
    store = await store_for(db, prefix)
    writer = Writer(old, store)
    await writer.start()
    await writer.submit_many(list(company_history(days=3, seed=7)))
    await writer.stop()
    projectors = ProjectorRuntime(old, db, projections.ALL, prefix)
    await projectors.start()
    await caught_up(projectors)
    await projectors.stop()
    await drop_log(old, prefix)

    # Another history appended to a fresh log of the same name, longer than the first, so that
    # the old snapshot's and checkpoints' positions all lie inside it.
    fresh = await make_log()
    refill = Writer(fresh)
    await refill.start()
    await refill.submit_many(list(company_history(days=14, seed=11)))
    await refill.stop()
    await settled(fresh, refill.position)
    assert refill.position.covers(writer.position)

    resumed, reason = await restart(fresh, store, monkeypatch)
    assert "another log" in reason
    await resumed.stop()
    assert resumed.model.tables() == await from_the_log_alone(fresh)

    live = ProjectorRuntime(fresh, db, projections.ALL, prefix)
    clean = ProjectorRuntime(fresh, db, projections.ALL, prefix, scratch="clean")
    try:
        with captured(monkeypatch, runtime) as events:
            await live.start()
        await clean.start()
        reset = named(events, "projection_reset")
        assert sorted(e["projector"].split(":")[1] for e in reset) == sorted(p.name for p in projections.ALL)
        assert all("another log" in e["reason"] for e in reset)
        await caught_up(live)
        await caught_up(clean)
        async with db.acquire() as conn:
            for projection in projections.ALL:
                name = projection.name
                assert await differences(conn, live.schema(name), clean.schema(name)) == [], name
    finally:
        await live.stop()
        await clean.stop()
        async with db.acquire() as conn:
            for projection in projections.ALL:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{clean.schema(projection.name)}" CASCADE')
                await bookkeeping.forget(conn, clean.key(projection.name))


@pytest.mark.postgres
async def test_a_snapshot_with_a_whole_log_position_of_the_largest_configuration_stores_and_loads(
    db: asyncpg.Pool, prefix: str
) -> None:
    areas = [f"{prefix}.area-{i:02}" for i in range(16)]
    rnd = random.Random(3)
    position = Position({TopicPartition(a, p): rnd.randrange(2**40) for a in areas for p in range(1024)})
    assert len(position.token()) > 100_000
    store = await store_for(db, prefix)
    await store.store(Snapshot("log-1", position, 123, {"state": "kept"}), pickle.dumps({"state": "kept"}))

    loaded = await store.load("log-1")
    assert loaded is not None
    assert loaded.position == position
    assert loaded.state == {"state": "kept"}
