"""Properties of the stock rules over random operations, refused commands skipped.

Whatever receipts, transfers, counts, issues, orders, shipments, cancellations, returns and
inspections arrive, and in whatever order: no level's ``available`` (nor any of its parts)
is ever negative, ``on_hand`` equals the sum of the physical movements the accepted commands
describe (an oracle kept here, independently of the handlers), and so do
``reserved`` and ``quarantined`` against the open order lines and the lots held.

Valuation too: receipts come with a cost or without, some against purchase order lines, and
every level's ``value`` equals the sum of the amounts its accepted events recorded (what a
read model adds up), is never negative, and is exactly 0 whenever nothing is on hand.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from handlers import DomainError, WriteModel
from schemas.base import Command, Event
from schemas.inventory import (
    AdjustStock,
    IssueStock,
    LotRejected,
    ReceiveStock,
    StockAdjusted,
    StockIssued,
    StockReceived,
    StockTransferred,
    TransferStock,
)
from schemas.purchasing import PlacePurchaseOrder, PurchaseLine
from schemas.quality import RecordInspection
from schemas.sales import CancelOrder, PlaceLine, PlaceOrder, ReturnLine, ReturnOrder, ShipLine, ShipOrder
from tests.unit.handlers_support import T0, apply, customer, decide_pure, location, product, supplier, team

SKUS = ("A", "B", "Q")  # Q requires inspection
LOCATIONS = ("L1", "L2")
LOT_IDS = ("LOT-1", "LOT-2", None)

skus = st.sampled_from(SKUS)
places = st.sampled_from(LOCATIONS)
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(15), places=1)
small = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(4), places=1)
large = st.decimals(min_value=Decimal(1), max_value=Decimal(40), places=1)
some = st.none() | small  # None: exactly what the line has left
picks = st.integers(min_value=0, max_value=7)
costs = st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=4)


def recorded_values(event: Event) -> list[tuple[tuple[str, str], Decimal]]:
    """The value each stock event recorded as moved, signed, per (sku, location)."""
    if isinstance(event, StockTransferred):
        assert event.value is not None
        return [
            ((event.sku, event.from_location), -event.value),
            ((event.sku, event.to_location), event.value),
        ]
    if isinstance(event, StockReceived | StockAdjusted):
        assert event.value is not None
        return [((event.sku, event.location_id), event.value)]
    if isinstance(event, StockIssued | LotRejected):
        assert event.value is not None
        return [((event.sku, event.location_id), -event.value)]
    return []


@dataclass
class OpenLine:
    """An accepted order line as this test sees it: still reserved, shipped and not returned."""

    order_id: str
    loc: str
    line_no: int
    sku: str
    reserved: Decimal
    shipped: Decimal = Decimal(0)


class StockLedger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = WriteModel()
        setup = [product("A"), product("B"), product("Q", inspected=True), customer(), team(), supplier()]
        apply(self.state, [*setup, *(location(loc) for loc in LOCATIONS)])
        self.on_hand: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.lots: dict[str, tuple[str, str, Decimal]] = {}
        self.lines: list[OpenLine] = []
        self.documents = 0
        self.values: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)

    def next_id(self, prefix: str) -> str:
        self.documents += 1
        return f"{prefix}-{self.documents}"

    def run(self, command: Command) -> list[Event] | None:
        try:
            events = decide_pure(self.state, command)
        except DomainError:
            return None
        apply(self.state, events)
        for event in events:
            for key, value in recorded_values(event):
                self.values[key] += value
        return events

    def lines_with(self, what: str) -> list[OpenLine]:
        """Order lines with something still reserved (``reserved``) or to return (``shipped``)."""
        return [line for line in self.lines if getattr(line, what) > 0]

    def pick(self, what: str, pick: int) -> OpenLine:
        candidates = self.lines_with(what)
        return candidates[-1 - pick % len(candidates)]  # recent ones first

    @initialize(qty=large)
    def stock_up(self, qty: Decimal) -> None:
        """Some stock to sell from the start, so orders get placed, shipped and returned."""
        for sku in ("A", "B"):
            for loc in LOCATIONS:
                self.receive(sku, loc, qty, None, Decimal("2.50"))

    @rule(sku=skus, loc=places, qty=large, lot_id=st.sampled_from(LOT_IDS), unit_cost=costs)
    def receive(
        self, sku: str, loc: str, qty: Decimal, lot_id: str | None, unit_cost: Decimal | None
    ) -> None:
        receipt_id = self.next_id("R")
        command = ReceiveStock(
            receipt_id=receipt_id, sku=sku, location_id=loc, qty=qty, lot_id=lot_id, unit_cost=unit_cost
        )
        self.received(sku, loc, qty, lot_id, receipt_id, command)

    @rule(sku=skus, loc=places, qty=large, unit_cost=costs.filter(lambda c: c is not None))
    def buy(self, sku: str, loc: str, qty: Decimal, unit_cost: Decimal) -> None:
        """A purchase order for ``qty``, received in full against its line at the line's cost."""
        po_id = self.next_id("PO")
        line = PurchaseLine(line_no=1, sku=sku, qty=qty, unit_cost=unit_cost)
        placed = PlacePurchaseOrder(
            po_id=po_id, supplier_id="SUP-1", deliver_to=loc, currency="EUR", expected_at=T0, lines=(line,)
        )
        assert self.run(placed)
        receipt_id = self.next_id("R")
        command = ReceiveStock(
            receipt_id=receipt_id, sku=sku, location_id=loc, qty=qty, po_id=po_id, po_line=1
        )
        self.received(sku, loc, qty, None, receipt_id, command)

    def received(
        self, sku: str, loc: str, qty: Decimal, lot_id: str | None, receipt_id: str, command: ReceiveStock
    ) -> None:
        if self.run(command):
            self.on_hand[sku, loc] += qty
            if sku == "Q":
                lot = lot_id or receipt_id
                held = self.lots.get(lot, (sku, loc, Decimal(0)))[2]
                self.lots[lot] = (sku, loc, held + qty)

    @rule(sku=skus, source=places, qty=quantities)
    def transfer(self, sku: str, source: str, qty: Decimal) -> None:
        target = LOCATIONS[1 - LOCATIONS.index(source)]
        command = TransferStock(
            transfer_id=self.next_id("T"), sku=sku, from_location=source, to_location=target, qty=qty
        )
        if self.run(command):
            self.on_hand[sku, source] -= qty
            self.on_hand[sku, target] += qty

    @rule(sku=skus, loc=places, qty=quantities)
    def issue(self, sku: str, loc: str, qty: Decimal) -> None:
        command = IssueStock(issue_id=self.next_id("I"), sku=sku, location_id=loc, qty=qty, reason="scrap")
        if self.run(command):
            self.on_hand[sku, loc] -= qty

    @rule(sku=skus, loc=places, counted=st.decimals(min_value=0, max_value=40, places=1))
    def count(self, sku: str, loc: str, counted: Decimal) -> None:
        command = AdjustStock(
            adjustment_id=self.next_id("A"), sku=sku, location_id=loc, counted_qty=counted, reason="count"
        )
        if self.run(command):
            self.on_hand[sku, loc] = counted

    @rule(loc=places, lines=st.lists(st.tuples(skus, small), min_size=1, max_size=3))
    def place(self, loc: str, lines: list[tuple[str, Decimal]]) -> None:
        order_id = self.next_id("SO")
        placed = tuple(
            PlaceLine(line_no=n, sku=sku, qty=qty, unit_price=Decimal("9.99"))
            for n, (sku, qty) in enumerate(lines, 1)
        )
        command = PlaceOrder(
            order_id=order_id,
            customer_id="CUS-1",
            channel="direct",
            team_id="north",
            currency="EUR",
            fulfil_from=loc,
            lines=placed,
        )
        if self.run(command):
            self.lines.extend(OpenLine(order_id, loc, line.line_no, line.sku, line.qty) for line in placed)

    @precondition(lambda self: self.lines_with("reserved"))
    @rule(pick=picks, qty=some)
    def ship(self, pick: int, qty: Decimal | None) -> None:
        line = self.pick("reserved", pick)
        qty = qty or line.reserved
        shipment = ShipOrder(
            order_id=line.order_id,
            shipment_id=self.next_id("SH"),
            lines=(ShipLine(line_no=line.line_no, qty=qty),),
        )
        if self.run(shipment):
            self.on_hand[line.sku, line.loc] -= qty
            line.reserved -= qty
            line.shipped += qty

    @precondition(lambda self: self.lines_with("reserved"))
    @rule(pick=picks)
    def cancel(self, pick: int) -> None:
        order_id = self.pick("reserved", pick).order_id
        if self.run(CancelOrder(order_id=order_id, reason="changed mind")):
            for line in self.lines:
                if line.order_id == order_id:
                    line.reserved = Decimal(0)

    @precondition(lambda self: self.lines_with("shipped"))
    @rule(pick=picks, qty=some, resaleable=st.booleans())
    def give_back(self, pick: int, qty: Decimal | None, resaleable: bool) -> None:
        line = self.pick("shipped", pick)
        qty = qty or line.shipped
        returned = ReturnLine(
            line_no=line.line_no, qty=qty, condition="resaleable" if resaleable else "damaged"
        )
        if self.run(ReturnOrder(order_id=line.order_id, return_id=self.next_id("RT"), lines=(returned,))):
            line.shipped -= qty
            if resaleable:
                self.on_hand[line.sku, line.loc] += qty

    @rule(lot_id=st.sampled_from([lot for lot in LOT_IDS if lot]), accept=st.booleans())
    def inspect(self, lot_id: str, accept: bool) -> None:
        command = RecordInspection(
            inspection_id=self.next_id("Q"),
            lot_id=lot_id,
            sku="Q",
            stage="incoming",
            sample_size=10,
            defective_units=1,
            disposition="accept" if accept else "reject",
        )
        if self.run(command) and lot_id in self.lots:
            sku, loc, held = self.lots[lot_id]
            self.lots[lot_id] = (sku, loc, Decimal(0))
            if not accept:
                self.on_hand[sku, loc] -= held

    @invariant()
    def nothing_is_negative(self) -> None:
        for key, level in self.state.stock.items():
            assert level.available >= 0, key
            assert level.quarantined >= 0, key
            assert level.reserved >= 0, key

    @invariant()
    def on_hand_is_the_sum_of_movements(self) -> None:
        for key in set(self.on_hand) | set(self.state.stock):
            assert self.state.level(*key).on_hand == self.on_hand[key], key

    @invariant()
    def value_is_the_sum_of_the_recorded_amounts_never_negative_and_0_when_empty(self) -> None:
        for key in set(self.values) | set(self.state.stock):
            level = self.state.level(*key)
            assert level.value == self.values[key], key
            assert level.value >= 0, key
            assert level.unit_cost >= 0, key
            if level.on_hand == 0:
                assert level.value == 0, key

    @invariant()
    def reserved_and_quarantined_are_accounted_for(self) -> None:
        reserved: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for line in self.lines:
            reserved[line.sku, line.loc] += line.reserved
        quarantined: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for sku, loc, held in self.lots.values():
            quarantined[sku, loc] += held
        for key, level in self.state.stock.items():
            assert level.reserved == reserved[key], key
            assert level.quarantined == quarantined[key], key


StockLedger.TestCase.settings = settings(
    max_examples=80, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestStockLedger = StockLedger.TestCase
