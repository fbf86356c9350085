"""The fulfilment projection on a real PostgreSQL: one row per fact, and the same tables for any
split of the facts into batches, any interleaving of streams and any fact delivered twice."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact
from projections.fulfilment import PROJECTION
from tests.support import projecting
from tests.support.fulfilment_history import HISTORY
from tests.support.projecting import facts_from, interleaved

TABLES = ("orders", "order_lines", "shipments", "cancellations", "deliveries")
FACTS = facts_from((datetime.fromisoformat(body.get("occurred_at", "2026-08-01T00:00:00Z")), name, body)
                   for name, body in HISTORY)  # fmt: skip


async def project(dsn: str, batches: list[list[Fact]]) -> dict[str, list[str]]:
    return await projecting.project(dsn, PROJECTION, batches)


@pytest.fixture(scope="module")
async def reference(pg_dsn: str) -> dict[str, list[str]]:
    contents = await project(pg_dsn, [FACTS])
    assert set(contents) == set(TABLES)
    return contents


def rows(reference: dict[str, list[str]], table: str) -> list[dict[str, Any]]:
    return [json.loads(text, parse_float=Decimal) for text in reference[table]]


async def test_one_batch_copies_each_fact_of_the_order_streams_once(reference: dict[str, list[str]]) -> None:
    orders = {r["order_id"]: r["promised_at"] for r in rows(reference, "orders")}
    assert orders["SO-8"] is None
    assert orders["SO-2"].startswith("2026-09-05T12:00:00")
    assert len(orders) == 8
    assert len(rows(reference, "order_lines")) == 10
    shipped = sorted(
        (r["order_id"], r["shipment_id"], r["line_no"], str(r["qty"])) for r in rows(reference, "shipments")
    )
    assert shipped == [
        ("SO-1", "SH-1", 1, "5"),
        ("SO-2", "SH-2a", 1, "4"),
        ("SO-2", "SH-2b", 2, "2"),
        ("SO-3", "SH-3", 1, "6"),
        ("SO-5", "SH-5", 1, "1"),
        ("SO-7", "SH-7", 1, "2"),
        ("SO-8", "SH-8", 1, "1"),
    ]
    cancelled = sorted((r["order_id"], r["line_no"], str(r["qty"])) for r in rows(reference, "cancellations"))
    assert cancelled == [("SO-3", 1, "4"), ("SO-3", 2, "3"), ("SO-4", 1, "1")]
    delivered = sorted((r["order_id"], r["shipment_id"]) for r in rows(reference, "deliveries"))
    assert delivered == [("SO-1", "SH-1"), ("SO-2", "SH-2a"), ("SO-2", "SH-2b"), ("SO-3", "SH-3"),
                         ("SO-7", "SH-7"), ("SO-8", "SH-8")]  # fmt: skip


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
