"""Sales deciders, shipping and returning: reserved remainders, exact money, stock documents."""

from decimal import Decimal

from handlers import (
    AlreadyExists,
    InvalidIdentifier,
    InvalidQuantity,
    InvalidTransition,
    UnknownLine,
    UnknownOrder,
)
from handlers.model import ZERO
from schemas.inventory import StockIssued, StockReceived
from schemas.sales import (
    CancelOrder,
    Condition,
    OrderReturned,
    OrderShipped,
    ReturnedLine,
    ReturnLine,
    ReturnOrder,
    ShipLine,
    ShipOrder,
    ShippedLine,
)
from tests.unit.handlers_support import SALES, UNVALUED, D, Scenario, given, level, line, place


def ship(*lines: tuple[int, str | int], shipment_id: str = "SH-1", order_id: str = "SO-1") -> ShipOrder:
    return ShipOrder(
        order_id=order_id,
        shipment_id=shipment_id,
        lines=tuple(ShipLine(line_no=n, qty=D(qty)) for n, qty in lines),
    )


def shipped(*lines: tuple[int, str, str | int, str], shipment_id: str = "SH-1") -> OrderShipped:
    return OrderShipped(
        order_id="SO-1",
        shipment_id=shipment_id,
        lines=tuple(
            ShippedLine(line_no=n, sku=sku, qty=D(qty), amount=D(amount)) for n, sku, qty, amount in lines
        ),
    )


def issued(line_no: int, qty: str | int, sku: str = "SKU-1", shipment_id: str = "SH-1") -> StockIssued:
    return StockIssued(
        issue_id=f"{shipment_id}-{line_no}",
        sku=sku,
        location_id="WH-A",
        qty=D(qty),
        reason="sale",
        order_id="SO-1",
        shipment_id=shipment_id,
        line_no=line_no,
        **UNVALUED,
    )


def give_back(*lines: tuple[int, str | int, Condition], return_id: str = "RT-1") -> ReturnOrder:
    return ReturnOrder(
        order_id="SO-1",
        return_id=return_id,
        lines=tuple(ReturnLine(line_no=n, qty=D(qty), condition=condition) for n, qty, condition in lines),
    )


def ordered() -> Scenario:
    """SO-1: line 1, 3 x SKU-1 at 10.00 less 33.3333% (20.00); line 2, 2 x SKU-2 at 5.00 (10.00)."""
    return given(*SALES).accepted(
        place(line(1, 3, "10.00", discount="33.3333"), line(2, 2, "5.00", sku="SKU-2"))
    )


# ship-order ------------------------------------------------------------------------------


def test_shipping_issues_the_reserved_stock_and_charges_the_lines() -> None:
    state = (
        ordered()
        .when(ship((1, 1), (2, 2)))
        .then(shipped((1, "SKU-1", 1, "6.67"), (2, "SKU-2", 2, "10.00")), issued(1, 1), issued(2, 2, "SKU-2"))
    )
    assert level(state) == (D(9), ZERO, D(2), D(7))
    assert level(state, "SKU-2") == (D(2), ZERO, ZERO, D(2))


def test_partial_shipments_of_a_line_add_up_to_its_placed_amount() -> None:
    ordered().when(ship((1, 1)), ship((1, 1), shipment_id="SH-2"), ship((1, 1), shipment_id="SH-3")).then(
        shipped((1, "SKU-1", 1, "6.67")),
        issued(1, 1),
        shipped((1, "SKU-1", 1, "6.66"), shipment_id="SH-2"),
        issued(1, 1, shipment_id="SH-2"),
        shipped((1, "SKU-1", 1, "6.67"), shipment_id="SH-3"),
        issued(1, 1, shipment_id="SH-3"),
    )


def test_shipping_more_than_the_reserved_remainder_names_the_lines() -> None:
    error = (
        ordered()
        .when(ship((1, 2)), ship((1, 2), (2, 3), shipment_id="SH-2"))
        .raises(InvalidQuantity, lines=[1, 2])
    )
    assert "line 1: 1 left" in error.detail


def test_shipping_a_line_the_order_does_not_have_is_refused() -> None:
    ordered().when(ship((1, 1), (7, 1), (9, 1))).raises(UnknownLine, lines=[7, 9])


def test_a_shipment_id_is_used_once_per_order() -> None:
    ordered().when(ship((1, 1)), ship((1, 1))).raises(AlreadyExists, id="SH-1")


