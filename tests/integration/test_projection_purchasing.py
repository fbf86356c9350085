"""The purchasing projection on a real PostgreSQL: the same facts give the same tables however
they are split into batches, however the streams (PO, stock, lot) interleave, and when facts
are delivered again; what it keeps of other areas is only what the scorecard needs.

Facts are the purchasing story (``tests.support.purchasing_story``) decided by the handlers,
as the writer does; the catalog's registrations, quarantines, releases and rejections ride
along and must leave no trace.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact
from projections.purchasing import PROJECTION
from tests.support.projecting import facts_from, interleaved, project
from tests.support.purchasing_story import STORY, business_time

R = TypeVar("R")
FACTS: list[Fact] = facts_from((business_time(body), name, body) for name, body in STORY)


def _run(coroutine: Coroutine[Any, Any, R]) -> R:
    """On a loop of its own: hypothesis drives plain functions, not coroutines."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


async def test_the_story_fills_every_table_with_one_row_per_fact(pg_dsn: str) -> None:
    tables = await project(pg_dsn, PROJECTION, [FACTS])
    assert {name: len(rows) for name, rows in tables.items()} == {
        "orders": 7,
        "order_lines": 10,  # PO-1, PO-3 and PO-4 have two lines, the others one
        "receipts": 7,  # the receipts against PO lines
        "cancellations": 1,
        "cancelled_lines": 2,  # PO-3's remainders: 4 of line 1, 5 of line 2
        "lot_receipts": 9,  # every receipt names a supplier (R-8 and R-9 without a PO)
        "inspections": 4,  # I-1, I-2, I-5, I-6: I-4 is a final inspection
    }
    lots = {(row["lot_id"], row["supplier_id"]) for row in map(json.loads, tables["lot_receipts"])}
    assert {("L-B1", "SUP-B"), ("R-8", "SUP-A"), ("L-D1", "SUP-D"), ("R-1", "SUP-A")} <= lots
    cancelled = sorted((row["line_no"], row["qty"]) for row in map(json.loads, tables["cancelled_lines"]))
    assert cancelled == [(1, 4), (2, 5)]


def test_it_names_the_types_it_applies() -> None:
    assert PROJECTION.event_types == {
        "PurchaseOrderPlaced",
        "PurchaseOrderReceived",
        "PurchaseOrderCancelled",
        "StockReceived",
        "InspectionRecorded",
    }
    assert set(PROJECTION.areas) == {"purchasing", "inventory", "quality"}


@st.composite
def deliveries(draw: st.DrawFn) -> list[list[Fact]]:
    """The facts interleaved across streams (each stream in its order), cut into batches, and
    maybe a run of them, or one batch, delivered again."""
    order = interleaved(FACTS, draw(st.permutations(range(len(FACTS)))))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(order) - 1), max_size=8)))
    batches = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    again = draw(st.sampled_from(["nothing", "a batch", "a tail"]))
    if again == "a batch":
        batches.append(draw(st.sampled_from(batches)))
    elif again == "a tail":
        batches.append(order[draw(st.integers(min_value=0, max_value=len(order) - 1)) :])
    return batches


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=deliveries())
def test_any_batches_any_interleaving_and_facts_delivered_twice_give_the_same_tables(
    pg_dsn: str, batches: list[list[Fact]]
) -> None:
    expected = _run(project(pg_dsn, PROJECTION, [FACTS]))
    assert _run(project(pg_dsn, PROJECTION, batches)) == expected
