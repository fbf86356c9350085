"""The generator's own books: what the ledger will know after each generated command.

The generator decides every command against these books, in the order it emits them, so
an order reserves only stock that is available, a shipment ships only what is reserved, a
count never falls below what is held, and a complaint moves only along its life cycle.
They mirror the rules of ``handlers`` without importing them: the tests check the two agree
by deciding a whole generated history with the real handlers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ledger.demo.company import Customer

StockKey = tuple[str, str]


@dataclass(slots=True)
class Level:
    on_hand: int = 0
    quarantined: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.quarantined - self.reserved

    @property
    def held(self) -> int:
        """What a count may not go below: quarantined and reserved stock."""
        return self.quarantined + self.reserved


@dataclass(slots=True)
class LineBook:
    line_no: int
    sku: str
    ordered: int
    amount: Decimal
    shipped: int = 0
    cancelled: int = 0
    returned: int = 0

    @property
    def unshipped(self) -> int:
        return self.ordered - self.shipped - self.cancelled

    @property
    def returnable(self) -> int:
        return self.shipped - self.returned


@dataclass(slots=True)
class OrderBook:
    order_id: str
    customer_id: str
    channel: str
    fulfil_from: str
    lines: list[LineBook]
    cancelled: bool = False
    shipments: int = 0
    returns: int = 0
    promised: datetime | None = None

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def open_lines(self) -> list[LineBook]:
        return [line for line in self.lines if line.unshipped > 0]

    @property
    def returnable_lines(self) -> list[LineBook]:
        return [line for line in self.lines if line.returnable > 0]


@dataclass(slots=True)
class LotBook:
    lot_id: str
    sku: str
    location_id: str
    supplier_id: str
    qty: int
    quarantined: bool
    received_at: datetime
    inspections: int = 0


@dataclass(slots=True)
class PurchaseLineBook:
    line_no: int
    sku: str
    ordered: int
    received: int = 0
    cancelled: int = 0

    @property
    def open(self) -> int:
        return self.ordered - self.received - self.cancelled


@dataclass(slots=True)
class PurchaseOrderBook:
    po_id: str
    supplier_id: str
    deliver_to: str
    expected_at: datetime
    lines: list[PurchaseLineBook]
    cancelled: bool = False

    @property
    def open_lines(self) -> list[PurchaseLineBook]:
        return [line for line in self.lines if line.open > 0]


@dataclass(frozen=True, slots=True)
class CampaignBook:
    """A campaign of the plan and how it runs: whose orders it brings, its leads, its spending."""

    campaign_id: str
    name: str
    medium: str
    starts_on: date
    ends_on: date
    budget: Decimal
    pacing: float  # what it will have spent by its end, as a share of its budget
    drives: str | None  # the sales channel whose orders it brings
    share: float  # of that channel's orders while it runs, those that carry it
    discount: Decimal
    lift: float  # that channel's demand while it runs, times this
    leads: float  # leads a day while it runs
    lead_channel: str
    known: float  # of its leads, those from customers already on the books
    qualify: float
    win: float  # of its qualified leads, those won by an order

    def running(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(slots=True)
class LeadBook:
    lead_id: str
    channel: str  # the sales channel the lead came in through
    campaign_id: str | None
    customer_id: str | None
    status: str = "captured"  # then qualified, won or lost

    @property
    def open(self) -> bool:
        return self.status in ("captured", "qualified")


@dataclass
class Books:
    levels: dict[StockKey, Level] = field(default_factory=dict)
    inbound: dict[StockKey, int] = field(default_factory=dict)  # purchased, not yet received
    purchase_orders: dict[str, PurchaseOrderBook] = field(default_factory=dict)
    lots: dict[str, LotBook] = field(default_factory=dict)
    usable_lots: dict[StockKey, list[str]] = field(default_factory=dict)  # newest last
    orders: dict[str, OrderBook] = field(default_factory=dict)
    complaints: dict[str, str] = field(default_factory=dict)  # open, acknowledged, resolved
    complainants: dict[str, str] = field(default_factory=dict)  # complaint id: its customer
    campaign_plan: list[CampaignBook] = field(default_factory=list)  # every campaign, launched or not
    campaigns: set[str] = field(default_factory=set)  # launched
    running: tuple[tuple[date, int] | None, list[CampaignBook]] = (None, [])  # the last day asked
    leads: dict[str, LeadBook] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)  # registered, newcomers included
    back_on: dict[str, date] = field(default_factory=dict)  # a lapsed customer: the Monday it buys again
    lapsed: dict[str, dict[str, float]] = field(
        default_factory=dict
    )  # customer: its usual weight per channel
    booked: defaultdict[tuple[str, str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    _numbers: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        number = self._numbers.get(prefix, 10000) + 1
        self._numbers[prefix] = number
        return f"{prefix}-{number}"

    def level(self, sku: str, location_id: str) -> Level:
        return self.levels.setdefault((sku, location_id), Level())

    # -- stock --------------------------------------------------------------------------------

    def receive(self, lot: LotBook) -> None:
        level = self.level(lot.sku, lot.location_id)
        level.on_hand += lot.qty
        key = (lot.sku, lot.location_id)
        self.inbound[key] = max(0, self.inbound.get(key, 0) - lot.qty)
        self.lots[lot.lot_id] = lot
        if lot.quarantined:
            level.quarantined += lot.qty
        else:
            self.usable_lots.setdefault(key, []).append(lot.lot_id)

    def release(self, lot: LotBook) -> None:
        self.level(lot.sku, lot.location_id).quarantined -= lot.qty
        lot.quarantined = False
        self.usable_lots.setdefault((lot.sku, lot.location_id), []).append(lot.lot_id)

    def reject(self, lot: LotBook) -> None:
        level = self.level(lot.sku, lot.location_id)
        level.quarantined -= lot.qty
        level.on_hand -= lot.qty
        lot.quarantined = False

    def transfer(self, sku: str, source: str, target: str, qty: int) -> None:
        self.level(sku, source).on_hand -= qty
        self.level(sku, target).on_hand += qty

    def count(self, sku: str, location_id: str, counted: int) -> None:
        self.level(sku, location_id).on_hand = counted

    def issue(self, sku: str, location_id: str, qty: int) -> None:
        self.level(sku, location_id).on_hand -= qty

    # -- purchase orders ----------------------------------------------------------------------

    def order_stock(self, po: PurchaseOrderBook) -> None:
        self.purchase_orders[po.po_id] = po
        for line in po.lines:
            key = (line.sku, po.deliver_to)
            self.inbound[key] = self.inbound.get(key, 0) + line.ordered

    def receive_against(self, line: PurchaseLineBook, lot: LotBook) -> None:
        line.received += lot.qty
        self.receive(lot)

    def cancel_purchase(self, po: PurchaseOrderBook) -> None:
        po.cancelled = True
        for line in po.open_lines:
            key = (line.sku, po.deliver_to)
            self.inbound[key] = max(0, self.inbound.get(key, 0) - line.open)
            line.cancelled += line.open

    # -- orders -------------------------------------------------------------------------------

    def place(self, order: OrderBook) -> None:
        self.orders[order.order_id] = order
        for line in order.lines:
            self.level(line.sku, order.fulfil_from).reserved += line.ordered

    def ship(self, order: OrderBook, shipping: dict[int, int]) -> None:
        order.shipments += 1
        for line in order.lines:
            qty = shipping.get(line.line_no, 0)
            line.shipped += qty
            level = self.level(line.sku, order.fulfil_from)
            level.reserved -= qty
            level.on_hand -= qty

    def cancel(self, order: OrderBook) -> None:
        order.cancelled = True
        for line in order.open_lines:
            self.level(line.sku, order.fulfil_from).reserved -= line.unshipped
            line.cancelled += line.unshipped

    def take_back(self, order: OrderBook, line: LineBook, qty: int, resaleable: bool) -> None:
        line.returned += qty
        if resaleable:
            self.level(line.sku, order.fulfil_from).on_hand += qty
