"""Golden StockAdjusted v1 events on a real PostgreSQL: projected and replayed like v2 ones.

The inventory projection gets the golden v1 facts decoded as the projector runtime decodes
them (`parse_event`, so upcast to v2), and yields the same tables as the same events written
as v2 would. A writer recovering from a log that holds them folds them into its state and
appends the next count as v2, continuing their hash chain.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest

from ledger.envelope import Envelope, chain_breaks
from ledger.log import EventLog, Record
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.store import Fact
from ledger.writer import Writer
from projections.inventory import PROJECTION
from schemas import area_of_stream, parse_event
from tests.support import projecting
from tests.support.commands import request
from tests.support.golden import golden_events

pytestmark = pytest.mark.postgres

GOLDEN = golden_events()


def fact(offset: int, envelope: Envelope) -> Fact:
    event = parse_event(envelope.type, envelope.schema_version, envelope.data)
    return Fact(f"t.{area_of_stream(envelope.stream)}", 0, offset, envelope, event)


def as_v2(envelope: Envelope) -> Envelope:
    """The envelope a v2 writer would have made of the same count."""
    event = parse_event(envelope.type, envelope.schema_version, envelope.data)
    return replace(envelope, schema_version=event.schema_version, data=event.data()).sealed()


async def project(dsn: str, facts: list[Fact]) -> dict[str, list[str]]:
    return await projecting.project(dsn, PROJECTION, [facts])


async def test_golden_v1_facts_project_like_the_same_events_written_as_v2(pg_dsn: str) -> None:
    old = await project(pg_dsn, [fact(i, e) for i, e in enumerate(GOLDEN)])
    new = await project(pg_dsn, [fact(i, as_v2(e)) for i, e in enumerate(GOLDEN)])
    assert old == new
    assert len(old["movements"]) == len(GOLDEN)
    rows = [json.loads(text, parse_float=Decimal) for text in old["levels"]]
    assert {r["location_id"]: Decimal(r["on_hand"]) for r in rows} == {"WH-A": 39, "ST-1": 15}


@pytest.fixture
async def log(pg_dsn: str, prefix: str) -> AsyncIterator[EventLog]:
    opened = PostgresLog(pg_dsn, Topology(prefix, 2), timeout=5)
    await opened.start()
    yield opened
    await opened.close()


async def read_all(log: EventLog) -> list[Record]:
    reader = await log.open_reader()
    records: list[Record] = []
    while batch := await reader.read(max_records=1000, timeout=0.5):
        records.extend(batch)
    await reader.close()
    return records


async def test_a_writer_recovers_from_golden_v1_events_and_appends_v2_on_their_chain(log: EventLog) -> None:
    appender = await log.open_writer()
    await appender.append(GOLDEN)
    await appender.close()

    writer = Writer(log)
    await writer.start()
    await writer.submit(
        request("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"})
    )
    await writer.submit(
        request("register-product", {"sku": "SKU-100", "name": "Widget", "uom": "ea", "category": "widgets"})
    )
    body = {
        "adjustment_id": "CC-0008",
        "sku": "SKU-100",
        "location_id": "WH-A",
        "counted_qty": "35",
        "reason": "Forklift damage",
    }
    await writer.submit(request("adjust-stock", body))
    await writer.stop()

    stream = [r.envelope() for r in await read_all(log) if r.envelope().stream == "stock:SKU-100@WH-A"]
    stream.sort(key=lambda e: e.version)
    assert [e.schema_version for e in stream] == [1, 1, 1, 1, 2]
    assert chain_breaks(stream) == []
    latest = stream[-1]
    counted = {k: v for k, v in body.items() if k != "reason"}
    unvalued = {"value": "0", "unit_cost_after": "0"}  # the golden stock came in before valuation
    assert latest.data == {
        **counted,
        "delta": "-4",
        "reason_code": "damage",
        "note": "Forklift damage",
        **unvalued,
    }
    assert latest.prevhash == next(e.hash for e in reversed(GOLDEN) if e.stream == latest.stream)
