"""Inventory deciders and evolvers: receipts, quarantine, transfers, counts and issues."""

from decimal import Decimal

from handlers import (
    AlreadyExists,
    InsufficientStock,
    LotMismatch,
    UnknownLocation,
    UnknownProduct,
    UnknownSupplier,
    evolve,
)
from handlers.model import ZERO
from schemas.base import Event
from schemas.inventory import (
    AdjustStock,
    IssueStock,
    LotRejected,
    LotReleased,
    ReceiveStock,
    ReservationReleased,
    StockAdjusted,
    StockIssued,
    StockQuarantined,
    StockReceived,
    StockReserved,
    StockTransferred,
    TransferStock,
)
from tests.unit.handlers_support import UNVALUED, D, given, level, location, product, received, supplier

SITES = (product(), location(), location("WH-B"), supplier())


def receive(qty: str | int, receipt_id: str = "R-1", **extra: str) -> ReceiveStock:
    return ReceiveStock(receipt_id=receipt_id, sku="SKU-1", location_id="WH-A", qty=D(qty), **extra)


def reserved(qty: str | int, order_id: str = "SO-1") -> StockReserved:
    return StockReserved(order_id=order_id, line_no=1, sku="SKU-1", location_id="WH-A", qty=D(qty))


def quarantined(qty: str | int, lot_id: str = "L-1", receipt_id: str = "R-0") -> StockQuarantined:
    return StockQuarantined(receipt_id=receipt_id, sku="SKU-1", location_id="WH-A", lot_id=lot_id, qty=D(qty))


# receive-stock ---------------------------------------------------------------------------


def test_receiving_stock_raises_on_hand() -> None:
    state = (
        given(*SITES)
        .when(receive("12.5", supplier_id="SUP-1", unit_cost="3.10"))
        .then(
            StockReceived(
                receipt_id="R-1",
                sku="SKU-1",
                location_id="WH-A",
                qty=D("12.5"),
                supplier_id="SUP-1",
                unit_cost=D("3.10"),
                value=D("38.75"),
                unit_cost_after=D("3.1000"),
            )
        )
    )
    assert level(state) == (D("12.5"), ZERO, ZERO, D("12.5"))


def test_receiving_a_product_that_requires_inspection_quarantines_it_as_its_own_lot() -> None:
    state = (
        given(product(inspected=True), location())
        .when(receive(10))
        .then(
            StockReceived(receipt_id="R-1", sku="SKU-1", location_id="WH-A", qty=D(10), **UNVALUED),
            StockQuarantined(receipt_id="R-1", sku="SKU-1", location_id="WH-A", lot_id="R-1", qty=D(10)),
        )
    )
    assert level(state) == (D(10), D(10), ZERO, ZERO)
    assert state.lots["R-1"].quarantined == D(10)


def test_receiving_an_inspected_product_keeps_the_named_lot() -> None:
    given(product(inspected=True), location()).when(receive(4, lot_id="L-7")).then(
        StockReceived(receipt_id="R-1", sku="SKU-1", location_id="WH-A", qty=D(4), lot_id="L-7", **UNVALUED),
        StockQuarantined(receipt_id="R-1", sku="SKU-1", location_id="WH-A", lot_id="L-7", qty=D(4)),
    )


def test_a_second_receipt_into_the_same_lot_adds_to_its_quarantine() -> None:
    scenario = given(product(inspected=True), location()).when(receive(4, lot_id="L-7"))
    scenario.when(receive(6, "R-2", lot_id="L-7")).decided()
    assert scenario.state.lots["L-7"].quarantined == D(10)
    assert level(scenario.state) == (D(10), D(10), ZERO, ZERO)


def test_a_lot_quarantined_for_another_location_is_refused() -> None:
    other = StockQuarantined(receipt_id="R-0", sku="SKU-1", location_id="WH-B", lot_id="L-7", qty=D(1))
    given(product(inspected=True), location(), location("WH-B"), other).when(receive(4, lot_id="L-7")).raises(
        LotMismatch, lot_id="L-7"
    )


def test_a_lot_quarantined_for_another_product_is_refused() -> None:
    other = StockQuarantined(receipt_id="R-0", sku="SKU-2", location_id="WH-A", lot_id="R-1", qty=D(1))
    given(product(inspected=True), product("SKU-2", inspected=True), location(), other).when(
        receive(4)
    ).raises(LotMismatch, lot_id="R-1")


