"""Inventory: receipts, transfers, counts and issues, and how every stock event moves a level.

The invariant every decider here guards is ``available = on_hand - quarantined - reserved >= 0``
at every product and location. Stock events caused by other areas (reservations of orders,
dispositions of inspected lots) are applied here too, since they all land on stock streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from handlers.checks import require_location, require_new, require_product, require_supplier
from handlers.errors import InsufficientStock, LotMismatch
from handlers.model import ZERO, Decider, Evolver, Lot, StockLevel, WriteModel, plus, stock_key
from handlers.purchasing import purchase_line_received
from handlers.valuation import Valuer, moved
from schemas.base import Command, Event
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
    reason_code_of,
)


def _require_available(state: WriteModel, sku: str, location_id: str, wanted: Decimal) -> None:
    available = state.level(sku, location_id).available
    if wanted > available:
        raise InsufficientStock(
            f"{sku} at {location_id}: {wanted} wanted, {available} available",
            sku=sku,
            location_id=location_id,
        )


def check_lot(state: WriteModel, lot_id: str, sku: str, location_id: str | None) -> Lot | None:
    """The lot's record, refusing a sku or location other than the one it was quarantined as."""
    lot = state.lots.get(lot_id)
    if lot is not None and (lot.sku != sku or location_id not in (None, lot.location_id)):
        raise LotMismatch(
            f"lot {lot_id} is {lot.sku} at {lot.location_id}, not {sku} at {location_id or 'any location'}",
            lot_id=lot_id,
        )
    return lot


def receive_stock(state: WriteModel, command: ReceiveStock) -> list[Event]:
    product = require_product(state, command.sku)
    require_location(state, command.location_id)
    require_supplier(state, command.supplier_id)
    require_new(state.receipts, command.receipt_id, "receipt", command.receipt_id)
    against = purchase_line_received(state, command)
    supplier_id = command.supplier_id if against is None else against.supplier_id
    unit_cost = command.unit_cost if against is None else against.unit_cost
    value, unit_cost_after = Valuer(state).add(command.sku, command.location_id, command.qty, unit_cost)
    received = StockReceived(
        receipt_id=command.receipt_id,
        sku=command.sku,
        location_id=command.location_id,
        qty=command.qty,
        lot_id=command.lot_id,
        supplier_id=supplier_id,
        unit_cost=unit_cost,
        po_id=command.po_id,
        po_line=command.po_line,
        value=value,
        unit_cost_after=unit_cost_after,
    )
    events: list[Event] = [received]
    if product.requires_inspection:
        lot_id = command.lot_id or command.receipt_id
        check_lot(state, lot_id, command.sku, command.location_id)
        events.append(
            StockQuarantined(
                receipt_id=command.receipt_id,
                sku=command.sku,
                location_id=command.location_id,
                lot_id=lot_id,
                qty=command.qty,
            )
        )
    if against is not None:
        events.append(against)
    return events


def transfer_stock(state: WriteModel, command: TransferStock) -> list[Event]:
    require_product(state, command.sku)
    require_location(state, command.from_location)
    require_location(state, command.to_location)
    require_new(state.transfers, command.transfer_id, "transfer", command.transfer_id)
    _require_available(state, command.sku, command.from_location, command.qty)
    value, unit_cost_after = Valuer(state).transfer(
        command.sku, command.from_location, command.to_location, command.qty
    )
    return [
        StockTransferred(
            transfer_id=command.transfer_id,
            sku=command.sku,
            from_location=command.from_location,
            to_location=command.to_location,
            qty=command.qty,
            value=value,
            unit_cost_after=unit_cost_after,
        )
    ]


def adjust_stock(state: WriteModel, command: AdjustStock) -> list[Event]:
    require_product(state, command.sku)
    require_location(state, command.location_id)
    require_new(state.adjustments, command.adjustment_id, "adjustment", command.adjustment_id)
    level = state.level(command.sku, command.location_id)
    # Quarantined and reserved stock is spoken for; a count below it cannot be booked.
    held = level.quarantined + level.reserved
    if command.counted_qty < held:
        raise InsufficientStock(
            f"{command.sku} at {command.location_id}: counted {command.counted_qty}, but {held} is "
            f"quarantined or reserved; release or cancel those first",
            sku=command.sku,
            location_id=command.location_id,
        )
    delta = command.counted_qty - level.on_hand
    valuer = Valuer(state)
    if delta < 0:
        removed, unit_cost_after = valuer.remove(command.sku, command.location_id, -delta)
        value = -removed
    else:
        value, unit_cost_after = valuer.add(command.sku, command.location_id, delta)
    return [
        StockAdjusted(
            adjustment_id=command.adjustment_id,
            sku=command.sku,
            location_id=command.location_id,
            counted_qty=command.counted_qty,
            delta=delta,
            reason_code=command.reason_code or reason_code_of(command.reason),
            note=command.reason,
            value=value,
            unit_cost_after=unit_cost_after,
        )
    ]