def test_another_order_may_reuse_a_shipment_id() -> None:
    scenario = ordered().accepted(ship((1, 1)), place(line(1, 1), order_id="SO-2"))
    events = scenario.when(ship((1, 1), order_id="SO-2")).decided()
    assert [type(e).__name__ for e in events] == ["OrderShipped", "StockIssued"]


def test_shipping_an_unknown_order_is_refused() -> None:
    given(*SALES).when(ship((1, 1))).raises(UnknownOrder, order_id="SO-1")


def test_a_cancelled_order_cannot_ship() -> None:
    cancel = CancelOrder(order_id="SO-1", reason="out of budget")
    ordered().when(cancel, ship((1, 1))).raises(InvalidTransition, order_id="SO-1")


def test_a_shipment_id_too_long_for_its_issue_ids_is_refused() -> None:
    ordered().when(ship((1, 1), shipment_id="S" * 63)).raises(InvalidIdentifier, field="shipment_id")


def test_a_shipment_id_that_just_fits_is_accepted() -> None:
    events = ordered().when(ship((1, 1), shipment_id="S" * 62)).decided()
    assert isinstance(events[1], StockIssued)
    assert events[1].issue_id == "S" * 62 + "-1"


# return-order ----------------------------------------------------------------------------


def test_a_resaleable_return_comes_back_into_stock_where_the_order_shipped_from() -> None:
    state = (
        ordered()
        .accepted(ship((1, 3), (2, 2)))
        .when(give_back((1, 1, "resaleable"), (2, 1, "damaged")))
        .then(
            OrderReturned(
                order_id="SO-1",
                return_id="RT-1",
                lines=(
                    ReturnedLine(line_no=1, sku="SKU-1", qty=D(1), condition="resaleable", amount=D("6.67")),
                    ReturnedLine(line_no=2, sku="SKU-2", qty=D(1), condition="damaged", amount=D("5.00")),
                ),
            ),
            StockReceived(
                receipt_id="RT-1-1",
                sku="SKU-1",
                location_id="WH-A",
                qty=D(1),
                return_id="RT-1",
                order_id="SO-1",
                **UNVALUED,
            ),
        )
    )
    assert level(state) == (D(8), ZERO, ZERO, D(8))
    assert level(state, "SKU-2") == (D(2), ZERO, ZERO, D(2))


def test_returning_everything_refunds_exactly_what_was_charged() -> None:
    events = (
        ordered()
        .when(
            ship((1, 3), (2, 2)),
            give_back((1, 1, "damaged")),
            give_back((1, 1, "damaged"), return_id="RT-2"),
            give_back((1, 1, "damaged"), (2, 2, "damaged"), return_id="RT-3"),
        )
        .decided()
    )
    charged = sum((ln.amount for e in events if isinstance(e, OrderShipped) for ln in e.lines), Decimal(0))
    refunded = sum((ln.amount for e in events if isinstance(e, OrderReturned) for ln in e.lines), Decimal(0))
    assert charged == refunded == D("30.00")


def test_returning_more_than_was_shipped_names_the_lines() -> None:
    scenario = ordered().accepted(ship((1, 2)), give_back((1, 1, "resaleable")))
    error = scenario.when(give_back((1, 2, "damaged"), (2, 1, "damaged"), return_id="RT-2")).raises(
        InvalidQuantity, lines=[1, 2]
    )
    assert "line 1: 1 returnable" in error.detail


def test_a_return_id_is_used_once_per_order() -> None:
    ordered().accepted(ship((1, 3))).when(give_back((1, 1, "damaged")), give_back((1, 1, "damaged"))).raises(
        AlreadyExists, id="RT-1"
    )


def test_returning_a_line_the_order_does_not_have_is_refused() -> None:
    ordered().accepted(ship((1, 3))).when(give_back((4, 1, "damaged"))).raises(UnknownLine, lines=[4])


def test_returning_an_unknown_order_is_refused() -> None:
    given(*SALES).when(give_back((1, 1, "damaged"))).raises(UnknownOrder)


def test_what_shipped_before_a_cancellation_can_still_be_returned() -> None:
    cancel = CancelOrder(order_id="SO-1", reason="rest no longer needed")
    events = ordered().accepted(ship((1, 1)), cancel).when(give_back((1, 1, "resaleable"))).decided()
    assert [type(e).__name__ for e in events] == ["OrderReturned", "StockReceived"]


def test_a_return_id_too_long_for_its_receipt_ids_is_refused() -> None:
    ordered().accepted(ship((1, 3))).when(give_back((1, 1, "resaleable"), return_id="R" * 64)).raises(
        InvalidIdentifier, field="return_id"
    )
