"""Reading the app's own log in HTTP tests: what was appended, and by whom.

The log's end position alone cannot tell whether anything was appended: on Kafka it is the last
stable offset, which stays before an acknowledged transaction until the broker has written that
transaction's commit marker, a moment later. So "where the log ends" here is the furthest of the
log's end position and the writer's own (the writer is the only appender, and its position
covers every event it has acknowledged), and the helpers read the events themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from ledger.app import LOG, WRITER
from ledger.envelope import Envelope
from ledger.log import Position

from .conftest import Api


async def end_of_log(api: Api) -> Position:
    """A position after every event acknowledged so far."""
    return (await api.client.app[LOG].end_position()).merge(api.client.app[WRITER].position)


async def events_after(api: Api, position: Position | None = None) -> list[Envelope]:
    """Every event after ``position`` (from the start without one), up to the end of the log now."""
    log = api.client.app[LOG]
    end = await end_of_log(api)
    reader = await log.open_reader()
    found: list[Envelope] = []
    try:
        if position is not None:
            await reader.seek(position)
        async with asyncio.timeout(10):
            while not reader.position.covers(end):
                found += [record.envelope() for record in await reader.read(max_records=1000, timeout=0.2)]
    finally:
        await reader.close()
    return found


@contextlib.asynccontextmanager
async def appends_nothing(api: Api) -> AsyncIterator[None]:
    """Fail when any event reaches the log inside the block."""
    before = await end_of_log(api)
    yield
    appended = await events_after(api, before)
    assert not appended, f"refused requests appended {[(e.type, e.stream) for e in appended]}"
