"""Exactly once, under fire: a projector process SIGKILLed twenty times during catch-up on
real Kafka ends with tables equal, row for row, to a clean rebuild from the log."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

import projections
from ledger.log.kafka import KafkaLog
from ledger.log.topology import Topology
from ledger.projector import ProjectorRuntime, bookkeeping
from ledger.projector.compare import differences
from ledger.store import schema_name
from ledger.writer import Writer
from tests.support.history import company_history

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

KILLS = 20


async def checkpoints_at_end(pool: asyncpg.Pool, log: KafkaLog, prefix: str) -> bool:
    end = await log.end_position()
    async with pool.acquire() as conn:
        for projection in projections.ALL:
            mine = {tp: o for tp, o in end.items() if tp.topic in {f"{prefix}.{a}" for a in projection.areas}}
            key = f"{prefix}:{projection.name}:v{projection.version}"
            position = await bookkeeping.load_checkpoint(conn, key)
            if not all(position.get_offset(tp) >= o for tp, o in mine.items()):
                return False
    return True


async def test_sigkill_twenty_times_during_catch_up_then_tables_equal_a_clean_rebuild(
    kafka_bootstrap: str, pg_dsn: str, prefix: str, tmp_path: Path
) -> None:
    log = KafkaLog(kafka_bootstrap, Topology(prefix, 2))
    await log.start()
    writer = Writer(log)
    await writer.start()
    accepted = 0
    for request in company_history(days=30, seed=11):
        try:
            await writer.submit(request)
            accepted += 1
        except Exception:  # a refused command of the generated history is simply not in the log
            pass
    await writer.stop()
    assert accepted > 500

    env = {
        **os.environ,
        "LEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "LEDGER_DATABASE_URL": pg_dsn,
        "LEDGER_TOPIC_PREFIX": prefix,
        "LEDGER_PARTITIONS": "2",
        "LEDGER_PROJECTOR_BATCH": "150",  # many small commits, so kills land between and inside them
    }
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    rng = random.Random(20261126)
    kills = 0
    output = (tmp_path / "project.log").open("ab")
    try:
        for _ in range(KILLS):
            process = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "project"], env=env, stdout=output, stderr=output
            )
            await asyncio.sleep(rng.uniform(0.8, 3.0))
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            kills += 1
        assert kills == KILLS
        started = (tmp_path / "project.log").read_text().count("projectors_running")
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "project"], env=env, stdout=output, stderr=output
        )
        deadline = time.monotonic() + 120
        # SIGTERM only once this run is up (its handler installed) and the log is fully applied.
        while (tmp_path / "project.log").read_text().count("projectors_running") == started or not (
            await checkpoints_at_end(pool, log, prefix)
        ):
            assert time.monotonic() < deadline, (tmp_path / "project.log").read_text()[-3000:]
            await asyncio.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, (tmp_path / "project.log").read_text()[-2000:]

        rebuild = ProjectorRuntime(log, pool, projections.ALL, prefix, scratch="clean")
        await rebuild.start()
        deadline = time.monotonic() + 120
        while not rebuild.caught_up():
            assert time.monotonic() < deadline
            await rebuild.refresh_end()
            await asyncio.sleep(0.2)
        await rebuild.stop()
        async with pool.acquire() as conn:
            for projection in projections.ALL:
                live = schema_name(prefix, projection.name, projection.version)
                clean = schema_name(prefix, projection.name, projection.version, scratch="clean")
                assert await differences(conn, live, clean) == [], projection.name
                parked = await conn.fetchval(
                    f"SELECT count(*) FROM {bookkeeping.SCHEMA}.parked WHERE projector LIKE $1", f"{prefix}:%"
                )
                assert parked == 0
    finally:
        output.close()
        await pool.close()
        await log.close()
