"""Purchasing: placing and cancelling purchase orders, and receipts against their lines.

A line's open quantity is ``ordered - received - cancelled``; a receipt may take at most
that, and a cancellation takes all of what is open on every line. A receipt against a line is
decided by ``receive-stock`` (see ``handlers.inventory``), which asks ``purchase_line_received``
for the PO's side of it; the supplier and, unless the receipt names one, the cost are the PO's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from handlers import pricing
from handlers.checks import (
    require_fitting_amounts,
    require_known_skus,
    require_location,
    require_new,
    require_supplier,
)
from handlers.errors import (
    InvalidTransition,
    OverReceipt,
    POLineMismatch,
    UnknownPOLine,
    UnknownPurchaseOrder,
)
from handlers.model import Decider, Evolver, PurchaseLine, PurchaseOrder, WriteModel, plus
from schemas.base import Command, Event
from schemas.inventory import ReceiveStock
from schemas.purchasing import (
    CancelledRemainder,
    CancelPurchaseOrder,
    OrderedLine,
    PlacePurchaseOrder,
    PurchaseOrderCancelled,
    PurchaseOrderPlaced,
    PurchaseOrderReceived,
)


def require_purchase_order(state: WriteModel, po_id: str) -> PurchaseOrder:
    po = state.purchase_orders.get(po_id)
    if po is None:
        raise UnknownPurchaseOrder(f"no purchase order {po_id}", po_id=po_id)
    return po


def place_purchase_order(state: WriteModel, command: PlacePurchaseOrder) -> list[Event]:
    require_new(state.purchase_orders, command.po_id, "purchase order", command.po_id)
    require_supplier(state, command.supplier_id)
    require_location(state, command.deliver_to)
    require_known_skus(state, [(line.line_no, line.sku) for line in command.lines])
    amounts = {line.line_no: pricing.amount(line.qty, line.unit_cost) for line in command.lines}
    total = require_fitting_amounts(amounts, "purchase order")
    return [
        PurchaseOrderPlaced(
            po_id=command.po_id,
            supplier_id=command.supplier_id,
            deliver_to=command.deliver_to,
            currency=command.currency,
            expected_at=command.expected_at,
            lines=tuple(
                OrderedLine(
                    line_no=line.line_no,
                    sku=line.sku,
                    qty=line.qty,
                    unit_cost=line.unit_cost,
                    amount=amounts[line.line_no],
                )
                for line in command.lines
            ),
            total=total,
        )
    ]


def cancel_purchase_order(state: WriteModel, command: CancelPurchaseOrder) -> list[Event]:
    po = require_purchase_order(state, command.po_id)
    if po.cancelled:
        raise InvalidTransition(f"purchase order {command.po_id} is already cancelled", po_id=command.po_id)
    open_lines = [line for line in po.lines if line.open > 0]
    if not open_lines:
        raise InvalidTransition(
            f"purchase order {command.po_id} is received in full: nothing is left to cancel",
            po_id=command.po_id,
        )
    return [
        PurchaseOrderCancelled(
            po_id=command.po_id,
            reason=command.reason,
            lines=tuple(
                CancelledRemainder(line_no=line.line_no, sku=line.sku, qty=line.open) for line in open_lines
            ),
        )
    ]


def purchase_line_received(state: WriteModel, command: ReceiveStock) -> PurchaseOrderReceived | None:
    """The PO's side of a receipt against one of its lines (None for a receipt without a PO)."""
    if command.po_id is None or command.po_line is None:
        return None
    po = require_purchase_order(state, command.po_id)
    line = po.line(command.po_line)
    if line is None:
        raise UnknownPOLine(
            f"purchase order {command.po_id} has no line {command.po_line}",
            po_id=command.po_id,
            po_line=command.po_line,
        )
    differs = [
        f"{what} {given}, the line's is {expected}"
        for what, given, expected in (
            ("sku", command.sku, line.sku),
            ("location", command.location_id, po.deliver_to),
            ("supplier", command.supplier_id or po.supplier_id, po.supplier_id),
        )
        if given != expected
    ]
    if differs:
        raise POLineMismatch(
            f"purchase order {command.po_id} line {command.po_line}: " + "; ".join(differs),
            po_id=command.po_id,
            po_line=command.po_line,
        )
    if command.qty > line.open:
        raise OverReceipt(
            f"purchase order {command.po_id} line {command.po_line}: {command.qty} received, "
            f"{line.open} open (ordered {line.ordered}, received {line.received}, "
            f"cancelled {line.cancelled})",
            po_id=command.po_id,
            po_line=command.po_line,
            open=str(line.open),
        )
    return PurchaseOrderReceived(
        po_id=command.po_id,
        po_line=command.po_line,
        receipt_id=command.receipt_id,
        supplier_id=po.supplier_id,
        sku=command.sku,
        location_id=command.location_id,
        qty=command.qty,
        unit_cost=line.unit_cost if command.unit_cost is None else command.unit_cost,
    )


def purchase_order_placed(state: WriteModel, event: PurchaseOrderPlaced) -> None:
    lines = tuple(
        PurchaseLine(line_no=line.line_no, sku=line.sku, ordered=line.qty, unit_cost=line.unit_cost)
        for line in event.lines
    )
    state.purchase_orders[event.po_id] = PurchaseOrder(event.supplier_id, event.deliver_to, lines)


def purchase_order_received(state: WriteModel, event: PurchaseOrderReceived) -> None:
    po = state.purchase_orders[event.po_id]
    line = po.line(event.po_line)
    assert line is not None, "a receipt is decided against a line the PO has"
    state.purchase_orders[event.po_id] = po.with_line(replace(line, received=plus(line.received, event.qty)))


def purchase_order_cancelled(state: WriteModel, event: PurchaseOrderCancelled) -> None:
    po = state.purchase_orders[event.po_id]
    for cancelled in event.lines:
        line = po.line(cancelled.line_no)
        assert line is not None, "a cancellation names lines the PO has"
        po = po.with_line(replace(line, cancelled=plus(line.cancelled, cancelled.qty)))
    state.purchase_orders[event.po_id] = replace(po, cancelled=True)


DECIDERS: Mapping[type[Command], Decider] = {
    PlacePurchaseOrder: place_purchase_order,
    CancelPurchaseOrder: cancel_purchase_order,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    PurchaseOrderPlaced: purchase_order_placed,
    PurchaseOrderReceived: purchase_order_received,
    PurchaseOrderCancelled: purchase_order_cancelled,
}
