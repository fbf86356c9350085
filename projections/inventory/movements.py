"""How each stock event moves the levels of a product at a location: the stock ledger's rows.

Pure: no I/O. Every stock event becomes one movement per location it touches (a transfer
touches two: its source, then its destination), with signed changes of on_hand, quarantined,
reserved and stock value, and the id of the document that caused it. Levels are sums of these
changes, so they never depend on how the facts were split into batches or in which order
streams arrived.

Value changes are the amounts the writer recorded (``value``): added by receipts, returns,
positive counts and a transfer's destination; removed by issues, shipments, rejected lots,
negative counts and a transfer's source. An event recorded before valuation (no ``value``)
moves no value. ``unit_cost_after`` is the location's average the event recorded, kept on
the leg at that location (a transfer records only its source's).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.store import Fact
from schemas import Event
from schemas.inventory import (
    LotRejected,
    LotReleased,
    ReservationReleased,
    StockAdjusted,
    StockIssued,
    StockQuarantined,
    StockReceived,
    StockReserved,
    StockTransferred,
)

ZERO = Decimal(0)

STOCK_EVENTS: tuple[type[Event], ...] = (
    StockReceived,
    StockQuarantined,
    StockTransferred,
    StockAdjusted,
    StockIssued,
    StockReserved,
    ReservationReleased,
    LotReleased,
    LotRejected,
)
"""Every event that moves stock: the ones ``changes_of`` answers for."""

SOURCE_LEG = 0
"""The leg of a movement at the event's own location (a transfer's source)."""
DESTINATION_LEG = 1
"""The second leg of a transfer, at its destination; ordered after the source leg."""


@dataclass(slots=True)
class Change:
    """What one event does at one location, before it is placed in the log.

    This and ``Movement`` are never changed once built, yet not frozen: one of each is built
    per event projected, and a frozen dataclass costs twice as much to build.
    """

    location_id: str
    document_id: str
    on_hand: Decimal = ZERO
    quarantined: Decimal = ZERO
    reserved: Decimal = ZERO
    value: Decimal = ZERO
    unit_cost_after: Decimal | None = None
    leg: int = SOURCE_LEG


@dataclass(slots=True)
class Movement:
    """One row of the stock ledger: keyed by (event_id, location_id)."""

    event_id: str
    location_id: str
    leg: int
    sku: str
    stream: str
    version: int
    occurred_at: datetime
    type: str
    qty_change: Decimal
    quarantined_change: Decimal
    reserved_change: Decimal
    document_id: str
    value_change: Decimal
    unit_cost_after: Decimal | None


def _in(value: Decimal | None) -> Decimal:
    return ZERO if value is None else value


def _out(value: Decimal | None) -> Decimal:
    return ZERO if value is None else -value


def changes_of(event: object) -> tuple[str, list[Change]] | None:
    """The sku and per-location changes of a stock event; None for any other event."""
    match event:
        case StockReceived():
            return event.sku, [
                Change(
                    event.location_id,
                    event.receipt_id,
                    on_hand=event.qty,
                    value=_in(event.value),
                    unit_cost_after=event.unit_cost_after,
                )
            ]
        case StockQuarantined():
            return event.sku, [Change(event.location_id, event.lot_id, quarantined=event.qty)]
        case StockTransferred():
            return event.sku, [
                Change(
                    event.from_location,
                    event.transfer_id,
                    on_hand=-event.qty,
                    value=_out(event.value),
                    unit_cost_after=event.unit_cost_after,
                ),
                Change(
                    event.to_location,
                    event.transfer_id,
                    on_hand=event.qty,
                    value=_in(event.value),
                    leg=DESTINATION_LEG,
                ),
            ]
        case StockAdjusted():
            # The only event whose recorded value is signed.
            return event.sku, [
                Change(
                    event.location_id,
                    event.adjustment_id,
                    on_hand=event.delta,
                    value=_in(event.value),
                    unit_cost_after=event.unit_cost_after,
                )
            ]
        case StockIssued():
            # A sale ships stock its order reserved: the reservation leaves with it.
            reserved = ZERO if event.order_id is None else -event.qty
            return event.sku, [
                Change(
                    event.location_id,
                    event.issue_id,
                    on_hand=-event.qty,
                    reserved=reserved,
                    value=_out(event.value),
                    unit_cost_after=event.unit_cost_after,
                )
            ]
        case StockReserved():
            return event.sku, [Change(event.location_id, event.order_id, reserved=event.qty)]
        case ReservationReleased():
            return event.sku, [Change(event.location_id, event.order_id, reserved=-event.qty)]
        case LotReleased():
            return event.sku, [Change(event.location_id, event.lot_id, quarantined=-event.qty)]
        case LotRejected():
            return event.sku, [
                Change(
                    event.location_id,
                    event.lot_id,
                    on_hand=-event.qty,
                    quarantined=-event.qty,
                    value=_out(event.value),
                    unit_cost_after=event.unit_cost_after,
                )
            ]
    return None


def movements_of(facts: Sequence[Fact]) -> list[Movement]:
    """The ledger rows of a batch, each (event, location) once even if a fact came twice."""
    rows: dict[tuple[str, str], Movement] = {}
    for fact in facts:
        found = changes_of(fact.event)
        if found is None:
            continue
        sku, changes = found
        env = fact.envelope
        for change in changes:
            # In Movement's field order: with keywords, movements_of took a third longer.
            rows[(env.id, change.location_id)] = Movement(
                env.id, change.location_id, change.leg, sku, env.stream, env.version, env.occurred_at,
                env.type, change.on_hand, change.quarantined, change.reserved, change.document_id,
                change.value, change.unit_cost_after,
            )  # fmt: skip
    return list(rows.values())