def test_receiving_an_unknown_product_is_refused() -> None:
    given(location()).when(receive(1)).raises(UnknownProduct, sku="SKU-1")


def test_receiving_at_an_unknown_location_is_refused() -> None:
    given(product()).when(receive(1)).raises(UnknownLocation, location_id="WH-A")


def test_receiving_from_an_unknown_supplier_is_refused() -> None:
    given(product(), location()).when(receive(1, supplier_id="SUP-X")).raises(UnknownSupplier)


def test_a_receipt_id_is_used_once() -> None:
    given(*SITES).when(receive(1), receive(2)).raises(AlreadyExists, id="R-1")


# transfer-stock --------------------------------------------------------------------------


def transfer(qty: str | int, transfer_id: str = "T-1") -> TransferStock:
    return TransferStock(
        transfer_id=transfer_id, sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(qty)
    )


def test_a_transfer_moves_on_hand_between_locations() -> None:
    state = (
        given(*SITES, received(10))
        .when(transfer(4))
        .then(
            StockTransferred(
                transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(4), **UNVALUED
            )
        )
    )
    assert level(state)[0] == D(6)
    assert level(state, location_id="WH-B") == (D(4), ZERO, ZERO, D(4))


def test_a_transfer_may_take_everything_available() -> None:
    given(*SITES, received(10), reserved(3)).when(transfer(7)).then(
        StockTransferred(
            transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(7), **UNVALUED
        )
    )


def test_a_transfer_of_more_than_is_available_is_refused() -> None:
    error = (
        given(*SITES, received(10), reserved(3), quarantined(2)).when(transfer(6)).raises(InsufficientStock)
    )
    assert "5 available" in error.detail


def test_a_transfer_to_an_unknown_location_is_refused() -> None:
    given(product(), location(), received(10)).when(transfer(1)).raises(UnknownLocation, location_id="WH-B")


def test_a_transfer_of_an_unknown_product_is_refused() -> None:
    given(location(), location("WH-B")).when(transfer(1)).raises(UnknownProduct)


def test_a_transfer_id_is_used_once() -> None:
    given(*SITES, received(10)).when(transfer(1), transfer(1)).raises(AlreadyExists, id="T-1")


# adjust-stock ----------------------------------------------------------------------------


def count(counted: str | int, adjustment_id: str = "A-1", **extra: str) -> AdjustStock:
    return AdjustStock.model_validate(
        {
            "adjustment_id": adjustment_id,
            "sku": "SKU-1",
            "location_id": "WH-A",
            "counted_qty": D(counted),
            "reason": "cycle count",
            **extra,
        }
    )


def adjusted(counted: str | int, delta: str | int, adjustment_id: str = "A-1", **extra: str) -> StockAdjusted:
    return StockAdjusted.model_validate(
        {
            "adjustment_id": adjustment_id,
            "sku": "SKU-1",
            "location_id": "WH-A",
            "counted_qty": D(counted),
            "delta": D(delta),
            "reason_code": "cycle_count",
            "note": "cycle count",
            **UNVALUED,
            **extra,
        }
    )


def test_a_count_records_the_difference_from_on_hand() -> None:
    state = given(*SITES, received(10)).when(count(7)).then(adjusted(7, -3))
    assert level(state)[0] == D(7)


def test_a_count_above_on_hand_finds_stock() -> None:
    given(*SITES, received(10)).when(count("12.5")).then(adjusted("12.5", "2.5"))


def test_a_count_of_a_never_stocked_place_starts_from_zero() -> None:
    given(*SITES).when(count(3)).then(adjusted(3, 3))


def test_a_count_may_equal_what_is_held() -> None:
    state = given(*SITES, received(10), reserved(3), quarantined(2)).when(count(5)).then(adjusted(5, -5))
    assert level(state) == (D(5), D(2), D(3), ZERO)


def test_a_count_without_a_reason_code_reads_it_from_the_reason_and_keeps_the_text() -> None:
    text = "Pallet dropped, cartons damaged"
    given(*SITES, received(10)).when(count(8, reason=text)).then(
        adjusted(8, -2, reason_code="damage", note=text)
    )
    given(*SITES, received(10)).when(count(10, reason="audit")).then(
        adjusted(10, 0, reason_code="other", note="audit")
    )


