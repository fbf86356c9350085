"""The quality projection on a real PostgreSQL: the same facts give the same tables however they
are split into batches, however different streams interleave, and when a batch comes again.
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import WriteModel, decide, evolve
from ledger.envelope import Envelope
from ledger.store import Fact, q
from projections.quality import PROJECTION
from schemas import parse_command
from schemas.registry import area_of_stream

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

_INSPECTED = {"sku": "SKU-Q", "stage": "incoming"}
_COMPLAINT = {"customer_id": "CUS-1", "channel": "email", "severity": "high", "description": "it leaks"}
_HISTORY: list[tuple[str, dict[str, Any]]] = [
    ("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
    ("register-supplier", {"supplier_id": "SUP-A", "name": "A"}),
    ("register-supplier", {"supplier_id": "SUP-B", "name": "B"}),
    ("register-product", {"sku": "SKU-Q", "name": "Q", "uom": "ea", "category": "q",
                          "requires_inspection": True}),
    ("register-product", {"sku": "SKU-C", "name": "C", "uom": "ea", "category": "c"}),
    ("register-customer", {"customer_id": "CUS-1", "name": "Cus"}),
    ("register-team", {"team_id": "north", "name": "North"}),
    ("receive-stock", {"receipt_id": "R-1", "sku": "SKU-Q", "location_id": "WH-A", "qty": "100",
                       "lot_id": "L-1", "supplier_id": "SUP-A"}),
    ("receive-stock", {"receipt_id": "R-2", "sku": "SKU-Q", "location_id": "WH-A", "qty": "50",
                       "supplier_id": "SUP-B"}),
    ("receive-stock", {"receipt_id": "R-3", "sku": "SKU-C", "location_id": "WH-A", "qty": "500"}),
    ("record-inspection", {**_INSPECTED, "inspection_id": "I-1", "lot_id": "L-1", "sample_size": 32,
                           "defective_units": 3, "disposition": "reject",
                           "defects": [{"category": "scratch", "count": 2},
                                       {"category": "scratch", "count": 1},
                                       {"category": "dent", "count": 1}]}),
    ("record-inspection", {**_INSPECTED, "inspection_id": "I-2", "lot_id": "R-2", "sample_size": 30,
                           "defective_units": 0, "disposition": "accept"}),
    ("record-inspection", {"inspection_id": "I-3", "lot_id": "L-7", "sku": "SKU-C", "stage": "final",
                           "supplier_id": "SUP-B", "sample_size": 8, "defective_units": 2,
                           "disposition": "rework", "defects": [{"category": "crack", "count": 2}]}),
    ("place-order", {"order_id": "SO-1", "customer_id": "CUS-1", "channel": "online", "team_id": "north",
                     "currency": "EUR", "fulfil_from": "WH-A",
                     "lines": [{"line_no": 1, "sku": "SKU-C", "qty": "40", "unit_price": "2"},
                               {"line_no": 2, "sku": "SKU-C", "qty": "2.5", "unit_price": "2"}]}),
    ("ship-order", {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "30"}]}),
    ("ship-order", {"order_id": "SO-1", "shipment_id": "SH-2",
                    "lines": [{"line_no": 1, "qty": "10"}, {"line_no": 2, "qty": "2.5"}]}),
    ("file-complaint", {**_COMPLAINT, "complaint_id": "C-1", "category": "leak", "sku": "SKU-C"}),
    ("file-complaint", {**_COMPLAINT, "complaint_id": "C-2", "category": "late"}),
    ("acknowledge-complaint", {"complaint_id": "C-1"}),
]  # fmt: skip


def _facts() -> list[Fact]:
    """The history decided by the handlers, as a projector would be handed it, in log order."""
    state = WriteModel()
    versions: dict[str, int] = defaultdict(int)
    facts: list[Fact] = []
    for n, (name, body) in enumerate(_HISTORY):
        at = T0 + timedelta(hours=n)
        for event in decide(state, parse_command(name, {**body, "occurred_at": at.isoformat()})):
            evolve(state, event)
            stream = event.stream()
            versions[stream] += 1
            envelope = Envelope(
                id=f"ev-{len(facts)}",
                type=event.type,
                schema_version=event.schema_version,
                stream=stream,
                version=versions[stream],
                occurred_at=at,
                recorded_at=at + timedelta(seconds=1),
                actor="tester",
                correlation_id=f"cmd-{n}",
                causation_id=f"cmd-{n}",
                idempotency_key=None,
                prevhash="",
                hash="",
                data=event.data(),
            )
            facts.append(Fact(f"t.{area_of_stream(stream)}", 0, len(facts), envelope, event))
    return facts


FACTS = _facts()


@pytest.fixture
async def conn(pg_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    connection: asyncpg.Connection[Any] = await asyncpg.connect(pg_dsn)
    yield connection
    await connection.close()


async def _project(conn: asyncpg.Connection[Any], batches: Sequence[Sequence[Fact]]) -> dict[str, list[Any]]:
    """Apply ``batches`` into a fresh schema, a transaction each, and read every table back."""
    schema = f"test_quality_{uuid.uuid4().hex[:12]}"
    await conn.execute(f"CREATE SCHEMA {q(schema)}")
    try:
        await conn.execute(PROJECTION.ddl(schema))
        for batch in batches:
            async with conn.transaction():
                await PROJECTION.apply(conn, schema, batch)
        tables = await conn.fetch(
            "SELECT table_name, count(*) AS columns FROM information_schema.columns "
            "WHERE table_schema = $1 GROUP BY table_name",
            schema,
        )
        contents: dict[str, list[Any]] = {}
        for table in tables:
            order = ", ".join(str(i) for i in range(1, table["columns"] + 1))
            rows = await conn.fetch(f"SELECT * FROM {q(schema, table['table_name'])} ORDER BY {order}")
            contents[table["table_name"]] = [tuple(row) for row in rows]
        return contents
    finally:
        await conn.execute(f"DROP SCHEMA {q(schema)} CASCADE")


def _interleaved(facts: list[Fact], keys: list[int]) -> list[Fact]:
    """Another log order: streams shuffled against each other, each stream still in order."""
    slots = sorted(range(len(facts)), key=lambda i: (keys[i], i))
    queues: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        queues[fact.envelope.stream].append(fact)
    taken: dict[str, int] = defaultdict(int)
    order: list[Fact] = []
    for slot in slots:
        stream = facts[slot].envelope.stream
        order.append(queues[stream][taken[stream]])
        taken[stream] += 1
    return order


def _split(facts: list[Fact], cuts: set[int]) -> list[list[Fact]]:
    edges = [0, *sorted(cuts), len(facts)]
    return [facts[a:b] for a, b in itertools.pairwise(edges) if a < b]


async def test_the_history_fills_every_table(conn: asyncpg.Connection[Any]) -> None:
    tables = await _project(conn, [FACTS])
    assert {name: len(rows) for name, rows in tables.items()} == {
        "inspections": 3,
        "inspection_defects": 3,  # I-1 scratch (2 + 1) and dent, I-3 crack
        "receipts": 2,  # name a supplier
        "quarantines": 2,
        "shipped_lines": 3,
        "complaints": 2,
    }
    assert ("I-1", "scratch", 3) in tables["inspection_defects"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(st.integers(0, 50), min_size=len(FACTS), max_size=len(FACTS)),
    cuts=st.sets(st.integers(1, len(FACTS) - 1)),
    again=st.integers(0, len(FACTS)),
)
async def test_any_batches_any_interleaving_and_a_batch_delivered_twice_give_the_same_tables(
    conn: asyncpg.Connection[Any], keys: list[int], cuts: set[int], again: int
) -> None:
    expected = await _project(conn, [FACTS])
    batches = _split(_interleaved(FACTS, keys), cuts)
    redelivered = batches[again % len(batches)]
    assert await _project(conn, [*batches, redelivered]) == expected
