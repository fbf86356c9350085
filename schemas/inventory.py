"""Inventory: stock receipts, transfers, counts, issues, reservations and lot dispositions.

Every inventory event lives on the stock stream of one product at one location,
`stock:{sku}@{location_id}`, so a location's levels fold from a single ordered stream. A
transfer is recorded once, on its source stream. Releasing or rejecting an inspected lot
changes stock, so those events live here too although inspections belong to quality.

Valuation is a moving average per product and location, decided by the writer in command
order and recorded in the events that move value: `value` is the amount a movement added
(a receipt, a positive count) or removed (an issue, a transfer, a rejected lot, a negative
count, signed on StockAdjusted), and `unit_cost_after` the location's average after it (the
source's, for a transfer; its destination gains the same `value`). Read models only add the
recorded amounts, so they never depend on the order streams are read in. Events recorded
before valuation carry neither (null): they moved no value.
"""

import re
from collections.abc import Callable
from typing import Any, ClassVar, Final, Literal, Self

from pydantic import ConfigDict, model_validator

from schemas.base import Command, Event
from schemas.types import (
    FreeText,
    Identifier,
    LineNo,
    Money,
    NonNegativeMoney,
    NonNegativeQty,
    PositiveQty,
    Quantity,
    StoredText,
)

IssueReason = Literal["production", "scrap", "sample"]

AdjustmentReason = Literal["cycle_count", "damage", "shrinkage", "found", "correction", "other"]
"""Why a count differed from the books (StockAdjusted v2 `reason_code`)."""

# The mapping rule from a free-text reason to its code: the first rule with a keyword that
# starts a word of the text, case-insensitively, wins; no keyword at all is `other`. Causes
# come before `cycle_count`, so "cycle count: damaged packaging" is damage found by a count.
# The adjust-stock handler (a command without `reason_code`) and the v1 -> v2 upcaster share
# this rule, so an old event reads exactly as the same command would be recorded today. It
# is part of what v1 data means once upcast: change it only together with a new version.
_REASON_RULES: Final[tuple[tuple[AdjustmentReason, re.Pattern[str]], ...]] = (
    ("damage", re.compile(r"\b(damage|broken|spoil)", re.IGNORECASE)),
    ("shrinkage", re.compile(r"\b(shrink|theft|stolen|missing|lost)", re.IGNORECASE)),
    ("correction", re.compile(r"\b(correct|error|mistake)", re.IGNORECASE)),
    ("found", re.compile(r"\bfound", re.IGNORECASE)),
    ("cycle_count", re.compile(r"\b(count|stocktake)", re.IGNORECASE)),
)


def reason_code_of(reason: str) -> AdjustmentReason:
    """The code a free-text adjustment reason maps to (see `_REASON_RULES`); else `other`."""
    for code, keywords in _REASON_RULES:
        if keywords.search(reason):
            return code
    return "other"


def stock_stream(sku: str, location_id: str) -> str:
    """The stream of one product's stock at one location."""
    return f"stock:{sku}@{location_id}"


class ReceiveStock(Command):
    """Stock arrives at a location. A receipt against a purchase order line names po_id and
    po_line together (or neither); its supplier is then the PO's and unit_cost defaults to the
    line's."""

    command_name: ClassVar[str] = "receive-stock"
    area: ClassVar[str] = "inventory"

    receipt_id: Identifier
    sku: Identifier
    location_id: Identifier
    qty: PositiveQty
    lot_id: Identifier | None = None
    supplier_id: Identifier | None = None
    unit_cost: NonNegativeMoney | None = None
    po_id: Identifier | None = None
    po_line: LineNo | None = None

    @model_validator(mode="after")
    def _po_line_with_its_po(self) -> Self:
        if (self.po_id is None) != (self.po_line is None):
            raise ValueError("po_id and po_line go together: give both or neither")
        return self


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
    """A physical count: the ledger records the difference from what it expected.

    `reason` is free text, kept whole as the event's note. `reason_code` classifies it; when
    absent it is read from the reason's words: damage, shrinkage, correction, found or cycle
    count, else other.
    """

    command_name: ClassVar[str] = "adjust-stock"
    area: ClassVar[str] = "inventory"

    adjustment_id: Identifier
    sku: Identifier
    location_id: Identifier
    counted_qty: NonNegativeQty
    reason: FreeText
    reason_code: AdjustmentReason | None = None


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
    po_id: Identifier | None = None
    po_line: LineNo | None = None
    value: NonNegativeMoney | None = None
    unit_cost_after: NonNegativeMoney | None = None

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

    value: NonNegativeMoney | None = None
    unit_cost_after: NonNegativeMoney | None = None

    def stream(self) -> str:
        return stock_stream(self.sku, self.from_location)


# StockAdjusted as first recorded, with only a free-text reason. Never written any more: kept
# so stored v1 data validates as what it is before `upcast_stock_adjusted_v1_v2`. No docstring
# and the type's title, not this class's name, keep its published JSON Schema byte for byte.
class StockAdjustedV1(Event):
    model_config = ConfigDict(title="StockAdjusted")

    type: Literal["StockAdjusted"] = "StockAdjusted"

    adjustment_id: Identifier
    sku: Identifier
    location_id: Identifier
    counted_qty: NonNegativeQty
    delta: Quantity
    reason: StoredText

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


class StockAdjusted(Event):
    """A count booked the difference `delta` to on_hand; why, as a code and an optional note."""

    schema_version: ClassVar[int] = 2

    type: Literal["StockAdjusted"] = "StockAdjusted"

    adjustment_id: Identifier
    sku: Identifier
    location_id: Identifier
    counted_qty: NonNegativeQty
    delta: Quantity
    reason_code: AdjustmentReason
    note: StoredText | None = None

    value: Money | None = None
    unit_cost_after: NonNegativeMoney | None = None

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


def upcast_stock_adjusted_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
    """StockAdjusted v1 data as v2: the reason's code by `reason_code_of`, the whole text as note.

    Pure (a new dict, the input untouched); only ever given v1 data that validated as v1.
    """
    lifted = {name: value for name, value in data.items() if name != "reason"}
    lifted["reason_code"] = reason_code_of(data["reason"])
    lifted["note"] = data["reason"]
    return lifted


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

    value: NonNegativeMoney | None = None
    unit_cost_after: NonNegativeMoney | None = None

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

    value: NonNegativeMoney | None = None
    unit_cost_after: NonNegativeMoney | None = None

    def stream(self) -> str:
        return stock_stream(self.sku, self.location_id)


COMMANDS: tuple[type[Command], ...] = (ReceiveStock, TransferStock, AdjustStock, IssueStock)
EVENTS: tuple[type[Event], ...] = (
    StockReceived,
    StockQuarantined,
    StockTransferred,
    StockAdjustedV1,
    StockAdjusted,
    StockIssued,
    StockReserved,
    ReservationReleased,
    LotReleased,
    LotRejected,
)
UPCASTERS: tuple[tuple[str, int, Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
    ("StockAdjusted", 1, upcast_stock_adjusted_v1_v2),
)
"""(type, from_version, upcaster) for every old event version of this area."""
