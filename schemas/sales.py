"""Sales: orders from placement through shipment, cancellation and return.

Every sales event lives on the order's stream, `order:{order_id}`. Line numbers identify
order lines across the order's life, so a command or event names each line at most once;
stock effects (reservations, issues, returns to stock) are inventory events on stock streams.
"""

from decimal import Decimal
from typing import ClassVar, Literal

from schemas.base import Command, Event
from schemas.lines import Line, Lines, SomeLines
from schemas.types import (
    Currency,
    FreeText,
    Identifier,
    NonNegativeMoney,
    Percent,
    PositiveQty,
    StoredText,
    Timestamp,
)

SalesChannel = Literal["online", "store", "distributor", "direct"]
Condition = Literal["resaleable", "damaged"]


class PlaceLine(Line):
    sku: Identifier
    qty: PositiveQty
    unit_price: NonNegativeMoney
    discount_pct: Percent = Decimal(0)


class ShipLine(Line):
    qty: PositiveQty


class ReturnLine(Line):
    qty: PositiveQty
    condition: Condition


class OrderLine(Line):
    """A placed line; `amount` is what the line charges after its discount."""

    sku: Identifier
    qty: PositiveQty
    unit_price: NonNegativeMoney
    discount_pct: Percent = Decimal(0)
    amount: NonNegativeMoney


class ShippedLine(Line):
    sku: Identifier
    qty: PositiveQty
    amount: NonNegativeMoney


class CancelledLine(Line):
    sku: Identifier
    qty: PositiveQty


class ReturnedLine(Line):
    sku: Identifier
    qty: PositiveQty
    condition: Condition
    amount: NonNegativeMoney


class PlaceOrder(Command):
    """Book an order and reserve every line in full at `fulfil_from`."""

    command_name: ClassVar[str] = "place-order"
    area: ClassVar[str] = "sales"

    order_id: Identifier
    customer_id: Identifier
    channel: SalesChannel
    team_id: Identifier
    rep_id: Identifier | None = None
    campaign_id: Identifier | None = None
    currency: Currency
    fulfil_from: Identifier
    lines: Lines[PlaceLine]
    promised_at: Timestamp | None = None
    lead_id: Identifier | None = None


class ShipOrder(Command):
    command_name: ClassVar[str] = "ship-order"
    area: ClassVar[str] = "sales"

    order_id: Identifier
    shipment_id: Identifier
    lines: Lines[ShipLine]


class CancelOrder(Command):
    """Cancel whatever of the order is not yet shipped."""

    command_name: ClassVar[str] = "cancel-order"
    area: ClassVar[str] = "sales"

    order_id: Identifier
    reason: FreeText


class ReturnOrder(Command):
    command_name: ClassVar[str] = "return-order"
    area: ClassVar[str] = "sales"

    order_id: Identifier
    return_id: Identifier
    lines: Lines[ReturnLine]


class RecordDelivery(Command):
    """The customer received a shipment (the carrier's proof of delivery)."""

    command_name: ClassVar[str] = "record-delivery"
    area: ClassVar[str] = "sales"

    order_id: Identifier
    shipment_id: Identifier
    carrier: FreeText | None = None
    tracking: FreeText | None = None


class OrderPlaced(Event):
    type: Literal["OrderPlaced"] = "OrderPlaced"

    order_id: Identifier
    customer_id: Identifier
    channel: SalesChannel
    team_id: Identifier
    rep_id: Identifier | None = None
    campaign_id: Identifier | None = None
    currency: Currency
    fulfil_from: Identifier
    lines: Lines[OrderLine]
    total: NonNegativeMoney
    promised_at: Timestamp | None = None
    lead_id: Identifier | None = None

    def stream(self) -> str:
        return f"order:{self.order_id}"


class OrderShipped(Event):
    type: Literal["OrderShipped"] = "OrderShipped"

    order_id: Identifier
    shipment_id: Identifier
    lines: Lines[ShippedLine]

    def stream(self) -> str:
        return f"order:{self.order_id}"


class OrderCancelled(Event):
    """The unshipped remainder was cancelled; `lines` lists what each line gave up (maybe none)."""

    type: Literal["OrderCancelled"] = "OrderCancelled"

    order_id: Identifier
    reason: StoredText
    lines: SomeLines[CancelledLine]

    def stream(self) -> str:
        return f"order:{self.order_id}"


class OrderReturned(Event):
    type: Literal["OrderReturned"] = "OrderReturned"

    order_id: Identifier
    return_id: Identifier
    lines: Lines[ReturnedLine]

    def stream(self) -> str:
        return f"order:{self.order_id}"


class ShipmentDelivered(Event):
    type: Literal["ShipmentDelivered"] = "ShipmentDelivered"

    order_id: Identifier
    shipment_id: Identifier
    carrier: StoredText | None = None
    tracking: StoredText | None = None

    def stream(self) -> str:
        return f"order:{self.order_id}"


COMMANDS: tuple[type[Command], ...] = (PlaceOrder, ShipOrder, CancelOrder, ReturnOrder, RecordDelivery)
EVENTS: tuple[type[Event], ...] = (
    OrderPlaced,
    OrderShipped,
    OrderCancelled,
    OrderReturned,
    ShipmentDelivered,
)
