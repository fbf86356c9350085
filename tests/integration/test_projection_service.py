"""The service projection on a real PostgreSQL: the same facts give the same tables whatever
the batches, however streams interleave, and when facts are delivered twice.

Facts are made by deciding commands with the handlers (as the writer does) and sealing the
events into envelopes; the catalog's customer registration rides along and must be ignored.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import WriteModel, decide, evolve
from ledger.config import DEFAULT_SLA_HOURS
from ledger.envelope import Envelope
from ledger.store import Fact, q
from projections.service import PROJECTION, Filters, complaints
from schemas.base import Command
from schemas.catalog import RegisterCustomer
from schemas.service import AcknowledgeComplaint, FileComplaint, ReopenComplaint, ResolveComplaint

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
R = TypeVar("R")


def _commands() -> list[tuple[Command, timedelta]]:
    def file(cid: str, severity: Any, **extra: Any) -> FileComplaint:
        return FileComplaint(
            complaint_id=cid,
            customer_id="CUS-1",
            channel="chat",
            category="late",
            severity=severity,
            description="late again",
            **extra,
        )

    hours = timedelta(hours=1)
    return [
        (RegisterCustomer(customer_id="CUS-1", name="Northwind"), 0 * hours),
        (file("C-1", "critical", lot_id="L-1"), 0 * hours),
        (file("C-2", "high"), 1 * hours),
        (AcknowledgeComplaint(complaint_id="C-1"), 2 * hours),
        (file("C-3", "low"), 2 * hours),
        (ResolveComplaint(complaint_id="C-2", resolution="refund"), 3 * hours),
        (ResolveComplaint(complaint_id="C-1", resolution="replaced"), 4 * hours),
        (ReopenComplaint(complaint_id="C-2", reason="refund missing"), 5 * hours),
        (AcknowledgeComplaint(complaint_id="C-2"), 6 * hours),
        (ResolveComplaint(complaint_id="C-2", resolution="refunded"), 90 * hours),
        (file("C-4", "medium"), 91 * hours),
        (ResolveComplaint(complaint_id="C-3", resolution="apology"), 1 * hours),  # before its filing
        (file("C-5", "medium"), 100 * hours),
        (ResolveComplaint(complaint_id="C-5", resolution="fixed"), 101 * hours),
        (ReopenComplaint(complaint_id="C-5", reason="broke again"), 103 * hours),
        (ResolveComplaint(complaint_id="C-5", resolution="fixed again"), 102 * hours),  # back-dated
    ]


def _facts() -> list[Fact]:
    """Every fact in log order, each topic's offsets counting up."""
    state, heads, offsets = WriteModel(), dict[str, tuple[int, str]](), dict[str, int]()
    facts = []
    for command, after in _commands():
        when = T0 + after
        for event in decide(state, command.model_copy(update={"occurred_at": when})):
            evolve(state, event)
            stream = event.stream()
            version, prevhash = heads.get(stream, (0, ""))
            envelope = Envelope(
                id=str(uuid.uuid4()),
                type=event.type,
                schema_version=event.schema_version,
                stream=stream,
                version=version + 1,
                occurred_at=when,
                recorded_at=when,
                actor="tester",
                correlation_id="c",
                causation_id="c",
                idempotency_key=None,
                prevhash=prevhash,
                hash="",
                data=event.data(),
            ).sealed()
            heads[stream] = (envelope.version, envelope.hash)
            topic = "t.service" if stream.startswith("complaint:") else "t.catalog"
            offsets[topic] = offsets.get(topic, -1) + 1
            facts.append(Fact(topic, 0, offsets[topic], envelope, event))
    return facts


FACTS = _facts()


def _run(coroutine: Coroutine[Any, Any, R]) -> R:
    """Runs on a loop of its own: hypothesis drives plain functions, not coroutines."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


async def _project(dsn: str, batches: Sequence[Sequence[Fact]]) -> dict[str, list[str]]:
    """Applies each batch in a transaction of its own into a fresh schema; every table's rows."""
    schema = f"svc_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(PROJECTION.ddl(schema))
        for batch in batches:
            async with conn.transaction():
                await PROJECTION.apply(conn, schema, batch)
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
        contents = {}
        for table in sorted(t["table_name"] for t in tables):
            rows = await conn.fetch(f"SELECT * FROM {q(schema, table)}")
            contents[table] = sorted(repr(tuple(r.values())) for r in rows)
        return contents
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()


