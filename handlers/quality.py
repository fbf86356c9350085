"""Quality: recording inspections, and the disposition of a lot held in quarantine.

An inspection of a quarantined lot decides its stock: ``accept`` releases all of the lot's
quarantined quantity, ``reject`` removes it from the location, ``rework`` leaves it waiting.
An inspection of any other lot (in process, final, or a lot already disposed of) is recorded
and changes no stock. A lot keeps the sku and location it was quarantined as.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.checks import require_location, require_new, require_product, require_supplier
from handlers.inventory import check_lot
from handlers.model import Decider, Evolver, WriteModel
from handlers.valuation import Valuer
from schemas.base import Command, Event
from schemas.inventory import LotRejected, LotReleased
from schemas.quality import Defect, InspectionRecorded, RecordInspection


def record_inspection(state: WriteModel, command: RecordInspection) -> list[Event]:
    require_new(state.inspections, command.inspection_id, "inspection", command.inspection_id)
    require_product(state, command.sku)
    if command.location_id is not None:
        require_location(state, command.location_id)
    require_supplier(state, command.supplier_id)
    lot = check_lot(state, command.lot_id, command.sku, command.location_id)
    recorded = InspectionRecorded(
        inspection_id=command.inspection_id,
        lot_id=command.lot_id,
        sku=command.sku,
        location_id=command.location_id or (lot.location_id if lot else None),
        supplier_id=command.supplier_id,
        stage=command.stage,
        sample_size=command.sample_size,
        defective_units=command.defective_units,
        defects=tuple(Defect(category=d.category, count=d.count) for d in command.defects),
        disposition=command.disposition,
    )
    if lot is None or not lot.quarantined or command.disposition == "rework":
        return [recorded]
    if command.disposition == "accept":
        released = LotReleased(
            lot_id=command.lot_id,
            inspection_id=command.inspection_id,
            sku=lot.sku,
            location_id=lot.location_id,
            qty=lot.quarantined,
        )
        return [recorded, released]
    value, unit_cost_after = Valuer(state).remove(lot.sku, lot.location_id, lot.quarantined)
    rejected = LotRejected(
        lot_id=command.lot_id,
        inspection_id=command.inspection_id,
        sku=lot.sku,
        location_id=lot.location_id,
        qty=lot.quarantined,
        value=value,
        unit_cost_after=unit_cost_after,
    )
    return [recorded, rejected]


def inspection_recorded(state: WriteModel, event: InspectionRecorded) -> None:
    state.inspections.add(event.inspection_id)


DECIDERS: Mapping[type[Command], Decider] = {RecordInspection: record_inspection}
EVOLVERS: Mapping[type[Event], Evolver] = {InspectionRecorded: inspection_recorded}
