"""The customers projection on a real PostgreSQL: one row per fact, the same tables for any
split of the facts into batches, any interleaving of streams and any fact delivered twice, and
the KPI functions the plan's scorecard shares, worked out by hand from
``tests.support.customers_history``."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact, q
from projections import customers
from projections.customers import PROJECTION
from tests.support import projecting
from tests.support.customers_history import HISTORY
from tests.support.projecting import facts_from, interleaved

TABLES = ("follow_ups", "customers", "orders", "order_moves", "complaints", "complaint_turns")
FACTS = facts_from((datetime.fromisoformat(body.get("occurred_at", "2026-07-01T00:00:00Z")), name, body)
                   for name, body in HISTORY)  # fmt: skip


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def project(dsn: str, batches: list[list[Fact]]) -> dict[str, list[str]]:
    return await projecting.project(dsn, PROJECTION, batches)


@pytest.fixture(scope="module")
async def reference(pg_dsn: str) -> dict[str, list[str]]:
    contents = await project(pg_dsn, [FACTS])
    assert set(contents) == set(TABLES)
    return contents


def rows(reference: dict[str, list[str]], table: str) -> list[dict[str, Any]]:
    return [json.loads(text, parse_float=Decimal) for text in reference[table]]


async def test_one_batch_copies_each_fact_once(reference: dict[str, list[str]]) -> None:
    assert len(rows(reference, "follow_ups")) == 11
    segments = {r["customer_id"]: r["segment"] for r in rows(reference, "customers")}
    assert segments == {"CUS-A": "retail", "CUS-B": "retail", "CUS-C": "wholesale", "CUS-D": None,
                        "CUS-E": "wholesale", "CUS-F": "retail", "CUS-G": "wholesale"}  # fmt: skip
    ordered = {r["order_id"]: (r["customer_id"], str(r["ordered"])) for r in rows(reference, "orders")}
    assert ordered["SO-C1"] == ("CUS-C", "5")
    assert len(ordered) == 8
    moves = sorted((r["order_id"], r["kind"], str(r["figure"])) for r in rows(reference, "order_moves"))
    assert moves == [
        ("SO-A1", "shipped", "20.00"),
        ("SO-A2", "returned", "10.00"),
        ("SO-A2", "shipped", "30.00"),
        ("SO-B1", "shipped", "10.00"),
        ("SO-B2", "cancelled", "1"),
        ("SO-C1", "cancelled", "3"),
        ("SO-C1", "shipped", "35.98"),
        ("SO-E1", "cancelled", "1"),
        ("SO-F1", "shipped", "10.00"),
    ]
    turns = sorted((r["complaint_id"], r["state"]) for r in rows(reference, "complaint_turns"))
    assert turns == [("CMP-A1", "reopened"), ("CMP-A1", "resolved"), ("CMP-A2", "resolved")]
    assert len(rows(reference, "complaints")) == 3


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cuts=st.sets(st.integers(1, len(FACTS) - 1), max_size=8),
    priority=st.lists(st.integers(0, 1000), min_size=len(FACTS), max_size=len(FACTS)),
    again=st.sets(st.integers(0, len(FACTS) - 1), max_size=4),
)
async def test_any_split_order_and_redelivery_yields_the_same_tables(
    pg_dsn: str, reference: dict[str, list[str]], cuts: set[int], priority: list[int], again: set[int]
) -> None:
    facts = interleaved(FACTS, priority)
    bounds = [0, *sorted(cuts), len(facts)]
    batches = [facts[start:end] for start, end in itertools.pairwise(bounds)]
    # A redelivered fact arrives again after the batch that held it was committed.
    batches += [[FACTS[i] for i in sorted(again)]] if again else []
    assert await project(pg_dsn, batches) == reference


@pytest.fixture(scope="module")
async def projected(pg_dsn: str) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """The history projected into a schema of its own, kept for the module's queries."""
    schema = f"rm_test_customers_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(PROJECTION.ddl(schema))
        async with conn.transaction():
            await PROJECTION.apply(conn, schema, FACTS)
        yield conn, schema
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()


Q3, Q4 = (utc("2026-07-01"), utc("2026-10-01")), (utc("2026-10-01"), utc("2027-01-01"))
OCT, NOV, DEC = (
    (utc("2026-10-01"), utc("2026-11-01")),
    (utc("2026-11-01"), utc("2026-12-01")),
    (utc("2026-12-01"), utc("2027-01-01")),
)


async def test_the_scorecard_kpis_are_the_figures_of_their_window(
    projected: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = projected
    # Q4: csat 4 1 5 (Oct) 5 2 4 3 (Nov): 24 / 7 = 3.4285..; nps over 6 7 0 10 3 8 9 9: 3 - 3.
    assert await customers.csat_avg(conn, schema, *Q4) == Decimal("3.43")
    assert await customers.nps(conn, schema, *Q4) == Decimal("0.00")
    assert await customers.csat_avg(conn, schema, *OCT) == Decimal("3.33")
    assert await customers.nps(conn, schema, *OCT) == Decimal("-66.67")
    assert await customers.nps(conn, schema, *NOV) == Decimal("25.00")
    assert await customers.csat_avg(conn, schema, *DEC) is None  # nps answers only
    assert await customers.nps(conn, schema, *DEC) == Decimal("100.00")
    assert await customers.nps(conn, schema, utc("2027-01-01"), utc("2027-02-01")) is None
    assert await customers.repeat_rate_pct(conn, schema, *NOV) == Decimal("50.00")
    assert await customers.repeat_rate_pct(conn, schema, *OCT) == Decimal("0.00")
    assert await customers.repeat_rate_pct(conn, schema, *Q4) == Decimal("25.00")
    assert await customers.repeat_rate_pct(conn, schema, *DEC) is None
    assert await customers.repeat_rate_pct(conn, schema, *Q3) == Decimal("0.00")  # F, then A: both new


async def test_retention_across_period_boundaries(projected: tuple[asyncpg.Connection, str]) -> None:
    conn, schema = projected

    async def figures(start: datetime, end: datetime, previous: datetime) -> tuple[object, ...]:
        r = await customers.retention(conn, schema, start=start, end=end, previous_start=previous)
        return (r.active, r.new, r.returning, r.lapsed, r.repeat_rate_pct)

    assert await figures(*NOV, OCT[0]) == (2, 1, 1, 2, Decimal("50.00"))
    assert await figures(*OCT, utc("2026-09-01")) == (2, 2, 0, 1, Decimal("0.00"))
    assert await figures(*Q4, Q3[0]) == (4, 3, 1, 1, Decimal("25.00"))
    assert await figures(*DEC, NOV[0]) == (0, 0, 0, 2, None)
    # SO-D1 at 23:59:59 is October's; SO-A2 at 11-01 00:00 is November's.
    assert await figures(utc("2026-10-31T23:59:59"), NOV[0], OCT[0]) == (1, 1, 0, 1, Decimal("0.00"))


def test_the_previous_period_is_named_as_the_period_is() -> None:
    assert [customers.previous_period(p) for p in ("2026-11", "2026-01", "2026-Q2", "2026-Q1", "2026")] == [
        "2026-10",
        "2025-12",
        "2026-Q1",
        "2025-Q4",
        "2025",
    ]
