"""The plan's objectives in the sales projection on a real PostgreSQL: one row per objective
fact, and the same table
for any split of the facts into batches, any interleaving of streams and any fact delivered
twice; the objectives in force at a time read back from it."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact, q
from projections.plans import Selection, objectives
from projections.sales import PROJECTION
from tests.support import projecting
from tests.support.plans_story import PLAN
from tests.support.projecting import facts_from, interleaved

FACTS = facts_from((datetime.fromisoformat(body["occurred_at"]), name, body) for name, body in PLAN)


async def project(dsn: str, batches: list[list[Fact]]) -> dict[str, list[str]]:
    return await projecting.project(dsn, PROJECTION, batches)


@pytest.fixture(scope="module")
async def reference(pg_dsn: str) -> dict[str, list[str]]:
    contents = await project(pg_dsn, [FACTS])
    assert "objective_events" in contents
    assert [table for table, rows in contents.items() if rows] == ["objective_events"]
    return contents


async def test_one_row_per_objective_fact(reference: dict[str, list[str]]) -> None:
    rows = [json.loads(text, parse_float=Decimal) for text in reference["objective_events"]]
    assert len(rows) == len(PLAN)
    versions = sorted((r["objective_id"], r["version"], r["retired"], r["target"]) for r in rows if
                      r["objective_id"] in ("RP-1", "RT-1"))  # fmt: skip
    assert versions == [
        ("RP-1", 1, False, 100),
        ("RP-1", 2, False, 400),
        ("RT-1", 1, False, 1),
        ("RT-1", 2, True, None),
    ]


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
    batches += [[FACTS[i] for i in sorted(again)]] if again else []
    assert await project(pg_dsn, batches) == reference


async def test_the_latest_version_by_then_is_in_force_even_when_back_dated(pg_dsn: str) -> None:
    """A later set-objective with an earlier business time still replaces the earlier one from
    its own business time on: stream order decides, never the order of times."""

    def body(title: str, horizon: str, period: str) -> dict[str, str]:
        return {"objective_id": "B-1", "title": title, "horizon": horizon, "period": period, "kpi": "nps",
                "target": "1"}  # fmt: skip

    plan = [
        (datetime(2025, 3, 1, tzinfo=UTC), "set-objective", body("first", "short", "2025-03")),
        (datetime(2025, 2, 1, tzinfo=UTC), "set-objective", body("second", "long", "2025")),
    ]
    schema = f"rm_test_objectives_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f"CREATE SCHEMA {q(schema)}")
        await conn.execute(PROJECTION.ddl(schema))
        await PROJECTION.apply(conn, schema, facts_from(plan))

        async def titles(at: datetime, **selection: str) -> list[str]:
            found = await objectives(conn, schema, as_of=at, selection=Selection(**selection), limit=None)
            return [o.title for o in found]

        assert await titles(datetime(2025, 1, 1, tzinfo=UTC)) == []
        assert await titles(datetime(2025, 2, 15, tzinfo=UTC)) == ["second"]
        assert await titles(datetime(2025, 3, 15, tzinfo=UTC)) == ["second"]
        assert await titles(datetime(2025, 3, 15, tzinfo=UTC), horizon="short") == []
        assert await titles(datetime(2025, 3, 15, tzinfo=UTC), period="2025") == ["second"]
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
        await conn.close()
