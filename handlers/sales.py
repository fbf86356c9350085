"""Sales: placing, shipping, cancelling and returning orders.

An order reserves every line in full at ``fulfil_from`` when placed; each line's unshipped
remainder (ordered - shipped - cancelled) stays reserved until it ships or is cancelled.
Stock documents take their ids from the order's own: a shipment issues ``{shipment_id}-{line_no}``
and a return receives ``{return_id}-{line_no}``. Money follows ``handlers.pricing``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from handlers import pricing
from handlers.checks import (
    listed,
    require_customer,
    require_derived_ids,
    require_fitting_amounts,
    require_known_skus,
    require_location,
    require_new,
    require_order,
    require_team,
)
from handlers.errors import (
    InsufficientStock,
    InvalidQuantity,
    InvalidTransition,
    UnknownLine,
    UnknownShipment,
)
from handlers.marketing import lead_won
from handlers.model import ZERO, Decider, Evolver, Line, Order, WriteModel
from handlers.valuation import Valuer
from schemas.base import Command, Event
from schemas.inventory import ReservationReleased, StockIssued, StockReceived, StockReserved
from schemas.sales import (
    CancelledLine,
    CancelOrder,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    OrderReturned,
    OrderShipped,
    PlaceOrder,
    RecordDelivery,
    ReturnedLine,
    ReturnOrder,
    ShipmentDelivered,
    ShipOrder,
    ShippedLine,
)


def _line_amounts(command: PlaceOrder) -> tuple[dict[int, Decimal], Decimal]:
    amounts = {
        line.line_no: pricing.amount(line.qty, pricing.net_price(line.unit_price, line.discount_pct))
        for line in command.lines
    }
    return amounts, require_fitting_amounts(amounts, "order")


def _require_reservable(state: WriteModel, command: PlaceOrder) -> None:
    """Every line reservable in full; lines sharing a sku draw on one level together."""
    wanted: dict[str, Decimal] = {}
    for line in command.lines:
        wanted[line.sku] = wanted.get(line.sku, ZERO) + line.qty
    available = {sku: state.level(sku, command.fulfil_from).available for sku in wanted}
    short = [sku for sku, qty in wanted.items() if qty > available[sku]]
    if short:
        lines = [line.line_no for line in command.lines if line.sku in short]
        detail = "; ".join(f"{sku} needs {wanted[sku]}, {available[sku]} available" for sku in short)
        raise InsufficientStock(
            f"order {command.order_id}: not enough available at {command.fulfil_from} for "
            f"{listed(lines)} ({detail})",
            lines=lines,
        )


def place_order(state: WriteModel, command: PlaceOrder) -> list[Event]:
    require_new(state.orders, command.order_id, "order", command.order_id)
    require_customer(state, command.customer_id)
    require_team(state, command.team_id)
    require_location(state, command.fulfil_from)
    require_known_skus(state, [(line.line_no, line.sku) for line in command.lines])
    campaign_id, won = lead_won(state, command)  # the lead is a reference: checked before the stock
    amounts, total = _line_amounts(command)
    _require_reservable(state, command)
    placed = OrderPlaced(
        order_id=command.order_id,
        customer_id=command.customer_id,
        channel=command.channel,
        team_id=command.team_id,
        rep_id=command.rep_id,
        campaign_id=campaign_id,
        currency=command.currency,
        fulfil_from=command.fulfil_from,
        promised_at=command.promised_at,
        lead_id=command.lead_id,
        lines=tuple(
            OrderLine(
                line_no=line.line_no,
                sku=line.sku,
                qty=line.qty,
                unit_price=line.unit_price,
                discount_pct=line.discount_pct,
                amount=amounts[line.line_no],
            )
            for line in command.lines
        ),
        total=total,
    )
    reservations = [
        StockReserved(
            order_id=command.order_id,
            line_no=line.line_no,
            sku=line.sku,
            location_id=command.fulfil_from,
            qty=line.qty,
        )
        for line in command.lines
    ]
    return [placed, *reservations] if won is None else [placed, *reservations, won]


def _lines_of(order: Order, order_id: str, line_nos: Sequence[int]) -> dict[int, Line]:
    """The order's lines by number, refusing numbers the order does not have."""
    lines = order.by_line_no()
    unknown = [line_no for line_no in line_nos if line_no not in lines]
    if unknown:
        raise UnknownLine(f"order {order_id} has no {listed(unknown)}", lines=unknown)
    return lines


