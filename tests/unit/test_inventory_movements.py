"""How each stock event moves on_hand, quarantined, reserved and value at the locations it touches,
and how a unit cost is read from them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger.envelope import Envelope
from ledger.store import Fact
from projections.inventory.movements import DESTINATION_LEG, SOURCE_LEG, Change, changes_of, movements_of
from projections.inventory.queries import unit_cost
from schemas.base import Event
from schemas.catalog import ProductRegistered
from schemas.inventory import (
    LotRejected,
    LotReleased,
    ReservationReleased,
    StockAdjusted,
    StockIssued,
    StockQuarantined,
    StockReceived,
    StockReserved,
    StockTransferred,
)

D = Decimal
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
AT_A = {"sku": "SKU-1", "location_id": "WH-A"}


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (StockReceived(receipt_id="R-1", qty=D("7.5"), **AT_A), Change("WH-A", "R-1", on_hand=D("7.5"))),
        (
            StockQuarantined(receipt_id="R-1", lot_id="L-1", qty=D(7), **AT_A),
            Change("WH-A", "L-1", quarantined=D(7)),
        ),
        (
            StockAdjusted(
                adjustment_id="A-1", counted_qty=D(3), delta=D(-4), reason_code="cycle_count", **AT_A
            ),
            Change("WH-A", "A-1", on_hand=D(-4)),
        ),
        (
            StockIssued(issue_id="I-1", qty=D(2), reason="scrap", **AT_A),
            Change("WH-A", "I-1", on_hand=D(-2)),
        ),
        (
            StockIssued(
                issue_id="SH-1-1",
                qty=D(2),
                reason="sale",
                order_id="SO-1",
                shipment_id="SH-1",
                line_no=1,
                **AT_A,
            ),
            Change("WH-A", "SH-1-1", on_hand=D(-2), reserved=D(-2)),
        ),
        (StockReserved(order_id="SO-1", line_no=1, qty=D(5), **AT_A), Change("WH-A", "SO-1", reserved=D(5))),
        (
            ReservationReleased(order_id="SO-1", line_no=1, qty=D(3), **AT_A),
            Change("WH-A", "SO-1", reserved=D(-3)),
        ),
        (
            LotReleased(lot_id="L-1", inspection_id="IN-1", qty=D(7), **AT_A),
            Change("WH-A", "L-1", quarantined=D(-7)),
        ),
        (
            LotRejected(lot_id="L-1", inspection_id="IN-1", qty=D(7), **AT_A),
            Change("WH-A", "L-1", on_hand=D(-7), quarantined=D(-7)),
        ),
    ],
    ids=lambda value: getattr(value, "type", ""),
)
def test_a_stock_event_changes_its_own_location(event: Event, expected: Change) -> None:
    assert changes_of(event) == ("SKU-1", [expected])


def test_a_transfer_takes_from_its_source_then_gives_to_its_destination() -> None:
    event = StockTransferred(
        transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(4)
    )
    assert changes_of(event) == (
        "SKU-1",
        [
            Change("WH-A", "T-1", on_hand=D(-4), leg=SOURCE_LEG),
            Change("WH-B", "T-1", on_hand=D(4), leg=DESTINATION_LEG),
        ],
    )


def test_events_that_move_no_stock_have_no_changes() -> None:
    assert (
        changes_of(
            ProductRegistered(sku="SKU-1", name="W", uom="ea", category="c", requires_inspection=False)
        )
        is None
    )


def fact(event: Event, stream: str, version: int) -> Fact:
    envelope = Envelope(
        id=f"{stream}#{version}",
        type=event.type,
        schema_version=event.schema_version,
        stream=stream,
        version=version,
        occurred_at=T0,
        recorded_at=T0,
        actor="tester",
        correlation_id="c",
        causation_id="c",
        idempotency_key=None,
        prevhash="",
        hash="",
        data=event.data(),
    )
    return Fact("t.inventory", 0, version, envelope, event)


def test_a_batch_yields_one_row_per_event_and_location_even_when_a_fact_comes_twice() -> None:
    transfer = fact(
        StockTransferred(transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(4)),
        "stock:SKU-1@WH-A",
        2,
    )
    received = fact(StockReceived(receipt_id="R-1", qty=D(10), **AT_A), "stock:SKU-1@WH-A", 1)
    rows = movements_of([received, transfer, transfer])
    assert [(m.event_id, m.location_id, m.leg, m.qty_change, m.document_id) for m in rows] == [
        ("stock:SKU-1@WH-A#1", "WH-A", SOURCE_LEG, D(10), "R-1"),
        ("stock:SKU-1@WH-A#2", "WH-A", SOURCE_LEG, D(-4), "T-1"),
        ("stock:SKU-1@WH-A#2", "WH-B", DESTINATION_LEG, D(4), "T-1"),
    ]
    assert {(m.stream, m.type, m.occurred_at) for m in rows[1:]} == {
        ("stock:SKU-1@WH-A", "StockTransferred", T0)
    }


VALUED = {"value": D("12.10"), "unit_cost_after": D("2.4200")}


@pytest.mark.parametrize(
    ("event", "value_change"),
    [
        (StockReceived(receipt_id="R-1", qty=D(5), **VALUED, **AT_A), D("12.10")),
        (StockIssued(issue_id="I-1", qty=D(5), reason="scrap", **VALUED, **AT_A), D("-12.10")),
        (LotRejected(lot_id="L-1", inspection_id="IN-1", qty=D(5), **VALUED, **AT_A), D("-12.10")),
        (
            StockAdjusted(
                adjustment_id="A-1",
                counted_qty=D(0),
                delta=D(-5),
                reason_code="damage",
                value=D("-12.10"),
                unit_cost_after=D("2.4200"),
                **AT_A,
            ),
            D("-12.10"),
        ),
        (
            StockAdjusted(
                adjustment_id="A-2",
                counted_qty=D(10),
                delta=D(5),
                reason_code="found",
                value=D("12.10"),
                unit_cost_after=D("2.4200"),
                **AT_A,
            ),
            D("12.10"),
        ),
    ],
    ids=lambda value: getattr(value, "type", ""),
)
def test_a_valued_event_moves_the_value_it_recorded_with_its_sign(
    event: Event, value_change: Decimal
) -> None:
    found = changes_of(event)
    assert found is not None
    [change] = found[1]
    assert (change.value, change.unit_cost_after) == (value_change, D("2.4200"))


def test_a_transfer_moves_its_value_from_source_to_destination_with_the_source_cost_only() -> None:
    event = StockTransferred(
        transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(5), **VALUED
    )
    found = changes_of(event)
    assert found is not None
    assert [(c.location_id, c.value, c.unit_cost_after) for c in found[1]] == [
        ("WH-A", D("-12.10"), D("2.4200")),
        ("WH-B", D("12.10"), None),
    ]


def test_an_event_recorded_before_valuation_moves_no_value() -> None:
    found = changes_of(StockIssued(issue_id="I-1", qty=D(5), reason="scrap", **AT_A))
    assert found is not None
    assert [(c.value, c.unit_cost_after) for c in found[1]] == [(D(0), None)]


@pytest.mark.parametrize(
    ("on_hand", "value", "last_cost", "expected"),
    [
        (D(32), D("1.00"), None, D("0.0313")),  # 0.03125: half-up, not to even
        (D(15), D("35.50"), D("3.1000"), D("2.3667")),  # stock on hand: value / on_hand
        (D(0), D("0.00"), D("2.6780"), D("2.6780")),  # emptied: the last recorded figure
        (D(0), D("0.00"), None, D("0.0000")),  # never valued
    ],
)
def test_the_unit_cost_is_read_from_the_value_or_else_the_last_figure(
    on_hand: Decimal, value: Decimal, last_cost: Decimal | None, expected: Decimal
) -> None:
    cost = unit_cost(on_hand, value, last_cost)
    assert (cost, cost.as_tuple().exponent) == (expected, -4)
