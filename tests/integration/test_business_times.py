"""Whatever the ledger accepts, every reader can take back and every read model can use.

Hypothesis draws a small company's dealings (products, stock, an inspection, an order
shipped, returned and cancelled, sales targets, a complaint's whole life) with a business
time for every command anywhere in the window [EARLIEST_TIME, LATEST_TIME), its edges
included, spelled in odd offsets (so an instant inside the window may read 1899 or 3000),
and free text, any printable Unicode, wherever a command takes it. The real writer appends
what it accepts to the real PostgreSQL log. Every event read back must then:

- decode as the projectors decode it, and round-trip CloudEvents binary and structured mode
  and the export line, byte for byte in its canonical form;
- verify clean (schemas, versions, hash chains, placement) in log order;
- be applied by every projection, each batch in a transaction as the runtime does (an
  exception here is what the runtime would park);
- and survive what the read models compute from business times: SLA due times at the longest
  clock, buckets and periods in the time zones furthest from UTC, ``as_of`` at the edges.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import projections
from ledger import cloudevents
from ledger.audit.exchange import encode_line, parse_line
from ledger.audit.verify import Verification
from ledger.config import DEFAULT_SLA_HOURS, MAX_SLA_HOURS
from ledger.envelope import Envelope
from ledger.log import Position
from ledger.log.postgres import PostgresLog
from ledger.log.topology import Topology
from ledger.projector.decoding import decode
from ledger.store import Fact, q
from ledger.writer import CommandResult, Writer
from projections import quality, sales, service
from projections.inventory.queries import levels
from schemas.planning import SalesTargetSet
from schemas.types import EARLIEST_TIME, LATEST_TIME
from tests.support.commands import request

pytestmark = [pytest.mark.postgres]

LAST_TIME = LATEST_TIME - timedelta(microseconds=1)
ZONES = ("UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu", "America/St_Johns")
"""UTC+14, UTC-12 (the zones furthest apart) and two offsets that are not whole hours."""
OFFSETS = [
    timedelta(0),
    timedelta(hours=14),
    timedelta(hours=-12),
    timedelta(hours=5, minutes=45),
    timedelta(hours=-3, minutes=-30),
    timedelta(minutes=1),
    timedelta(minutes=-1),
    timedelta(hours=23, minutes=59),
    timedelta(hours=-23, minutes=-59),
]
LONGEST_SLA = dict.fromkeys(DEFAULT_SLA_HOURS, (MAX_SLA_HOURS, MAX_SLA_HOURS))


# -- what is drawn ----------------------------------------------------------------------------


def _instants() -> st.SearchStrategy[datetime]:
    span = (LATEST_TIME - EARLIEST_TIME) // timedelta(microseconds=1)
    anywhere = st.integers(0, span - 1).map(lambda us: EARLIEST_TIME + timedelta(microseconds=us))
    near_edges = st.integers(0, 10**9).flatmap(
        lambda us: st.sampled_from(
            [EARLIEST_TIME + timedelta(microseconds=us), LAST_TIME - timedelta(microseconds=us)]
        )
    )
    return st.one_of(st.sampled_from([EARLIEST_TIME, LAST_TIME]), near_edges, anywhere)


def business_times() -> st.SearchStrategy[str]:
    """RFC 3339 text of an instant in the window, in an odd offset."""
    return st.builds(
        lambda instant, offset: instant.astimezone(timezone(offset)).isoformat(),
        _instants(),
        st.sampled_from(OFFSETS),
    )


def free_texts(max_size: int = 500) -> st.SearchStrategy[str]:
    printable = st.characters(exclude_categories=("Cc", "Cs"))
    return st.text(printable, min_size=1, max_size=max_size).filter(lambda text: bool(text.strip()))


def periods() -> st.SearchStrategy[str]:
    year = st.integers(1900, 2999).map(str)
    return st.one_of(
        year,
        st.builds(lambda y, m: f"{y}-{m:02d}", year, st.integers(1, 12)),
        st.builds(lambda y, q_: f"{y}-Q{q_}", year, st.integers(1, 4)),
    )


@dataclass
class Dealings:
    """One company's commands, in the order they are sent."""

    commands: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