def ship_order(state: WriteModel, command: ShipOrder) -> list[Event]:
    order = require_order(state, command.order_id)
    if order.cancelled:
        raise InvalidTransition(f"order {command.order_id} is cancelled", order_id=command.order_id)
    key = (command.order_id, command.shipment_id)
    require_new(state.shipments, key, f"order {command.order_id}: shipment", command.shipment_id)
    line_nos = [asked.line_no for asked in command.lines]
    lines = _lines_of(order, command.order_id, line_nos)
    shipping = [(lines[asked.line_no], asked.qty) for asked in command.lines]
    over = [line.line_no for line, qty in shipping if qty > line.unshipped]
    if over:
        left = "; ".join(f"line {n}: {lines[n].unshipped} left" for n in over)
        raise InvalidQuantity(
            f"order {command.order_id}: more than remains to ship on {listed(over)} ({left})", lines=over
        )
    require_derived_ids("shipment_id", command.shipment_id, line_nos)
    shipped = OrderShipped(
        order_id=command.order_id,
        shipment_id=command.shipment_id,
        lines=tuple(
            ShippedLine(
                line_no=line.line_no,
                sku=line.sku,
                qty=qty,
                amount=pricing.part_amount(line.shipped, qty, line.net_price),
            )
            for line, qty in shipping
        ),
    )
    valuer = Valuer(state)
    issues: list[Event] = []
    for line, qty in shipping:
        value, unit_cost_after = valuer.remove(line.sku, order.fulfil_from, qty)
        issues.append(
            StockIssued(
                issue_id=f"{command.shipment_id}-{line.line_no}",
                sku=line.sku,
                location_id=order.fulfil_from,
                qty=qty,
                reason="sale",
                order_id=command.order_id,
                shipment_id=command.shipment_id,
                line_no=line.line_no,
                value=value,
                unit_cost_after=unit_cost_after,
            )
        )
    return [shipped, *issues]


def cancel_order(state: WriteModel, command: CancelOrder) -> list[Event]:
    order = require_order(state, command.order_id)
    if order.cancelled:
        raise InvalidTransition(f"order {command.order_id} is already cancelled", order_id=command.order_id)
    open_lines = [line for line in order.lines if line.unshipped > 0]
    if not open_lines:
        raise InvalidTransition(
            f"order {command.order_id} is fully shipped: nothing is left to cancel", order_id=command.order_id
        )
    cancelled = OrderCancelled(
        order_id=command.order_id,
        reason=command.reason,
        lines=tuple(
            CancelledLine(line_no=line.line_no, sku=line.sku, qty=line.unshipped) for line in open_lines
        ),
    )
    releases = [
        ReservationReleased(
            order_id=command.order_id,
            line_no=line.line_no,
            sku=line.sku,
            location_id=order.fulfil_from,
            qty=line.unshipped,
        )
        for line in open_lines
    ]
    return [cancelled, *releases]


