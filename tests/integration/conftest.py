"""Logs and writers on the real backends, for integration tests of the engine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest

from ledger.log import EventLog
from ledger.log.kafka import KafkaLog
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology

LogFactory = Callable[[], Awaitable[EventLog]]


@pytest.fixture(params=["postgres", pytest.param("kafka", marks=pytest.mark.kafka)])
async def make_log(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[LogFactory]:
    """Opens logs on one prefix: several of them are several processes sharing one log."""
    opened: list[EventLog] = []

    async def make() -> EventLog:
        topology = Topology(prefix, 2)
        if request.param == "kafka":
            log: EventLog = KafkaLog(request.getfixturevalue("kafka_bootstrap"), topology, timeout=5)
        else:
            log = PostgresLog(request.getfixturevalue("pg_dsn"), topology, timeout=5)
        await log.start()
        opened.append(log)
        return log

    yield make
    for log in opened:
        await log.close()


@pytest.fixture
async def db(pg_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()
