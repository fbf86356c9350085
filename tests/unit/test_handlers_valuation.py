"""Stock valuation as the writer decides it: a moving average per sku and location.

Every figure below is computed by hand from API.md v1.1: a receipt with a cost adds qty x
cost; a movement out removes qty x value / on_hand half-up to cents (the whole value when it
empties the location); receipts without a cost, resaleable returns and positive counts add at
the average, which keeps its last figure once the location is empty (0 if never valued).
"""

import pickle
from decimal import Decimal
from itertools import count as counter

import pytest

from handlers import WriteModel, decide, evolve
from handlers.errors import OverReceipt
from ledger.writer.snapshots import unpickle
from schemas import parse_command
from schemas.base import Event
from schemas.inventory import (
    AdjustStock,
    IssueStock,
    LotRejected,
    LotReleased,
    ReceiveStock,
    StockAdjusted,
    StockIssued,
    StockReceived,
    StockTransferred,
    TransferStock,
)
from schemas.quality import RecordInspection
from schemas.sales import OrderReturned, ReturnLine, ReturnOrder, ShipLine, ShipOrder
from tests.support.purchasing import PURCHASING_HISTORY
from tests.unit.handlers_support import (
    D,
    Scenario,
    customer,
    given,
    line,
    location,
    place,
    product,
    received,
    supplier,
    team,
)

SITES = (product(), product("SKU-Q", inspected=True), location(), location("WH-B"), supplier())
_ids = counter(1)


def receive(qty: str | int, cost: str | None = None, location_id: str = "WH-A", **extra: str) -> ReceiveStock:
    return ReceiveStock(
        receipt_id=f"R-{next(_ids)}",
        sku=extra.pop("sku", "SKU-1"),
        location_id=location_id,
        qty=D(qty),
        unit_cost=None if cost is None else D(cost),
        **extra,
    )


def issue(qty: str | int, location_id: str = "WH-A") -> IssueStock:
    return IssueStock(
        issue_id=f"I-{next(_ids)}", sku="SKU-1", location_id=location_id, qty=D(qty), reason="scrap"
    )


def transfer(qty: str | int, source: str = "WH-A", target: str = "WH-B") -> TransferStock:
    return TransferStock(
        transfer_id=f"T-{next(_ids)}", sku="SKU-1", from_location=source, to_location=target, qty=D(qty)
    )


def count(counted: str | int) -> AdjustStock:
    return AdjustStock(
        adjustment_id=f"A-{next(_ids)}",
        sku="SKU-1",
        location_id="WH-A",
        counted_qty=D(counted),
        reason="count",
    )


def valued(events: list[Event]) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """(type, value, unit_cost_after) of each event that moves stock value."""
    return [
        (type(e).__name__, e.value, e.unit_cost_after)
        for e in events
        if isinstance(e, StockReceived | StockIssued | StockTransferred | StockAdjusted | LotRejected)
    ]


def worth(
    scenario: Scenario, location_id: str = "WH-A", sku: str = "SKU-1"
) -> tuple[Decimal, Decimal, Decimal]:
    """(on_hand, value, last recorded average) of one level of the write model."""
    level = scenario.state.level(sku, location_id)
    return level.on_hand, level.value, level.unit_cost


TEN_ON_THREE = receive(3, "3.3333")
"""3 units worth 10.00 (9.9999 half-up): an average of 3.3333..., which no figure shows exactly."""


def test_receipts_at_different_costs_move_the_average() -> None:
    scenario = given(*SITES).when(receive(10, "2.00"), receive(5, "3.50"), receive(5, "3.10"))
    assert valued(scenario.decided()) == [
        ("StockReceived", D("20.00"), D("2.0000")),
        ("StockReceived", D("17.50"), D("2.5000")),
        ("StockReceived", D("15.50"), D("2.6500")),  # 53.00 / 20
    ]
    assert worth(scenario) == (D(20), D("53.00"), D("2.6500"))


def test_amounts_round_half_up_to_cents() -> None:
    scenario = given(*SITES).when(receive(2, "0.025"), issue(1), receive(1, "0.005"), receive(3, "0.125"))
    assert valued(scenario.decided()) == [
        ("StockReceived", D("0.05"), D("0.0250")),
        ("StockIssued", D("0.03"), D("0.0200")),  # 0.025 half-up, not to even
        ("StockReceived", D("0.01"), D("0.0150")),  # 0.005 half-up
        ("StockReceived", D("0.38"), D("0.0820")),  # 0.375 half-up; 0.41 / 5
    ]


