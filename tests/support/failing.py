"""Real projections and logs that fail on purpose, for tests of parking, retries and restarts.

Each wraps the real thing and adds one failure a test can switch off: ``Poisoned`` raises,
for the events of one stream, an exception type no projection raises (until the test fixes
it); ``BadDDLOnce`` raises once when asked for its tables; ``Stumbling`` is a log whose
reader (or end position) raises once. Everything else is the real projection and the real
log. Helpers load a company history through the real writer and compare live tables with a
clean rebuild, as ``ledger replay --compare`` does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ledger.demo import generate
from ledger.demo.runner import submit_all
from ledger.log import EventLog, LogReader, Position, Record
from ledger.projector import ProjectorRuntime, bookkeeping
from ledger.projector.compare import Difference, differences
from ledger.projector.rebuild import discard
from ledger.store import Connection, Fact, Projection
from ledger.writer import Writer
from projections.inventory import PROJECTION as INVENTORY
from tests.support.commands import request

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SKU, LOCATION = "SKU-101", "WH-NORTH"
STREAM = f"stock:{SKU}@{LOCATION}"
"""A stream of the generated history with many events: receipts, reservations, shipments."""


class Surprise(Exception):
    """No projection raises this: the kind of failure a projector cannot foresee."""


class Doom(BaseException):
    """Not even an ``Exception``: gets past every supervision, as a bug in it would."""


class Poisoned:
    """A real projection that cannot take the events of one stream until ``broken`` is false."""

    def __init__(
        self, inner: Projection, stream: str = STREAM, error: type[BaseException] = Surprise
    ) -> None:
        self.inner, self.stream, self.error = inner, stream, error
        self.name, self.version, self.areas = inner.name, inner.version, inner.areas
        self.broken = True
        self.only: set[str] | None = None  # event ids: when set, only these fail (for good)

    def ddl(self, schema: str) -> str:
        return self.inner.ddl(schema)

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        if self.broken and any(self._fails(f) for f in facts):
            raise self.error(f"cannot take {self.stream} yet")
        await self.inner.apply(conn, schema, facts)

    def _fails(self, fact: Fact) -> bool:
        if self.only is not None:
            return fact.envelope.id in self.only
        return fact.envelope.stream == self.stream


class BadDDLOnce:
    """A real projection whose first ``ddl`` raises: a defect outside apply."""

    def __init__(self, inner: Projection) -> None:
        self.inner = inner
        self.name, self.version, self.areas = inner.name, inner.version, inner.areas
        self.calls = 0

    def ddl(self, schema: str) -> str:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("ddl stumbled once")
        return self.inner.ddl(schema)

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        await self.inner.apply(conn, schema, facts)


class Stumbling:
    """A real log whose readers' ``read_at``-th read, or whose first end position, raises once."""

    def __init__(self, inner: EventLog, *, read_at: int = 0, end_once: bool = False) -> None:
        self.inner, self.read_at, self.end_once = inner, read_at, end_once
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def open_reader(self, topics: Iterable[str] | None = None) -> LogReader:
        return _StumblingReader(self, await self.inner.open_reader(topics))

    async def end_position(self) -> Position:
        if self.end_once:
            self.end_once = False
            raise RuntimeError("end position stumbled once")
        return await self.inner.end_position()


class _StumblingReader:
    def __init__(self, log: Stumbling, inner: LogReader) -> None:
        self.log, self.inner = log, inner

    @property
    def position(self) -> Position:
        return self.inner.position

    async def seek(self, position: Position) -> None:
        await self.inner.seek(position)

    async def read(self, max_records: int, timeout: float) -> list[Record]:
        self.log.reads += 1
        if self.log.reads == self.log.read_at:
            raise RuntimeError("read stumbled once")
        return await self.inner.read(max_records, timeout)

    async def close(self) -> None:
        await self.inner.close()


async def load_history(log: EventLog, days: int = 2) -> Writer:
    """A company history through the real writer, which is left running for more commands."""
    writer = Writer(log)
    await writer.start()
    summary = await submit_all(writer, generate(NOW, 7, days))
    assert summary.events > 500
    for i in range(3):  # a few more on ``STREAM``, so that it has a past to park
        await receive(writer, f"GRN-MORE-{i}")
    return writer


async def receive(writer: Writer, receipt: str, qty: str = "7") -> None:
    """One more event on ``STREAM``."""
    body = {"receipt_id": receipt, "sku": SKU, "location_id": LOCATION, "qty": qty}
    await writer.submit(request("receive-stock", body))


async def caught_up(runtime: ProjectorRuntime, at: Position, timeout: float = 60.0) -> None:
    """Until every projector has applied ``at`` (a writer's position) and the log's end.

    Both: on Kafka the end position is the last stable offset, a moment behind an
    acknowledged transaction until its commit marker is written."""
    for stats in runtime.stats():
        assert await runtime.wait_for(stats.name, at, timeout), runtime.stats()
    deadline = time.monotonic() + timeout
    while True:
        await runtime.refresh_end()
        if runtime.caught_up():
            return
        assert time.monotonic() < deadline, runtime.stats()
        await asyncio.sleep(0.1)


async def parked(pool: asyncpg.Pool, runtime: ProjectorRuntime, name: str) -> list[bookkeeping.Parked]:
    async with pool.acquire() as conn:
        return await bookkeeping.parked_page(conn, runtime.key(name), limit=100_000)


async def differences_from_a_clean_rebuild(
    log: EventLog, pool: asyncpg.Pool, prefix: str, projection: Projection, live_schema: str, at: Position
) -> list[Difference]:
    """Rebuild ``projection`` from the whole log (to ``at`` and the log's end) beside the live
    tables and compare them, row by row, as ``ledger replay --compare`` does."""
    clean = ProjectorRuntime(log, pool, [projection], prefix, scratch=f"clean{uuid.uuid4().hex[:6]}")
    await clean.start()
    try:
        await caught_up(clean, at)
        async with pool.acquire() as conn:
            return await differences(conn, live_schema, clean.schema(projection.name))
    finally:
        await discard(pool, clean, [projection.name])


async def park_a_stream(
    log: EventLog, pool: asyncpg.Pool, prefix: str, at: Position
) -> list[bookkeeping.Parked]:
    """Project the log up to ``at`` as the live inventory read model, poisoned for ``STREAM``, and
    stop: answers what was parked (the stream's messages, from its first on)."""
    runtime = ProjectorRuntime(log, pool, [Poisoned(INVENTORY)], prefix, batch_size=200)
    await runtime.start()
    try:
        await caught_up(runtime, at)
        rows = await parked(pool, runtime, "inventory")
    finally:
        await runtime.stop()
    assert len(rows) > 3
    assert {r.stream for r in rows} == {STREAM}
    return rows
