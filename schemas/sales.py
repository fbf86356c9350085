"""Sales: orders from placement through shipment, cancellation and return.

Every sales event lives on the order's stream, `order:{order_id}`. Line numbers identify
order lines across the order's life, so a command or event names each line at most once;
stock effects (reservations, issues, returns to stock) are inventory events on stock streams.
"""

from decimal import Decimal
from typing import Annotated, ClassVar, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.base import Command, Event
from schemas.types import (
    MAX_LINES,
    Currency,
    FreeText,
    Identifier,
    LineNo,
    NonNegativeMoney,
    Percent,
    PositiveQty,
    StoredText,
)

SalesChannel = Literal["online", "store", "distributor", "direct"]
Condition = Literal["resaleable", "damaged"]


class _Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    line_no: LineNo


LineT = TypeVar("LineT", bound=_Line)


def _unique_line_numbers(lines: tuple[LineT, ...]) -> tuple[LineT, ...]:
    seen: set[int] = set()
    for line in lines:
        if line.line_no in seen:
            raise ValueError(f"line_no {line.line_no} appears more than once")
        seen.add(line.line_no)
    return lines


Lines = Annotated[
    tuple[LineT, ...], Field(min_length=1, max_length=MAX_LINES), AfterValidator(_unique_line_numbers)
]
"""One to 500 lines, each line_no at most once."""


class PlaceLine(_Line):
    sku: Identifier
    qty: PositiveQty
    unit_price: NonNegativeMoney
    discount_pct: Percent = Decimal(0)


class ShipLine(_Line):
    qty: PositiveQty


class ReturnLine(_Line):
    qty: PositiveQty
    condition: Condition


class OrderLine(_Line):
    """A placed line; `amount` is what the line charges after its discount."""

    sku: Identifier
    qty: PositiveQty
    unit_price: NonNegativeMoney
    discount_pct: Percent = Decimal(0)
    amount: NonNegativeMoney


class ShippedLine(_Line):
    sku: Identifier
    qty: PositiveQty
    amount: NonNegativeMoney


class CancelledLine(_Line):
    sku: Identifier
    qty: PositiveQty


class ReturnedLine(_Line):
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
    lines: Annotated[
        tuple[CancelledLine, ...], Field(max_length=MAX_LINES), AfterValidator(_unique_line_numbers)
    ]

    def stream(self) -> str:
        return f"order:{self.order_id}"


class OrderReturned(Event):
    type: Literal["OrderReturned"] = "OrderReturned"

    order_id: Identifier
    return_id: Identifier
    lines: Lines[ReturnedLine]

    def stream(self) -> str:
        return f"order:{self.order_id}"


COMMANDS: tuple[type[Command], ...] = (PlaceOrder, ShipOrder, CancelOrder, ReturnOrder)
EVENTS: tuple[type[Event], ...] = (OrderPlaced, OrderShipped, OrderCancelled, OrderReturned)
