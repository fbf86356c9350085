"""The write model: what the writer must remember to decide commands, and nothing more.

It is the ``evolve`` fold of the whole log, held in memory by the one active writer, so it is
kept lean: the writer must hold a million stock streams in about a gigabyte. Entities are
frozen slots dataclasses (or enum members) holding tuples and Decimals; a change is always a
new value stored under its key in a ``Table``, so the shared ``Journal`` can roll a batch back.
Zero quantities share one Decimal and stock keys share interned id strings, because most
levels hold zeros and a million streams name only a few thousand products and locations.
History is kept only where a rule needs it: an order keeps each line's running quantities,
and document ids that must stay unique live in ``IdSet`` tables.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Any, Final, TypeVar

from handlers.journal import Journal, Table
from schemas.base import Event

ZERO: Final = Decimal(0)

K = TypeVar("K")


def qty(value: Decimal) -> Decimal:
    """``value``, or the shared ``ZERO`` when it is zero (a Decimal costs about 100 bytes)."""
    return ZERO if value.is_zero() else value


def plus(value: Decimal, change: Decimal) -> Decimal:
    """``value + change``, reusing ``value`` when nothing changes."""
    return qty(value + change) if change else value


class IdSet(Table[K, None]):
    """A journaled set of ids: a ``Table`` whose values are all ``None``."""

    __slots__ = ()

    def add(self, key: K) -> None:
        self[key] = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_id_set, (self.journal, list(self)))


def _rebuild_id_set(journal: Journal, keys: list[Any]) -> IdSet[Any]:
    ids: IdSet[Any] = IdSet(journal)
    dict.update(ids, dict.fromkeys(keys))
    return ids


@dataclass(frozen=True, slots=True)
class Product:
    requires_inspection: bool


@dataclass(frozen=True, slots=True)
class StockLevel:
    """One product at one location. ``on_hand`` includes what is quarantined and reserved.

    ``value`` is what the stock on hand is worth (cents); ``unit_cost`` the moving average
    the latest valued movement recorded, which is what the stock is valued at once the
    location is empty (see ``handlers.valuation``).
    """

    on_hand: Decimal = ZERO
    quarantined: Decimal = ZERO
    reserved: Decimal = ZERO
    value: Decimal = ZERO
    unit_cost: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.quarantined - self.reserved


EMPTY_LEVEL: Final = StockLevel()

StockKey = tuple[str, str]


def stock_key(sku: str, location_id: str) -> StockKey:
    """The key of ``stock:{sku}@{location_id}``, its strings interned so keys share them."""
    return (sys.intern(sku), sys.intern(location_id))


@dataclass(frozen=True, slots=True)
class Lot:
    """A lot that was quarantined: where it lies and how much of it still waits for inspection."""

    sku: str
    location_id: str
    quarantined: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    """An order line's running quantities; ``net_price`` is the unit price after discount, unrounded."""

    line_no: int
    sku: str
    ordered: Decimal
    net_price: Decimal
    shipped: Decimal = ZERO
    cancelled: Decimal = ZERO
    returned: Decimal = ZERO

    @property
    def unshipped(self) -> Decimal:
        """What is still reserved for this line."""
        return self.ordered - self.shipped - self.cancelled

    @property
    def returnable(self) -> Decimal:
        return self.shipped - self.returned

    def ship(self, amount: Decimal) -> Line:
        return replace(self, shipped=plus(self.shipped, amount))

    def cancel(self, amount: Decimal) -> Line:
        return replace(self, cancelled=plus(self.cancelled, amount))

    def take_back(self, amount: Decimal) -> Line:
        return replace(self, returned=plus(self.returned, amount))


@dataclass(frozen=True, slots=True)
class Order:
    fulfil_from: str
    lines: tuple[Line, ...]
    cancelled: bool = False
    customer_id: str = ""

    def by_line_no(self) -> dict[int, Line]:
        return {line.line_no: line for line in self.lines}

    def changed(self, change: Callable[[Line, Decimal], Line], by_line_no: Mapping[int, Decimal]) -> Order:
        """This order with ``change(line, qty)`` applied to each line named in ``by_line_no``."""
        lines = tuple(
            change(line, by_line_no[line.line_no]) if line.line_no in by_line_no else line
            for line in self.lines
        )
        return replace(self, lines=lines)


