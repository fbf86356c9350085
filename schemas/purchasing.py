"""Purchasing: purchase orders to suppliers, the receipts against their lines, cancellations.

Every purchasing event lives on the purchase order's stream, `po:{po_id}`, in the
`purchasing` topic. A receipt against a PO line is recorded twice in one append: as stock
(StockReceived on the stock stream, which moves levels and value) and as
PurchaseOrderReceived on the PO's stream (which moves the line's received quantity), so
each stream folds on its own.
"""

from typing import ClassVar, Literal

from schemas.base import Command, Event
from schemas.lines import Line, Lines
from schemas.types import (
    Currency,
    FreeText,
    Identifier,
    LineNo,
    NonNegativeMoney,
    PositiveQty,
    StoredText,
    Timestamp,
)


def po_stream(po_id: str) -> str:
    return f"po:{po_id}"


class PurchaseLine(Line):
    sku: Identifier
    qty: PositiveQty
    unit_cost: NonNegativeMoney


class OrderedLine(Line):
    """A placed PO line; `amount` is qty x unit_cost, half-up to cents."""

    sku: Identifier
    qty: PositiveQty
    unit_cost: NonNegativeMoney
    amount: NonNegativeMoney


class CancelledRemainder(Line):
    """What a cancellation took off one line: its whole unreceived remainder."""

    sku: Identifier
    qty: PositiveQty


class PlacePurchaseOrder(Command):
    """Order stock from a supplier, delivered to one location by `expected_at`."""

    command_name: ClassVar[str] = "place-purchase-order"
    area: ClassVar[str] = "purchasing"

    po_id: Identifier
    supplier_id: Identifier
    deliver_to: Identifier
    currency: Currency
    expected_at: Timestamp
    lines: Lines[PurchaseLine]


class CancelPurchaseOrder(Command):
    """Cancel every line's unreceived remainder; what was received stays received."""

    command_name: ClassVar[str] = "cancel-purchase-order"
    area: ClassVar[str] = "purchasing"

    po_id: Identifier
    reason: FreeText


class PurchaseOrderPlaced(Event):
    type: Literal["PurchaseOrderPlaced"] = "PurchaseOrderPlaced"

    po_id: Identifier
    supplier_id: Identifier
    deliver_to: Identifier
    currency: Currency
    expected_at: Timestamp
    lines: Lines[OrderedLine]
    total: NonNegativeMoney

    def stream(self) -> str:
        return po_stream(self.po_id)


class PurchaseOrderReceived(Event):
    """Stock received against one PO line (its StockReceived carries the same receipt_id)."""

    type: Literal["PurchaseOrderReceived"] = "PurchaseOrderReceived"

    po_id: Identifier
    po_line: LineNo
    receipt_id: Identifier
    supplier_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    unit_cost: NonNegativeMoney

    def stream(self) -> str:
        return po_stream(self.po_id)


class PurchaseOrderCancelled(Event):
    type: Literal["PurchaseOrderCancelled"] = "PurchaseOrderCancelled"

    po_id: Identifier
    reason: StoredText
    lines: Lines[CancelledRemainder]

    def stream(self) -> str:
        return po_stream(self.po_id)


COMMANDS: tuple[type[Command], ...] = (PlacePurchaseOrder, CancelPurchaseOrder)
EVENTS: tuple[type[Event], ...] = (PurchaseOrderPlaced, PurchaseOrderReceived, PurchaseOrderCancelled)
