"""Projector processes on both logs: read models spread over processes, taken over when one
dies, and rebuilt by ``ledger replay`` in a worker process each.

Two real ``ledger project`` processes split the read models (each owns what it was started
for and the other stands by for it); one is SIGKILLed while both catch up with a company's
history; the other takes its read models over, and every table ends equal, row for row, to a
clean rebuild from the log. An owner whose lock session the database dropped is fenced (a
batch under its old epoch commits nothing) and its standby takes over. ``ledger replay``
rebuilds every read model in a worker process of its own, and what it builds equals the live
tables, compared or swapped in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import asyncpg
import pytest
from pydantic import SecretStr

import projections
from ledger.audit.replay import replay
from ledger.config import Settings
from ledger.log import EventLog, Position
from ledger.projector import ProjectorRuntime, bookkeeping
from ledger.projector.bookkeeping import Fenced
from ledger.store import schema_name
from ledger.writer import Writer
from projections.inventory import PROJECTION as INVENTORY
from tests.support.failing import caught_up, differences_from_a_clean_rebuild
from tests.support.history import company_history
from tests.support.project_processes import NAMES, ProjectProcess, env_for

from .conftest import LogFactory

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class Quiet:
    """A meter that shows nothing."""

    def start(self, what: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def stop(self) -> None:
        pass


def settings_of(request: pytest.FixtureRequest, pg_dsn: str, prefix: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": SecretStr(pg_dsn),
        "topic_prefix": prefix,
        "partitions": 2,
        "log_timeout_s": 5.0,
        **extra,
    }
    if request.node.callspec.params.get("make_log") == "kafka":
        values["kafka_bootstrap"] = request.getfixturevalue("kafka_bootstrap")
    return Settings(**values)


async def history(log: EventLog, days: int, seed: int) -> Writer:
    """A company history through the real writer, left running."""
    writer = Writer(log)
    await writer.start()
    accepted = 0
    for command in company_history(days=days, seed=seed):
        try:
            await writer.submit(command)
            accepted += 1
        except Exception:  # a refused command of the generated history is simply not in the log
            pass
    assert accepted > 300
    return writer


async def at_end(pool: asyncpg.Pool, log: EventLog, prefix: str) -> bool:
    """Every live projector's checkpoint has reached the log's end."""
    end = await log.end_position()
    async with pool.acquire() as conn:
        for projection in projections.ALL:
            topics = {f"{prefix}.{a}" for a in projection.areas}
            mine = {tp: o for tp, o in end.items() if tp.topic in topics}
            key = f"{prefix}:{projection.name}:v{projection.version}"
            position = await bookkeeping.load_checkpoint(conn, key)
            if not all(position.get_offset(tp) >= o for tp, o in mine.items()):
                return False
    return True


async def waits_of(pool: asyncpg.Pool, prefix: str, process: ProjectProcess) -> set[str]:
    async with pool.acquire() as conn:
        waits = await conn.fetchval(
            f"SELECT waits FROM {bookkeeping.SCHEMA}.processes WHERE prefix = $1 AND owner = $2",
            prefix,
            process.owner,
        )
    return set(waits or ())


async def test_two_processes_split_the_read_models_and_one_takes_over_when_the_other_is_killed(
    make_log: LogFactory,
    db: asyncpg.Pool,
    prefix: str,
    pg_dsn: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    log = await make_log()
    writer = await history(log, days=20, seed=11)
    env = env_for(settings_of(request, pg_dsn, prefix, projector_batch=40))  # many small batches
    first = ProjectProcess(env, tmp_path / "first.log", ["inventory", "sales"]).start()
    second = ProjectProcess(env, tmp_path / "second.log")
    try:
        await first.owning(pg_dsn, prefix, ["inventory", "sales"])
        second.start()  # for every read model: it takes what is free and stands by for the rest
        others = set(NAMES) - {"inventory", "sales"}
        await second.owning(pg_dsn, prefix, sorted(others))
        assert await second.owns(pg_dsn, prefix) == others
        assert await waits_of(db, prefix, second) == {"inventory", "sales"}  # it stands by for them

        more = asyncio.create_task(more_history(writer))  # written while they project, and after the kill
        await asyncio.sleep(1.0)
        first.kill()
        await second.owning(pg_dsn, prefix, NAMES, timeout=30)
        await more
        deadline = time.monotonic() + 180
        while not await at_end(db, log, prefix):
            assert time.monotonic() < deadline, second.output()
            await asyncio.sleep(0.5)
        assert second.stop() == 0, second.output()
    finally:
        for process in (first, second):
            if process.process is not None and process.process.poll() is None:
                process.kill()
        await writer.stop()

    for projection in projections.ALL:
        live = schema_name(prefix, projection.name, projection.version)
        assert (
            await differences_from_a_clean_rebuild(log, db, prefix, projection, live, writer.position) == []
        ), projection.name
    async with db.acquire() as conn:
        parked = await conn.fetchval(
            f"SELECT count(*) FROM {bookkeeping.SCHEMA}.parked WHERE projector LIKE $1", f"{prefix}:%"
        )
    assert parked == 0


async def more_history(writer: Writer) -> None:
    for command in company_history(days=5, seed=23):
        with contextlib.suppress(Exception):  # refused by the rules, as above
            await writer.submit(command)


async def test_replay_rebuilds_each_read_model_in_a_worker_process_equal_to_the_live_tables(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str, pg_dsn: str, request: pytest.FixtureRequest
) -> None:
    log = await make_log()
    writer = await history(log, days=10, seed=5)
    await writer.stop()
    live = ProjectorRuntime(log, db, projections.ALL, prefix)
    await live.start()
    try:
        await caught_up(live, writer.position)
    finally:
        await live.stop()
    settings = settings_of(request, pg_dsn, prefix)

    compared = await replay(settings, projections.ALL, compare=True, source=None, meter=Quiet())
    assert [(o.projection, o.equal, o.parked_count) for o in compared] == [(n, True, 0) for n in NAMES]
    workers = {o.worker for o in compared}
    assert len(workers) == len(NAMES)  # a process of its own for each read model...
    assert os.getpid() not in workers  # ...none of them this one

    swapped = await replay(settings, projections.ALL, compare=False, source=None, meter=Quiet())
    assert [o.projection for o in swapped] == list(NAMES)
    assert len({o.worker for o in swapped}) == len(NAMES)
    versions = {p.name: p.version for p in projections.ALL}
    assert all(
        o.replaced == schema_name(prefix, o.projection, versions[o.projection]) != o.schema for o in swapped
    )
    again = await replay(settings, projections.ALL, compare=True, source=None, meter=Quiet())
    assert all(o.equal for o in again), [o.differences[:3] for o in again]


async def owner_lock_holder(pool: asyncpg.Pool, projection: str) -> int:
    """The backend holding the owner lock of ``projection`` (``prefix:name``)."""
    async with pool.acquire() as conn:
        pid = await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = hashtext('ledger_projection_owner')::bigint & 4294967295 "
            "AND objid::bigint = hashtext($1)::bigint & 4294967295",
            projection,
        )
    assert pid is not None
    return int(pid)


@pytest.mark.parametrize("make_log", ["postgres"], indirect=True)
async def test_an_owner_that_lost_its_lock_session_is_fenced_and_its_standby_takes_over(
    make_log: LogFactory, db: asyncpg.Pool, prefix: str
) -> None:
    log = await make_log()
    writer = await history(log, days=3, seed=3)
    first = ProjectorRuntime(log, db, [INVENTORY], prefix, batch_size=20)
    second = ProjectorRuntime(log, db, [INVENTORY], prefix, batch_size=20)
    await first.start()
    await second.start()
    try:
        assert (first.owns("inventory"), second.owns("inventory")) == (True, False)
        stale_epoch = first.projector("inventory").epoch
        async with db.acquire() as conn:  # the database drops the first's lock session
            assert await conn.fetchval(
                "SELECT pg_terminate_backend($1)", await owner_lock_holder(db, f"{prefix}:inventory")
            )
        async with asyncio.timeout(15):
            while not second.owns("inventory") or first.owns("inventory"):
                await asyncio.sleep(0.1)
        assert first.stats()[0].state == "standby"
        key = first.key("inventory")
        async with db.acquire() as conn:  # a batch under the old epoch can commit nothing
            with pytest.raises(Fenced):
                async with conn.transaction():
                    await bookkeeping.save_checkpoint(conn, key, Position.empty(), stale_epoch)
        await more_history(writer)
        await caught_up(second, writer.position)
        live = second.schema("inventory")
        assert await differences_from_a_clean_rebuild(log, db, prefix, INVENTORY, live, writer.position) == []
    finally:
        await second.stop()
        await first.stop()
        await writer.stop()