@dataclass(frozen=True, slots=True)
class PurchaseLine:
    """A purchase order line's running quantities."""

    line_no: int
    sku: str
    ordered: Decimal
    unit_cost: Decimal
    received: Decimal = ZERO
    cancelled: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        """What may still be received against this line."""
        return self.ordered - self.received - self.cancelled


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    supplier_id: str
    deliver_to: str
    lines: tuple[PurchaseLine, ...]
    cancelled: bool = False

    def line(self, line_no: int) -> PurchaseLine | None:
        return next((line for line in self.lines if line.line_no == line_no), None)

    def with_line(self, changed: PurchaseLine) -> PurchaseOrder:
        lines = tuple(changed if line.line_no == changed.line_no else line for line in self.lines)
        return replace(self, lines=lines)


class LeadStatus(Enum):
    CAPTURED = "captured"
    QUALIFIED = "qualified"
    WON = "won"
    LOST = "lost"

    @property
    def open(self) -> bool:
        return self in (LeadStatus.CAPTURED, LeadStatus.QUALIFIED)


@dataclass(frozen=True, slots=True)
class Lead:
    status: LeadStatus
    campaign_id: str | None
    customer_id: str | None


class ComplaintStatus(Enum):
    OPEN = "open"
    """Filed or reopened, and not acknowledged since."""
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


_TABLES: Final = {
    "products": Table,
    "locations": IdSet,
    "suppliers": IdSet,
    "customers": IdSet,
    "teams": IdSet,
    "stock": Table,
    "lots": Table,
    "receipts": IdSet,
    "transfers": IdSet,
    "adjustments": IdSet,
    "issues": IdSet,
    "inspections": IdSet,
    "orders": Table,
    "shipments": IdSet,
    "returns": IdSet,
    "complaints": Table,
    "purchase_orders": Table,
    "deliveries": IdSet,
    "campaigns": IdSet,
    "campaign_spends": IdSet,
    "leads": Table,
    "follow_ups": IdSet,
    "complaint_customers": Table,
    "objectives": Table,
}


class WriteModel:
    """Every table the deciders read, all journaled in ``journal``.

    ``receipts`` and ``issues`` hold the ids of receive-stock and issue-stock documents only;
    the receipts of returns and the issues of shipments are named after their order's
    return and shipment ids, which are unique per order (``returns``, ``shipments``).
    """

    __slots__ = ("journal", *_TABLES)

    journal: Journal
    products: Table[str, Product]
    locations: IdSet[str]
    suppliers: IdSet[str]
    customers: IdSet[str]
    teams: IdSet[str]
    stock: Table[StockKey, StockLevel]
    lots: Table[str, Lot]
    receipts: IdSet[str]
    transfers: IdSet[str]
    adjustments: IdSet[str]
    issues: IdSet[str]
    inspections: IdSet[str]
    orders: Table[str, Order]
    shipments: IdSet[tuple[str, str]]
    returns: IdSet[tuple[str, str]]
    complaints: Table[str, ComplaintStatus]
    purchase_orders: Table[str, PurchaseOrder]
    deliveries: IdSet[tuple[str, str]]
    campaigns: IdSet[str]
    campaign_spends: IdSet[tuple[str, str]]
    leads: Table[str, Lead]
    follow_ups: IdSet[str]
    complaint_customers: Table[str, str]
    objectives: Table[str, bool]
    """An objective's id, and whether it is retired."""

    def __init__(self) -> None:
        self.journal = Journal()
        for name, kind in _TABLES.items():
            setattr(self, name, kind(self.journal))

    def level(self, sku: str, location_id: str) -> StockLevel:
        return self.stock.get((sku, location_id), EMPTY_LEVEL)

    def tables(self) -> dict[str, dict[Any, Any]]:
        """The content of every table, by name (for comparing states)."""
        return {name: dict(getattr(self, name)) for name in _TABLES}

    # The journal travels with the tables, so that tables the writer keeps beside the model
    # on the same journal (pickled together with it) still share it after unpickling. Its
    # undo records are never part of a snapshot: a Journal unpickles empty.
    def __getstate__(self) -> dict[str, Any]:
        return {"journal": self.journal, **{name: getattr(self, name) for name in _TABLES}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WriteModel):
            return NotImplemented
        return self.tables() == other.tables()


Decider = Callable[[WriteModel, Any], list[Event]]
"""Decides one type of command: the events it causes, or a DomainError. Never mutates."""

Evolver = Callable[[WriteModel, Any], None]
"""Applies one type of event to the model's tables."""