def test_a_receipt_without_a_cost_adds_at_the_average_rounded_to_cents() -> None:
    scenario = given(*SITES).accepted(TEN_ON_THREE).when(receive(1))
    events = scenario.decided()
    assert valued(events) == [("StockReceived", D("3.33"), D("3.3325"))]  # 13.33 / 4
    assert isinstance(events[0], StockReceived)
    assert events[0].unit_cost is None
    assert worth(scenario) == (D(4), D("13.33"), D("3.3325"))


def test_an_emptied_location_keeps_its_last_average_for_what_comes_in_without_a_cost() -> None:
    scenario = given(*SITES).accepted(TEN_ON_THREE).when(issue(3), receive(2))
    assert valued(scenario.decided()) == [
        ("StockIssued", D("10.00"), D("3.3333")),  # the whole value; the average it left at
        ("StockReceived", D("6.67"), D("3.3350")),  # 2 x 3.3333 = 6.6666
    ]


def test_stock_never_valued_comes_in_at_0() -> None:
    scenario = given(*SITES).when(receive(2), count(5))
    assert valued(scenario.decided()) == [("StockReceived", D(0), D(0)), ("StockAdjusted", D(0), D(0))]
    assert worth(scenario) == (D(5), D(0), D(0))


def test_a_transfer_removes_value_at_its_source_and_adds_the_same_at_its_destination() -> None:
    scenario = given(*SITES).accepted(TEN_ON_THREE, receive(1, "5.00", "WH-B")).when(transfer(1))
    assert valued(scenario.decided()) == [("StockTransferred", D("3.33"), D("3.3350"))]  # source: 6.67 / 2
    assert worth(scenario) == (D(2), D("6.67"), D("3.3350"))
    assert worth(scenario, "WH-B")[:2] == (D(2), D("8.33"))
    # the destination's average is its own value over its own stock: 8.33 / 2 = 4.165
    scenario.commands.clear()
    assert valued(scenario.when(issue(1, "WH-B")).decided()) == [("StockIssued", D("4.17"), D("4.1600"))]


def test_a_transfer_of_everything_moves_the_whole_value_and_leaves_the_source_its_last_average() -> None:
    scenario = given(*SITES).accepted(TEN_ON_THREE, transfer(1)).when(transfer(2))
    assert valued(scenario.decided()) == [("StockTransferred", D("6.67"), D("3.3350"))]
    assert worth(scenario) == (D(0), D(0), D("3.3350"))
    assert worth(scenario, "WH-B")[:2] == (D(3), D("10.00"))


def test_lines_of_one_shipment_drawing_on_one_level_are_valued_one_after_the_other() -> None:
    ship = ShipOrder(
        order_id="SO-1", shipment_id="SH-1", lines=tuple(ShipLine(line_no=n, qty=D(1)) for n in (1, 2, 3))
    )
    scenario = (
        given(*SITES, customer(), team())
        .accepted(TEN_ON_THREE, place(line(1, 1), line(2, 1), line(3, 1)))
        .when(ship)
    )
    assert valued(scenario.decided()) == [
        ("StockIssued", D("3.33"), D("3.3350")),  # 10.00 / 3; 6.67 / 2 left
        ("StockIssued", D("3.34"), D("3.3300")),  # 3.335 half-up; 3.33 / 1 left
        ("StockIssued", D("3.33"), D("3.3300")),  # the whole rest
    ]
    assert worth(scenario) == (D(0), D(0), D("3.3300"))


def inspect(lot_id: str, disposition: str) -> RecordInspection:
    return RecordInspection.model_validate(
        {
            "inspection_id": f"Q-{next(_ids)}",
            "lot_id": lot_id,
            "sku": "SKU-Q",
            "stage": "incoming",
            "sample_size": 4,
            "defective_units": 1,
            "disposition": disposition,
        }
    )


def test_quarantined_stock_is_valued_and_a_rejected_lot_leaves_at_the_locations_average() -> None:
    lots = receive(4, "5.00", sku="SKU-Q", lot_id="L-1"), receive(4, "3.00", sku="SKU-Q", lot_id="L-2")
    scenario = given(*SITES).accepted(*lots)
    assert worth(scenario, sku="SKU-Q") == (D(8), D("32.00"), D("4.0000"))  # nothing available yet
    events = scenario.when(inspect("L-1", "reject"), inspect("L-2", "accept")).decided()
    assert valued(events) == [("LotRejected", D("16.00"), D("4.0000"))]  # at the average, not the lot's cost
    assert any(isinstance(e, LotReleased) for e in events)  # a release moves no value
    assert worth(scenario, sku="SKU-Q") == (D(4), D("16.00"), D("4.0000"))


