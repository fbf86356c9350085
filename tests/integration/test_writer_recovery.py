"""The writer's recovery after its log failed: it goes on through whatever each attempt raises
(logged with its traceback, counted) until the writer is active again, and a death of one of
its own tasks is logged and said, never silent.

The faults are real: PostgreSQL behind a proxy that is stopped, then started again losing
the reply to the writer's claim of the log, so that asyncpg raises a connection error that
is neither a ``LogError`` nor an ``OSError`` (the kinds recovery used to survive).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from ledger.log import LogError
from ledger.log.postgres import PostgresLog, PostgresWriter
from ledger.log.topology import Topology
from ledger.metrics import Metrics
from ledger.writer import Writer, WriterUnavailable, service
from ledger.writer.service import Status
from tests.support.commands import location
from tests.support.faultproxy import FaultProxy, contains, free_port, postgres_upstream, postgres_via
from tests.support.logs import captured, named

pytestmark = pytest.mark.postgres


@dataclass
class Database:
    """PostgreSQL behind a proxy that a test stops and starts again."""

    dsn: str
    port: int
    proxy: FaultProxy

    @property
    def proxied(self) -> str:
        return postgres_via(self.dsn, self.port)

    async def go_away(self) -> None:
        await self.proxy.stop()

    async def come_back(self, *, losing_the_reply_to: bytes) -> None:
        self.proxy = FaultProxy(self.port, postgres_upstream(self.dsn))
        self.proxy.cut_reply_to(contains(losing_the_reply_to))
        await self.proxy.start()


@pytest.fixture
async def database(pg_dsn: str) -> AsyncIterator[Database]:
    port = free_port()
    db = Database(pg_dsn, port, FaultProxy(port, postgres_upstream(pg_dsn)))
    await db.proxy.start()
    yield db
    await db.proxy.stop()


async def active(writer: Writer, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while writer.status is not Status.ACTIVE:
            await asyncio.sleep(0.05)


async def test_recovery_survives_any_exception_and_ends_with_the_writer_active(
    database: Database, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = PostgresLog(database.proxied, Topology(prefix, 2), timeout=2)
    await log.start()
    metrics = Metrics()
    writer = Writer(log, metrics=metrics)
    await writer.start()
    try:
        await writer.submit(location(1))
        with captured(monkeypatch, service) as events:
            await database.go_away()
            with pytest.raises(WriterUnavailable):
                await writer.submit(location(2))
            assert writer.status is Status.UNAVAILABLE
            await asyncio.sleep(0.5)  # a few attempts meet a closed port
            # Back, but the reply to the writer's claim of the log is lost mid-statement.
            await database.come_back(losing_the_reply_to=b"writer_epochs")
            await active(writer)
        assert database.proxy.cuts == 1
        await writer.submit(location(3))
    finally:
        await writer.stop()
        await log.close()

    failures = named(events, "writer_recovery_failed")
    unlike_before = [e for e in failures if not isinstance(e["exc_info"], LogError | OSError)]
    assert unlike_before, [e["error"] for e in failures]
    error = type(unlike_before[0]["exc_info"]).__name__
    assert metrics.registry.get_sample_value(
        "ledger_writer_recovery_failures_total", {"step": "recovery", "error": error}
    )
    retries = [e["retry_in"] for e in failures]
    assert retries == sorted(retries)  # backing off
    assert max(retries) <= 5.0  # up to a cap
    assert set(writer.model.locations) == {"LOC-1", "LOC-3"}


class _Defect(BaseException):
    """Not an ``Exception``: nothing in the writer catches it, as with a defect in its own code."""


class _DefectiveLog(PostgresLog):
    """The PostgreSQL log, whose second claim dies of a defect."""

    claims = 0

    async def open_writer(self) -> PostgresWriter:
        self.claims += 1
        if self.claims > 1:
            raise _Defect("a defect in recovery")
        return await super().open_writer()


async def test_the_death_of_a_writer_task_is_logged_and_said(
    database: Database, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _DefectiveLog(database.proxied, Topology(prefix, 2), timeout=2)
    await log.start()
    writer = Writer(log)
    await writer.start()
    try:
        with captured(monkeypatch, service) as events:
            await database.go_away()
            with pytest.raises(WriterUnavailable):
                await writer.submit(location(1))
            async with asyncio.timeout(10):
                while not named(events, "writer_task_died"):
                    await asyncio.sleep(0.05)
        died = named(events, "writer_task_died")[0]
        assert died["task"] == "ledger-writer-reconnect"
        assert isinstance(died["exc_info"], _Defect)
        assert writer.status is Status.UNAVAILABLE
        with pytest.raises(WriterUnavailable, match="ledger-writer-reconnect died"):
            await writer.submit(location(2))
    finally:
        await writer.stop()
        await log.close()
