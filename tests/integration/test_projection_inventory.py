"""The inventory projection on a real PostgreSQL: the same facts, split into batches in any way,
delivered with streams interleaved in any order and some facts twice, yield the same tables."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.store import Fact
from projections.inventory import PROJECTION
from tests.support import projecting
from tests.support.projecting import facts_from, interleaved

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TABLES = ("movements", "levels", "products", "reorder_policies", "po_lines", "po_moves")

ORDER = {
    "customer_id": "CUS-1",
    "channel": "online",
    "team_id": "north",
    "currency": "EUR",
    "fulfil_from": "WH-A",
}

# (minutes after T0 in business time, command, body); some are back-dated on purpose.
COMMANDS: list[tuple[int, str, dict[str, Any]]] = [
    (0, "register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
    (0, "register-location", {"location_id": "WH-B", "name": "B", "kind": "store"}),
    (0, "register-customer", {"customer_id": "CUS-1", "name": "C"}),
    (0, "register-team", {"team_id": "north", "name": "N"}),
    (
        0,
        "register-product",
        {"sku": "SKU-1", "name": "W", "uom": "ea", "category": "c", "reorder_point": "5"},
    ),
    (
        0,
        "register-product",
        {"sku": "SKU-Q", "name": "V", "uom": "ea", "category": "c", "requires_inspection": True},
    ),
    (0, "register-supplier", {"supplier_id": "SUP-1", "name": "S"}),
    (
        10,
        "receive-stock",
        {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "100", "unit_cost": "2.00"},
    ),
    (
        20,
        "receive-stock",
        {
            "receipt_id": "R-2",
            "sku": "SKU-Q",
            "location_id": "WH-A",
            "qty": "8.25",
            "lot_id": "L-1",
            "unit_cost": "4.00",
        },
    ),
    (30, "set-reorder-policy", {"sku": "SKU-1", "reorder_point": "12", "reorder_qty": "20"}),
    (
        40,
        "transfer-stock",
        {"transfer_id": "T-1", "sku": "SKU-1", "from_location": "WH-A", "to_location": "WH-B", "qty": "30"},
    ),
    (
        5,
        "adjust-stock",
        {
            "adjustment_id": "A-1",
            "sku": "SKU-1",
            "location_id": "WH-B",
            "counted_qty": "31.5",
            "reason": "count",
        },
    ),
    (
        50,
        "place-order",
        {
            **ORDER,
            "order_id": "SO-1",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "10", "unit_price": "2"}],
        },
    ),
    (60, "ship-order", {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "4"}]}),
    (
        70,
        "set-reorder-policy",
        {"sku": "SKU-1", "location_id": "WH-B", "reorder_point": "3", "reorder_qty": "5"},
    ),
    (70, "set-reorder-policy", {"sku": "SKU-1", "reorder_point": "9", "reorder_qty": "20"}),
    (80, "cancel-order", {"order_id": "SO-1", "reason": "late"}),
    (
        90,
        "return-order",
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 1, "qty": "1", "condition": "resaleable"}],
        },
    ),
    (
        15,
        "issue-stock",
        {"issue_id": "I-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "2", "reason": "scrap"},
    ),
    (
        100,
        "record-inspection",
        {
            "inspection_id": "IN-1",
            "lot_id": "L-1",
            "sku": "SKU-Q",
            "stage": "incoming",
            "sample_size": 2,
            "defective_units": 1,
            "disposition": "reject",
        },
    ),
    (
        110,
        "place-order",
        {
            **ORDER,
            "order_id": "SO-2",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "3", "unit_price": "2"}],
        },
    ),
    (
        115,
        "place-purchase-order",
        {
            "po_id": "PO-1",
            "supplier_id": "SUP-1",
            "deliver_to": "WH-B",
            "currency": "EUR",
            "expected_at": "2026-11-09T09:00:00Z",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "20", "unit_cost": "3.00"}],
        },
    ),
    (
        116,
        "place-purchase-order",
        {
            "po_id": "PO-2",
            "supplier_id": "SUP-1",
            "deliver_to": "WH-A",
            "currency": "EUR",
            "expected_at": "2026-11-09T09:00:00Z",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "5", "unit_cost": "2.50"}],
        },
    ),
    (
        120,
        "receive-stock",
        {
            "receipt_id": "R-3",
            "sku": "SKU-1",
            "location_id": "WH-B",
            "qty": "8",
            "po_id": "PO-1",
            "po_line": 1,
        },
    ),
    (130, "cancel-purchase-order", {"po_id": "PO-1", "reason": "enough"}),
    # Last in command order, first at WH-B in business time: the level's last unit cost stays R-3's.
    (
        3,
        "issue-stock",
        {"issue_id": "I-2", "sku": "SKU-1", "location_id": "WH-B", "qty": "0.5", "reason": "sample"},
    ),
]


FACTS = facts_from((T0 + timedelta(minutes=offset), name, body) for offset, name, body in COMMANDS)


async def project(dsn: str, batches: list[list[Fact]]) -> dict[str, list[str]]:
    return await projecting.project(dsn, PROJECTION, batches)


@pytest.fixture(scope="module")
async def reference(pg_dsn: str) -> dict[str, list[str]]:
    contents = await project(pg_dsn, [FACTS])
    assert set(contents) == set(TABLES)
    return contents


async def test_one_batch_holds_the_levels_worked_out_by_hand(reference: dict[str, list[str]]) -> None:
    rows = [json.loads(text, parse_float=Decimal) for text in reference["levels"]]
    levels = {
        (r["sku"], r["location_id"]): (
            r["on_hand"],
            r["quarantined"],
            r["reserved"],
            r["value"],
            r["unit_cost"],
        )
        for r in rows
    }
    # A: 100 - 30 - 2 - 4 + 1, SO-2 reserves 3. B: 30 + (31.5 - 30) + 8 - 0.5. Q: 8.25 received,
    # then rejected. Values, in command order: A 200 - 60 (30 x 200/100) - 8 (4 x 140/70) + 2 (the
    # return at 2) - 4 (2 x 134/67) = 130. B 60 + 3 (1.5 at 2) + 24 (8 at the PO's 3.00) = 87, then
    # 0.5 x 87/39.5 = 1.10 out: 85.90. Q 33.00 in, all of it out with the lot. The last recorded
    # cost at B by business time is R-3's 87/39.5 = 2.2025 (I-2 is back-dated before it).
    assert levels == {
        ("SKU-1", "WH-A"): (65, 0, 3, 130, 2),
        ("SKU-1", "WH-B"): (39, 0, 0, Decimal("85.90"), Decimal("2.2025")),
        ("SKU-Q", "WH-A"): (0, 0, 0, 0, 4),
    }
    assert len(reference["movements"]) == 15
    moves = [json.loads(text, parse_float=Decimal) for text in reference["po_moves"]]
    assert sorted((m["po_id"], m["open_change"]) for m in moves) == [
        ("PO-1", -12),
        ("PO-1", -8),
        ("PO-1", 20),
        ("PO-2", 5),
    ]
    policies = [json.loads(text, parse_float=Decimal) for text in reference["reorder_policies"]]
    assert {(p["location_id"], p["reorder_point"]) for p in policies} == {("", 9), ("WH-B", 3)}


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