@st.composite
def deliveries(draw: st.DrawFn) -> list[list[Fact]]:
    """The facts interleaved across streams (each stream still in order), cut into batches,
    and maybe with a run of them delivered a second time at the end."""
    streams = [f.envelope.stream for f in FACTS]
    order = draw(st.permutations(streams))
    queues: dict[str, list[Fact]] = {}
    for fact in FACTS:
        queues.setdefault(fact.envelope.stream, []).append(fact)
    sequence = [queues[stream].pop(0) for stream in order]
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(sequence) - 1), max_size=6)))
    batches = [sequence[a:b] for a, b in zip([0, *cuts], [*cuts, len(sequence)], strict=True)]
    if draw(st.booleans()):
        start = draw(st.integers(min_value=0, max_value=len(sequence) - 1))
        batches.append(sequence[start:])
    return batches


@functools.cache
def _reference(dsn: str) -> dict[str, list[str]]:
    """The tables from all facts in one batch, in log order."""
    return _run(_project(dsn, [FACTS]))


def test_the_scenario_fills_both_tables(pg_dsn: str) -> None:
    tables = _reference(pg_dsn)
    assert len(tables["complaints"]) == 5
    assert len(tables["transitions"]) == 10


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=deliveries())
def test_any_batches_interleaving_and_redelivery_give_the_same_tables(
    pg_dsn: str, batches: list[list[Fact]]
) -> None:
    assert _run(_project(pg_dsn, batches)) == _reference(pg_dsn)


async def _judged(dsn: str, as_of: datetime) -> dict[str, dict[str, Any]]:
    schema = f"svc_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(PROJECTION.ddl(schema))
        await PROJECTION.apply(conn, schema, FACTS)
        rows = await complaints(
            conn, schema, as_of=as_of, sla=DEFAULT_SLA_HOURS, filters=Filters(), limit=100
        )
        return {row["complaint_id"]: row for row in rows}
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()


def test_back_dated_events_neither_run_clocks_backwards_nor_reorder_the_stream(pg_dsn: str) -> None:
    hours = timedelta(hours=1)
    final = _run(_judged(pg_dsn, T0 + 200 * hours))
    # C-3 was resolved "before" it was filed: that counts as at its filing.
    c3 = final["C-3"]
    assert (c3["status"], c3["first_response_at"], c3["resolved_at"]) == (
        "resolved",
        T0 + 2 * hours,
        T0 + 2 * hours,
    )
    assert (c3["first_response_hours"], c3["resolution_hours"]) == (Decimal("0.00"), Decimal("0.00"))
    # C-5: resolved, reopened, then resolved again with a time before the reopening. Stream
    # order decides the status, as the write model did: resolved, at the back-dated time.
    c5 = final["C-5"]
    assert (c5["status"], c5["resolved_at"], c5["resolution_hours"]) == (
        "resolved",
        T0 + 102 * hours,
        Decimal("2.00"),
    )
    # C-2: filed at 1 h, answered by its first resolution at 3 h, resolved for good at 90 h
    c2 = final["C-2"]
    assert (c2["first_response_hours"], c2["resolution_hours"]) == (Decimal("2.00"), Decimal("89.00"))
    assert (c2["breached_response"], c2["breached_resolution"]) == (False, True)

    # Half way through C-5's story: the reopening (103 h) has not happened yet.
    middle = _run(_judged(pg_dsn, T0 + 102 * hours + timedelta(minutes=30)))
    assert (middle["C-5"]["status"], middle["C-5"]["resolved_at"]) == ("resolved", T0 + 102 * hours)
    early = _run(_judged(pg_dsn, T0 + 101 * hours + timedelta(minutes=30)))
    assert (early["C-5"]["status"], early["C-5"]["resolved_at"]) == ("resolved", T0 + 101 * hours)