def test_a_given_reason_code_wins_over_the_reason_text() -> None:
    given(*SITES, received(10)).when(count(9, reason="cycle count", reason_code="shrinkage")).then(
        adjusted(9, -1, reason_code="shrinkage")
    )


def test_a_count_below_quarantined_plus_reserved_is_refused() -> None:
    given(*SITES, received(10), reserved(3), quarantined(2)).when(count("4.9")).raises(
        InsufficientStock, sku="SKU-1", location_id="WH-A"
    )


def test_a_count_names_known_products_and_locations() -> None:
    given(location()).when(count(1)).raises(UnknownProduct)
    given(product()).when(count(1)).raises(UnknownLocation)


def test_an_adjustment_id_is_used_once() -> None:
    given(*SITES, received(10)).when(count(9), count(8)).raises(AlreadyExists, id="A-1")


# issue-stock -----------------------------------------------------------------------------


def issue(qty: str | int, issue_id: str = "I-1") -> IssueStock:
    return IssueStock(issue_id=issue_id, sku="SKU-1", location_id="WH-A", qty=D(qty), reason="scrap")


def test_an_issue_lowers_on_hand() -> None:
    state = (
        given(*SITES, received(10))
        .when(issue(4))
        .then(
            StockIssued(issue_id="I-1", sku="SKU-1", location_id="WH-A", qty=D(4), reason="scrap", **UNVALUED)
        )
    )
    assert level(state) == (D(6), ZERO, ZERO, D(6))


def test_an_issue_of_more_than_is_available_is_refused() -> None:
    given(*SITES, received(10), reserved(8)).when(issue(3)).raises(InsufficientStock)


def test_an_issue_names_known_products_and_locations() -> None:
    given(location()).when(issue(1)).raises(UnknownProduct)
    given(product()).when(issue(1)).raises(UnknownLocation)


def test_an_issue_id_is_used_once() -> None:
    given(*SITES, received(10)).when(issue(1), issue(1)).raises(AlreadyExists, id="I-1")


# evolve ----------------------------------------------------------------------------------


def test_every_stock_event_moves_the_level_as_documented() -> None:
    sale = StockIssued(
        issue_id="S-1-1", sku="SKU-1", location_id="WH-A", qty=D(2), reason="sale", order_id="SO-1", line_no=1
    )
    release = ReservationReleased(order_id="SO-1", line_no=1, sku="SKU-1", location_id="WH-A", qty=D(1))
    lot = {"lot_id": "L-1", "inspection_id": "Q-1", "sku": "SKU-1", "location_id": "WH-A"}
    out = StockTransferred(transfer_id="T-1", sku="SKU-1", from_location="WH-A", to_location="WH-B", qty=D(1))
    steps: list[tuple[Event, tuple[int, int, int]]] = [
        (received(20), (20, 0, 0)),
        (quarantined(6), (20, 6, 0)),
        (reserved(5), (20, 6, 5)),
        (sale, (18, 6, 3)),
        (release, (18, 6, 2)),
        (LotReleased(**lot, qty=D(4)), (18, 2, 2)),
        (LotRejected(**lot, qty=D(2)), (16, 0, 2)),
        (adjusted(15, -1), (15, 0, 2)),
        (out, (14, 0, 2)),
    ]
    state = given(*SITES).state
    for event, expected in steps:
        evolve(state, event)
        assert level(state)[:3] == tuple(Decimal(n) for n in expected), event
    assert state.lots["L-1"].quarantined == ZERO
    assert level(state, location_id="WH-B")[0] == D(1)


def test_a_sale_issue_does_not_take_its_id_from_issue_stock() -> None:
    sale = StockIssued(
        issue_id="I-1", sku="SKU-1", location_id="WH-A", qty=D(2), reason="sale", order_id="SO-1", line_no=1
    )
    given(*SITES, received(10), reserved(2), sale).when(issue(1)).then(
        StockIssued(issue_id="I-1", sku="SKU-1", location_id="WH-A", qty=D(1), reason="scrap", **UNVALUED)
    )
