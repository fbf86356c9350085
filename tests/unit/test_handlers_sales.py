"""Sales deciders, placing and cancelling: full reservation, line money, unshipped remainders."""

from decimal import Decimal

import pytest

from handlers import (
    AlreadyExists,
    DomainError,
    InsufficientStock,
    InvalidQuantity,
    InvalidTransition,
    UnknownCustomer,
    UnknownLocation,
    UnknownOrder,
    UnknownProduct,
    UnknownTeam,
)
from handlers.model import ZERO
from schemas.inventory import ReceiveStock, ReservationReleased, StockReserved
from schemas.sales import (
    CancelledLine,
    CancelOrder,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PlaceLine,
    PlaceOrder,
    ShipLine,
    ShipOrder,
)
from tests.unit.handlers_support import (
    SALES,
    D,
    Scenario,
    customer,
    given,
    level,
    line,
    location,
    place,
    product,
    received,
    team,
)


def placed(*lines: OrderLine, total: str, order_id: str = "SO-1") -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id="CUS-1",
        channel="online",
        team_id="north",
        currency="EUR",
        fulfil_from="WH-A",
        lines=lines,
        total=D(total),
    )


def priced(source: PlaceLine, amount: str) -> OrderLine:
    return OrderLine(**source.model_dump(), amount=D(amount))


def reservation(line_no: int, qty: str | int, sku: str = "SKU-1", order_id: str = "SO-1") -> StockReserved:
    return StockReserved(order_id=order_id, line_no=line_no, sku=sku, location_id="WH-A", qty=D(qty))


def ordered(*lines: PlaceLine) -> Scenario:
    return given(*SALES).accepted(place(*lines))


# place-order -----------------------------------------------------------------------------


def test_placing_an_order_prices_its_lines_and_reserves_them() -> None:
    first, second = line(1, 3, "19.99", discount="12.5"), line(2, 2, "5.00", sku="SKU-2")
    state = (
        given(*SALES)
        .when(place(first, second))
        .then(
            placed(priced(first, "52.47"), priced(second, "10.00"), total="62.47"),
            reservation(1, 3),
            reservation(2, 2, "SKU-2"),
        )
    )
    assert level(state) == (D(10), ZERO, D(3), D(7))
    assert level(state, "SKU-2") == (D(4), ZERO, D(2), D(2))


@pytest.mark.parametrize(
    ("qty", "price", "discount", "amount"),
    [
        ("1", "2.345", "0", "2.35"),  # half-up, where banker's rounding would give 2.34
        ("1", "0.005", "0", "0.01"),
        ("3", "10.00", "33.3333", "20.00"),
        ("0.5", "3.33", "10", "1.50"),  # 1.4985
        ("7", "0", "0", "0.00"),
        ("2", "10.00", "100", "0.00"),
    ],
)
def test_a_line_amount_is_its_discounted_price_rounded_half_up(
    qty: str, price: str, discount: str, amount: str
) -> None:
    source = line(1, qty, price, discount=discount)
    given(*SALES).when(place(source)).then(placed(priced(source, amount), total=amount), reservation(1, qty))


def test_lines_sharing_a_sku_must_be_reservable_together() -> None:
    error = given(*SALES).when(place(line(1, 6), line(2, 5))).raises(InsufficientStock, lines=[1, 2])
    assert "SKU-1 needs 11, 10 available" in error.detail


def test_one_refusal_names_every_short_line_and_only_those() -> None:
    command = place(line(1, 10), line(2, 3, sku="SKU-2"), line(3, 2, sku="SKU-2"))
    given(*SALES).when(command).raises(InsufficientStock, lines=[2, 3])


def test_stock_reserved_by_an_earlier_order_of_the_batch_is_not_available() -> None:
    given(*SALES).when(place(line(1, 7)), place(line(1, 4), order_id="SO-2")).raises(
        InsufficientStock, lines=[1]
    )


def test_quarantined_stock_cannot_be_reserved() -> None:
    setup = (product(inspected=True), location(), customer(), team())
    receive = ReceiveStock(receipt_id="R-1", sku="SKU-1", location_id="WH-A", qty=D(5))
    given(*setup).accepted(receive).when(place(line(1, 1))).raises(InsufficientStock, lines=[1])


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (place(line(1, 1), customer_id="CUS-X"), UnknownCustomer),
        (place(line(1, 1), team_id="south"), UnknownTeam),
        (place(line(1, 1), fulfil_from="WH-X"), UnknownLocation),
    ],
)
def test_an_order_names_known_customers_teams_and_locations(
    command: PlaceOrder, error: type[DomainError]
) -> None:
    given(*SALES).when(command).raises(error)