def issue_stock(state: WriteModel, command: IssueStock) -> list[Event]:
    require_product(state, command.sku)
    require_location(state, command.location_id)
    require_new(state.issues, command.issue_id, "issue", command.issue_id)
    _require_available(state, command.sku, command.location_id, command.qty)
    value, unit_cost_after = Valuer(state).remove(command.sku, command.location_id, command.qty)
    return [
        StockIssued(
            issue_id=command.issue_id,
            sku=command.sku,
            location_id=command.location_id,
            qty=command.qty,
            reason=command.reason,
            value=value,
            unit_cost_after=unit_cost_after,
        )
    ]


def _move(
    state: WriteModel,
    sku: str,
    location_id: str,
    on_hand: Decimal = ZERO,
    quarantined: Decimal = ZERO,
    reserved: Decimal = ZERO,
    value: Decimal | None = None,
    unit_cost_after: Decimal | None = None,
) -> None:
    key = stock_key(sku, location_id)
    level = state.level(sku, location_id)
    level = StockLevel(
        on_hand=plus(level.on_hand, on_hand),
        quarantined=plus(level.quarantined, quarantined),
        reserved=plus(level.reserved, reserved),
        value=level.value,
        unit_cost=level.unit_cost,
    )
    state.stock[key] = moved(level, value, unit_cost_after)


def _out(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


def _lot_moved(state: WriteModel, lot_id: str, sku: str, location_id: str, change: Decimal) -> None:
    lot = state.lots.get(lot_id)
    held = ZERO if lot is None else lot.quarantined
    sku, location_id = stock_key(sku, location_id)
    state.lots[lot_id] = Lot(sku=sku, location_id=location_id, quarantined=plus(held, change))


def stock_received(state: WriteModel, event: StockReceived) -> None:
    _move(
        state,
        event.sku,
        event.location_id,
        on_hand=event.qty,
        value=event.value,
        unit_cost_after=event.unit_cost_after,
    )
    if event.return_id is None:
        state.receipts.add(event.receipt_id)


def stock_quarantined(state: WriteModel, event: StockQuarantined) -> None:
    _move(state, event.sku, event.location_id, quarantined=event.qty)
    _lot_moved(state, event.lot_id, event.sku, event.location_id, event.qty)


def stock_transferred(state: WriteModel, event: StockTransferred) -> None:
    _move(
        state,
        event.sku,
        event.from_location,
        on_hand=-event.qty,
        value=_out(event.value),
        unit_cost_after=event.unit_cost_after,
    )
    _move(state, event.sku, event.to_location, on_hand=event.qty, value=event.value)
    state.transfers.add(event.transfer_id)


def stock_adjusted(state: WriteModel, event: StockAdjusted) -> None:
    _move(
        state,
        event.sku,
        event.location_id,
        on_hand=event.delta,
        value=event.value,
        unit_cost_after=event.unit_cost_after,
    )
    state.adjustments.add(event.adjustment_id)


def stock_issued(state: WriteModel, event: StockIssued) -> None:
    # A sale ships stock that its order reserved: the reservation goes with it.
    reserved = ZERO if event.order_id is None else -event.qty
    _move(
        state,
        event.sku,
        event.location_id,
        on_hand=-event.qty,
        reserved=reserved,
        value=_out(event.value),
        unit_cost_after=event.unit_cost_after,
    )
    if event.order_id is None:
        state.issues.add(event.issue_id)


def stock_reserved(state: WriteModel, event: StockReserved) -> None:
    _move(state, event.sku, event.location_id, reserved=event.qty)


def reservation_released(state: WriteModel, event: ReservationReleased) -> None:
    _move(state, event.sku, event.location_id, reserved=-event.qty)


def lot_released(state: WriteModel, event: LotReleased) -> None:
    _move(state, event.sku, event.location_id, quarantined=-event.qty)
    _lot_moved(state, event.lot_id, event.sku, event.location_id, -event.qty)


def lot_rejected(state: WriteModel, event: LotRejected) -> None:
    # The rejected stock leaves the location: on_hand falls with quarantined, available stays.
    _move(
        state,
        event.sku,
        event.location_id,
        on_hand=-event.qty,
        quarantined=-event.qty,
        value=_out(event.value),
        unit_cost_after=event.unit_cost_after,
    )
    _lot_moved(state, event.lot_id, event.sku, event.location_id, -event.qty)


DECIDERS: Mapping[type[Command], Decider] = {
    ReceiveStock: receive_stock,
    TransferStock: transfer_stock,
    AdjustStock: adjust_stock,
    IssueStock: issue_stock,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    StockReceived: stock_received,
    StockQuarantined: stock_quarantined,
    StockTransferred: stock_transferred,
    StockAdjusted: stock_adjusted,
    StockIssued: stock_issued,
    StockReserved: stock_reserved,
    ReservationReleased: reservation_released,
    LotReleased: lot_released,
    LotRejected: lot_rejected,
}
