"""Purchasing deciders: purchase orders placed, received against their lines, cancelled; and
deliveries of shipments to customers, with the promise an order was placed under."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from handlers import (
    AlreadyExists,
    InvalidQuantity,
    InvalidTransition,
    UnknownLocation,
    UnknownOrder,
    UnknownProduct,
    UnknownSupplier,
)
from handlers.errors import OverReceipt, POLineMismatch, UnknownPOLine, UnknownPurchaseOrder, UnknownShipment
from handlers.model import ZERO
from schemas import parse_command
from schemas.inventory import ReceiveStock, StockQuarantined, StockReceived
from schemas.purchasing import (
    CancelledRemainder,
    CancelPurchaseOrder,
    OrderedLine,
    PlacePurchaseOrder,
    PurchaseLine,
    PurchaseOrderCancelled,
    PurchaseOrderPlaced,
    PurchaseOrderReceived,
)
from schemas.sales import OrderPlaced, RecordDelivery, ShipLine, ShipmentDelivered, ShipOrder
from tests.unit.handlers_support import (
    SALES,
    D,
    Scenario,
    given,
    level,
    line,
    location,
    place,
    product,
    supplier,
)

EXPECTED = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)
SITES = (
    product(),
    product("SKU-2"),
    product("SKU-Q", inspected=True),
    location(),
    location("WH-B"),
    supplier(),
    supplier("SUP-2"),
)


def ordering(line_no: int, qty: str | int, cost: str = "2.50", sku: str = "SKU-1") -> PurchaseLine:
    return PurchaseLine(line_no=line_no, sku=sku, qty=D(qty), unit_cost=D(cost))


def place_po(
    *lines: PurchaseLine, po_id: str = "PO-1", supplier_id: str = "SUP-1", deliver_to: str = "WH-A"
) -> PlacePurchaseOrder:
    return PlacePurchaseOrder(
        po_id=po_id,
        supplier_id=supplier_id,
        deliver_to=deliver_to,
        currency="EUR",
        expected_at=EXPECTED,
        lines=lines or (ordering(1, 10),),
    )


def receive(qty: str | int, po_line: int | None = 1, receipt_id: str = "R-1", **extra: Any) -> ReceiveStock:
    fields: dict[str, Any] = {"sku": "SKU-1", "location_id": "WH-A", "po_id": "PO-1", **extra}
    if po_line is None:
        fields.pop("po_id")
    return ReceiveStock(receipt_id=receipt_id, qty=D(qty), po_line=po_line, **fields)


def on_order(*lines: PurchaseLine, **po: str) -> Scenario:
    """SITES and one purchase order (by default PO-1: 10 x SKU-1 at 2.50 from SUP-1 to WH-A)."""
    return given(*SITES).accepted(place_po(*lines, **po))


def cancel(po_id: str = "PO-1") -> CancelPurchaseOrder:
    return CancelPurchaseOrder(po_id=po_id, reason="supplier cannot deliver")


# place-purchase-order ---------------------------------------------------------------------


def test_placing_a_purchase_order_records_its_lines_amounts_half_up_and_total() -> None:
    state = (
        given(*SITES)
        .when(place_po(ordering(1, 10), ordering(2, 3, "0.125", sku="SKU-2")))
        .then(
            PurchaseOrderPlaced(
                po_id="PO-1",
                supplier_id="SUP-1",
                deliver_to="WH-A",
                currency="EUR",
                expected_at=EXPECTED,
                lines=(
                    OrderedLine(line_no=1, sku="SKU-1", qty=D(10), unit_cost=D("2.50"), amount=D("25.00")),
                    OrderedLine(line_no=2, sku="SKU-2", qty=D(3), unit_cost=D("0.125"), amount=D("0.38")),
                ),
                total=D("25.38"),
            )
        )
    )
    po = state.purchase_orders["PO-1"]
    assert (po.supplier_id, po.deliver_to, po.cancelled) == ("SUP-1", "WH-A", False)
    assert [(ln.line_no, ln.sku, ln.ordered, ln.open) for ln in po.lines] == [
        (1, "SKU-1", D(10), D(10)),
        (2, "SKU-2", D(3), D(3)),
    ]
    assert level(state) == (ZERO, ZERO, ZERO, ZERO)  # ordered is not on hand


def test_a_po_id_is_used_once() -> None:
    on_order().when(place_po(ordering(1, 1))).raises(AlreadyExists, id="PO-1")


def test_a_purchase_order_names_a_known_supplier_location_and_products() -> None:
    given(*SITES).when(place_po(supplier_id="SUP-X")).raises(UnknownSupplier, supplier_id="SUP-X")
    given(*SITES).when(place_po(deliver_to="WH-X")).raises(UnknownLocation, location_id="WH-X")
    given(*SITES).when(
        place_po(ordering(1, 1), ordering(2, 1, sku="NOPE"), ordering(3, 1, sku="GONE"))
    ).raises(UnknownProduct, lines=[2, 3], skus=["GONE", "NOPE"])


def test_amounts_too_large_to_record_are_refused() -> None:
    huge = ordering(1, "999999999999999999", "99999999999999999999")
    given(*SITES).when(place_po(huge)).raises(InvalidQuantity, lines=[1])
    big = "900000000000", "10000000000"  # 9e21 a line fits; two of them do not
    given(*SITES).when(place_po(ordering(1, *big), ordering(2, *big))).raises(InvalidQuantity, lines=[1, 2])


def test_repeated_line_numbers_are_a_schema_violation() -> None:
    body = {
        "po_id": "PO-1",
        "supplier_id": "SUP-1",
        "deliver_to": "WH-A",
        "currency": "EUR",
        "expected_at": "2026-11-09T12:00:00Z",
        "lines": [
            {"line_no": 1, "sku": "SKU-1", "qty": 1, "unit_cost": "1"},
            {"line_no": 1, "sku": "SKU-2", "qty": 1, "unit_cost": "1"},
        ],
    }
    with pytest.raises(ValidationError, match="line_no 1 appears more than once"):
        parse_command("place-purchase-order", body)
    with pytest.raises(ValidationError):
        parse_command("place-purchase-order", {**body, "expected_at": "2026-11-09T12:00:00"})  # no zone
    with pytest.raises(ValidationError):
        parse_command("place-purchase-order", {**body, "lines": []})


# receive-stock against a PO line ---------------------------------------------------------


def po_received(
    qty: str | int, unit_cost: str = "2.50", receipt_id: str = "R-1", **extra: Any
) -> PurchaseOrderReceived:
    fields = {
        "po_id": "PO-1",
        "po_line": 1,
        "supplier_id": "SUP-1",
        "sku": "SKU-1",
        "location_id": "WH-A",
        **extra,
    }
    return PurchaseOrderReceived(receipt_id=receipt_id, qty=D(qty), unit_cost=D(unit_cost), **fields)


def test_a_receipt_against_a_line_takes_the_pos_supplier_and_the_lines_cost() -> None:
    state = (
        on_order()
        .when(receive(4))
        .then(
            StockReceived(
                receipt_id="R-1",
                sku="SKU-1",
                location_id="WH-A",
                qty=D(4),
                supplier_id="SUP-1",
                unit_cost=D("2.50"),
                po_id="PO-1",
                po_line=1,
                value=D("10.00"),
                unit_cost_after=D("2.5000"),
            ),
            po_received(4),
        )
    )
    po_line = state.purchase_orders["PO-1"].lines[0]
    assert (po_line.received, po_line.cancelled, po_line.open) == (D(4), ZERO, D(6))
    assert level(state) == (D(4), ZERO, ZERO, D(4))
    assert state.level("SKU-1", "WH-A").value == D("10.00")


def test_a_cost_given_with_the_receipt_wins_over_the_lines() -> None:
    events = on_order().when(receive(4, unit_cost=D("2.60"), supplier_id="SUP-1")).decided()
    assert [type(e).__name__ for e in events] == ["StockReceived", "PurchaseOrderReceived"]
    stock, po = events
    assert isinstance(stock, StockReceived)
    assert (stock.unit_cost, stock.value, stock.unit_cost_after) == (D("2.60"), D("10.40"), D("2.6000"))
    assert po == po_received(4, "2.60")


def test_an_inspected_receipt_appends_stock_quarantine_and_the_pos_receipt_in_that_order() -> None:
    events = (
        on_order(ordering(1, 5, "4.00", sku="SKU-Q")).when(receive(5, sku="SKU-Q", lot_id="L-9")).decided()
    )
    assert [type(e).__name__ for e in events] == [
        "StockReceived",
        "StockQuarantined",
        "PurchaseOrderReceived",
    ]
    assert events[1] == StockQuarantined(
        receipt_id="R-1", sku="SKU-Q", location_id="WH-A", lot_id="L-9", qty=D(5)
    )
    assert events[2] == po_received(5, "4.00", sku="SKU-Q")
    assert [e.stream() for e in events] == ["stock:SKU-Q@WH-A", "stock:SKU-Q@WH-A", "po:PO-1"]


def test_a_receipt_against_an_unknown_purchase_order_or_line_is_refused() -> None:
    given(*SITES).when(receive(1)).raises(UnknownPurchaseOrder, po_id="PO-1")
    on_order().when(receive(1, po_line=2)).raises(UnknownPOLine, po_id="PO-1", po_line=2)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"sku": "SKU-2"}, "sku SKU-2, the line's is SKU-1"),
        ({"location_id": "WH-B"}, "location WH-B, the line's is WH-A"),
        ({"supplier_id": "SUP-2"}, "supplier SUP-2, the line's is SUP-1"),
    ],
)
def test_a_receipt_unlike_its_po_line_is_a_mismatch(extra: dict[str, str], named: str) -> None:
    error = on_order().when(receive(1, **extra)).raises(POLineMismatch, po_id="PO-1", po_line=1)
    assert named in error.detail


def test_more_than_is_open_on_the_line_is_an_over_receipt() -> None:
    on_order().when(receive(11)).raises(OverReceipt, po_id="PO-1", po_line=1, open="10")
    on_order().when(receive(4), receive(7, receipt_id="R-2")).raises(OverReceipt, open="6")
    events = on_order().when(receive(4), receive(6, receipt_id="R-2")).decided()
    assert events[-1] == po_received(6, receipt_id="R-2")


def test_nothing_more_may_be_received_after_a_cancellation() -> None:
    on_order().accepted(receive(4), cancel()).when(receive(1, receipt_id="R-2")).raises(OverReceipt, open="0")


@pytest.mark.parametrize("only", [{"po_id": "PO-1"}, {"po_line": 1}])
def test_po_id_and_po_line_go_together_or_the_receipt_is_a_schema_violation(only: dict[str, Any]) -> None:
    body = {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": 1}
    with pytest.raises(ValidationError, match="po_id and po_line go together"):
        parse_command("receive-stock", {**body, **only})
    assert parse_command("receive-stock", {**body, "po_id": "PO-1", "po_line": 1})


def test_a_receipt_without_a_po_is_still_free_to_name_any_supplier() -> None:
    events = on_order().when(receive(2, po_line=None, supplier_id="SUP-2")).decided()
    assert [type(e).__name__ for e in events] == ["StockReceived"]
    assert isinstance(events[0], StockReceived)
    assert (events[0].supplier_id, events[0].po_id, events[0].po_line) == ("SUP-2", None, None)


# cancel-purchase-order -------------------------------------------------------------------


def test_a_cancellation_takes_only_the_unreceived_remainders() -> None:
    state = (
        on_order(ordering(1, 10), ordering(2, 5, sku="SKU-2"), ordering(3, 2, sku="SKU-2"))
        .accepted(receive(4), receive(5, po_line=2, receipt_id="R-2", sku="SKU-2"))
        .when(cancel())
        .then(
            PurchaseOrderCancelled(
                po_id="PO-1",
                reason="supplier cannot deliver",
                lines=(
                    CancelledRemainder(line_no=1, sku="SKU-1", qty=D(6)),
                    CancelledRemainder(line_no=3, sku="SKU-2", qty=D(2)),
                ),
            )
        )
    )
    po = state.purchase_orders["PO-1"]
    assert po.cancelled
    assert [(ln.received, ln.cancelled, ln.open) for ln in po.lines] == [
        (D(4), D(6), ZERO),
        (D(5), ZERO, ZERO),
        (ZERO, D(2), ZERO),
    ]
    assert level(state) == (D(4), ZERO, ZERO, D(4))  # what was received stays received


def test_a_purchase_order_is_cancelled_once() -> None:
    on_order().when(cancel(), cancel()).raises(InvalidTransition, po_id="PO-1")


def test_a_purchase_order_received_in_full_has_nothing_to_cancel() -> None:
    on_order().accepted(receive(10)).when(cancel()).raises(InvalidTransition, po_id="PO-1")


def test_cancelling_an_unknown_purchase_order_is_refused() -> None:
    given(*SITES).when(cancel("PO-9")).raises(UnknownPurchaseOrder, po_id="PO-9")


# record-delivery and promised_at ----------------------------------------------------------


def shipped_order() -> Scenario:
    """SO-1 (3 x SKU-1) shipped as SH-1; SO-2 (1 x SKU-1) placed and not shipped."""
    ship = ShipOrder(order_id="SO-1", shipment_id="SH-1", lines=(ShipLine(line_no=1, qty=D(3)),))
    return given(*SALES).accepted(place(line(1, 3)), ship, place(line(1, 1), order_id="SO-2"))


def deliver(order_id: str = "SO-1", shipment_id: str = "SH-1", **extra: str) -> RecordDelivery:
    return RecordDelivery(order_id=order_id, shipment_id=shipment_id, **extra)


def test_a_delivery_of_a_shipment_is_recorded_on_its_order() -> None:
    shipped_order().when(deliver(carrier="DHL", tracking="JD0002")).then(
        ShipmentDelivered(order_id="SO-1", shipment_id="SH-1", carrier="DHL", tracking="JD0002")
    )
    events = shipped_order().when(deliver()).decided()
    assert events == [ShipmentDelivered(order_id="SO-1", shipment_id="SH-1")]
    assert events[0].stream() == "order:SO-1"


def test_a_delivery_names_a_known_order_and_a_shipment_of_that_order() -> None:
    shipped_order().when(deliver("SO-9")).raises(UnknownOrder, order_id="SO-9")
    shipped_order().when(deliver(shipment_id="SH-9")).raises(
        UnknownShipment, order_id="SO-1", shipment_id="SH-9"
    )
    shipped_order().when(deliver("SO-2")).raises(UnknownShipment, order_id="SO-2", shipment_id="SH-1")


def test_a_shipment_is_delivered_once() -> None:
    shipped_order().when(deliver(), deliver()).raises(InvalidTransition, order_id="SO-1", shipment_id="SH-1")


def test_the_promise_an_order_was_placed_under_is_recorded() -> None:
    promised = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
    command = place(line(1, 1)).model_copy(update={"promised_at": promised})
    (placed, _) = given(*SALES).when(command).decided()
    assert isinstance(placed, OrderPlaced)
    assert placed.promised_at == promised
    (unpromised, _) = given(*SALES).when(place(line(1, 1))).decided()
    assert isinstance(unpromised, OrderPlaced)
    assert unpromised.promised_at is None


@pytest.mark.parametrize("promised_at", ["2026-11-06T17:00:00", "1899-12-31T23:59:59Z", 1_700_000_000])
def test_a_promise_is_an_rfc_3339_time_with_a_zone_in_the_business_window(promised_at: object) -> None:
    body = {
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [{"line_no": 1, "sku": "SKU-1", "qty": 1, "unit_price": "1"}],
    }
    assert parse_command("place-order", {**body, "promised_at": "2026-11-06T17:00:00+01:00"})
    with pytest.raises(ValidationError):
        parse_command("place-order", {**body, "promised_at": promised_at})