def test_an_order_naming_unknown_products_names_their_lines() -> None:
    command = place(line(1, 1), line(2, 1, sku="SKU-X"), line(3, 1, sku="SKU-Y"))
    given(*SALES).when(command).raises(UnknownProduct, lines=[2, 3], skus=["SKU-X", "SKU-Y"])


def test_an_order_id_is_used_once() -> None:
    ordered(line(1, 1)).when(place(line(1, 1))).raises(AlreadyExists, id="SO-1")


def test_an_amount_too_large_for_the_ledger_is_refused() -> None:
    huge = line(1, "999999999999", "99999999999.99")
    given(*SALES, received("999999999999")).when(place(huge)).raises(InvalidQuantity, lines=[1])


# cancel-order ----------------------------------------------------------------------------


def cancel(order_id: str = "SO-1") -> CancelOrder:
    return CancelOrder(order_id=order_id, reason="customer changed their mind")


def test_cancelling_releases_every_line() -> None:
    state = (
        ordered(line(1, 3), line(2, 2, sku="SKU-2"))
        .when(cancel())
        .then(
            OrderCancelled(
                order_id="SO-1",
                reason="customer changed their mind",
                lines=(
                    CancelledLine(line_no=1, sku="SKU-1", qty=D(3)),
                    CancelledLine(line_no=2, sku="SKU-2", qty=D(2)),
                ),
            ),
            ReservationReleased(order_id="SO-1", line_no=1, sku="SKU-1", location_id="WH-A", qty=D(3)),
            ReservationReleased(order_id="SO-1", line_no=2, sku="SKU-2", location_id="WH-A", qty=D(2)),
        )
    )
    assert level(state) == (D(10), ZERO, ZERO, D(10))
    assert state.orders["SO-1"].cancelled


def test_cancelling_after_a_partial_shipment_cancels_only_the_remainder() -> None:
    ship = ShipOrder(
        order_id="SO-1",
        shipment_id="SH-1",
        lines=(ShipLine(line_no=1, qty=D(1)), ShipLine(line_no=2, qty=D(2))),
    )
    state = (
        ordered(line(1, 3), line(2, 2, sku="SKU-2"))
        .accepted(ship)
        .when(cancel())
        .then(
            OrderCancelled(
                order_id="SO-1",
                reason="customer changed their mind",
                lines=(CancelledLine(line_no=1, sku="SKU-1", qty=D(2)),),
            ),
            ReservationReleased(order_id="SO-1", line_no=1, sku="SKU-1", location_id="WH-A", qty=D(2)),
        )
    )
    assert level(state) == (D(9), ZERO, ZERO, D(9))
    assert level(state, "SKU-2") == (D(2), ZERO, ZERO, D(2))


def test_an_order_is_not_cancelled_twice() -> None:
    ordered(line(1, 3)).when(cancel(), cancel()).raises(InvalidTransition, order_id="SO-1")


def test_a_fully_shipped_order_cannot_be_cancelled() -> None:
    ship = ShipOrder(order_id="SO-1", shipment_id="SH-1", lines=(ShipLine(line_no=1, qty=D(3)),))
    error = ordered(line(1, 3)).accepted(ship).when(cancel()).raises(InvalidTransition)
    assert "fully shipped" in error.detail


def test_cancelling_an_unknown_order_is_refused() -> None:
    given(*SALES).when(cancel("SO-X")).raises(UnknownOrder, order_id="SO-X")


def test_cancelled_stock_can_be_reserved_again_in_the_same_batch() -> None:
    given(*SALES).accepted(place(line(1, 10))).when(cancel(), place(line(1, 10), order_id="SO-2")).then(
        OrderCancelled(
            order_id="SO-1",
            reason="customer changed their mind",
            lines=(CancelledLine(line_no=1, sku="SKU-1", qty=D(10)),),
        ),
        ReservationReleased(order_id="SO-1", line_no=1, sku="SKU-1", location_id="WH-A", qty=D(10)),
        placed(priced(line(1, 10), "100.00"), total="100.00", order_id="SO-2"),
        reservation(1, 10, order_id="SO-2"),
    )


def test_net_price_is_kept_exact_for_later_shipments() -> None:
    state = ordered(line(1, 3, "10.00", discount="33.3333")).state
    assert state.orders["SO-1"].lines[0].net_price == Decimal("6.66667")