@st.composite
def dealings(draw: st.DrawFn) -> Dealings:
    x = uuid.uuid4().hex[:10]  # every example its own streams
    text = free_texts()
    sku, lot, order, complaint = f"SKU-{x}", f"LOT-{x}", f"SO-{x}", f"C-{x}"
    wh, store, customer, team, supplier = f"WH-{x}", f"ST-{x}", f"CUS-{x}", f"T-{x}", f"SUP-{x}"
    category = draw(text)
    defects = draw(st.lists(free_texts(40), max_size=3, unique_by=str.strip))
    line = {"line_no": 1, "sku": sku, "qty": "10", "unit_price": "12.50", "discount_pct": "10"}
    returned = {"line_no": 1, "qty": "1", "condition": draw(st.sampled_from(["resaleable", "damaged"]))}
    commands: list[tuple[str, dict[str, Any]]] = [
        ("register-location", {"location_id": wh, "name": draw(text), "kind": "warehouse"}),
        ("register-location", {"location_id": store, "name": draw(text), "kind": "store"}),
        (
            "register-product",
            {
                "sku": sku,
                "name": draw(text),
                "uom": "ea",
                "category": category,
                "unit_price": "12.50",
                "reorder_point": "5",
                "reorder_qty": "10",
                "requires_inspection": draw(st.booleans()),
            },
        ),
        ("register-supplier", {"supplier_id": supplier, "name": draw(text)}),
        ("register-customer", {"customer_id": customer, "name": draw(text), "segment": "retail"}),
        ("register-team", {"team_id": team, "name": draw(text), "channel": "online"}),
        (
            "receive-stock",
            {"receipt_id": f"R1-{x}", "sku": sku, "location_id": wh, "qty": "100", "lot_id": lot,
             "supplier_id": supplier, "unit_cost": "3.20"},
        ),
        (
            "record-inspection",
            {"inspection_id": f"Q-{x}", "lot_id": lot, "sku": sku, "location_id": wh, "stage": "incoming",
             "sample_size": 20, "defective_units": len(defects),
             "defects": [{"category": d, "count": 1} for d in defects],
             "disposition": draw(st.sampled_from(["accept", "rework", "reject"]))},
        ),
        ("receive-stock", {"receipt_id": f"R2-{x}", "sku": sku, "location_id": wh, "qty": "50"}),
        (
            "record-inspection",
            {"inspection_id": f"Q2-{x}", "lot_id": f"R2-{x}", "sku": sku, "stage": "incoming",
             "sample_size": 5, "defective_units": 0, "disposition": "accept"},
        ),
        (
            "transfer-stock",
            {"transfer_id": f"TR-{x}", "sku": sku, "from_location": wh, "to_location": store, "qty": "5"},
        ),
        (
            "adjust-stock",
            {"adjustment_id": f"A-{x}", "sku": sku, "location_id": store, "counted_qty": "3",
             "reason": draw(text)},
        ),
        (
            "issue-stock",
            {"issue_id": f"I-{x}", "sku": sku, "location_id": wh, "qty": "1", "reason": "sample"},
        ),
        (
            "place-order",
            {"order_id": order, "customer_id": customer, "channel": "online", "team_id": team,
             "currency": "EUR", "fulfil_from": wh, "lines": [line]},
        ),
        ("ship-order", {"order_id": order, "shipment_id": f"SH-{x}", "lines": [{"line_no": 1, "qty": "4"}]}),
        ("return-order", {"order_id": order, "return_id": f"RT-{x}", "lines": [returned]}),
        ("cancel-order", {"order_id": order, "reason": draw(text)}),
        (
            "set-sales-target",
            {"period": draw(periods()), "dimension": "category", "key": category, "amount": "1000"},
        ),
        ("set-sales-target", {"period": draw(periods()), "dimension": "team", "key": team, "amount": "500"}),
        (
            "file-complaint",
            {"complaint_id": complaint, "customer_id": customer, "channel": "email", "category": draw(text),
             "severity": draw(st.sampled_from(["low", "medium", "high", "critical"])),
             "description": draw(text), "order_id": order, "sku": sku, "lot_id": lot},
        ),
        ("acknowledge-complaint", {"complaint_id": complaint}),
        ("resolve-complaint", {"complaint_id": complaint, "resolution": draw(text)}),
        ("reopen-complaint", {"complaint_id": complaint, "reason": draw(text)}),
        ("resolve-complaint", {"complaint_id": complaint, "resolution": draw(text)}),
    ]  # fmt: skip
    at = business_times()
    return Dealings([(name, {**body, "occurred_at": draw(at)}) for name, body in commands])


# -- the ledger they go through ---------------------------------------------------------------


@dataclass
class Ledger:
    log: PostgresLog
    writer: Writer
    conn: asyncpg.Connection
    schemas: dict[str, str]
    verification: Verification = field(default_factory=Verification)
    read_up_to: Position = field(default_factory=Position.empty)


@pytest.fixture
async def ledger(pg_dsn: str, prefix: str) -> AsyncIterator[Ledger]:
    log = PostgresLog(pg_dsn, Topology(prefix, 2), timeout=5)
    await log.start()
    writer = Writer(log)
    await writer.start()
    conn = await asyncpg.connect(pg_dsn)
    schemas = {p.name: f"rm_times_{p.name}_{uuid.uuid4().hex[:10]}" for p in projections.ALL}
    for projection in projections.ALL:
        await conn.execute(f"CREATE SCHEMA {q(schemas[projection.name])}")
        await conn.execute(projection.ddl(schemas[projection.name]))
    try:
        yield Ledger(log, writer, conn, schemas)
    finally:
        for schema in schemas.values():
            await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()
        await writer.stop()
        await log.close()