def return_order(state: WriteModel, command: ReturnOrder) -> list[Event]:
    order = require_order(state, command.order_id)
    key = (command.order_id, command.return_id)
    require_new(state.returns, key, f"order {command.order_id}: return", command.return_id)
    line_nos = [asked.line_no for asked in command.lines]
    lines = _lines_of(order, command.order_id, line_nos)
    returning = [(lines[asked.line_no], asked) for asked in command.lines]
    over = [line.line_no for line, asked in returning if asked.qty > line.returnable]
    if over:
        left = "; ".join(f"line {n}: {lines[n].returnable} returnable" for n in over)
        raise InvalidQuantity(
            f"order {command.order_id}: more returned than was shipped on {listed(over)} ({left})",
            lines=over,
        )
    require_derived_ids("return_id", command.return_id, line_nos)
    returned = OrderReturned(
        order_id=command.order_id,
        return_id=command.return_id,
        lines=tuple(
            ReturnedLine(
                line_no=line.line_no,
                sku=line.sku,
                qty=asked.qty,
                condition=asked.condition,
                amount=pricing.part_amount(line.returned, asked.qty, line.net_price),
            )
            for line, asked in returning
        ),
    )
    # Damaged goods are written off by the return itself; only resaleable ones are back in stock.
    valuer = Valuer(state)
    receipts: list[Event] = []
    for line, asked in returning:
        if asked.condition != "resaleable":
            continue
        value, unit_cost_after = valuer.add(line.sku, order.fulfil_from, asked.qty)
        receipts.append(
            StockReceived(
                receipt_id=f"{command.return_id}-{line.line_no}",
                sku=line.sku,
                location_id=order.fulfil_from,
                qty=asked.qty,
                return_id=command.return_id,
                order_id=command.order_id,
                value=value,
                unit_cost_after=unit_cost_after,
            )
        )
    return [returned, *receipts]


def record_delivery(state: WriteModel, command: RecordDelivery) -> list[Event]:
    require_order(state, command.order_id)
    key = (command.order_id, command.shipment_id)
    if key not in state.shipments:
        raise UnknownShipment(
            f"order {command.order_id} has no shipment {command.shipment_id}",
            order_id=command.order_id,
            shipment_id=command.shipment_id,
        )
    if key in state.deliveries:
        raise InvalidTransition(
            f"order {command.order_id}: shipment {command.shipment_id} is already delivered",
            order_id=command.order_id,
            shipment_id=command.shipment_id,
        )
    return [
        ShipmentDelivered(
            order_id=command.order_id,
            shipment_id=command.shipment_id,
            carrier=command.carrier,
            tracking=command.tracking,
        )
    ]


def order_placed(state: WriteModel, event: OrderPlaced) -> None:
    lines = tuple(
        Line(
            line_no=line.line_no,
            sku=line.sku,
            ordered=line.qty,
            net_price=pricing.net_price(line.unit_price, line.discount_pct),
        )
        for line in event.lines
    )
    state.orders[event.order_id] = Order(
        fulfil_from=event.fulfil_from, lines=lines, customer_id=sys.intern(event.customer_id)
    )


def order_shipped(state: WriteModel, event: OrderShipped) -> None:
    order = state.orders[event.order_id]
    state.orders[event.order_id] = order.changed(Line.ship, {line.line_no: line.qty for line in event.lines})
    state.shipments.add((event.order_id, event.shipment_id))


def order_cancelled(state: WriteModel, event: OrderCancelled) -> None:
    order = state.orders[event.order_id]
    order = order.changed(Line.cancel, {line.line_no: line.qty for line in event.lines})
    state.orders[event.order_id] = replace(order, cancelled=True)


def order_returned(state: WriteModel, event: OrderReturned) -> None:
    order = state.orders[event.order_id]
    state.orders[event.order_id] = order.changed(
        Line.take_back, {line.line_no: line.qty for line in event.lines}
    )
    state.returns.add((event.order_id, event.return_id))


def shipment_delivered(state: WriteModel, event: ShipmentDelivered) -> None:
    state.deliveries.add((event.order_id, event.shipment_id))


DECIDERS: Mapping[type[Command], Decider] = {
    PlaceOrder: place_order,
    ShipOrder: ship_order,
    CancelOrder: cancel_order,
    ReturnOrder: return_order,
    RecordDelivery: record_delivery,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    OrderPlaced: order_placed,
    OrderShipped: order_shipped,
    OrderCancelled: order_cancelled,
    OrderReturned: order_returned,
    ShipmentDelivered: shipment_delivered,
}
