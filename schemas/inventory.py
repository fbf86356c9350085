"""Inventory: stock receipts, transfers, counts, issues, reservations and lot dispositions.

Every inventory event lives on the stock stream of one product at one location,
`stock:{sku}@{location_id}`, so a location's levels fold from a single ordered stream. A
transfer is recorded once, on its source stream. Releasing or rejecting an inspected lot
changes stock, so those events live here too although inspections belong to quality.
"""

from typing import ClassVar, Literal, Self

from pydantic import model_validator

from schemas.base import Command, Event
from schemas.types import (
    Identifier,
    LineNo,
    NonNegativeMoney,
    NonNegativeQty,
    PositiveQty,
    Quantity,
    Text,
)

IssueReason = Literal["production", "scrap", "sample"]


def stock_stream(sku: str, location_id: str) -> str:
    """The stream of one product's stock at one location."""
    return f"stock:{sku}@{location_id}"


class ReceiveStock(Command):
    command_name: ClassVar[str] = "receive-stock"
    area: ClassVar[str] = "inventory"

    receipt_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    lot_id: Identifier | None = None
    supplier_id: Identifier | None = None
    unit_cost: NonNegativeMoney | None = None


class TransferStock(Command):
    command_name: ClassVar[str] = "transfer-stock"
    area: ClassVar[str] = "inventory"

    transfer_id: Identifier
    sku: Identifier
    from_location: Identifier
    to_location: Identifier
    qty: PositiveQty

    @model_validator(mode="after")
    def _two_places(self) -> Self:
        if self.from_location == self.to_location:
            raise ValueError("from_location and to_location must differ")
        return self


class AdjustStock(Command):
    """A physical count: the ledger records the difference from what it expected."""

    command_name: ClassVar[str] = "adjust-stock"
    area: ClassVar[str] = "inventory"

    adjustment_id: Identifier
    sku: Identifier
    location_id: Identifier
    counted_qty: NonNegativeQty
    reason: Text


class IssueStock(Command):
    command_name: ClassVar[str] = "issue-stock"
    area: ClassVar[str] = "inventory"

    issue_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    reason: IssueReason


class StockReceived(Event):
    """Stock arrived: from a supplier, or back from a customer (`return_id`, `order_id`)."""

    type: Literal["StockReceived"] = "StockReceived"

    receipt_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    lot_id: Identifier | None = None
    supplier_id: Identifier | None = None
    unit_cost: NonNegativeMoney | None = None
    return_id: Identifier | None = None
    order_id: Identifier | None = None

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class StockQuarantined(Event):
    """Received stock of a product that requires inspection waits for it."""

    type: Literal["StockQuarantined"] = "StockQuarantined"

    receipt_id: Identifier
    sku: Identifier
    location_id: Identifier
    lot_id: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class StockTransferred(Event):
    """Stock moved between locations; recorded on the source location's stream."""

    type: Literal["StockTransferred"] = "StockTransferred"

    transfer_id: Identifier
    sku: Identifier
    from_location: Identifier
    to_location: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.from_location)


class StockAdjusted(Event):
    type: Literal["StockAdjusted"] = "StockAdjusted"

    adjustment_id: Identifier
    sku: Identifier
    location_id: Identifier
    counted_qty: NonNegativeQty
    delta: Quantity
    reason: Text

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class StockIssued(Event):
    """Stock left a location: consumed, scrapped, sampled, or shipped (`sale`, with its order line)."""

    type: Literal["StockIssued"] = "StockIssued"

    issue_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    reason: Literal["production", "scrap", "sample", "sale"]
    order_id: Identifier | None = None
    shipment_id: Identifier | None = None
    line_no: LineNo | None = None

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class StockReserved(Event):
    type: Literal["StockReserved"] = "StockReserved"

    order_id: Identifier
    line_no: LineNo
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class ReservationReleased(Event):
    type: Literal["ReservationReleased"] = "ReservationReleased"

    order_id: Identifier
    line_no: LineNo
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class LotReleased(Event):
    """An inspected lot passed: its quarantined stock becomes available."""

    type: Literal["LotReleased"] = "LotReleased"

    lot_id: Identifier
    inspection_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class LotRejected(Event):
    """An inspected lot failed: its quarantined stock leaves the location."""

    type: Literal["LotRejected"] = "LotRejected"

    lot_id: Identifier
    inspection_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


COMMANDS: tuple[type[Command], ...] = (ReceiveStock, TransferStock, AdjustStock, IssueStock)
EVENTS: tuple[type[Event], ...] = (
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
