"""Quality deciders: inspections, and what they decide for a lot held in quarantine."""

from handlers import AlreadyExists, LotMismatch, UnknownLocation, UnknownProduct, UnknownSupplier
from handlers.model import ZERO
from schemas.inventory import LotRejected, LotReleased, ReceiveStock
from schemas.quality import DefectCount, Disposition, InspectionRecorded, RecordInspection, Stage
from tests.unit.handlers_support import UNVALUED, D, given, level, location, product, supplier

QUARANTINED = (product(inspected=True), product("SKU-2"), location(), location("WH-B"), supplier())
RECEIVE = ReceiveStock(receipt_id="R-1", sku="SKU-1", location_id="WH-A", qty=D(40), lot_id="L-1")


def inspect(
    disposition: Disposition,
    *,
    inspection_id: str = "Q-1",
    lot_id: str = "L-1",
    sku: str = "SKU-1",
    location_id: str | None = None,
    stage: Stage = "incoming",
) -> RecordInspection:
    return RecordInspection(
        inspection_id=inspection_id,
        lot_id=lot_id,
        sku=sku,
        location_id=location_id,
        supplier_id="SUP-1",
        stage=stage,
        sample_size=20,
        defective_units=2,
        defects=(DefectCount(category="scratch", count=3),),
        disposition=disposition,
    )


def recorded(command: RecordInspection, location_id: str | None = "WH-A") -> InspectionRecorded:
    fields = command.model_dump(exclude={"occurred_at"})
    fields["location_id"] = location_id
    return InspectionRecorded(**fields)


def test_accepting_a_quarantined_lot_releases_all_of_it() -> None:
    command = inspect("accept")
    state = (
        given(*QUARANTINED)
        .accepted(RECEIVE)
        .when(command)
        .then(
            recorded(command),
            LotReleased(lot_id="L-1", inspection_id="Q-1", sku="SKU-1", location_id="WH-A", qty=D(40)),
        )
    )
    assert level(state) == (D(40), ZERO, ZERO, D(40))


def test_rejecting_a_quarantined_lot_removes_it_from_stock() -> None:
    command = inspect("reject", location_id="WH-A")
    state = (
        given(*QUARANTINED)
        .accepted(RECEIVE)
        .when(command)
        .then(
            recorded(command),
            LotRejected(
                lot_id="L-1", inspection_id="Q-1", sku="SKU-1", location_id="WH-A", qty=D(40), **UNVALUED
            ),
        )
    )
    assert level(state) == (ZERO, ZERO, ZERO, ZERO)


def test_rework_leaves_the_lot_in_quarantine() -> None:
    command = inspect("rework")
    state = given(*QUARANTINED).accepted(RECEIVE).when(command).then(recorded(command))
    assert level(state) == (D(40), D(40), ZERO, ZERO)


def test_a_lot_disposed_of_once_is_only_recorded_afterwards() -> None:
    first, second = inspect("accept"), inspect("reject", inspection_id="Q-2", stage="final")
    given(*QUARANTINED).accepted(RECEIVE, first).when(second).then(recorded(second))


def test_a_lot_received_twice_is_released_whole() -> None:
    again = ReceiveStock(receipt_id="R-2", sku="SKU-1", location_id="WH-A", qty=D(5), lot_id="L-1")
    command = inspect("accept")
    given(*QUARANTINED).accepted(RECEIVE, again).when(command).then(
        recorded(command),
        LotReleased(lot_id="L-1", inspection_id="Q-1", sku="SKU-1", location_id="WH-A", qty=D(45)),
    )


def test_an_inspection_of_a_lot_never_quarantined_changes_no_stock() -> None:
    command = inspect("reject", lot_id="L-9", sku="SKU-2", stage="in_process")
    given(*QUARANTINED).when(command).then(recorded(command, location_id=None))


def test_an_inspection_naming_another_sku_than_the_lot_is_refused() -> None:
    given(*QUARANTINED).accepted(RECEIVE).when(inspect("accept", sku="SKU-2")).raises(
        LotMismatch, lot_id="L-1"
    )


def test_an_inspection_naming_another_location_than_the_lot_is_refused() -> None:
    given(*QUARANTINED).accepted(RECEIVE).when(inspect("accept", location_id="WH-B")).raises(LotMismatch)


def test_an_inspection_id_is_used_once() -> None:
    given(*QUARANTINED).accepted(RECEIVE).when(inspect("rework"), inspect("accept")).raises(
        AlreadyExists, id="Q-1"
    )


def test_an_inspection_names_known_products_locations_and_suppliers() -> None:
    given(*QUARANTINED).when(inspect("accept", sku="SKU-X")).raises(UnknownProduct)
    given(*QUARANTINED).when(inspect("accept", location_id="WH-X")).raises(UnknownLocation)
    given(product(), location()).when(inspect("accept")).raises(UnknownSupplier)


def test_quarantined_stock_becomes_available_within_the_batch_that_releases_it() -> None:
    scenario = given(*QUARANTINED).when(RECEIVE, inspect("accept"))
    events = scenario.decided()
    assert [type(e).__name__ for e in events] == [
        "StockReceived",
        "StockQuarantined",
        "InspectionRecorded",
        "LotReleased",
    ]
    assert level(scenario.state) == (D(40), ZERO, ZERO, D(40))
