"""No projector dies silently, on both logs and a real PostgreSQL.

An event a projection cannot apply is parked with the reason whatever it raises; database
connections killed under a catching-up projector are retried from the checkpoint and the
tables end equal to a clean rebuild; a defect outside apply restarts the projector, which
is logged, counted and shown; a task that dies past all of that is reported, not swallowed.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from prometheus_client import generate_latest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

import projections
from ledger.projector import ProjectorRuntime
from ledger.projector.bookkeeping import SCHEMA
from projections.inventory import PROJECTION as INVENTORY
from tests.support.failing import (
    STREAM,
    BadDDLOnce,
    Doom,
    Poisoned,
    Stumbling,
    caught_up,
    differences_from_a_clean_rebuild,
    load_history,
    parked,
)

from .conftest import LogFactory

pytestmark = [pytest.mark.postgres]


async def test_an_apply_raising_an_unexpected_exception_type_parks_its_stream_with_the_reason(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    runtime = ProjectorRuntime(log, db, [Poisoned(INVENTORY)], prefix, batch_size=200)
    with capture_logs(processors=[merge_contextvars]) as logs:
        await runtime.start()
        await caught_up(runtime, writer.position)
    try:
        rows = await parked(db, runtime, "inventory")
        assert rows
        assert {r.stream for r in rows} == {STREAM}
        assert rows[0].reason == f"apply failed: Surprise('cannot take {STREAM} yet')"
        assert all(r.reason == "an earlier message of this stream is parked" for r in rows[1:])
        assert [r.offset for r in rows] == sorted(r.offset for r in rows)  # one partition, log order
        [stats] = runtime.stats()
        assert (stats.parked, stats.restarts, stats.state) == (len(rows), 0, "running")
        async with db.acquire() as conn:  # every other stream went on
            levels = await conn.fetchval(f'SELECT count(*) FROM "{runtime.schema("inventory")}".levels')
        assert levels > 20
        failed = [e for e in logs if e["event"] == "projector_event_failed"]
        assert failed
        assert failed[0]["stream"] == STREAM
        assert failed[0]["offset"] == rows[0].offset
        assert any(e["event"] == "projector_parked" and e["stream"] == STREAM for e in logs)
    finally:
        await runtime.stop()
        await writer.stop()


async def test_connections_killed_during_catch_up_are_retried_and_tables_equal_a_clean_rebuild(
    make_log: LogFactory, pg_dsn: str, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log, days=6)
    await writer.stop()
    at = writer.position
    name = f"under-fire-{uuid.uuid4().hex[:8]}"
    pool = await asyncpg.create_pool(
        pg_dsn, min_size=2, max_size=8, server_settings={"application_name": name}
    )
    # Small batches: catching up takes many transactions, so the kills land in the middle of them.
    runtime = ProjectorRuntime(log, pool, projections.ALL, prefix, batch_size=5)
    try:
        # Kill only connections in the middle of a statement or a transaction, and only once
        # every projector has prepared its tables and applied a batch: a kill then always
        # breaks a batch in flight (a retry), never a table's set-up (a restart). Kills timed
        # by the clock landed, on Kafka, after the history was applied, or between batches.
        starting = asyncio.create_task(runtime.start())
        in_flight = 0
        async with asyncio.timeout(60):
            while not (starting.done() and all(s.events for s in runtime.stats())):
                await asyncio.sleep(0.005)
            while in_flight < 5 and not all(s.position and s.lag == 0 for s in runtime.stats()):
                async with db.acquire() as conn:
                    in_flight += await conn.fetchval(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                        "application_name = $1 AND state IN ('active', 'idle in transaction')",
                        name,
                    )
                await asyncio.sleep(0.002)
        assert in_flight, "no batch was in flight to break: the history is too small to test this"
        await starting
        await caught_up(runtime, at, timeout=120)
        stats = runtime.stats()
        assert sum(s.retries for s in stats) > 0, stats
        assert all(s.restarts == 0 and s.parked == 0 for s in stats), stats
        for projection in projections.ALL:
            live = runtime.schema(projection.name)
            assert await differences_from_a_clean_rebuild(log, db, prefix, projection, live, at) == []
        async with db.acquire() as conn:
            assert (
                await conn.fetchval(
                    f"SELECT count(*) FROM {SCHEMA}.parked WHERE projector LIKE $1", f"{prefix}:%"
                )
                == 0
            )
    finally:
        await runtime.stop()
        await pool.close()


async def test_a_ddl_that_raises_once_restarts_the_projector_which_is_counted_and_shown(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    at = writer.position
    runtime = ProjectorRuntime(log, db, [BadDDLOnce(INVENTORY)], prefix)
    with capture_logs(processors=[merge_contextvars]) as logs:
        await runtime.start()
        try:
            await caught_up(runtime, at)
        finally:
            await runtime.stop()
    [stats] = runtime.stats()
    assert stats.restarts == 1
    assert stats.state == "running"
    assert stats.last_error == "RuntimeError('ddl stumbled once')"
    assert stats.last_error_at is not None
    [restart] = [e for e in logs if e["event"] == "projector_restarted"]
    assert restart["task"] == "inventory"
    assert isinstance(restart["exc_info"], RuntimeError)
    text = generate_latest(runtime.metrics.registry).decode()
    assert 'ledger_projector_restarts_total{projection="inventory"} 1.0' in text
    assert (
        await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, runtime.schema("inventory"), at)
        == []
    )


async def test_a_read_that_raises_once_restarts_the_projector_from_its_checkpoint(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    at = writer.position
    stumbling = Stumbling(log, read_at=3)
    runtime = ProjectorRuntime(stumbling, db, [INVENTORY], prefix, batch_size=100)
    with capture_logs(processors=[merge_contextvars]) as logs:
        await runtime.start()
        try:
            await caught_up(runtime, at)
        finally:
            await runtime.stop()
    [stats] = runtime.stats()
    assert (stats.restarts, stats.last_error) == (1, "RuntimeError('read stumbled once')")
    assert [e["projection"] for e in logs if e["event"] == "projector_restarted"] == ["inventory"]
    assert (
        await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, runtime.schema("inventory"), at)
        == []
    )


async def test_the_end_watcher_is_supervised_as_the_projectors_are(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    stumbling = Stumbling(log)
    runtime = ProjectorRuntime(stumbling, db, [INVENTORY], prefix)
    await runtime.start()
    try:
        stumbling.end_once = True
        with capture_logs(processors=[merge_contextvars]) as logs:
            for _ in range(100):
                if runtime.watcher.health.restarts and runtime.stats()[0].lag == 0 and runtime.caught_up():
                    break
                await asyncio.sleep(0.1)
        assert runtime.watcher.health.restarts == 1
        assert runtime.watcher.health.last_error == "RuntimeError('end position stumbled once')"
        assert [e["task"] for e in logs if e["event"] == "projector_restarted"] == ["end-watcher"]
        text = generate_latest(runtime.metrics.registry).decode()
        assert 'ledger_projector_restarts_total{projection="end-watcher"} 1.0' in text
        assert runtime.caught_up()
    finally:
        await runtime.stop()


@pytest.mark.parametrize("make_log", ["postgres"], indirect=True)
async def test_a_task_that_dies_past_its_supervision_is_reported_not_swallowed(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await load_history(log)
    await writer.stop()
    runtime = ProjectorRuntime(log, db, [Poisoned(INVENTORY, error=Doom)], prefix)
    with capture_logs(processors=[merge_contextvars]) as logs:
        await runtime.start()
        for _ in range(100):
            if runtime.stats()[0].state == "dead":
                break
            await asyncio.sleep(0.1)
        await runtime.stop()
    [stats] = runtime.stats()
    assert stats.state == "dead"
    assert stats.last_error == f"Doom('cannot take {STREAM} yet')"
    [died] = [e for e in logs if e["event"] == "projector_task_died"]
    assert died["task"] == "projector-inventory"
    assert isinstance(died["exc_info"], Doom)