def test_a_resaleable_return_comes_back_at_the_average_and_a_damaged_one_adds_nothing() -> None:
    ship = ShipOrder(
        order_id="SO-1",
        shipment_id="SH-1",
        lines=(ShipLine(line_no=1, qty=D(2)), ShipLine(line_no=2, qty=D(1))),
    )
    back = ReturnOrder(
        order_id="SO-1",
        return_id="RT-1",
        lines=(
            ReturnLine(line_no=1, qty=D(1), condition="resaleable"),
            ReturnLine(line_no=2, qty=D(1), condition="damaged"),
        ),
    )
    scenario = (
        given(*SITES, customer(), team())
        .accepted(receive(4, "2.50"), place(line(1, 2), line(2, 1)), ship, receive(3, "4.00"))
        .when(back)
    )
    assert worth(scenario) == (D(4), D("14.50"), D("3.6250"))  # 2.50 left after the shipment, + 12.00
    events = scenario.decided()
    assert isinstance(events[0], OrderReturned)
    assert valued(events) == [("StockReceived", D("3.63"), D("3.6260"))]  # 3.625 half-up; 18.13 / 5


def test_counts_remove_as_movements_out_do_and_add_at_the_average() -> None:
    scenario = given(*SITES).accepted(TEN_ON_THREE).when(count(2), count(4), count(0), count(1))
    assert valued(scenario.decided()) == [
        ("StockAdjusted", D("-3.33"), D("3.3350")),  # 6.67 / 2
        ("StockAdjusted", D("6.67"), D("3.3350")),  # 2 x 3.335 = 6.67; 13.34 / 4
        ("StockAdjusted", D("-13.34"), D("3.3350")),  # emptied: the whole value, the last average kept
        ("StockAdjusted", D("3.34"), D("3.3400")),  # 3.335 half-up
    ]


def test_events_recorded_before_valuation_move_no_value() -> None:
    old = [
        StockIssued(issue_id="I-old", sku="SKU-1", location_id="WH-A", qty=D(5), reason="scrap"),
        StockTransferred(
            transfer_id="T-old", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(5)
        ),
        StockAdjusted(
            adjustment_id="A-old",
            sku="SKU-1",
            location_id="WH-A",
            counted_qty=D(9),
            delta=D(-1),
            reason_code="other",
        ),
    ]
    scenario = given(*SITES, received(10)).accepted(receive(10, "1.00"))
    assert worth(scenario) == (D(20), D("10.00"), D("0.5000"))
    for event in old:
        evolve(scenario.state, event)
    assert worth(scenario) == (D(9), D("10.00"), D("0.5000"))
    assert worth(scenario, "WH-B") == (D(5), D(0), D(0))
    assert valued(scenario.when(issue(3)).decided()) == [("StockIssued", D("3.33"), D("1.1117"))]  # 6.67 / 6


def history_state() -> WriteModel:
    state = WriteModel()
    for name, body in PURCHASING_HISTORY:
        for event in decide(state, parse_command(name, body)):
            evolve(state, event)
    state.journal.commit()
    return state


def test_a_snapshot_of_the_write_model_keeps_purchase_orders_deliveries_and_values() -> None:
    state = history_state()
    copy = unpickle(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))  # as the writer loads snapshots
    assert isinstance(copy, WriteModel)
    assert copy == state
    assert copy.purchase_orders["PO-P1"].cancelled
    assert ("SO-P1", "SH-P1") in copy.deliveries
    assert copy.level("SKU-P", "WH-P").value == state.level("SKU-P", "WH-P").value > 0
    late = ReceiveStock(
        receipt_id="R-late", sku="SKU-P", location_id="WH-P", qty=D(1), po_id="PO-P1", po_line=1
    )
    for model in (state, copy):
        with pytest.raises(OverReceipt):  # the cancelled line is remembered
            decide(model, late)
    more = parse_command(
        "issue-stock",
        {"issue_id": "I-9", "sku": "SKU-P", "location_id": "WH-P", "qty": 1, "reason": "sample"},
    )
    assert decide(copy, more) == decide(state, more)