async def appended(ledger: Ledger) -> list[Fact]:
    """Every record after the last one read, up to the writer's position, decoded as the
    projectors decode it and checked as ``ledger verify`` checks it."""
    reader = await ledger.log.open_reader()
    facts: list[Fact] = []
    try:
        await reader.seek(ledger.read_up_to)
        while not reader.position.covers(ledger.writer.position):
            for record in await reader.read(max_records=1000, timeout=0.2):
                decoded = decode(record)
                assert not isinstance(decoded, Exception), (record, decoded)
                envelope, event = decoded
                ledger.verification.check_record(record, ledger.log)
                facts.append(Fact(record.topic, record.partition, record.offset, envelope, event))
        ledger.read_up_to = reader.position
    finally:
        await reader.close()
    assert ledger.verification.findings == [], [f.line() for f in ledger.verification.findings]
    return facts


def assert_round_trips(envelope: Envelope) -> None:
    binary = cloudevents.to_binary(envelope)
    assert cloudevents.from_binary(binary.headers, binary.value) == envelope
    structured = orjson.loads(orjson.dumps(cloudevents.to_structured(envelope)))
    assert cloudevents.from_structured(structured) == envelope
    assert parse_line(encode_line(envelope)) == envelope
    assert Envelope.from_dict(orjson.loads(orjson.dumps(envelope.to_dict()))) == envelope
    assert envelope.compute_hash() == envelope.hash


async def project(ledger: Ledger, facts: list[Fact]) -> None:
    for projection in projections.ALL:
        mine = [f for f in facts if f.topic.rsplit(".", 1)[1] in projection.areas]
        async with ledger.conn.transaction():
            await projection.apply(ledger.conn, ledger.schemas[projection.name], mine)


# -- what the read models compute from business times -----------------------------------------


async def read_models_survive(ledger: Ledger, facts: list[Fact]) -> None:
    conn, schemas = ledger.conn, ledger.schemas
    as_ofs = [EARLIEST_TIME, LAST_TIME, datetime.max.replace(tzinfo=UTC)]
    sku = next(
        f.envelope.stream.removeprefix("product:") for f in facts if f.envelope.type == "ProductRegistered"
    )
    for as_of in as_ofs:
        rows = await service.complaints(
            conn, schemas["service"], as_of=as_of, sla=LONGEST_SLA, filters=service.Filters(), limit=None
        )
        assert all(row["resolution_due_at"] > row["filed_at"] for row in rows)
        await levels(conn, schemas["inventory"], sku=sku, as_of=as_of)
    for zone in ZONES:
        for bucket in ("day", "week", "month"):
            await quality.trends(conn, schemas["quality"], quality.Filters(sku=sku), bucket, zone)
            await quality.complaint_rate(conn, schemas["quality"], sku, bucket, zone)
        for subgroup in ("inspection", "day", "week"):
            await quality.control_chart(conn, schemas["quality"], quality.Filters(sku=sku), subgroup, zone)
        await sales_survive(ledger, facts, ZoneInfo(zone), as_ofs)


async def sales_survive(ledger: Ledger, facts: list[Fact], zone: ZoneInfo, as_ofs: list[datetime]) -> None:
    schema = ledger.schemas["sales"]
    for fact in facts:
        if isinstance(fact.event, SalesTargetSet):
            start, end = sales.period_span(fact.event.period, zone)
            period = sales.Period(fact.event.period, start, end)
            for as_of in as_ofs:
                for basis in sales.BASES:
                    found = await sales.attainment_of(
                        ledger.conn, schema, period=period, dimension=fact.event.dimension, basis=basis,
                        as_of=as_of,
                    )  # fmt: skip
                    if as_of >= fact.envelope.occurred_at:
                        assert fact.event.key in {item.key for item in found}
        if fact.envelope.type in ("OrderPlaced", "OrderShipped", "OrderReturned", "OrderCancelled"):
            day = fact.envelope.occurred_at.astimezone(zone).date()
            first, end = max(day - timedelta(days=1), date(1900, 1, 1)), day + timedelta(days=2)
            await sales.daily(ledger.conn, schema, days=sales.business_days(first, end, zone))


# -- the property -----------------------------------------------------------------------------


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(company=dealings())
async def test_every_accepted_command_encodes_decodes_verifies_and_projects(
    ledger: Ledger, company: Dealings
) -> None:
    outcomes = await ledger.writer.submit_many([request(name, body) for name, body in company.commands])
    accepted = [outcome for outcome in outcomes if isinstance(outcome, CommandResult)]
    # The dealings are consistent, so whatever the business times and texts, all are taken.
    assert len(accepted) == len(company.commands), [o for o in outcomes if isinstance(o, Exception)]
    facts = await appended(ledger)
    assert sorted(f.envelope.id for f in facts) == sorted(e.id for r in accepted for e in r.events)
    for fact in facts:
        assert EARLIEST_TIME <= fact.envelope.occurred_at < LATEST_TIME
        assert_round_trips(fact.envelope)
    await project(ledger, facts)
    await read_models_survive(ledger, facts)
