"""Buying through purchase orders: placing them, the supplier's deliveries against their lines,
short deliveries and cancellations.

Purchasing reviews every product at every warehouse each business morning: when what is
available, in quarantine and on order no longer covers the reorder point, it buys enough
from one of the product's suppliers, one purchase order per supplier and warehouse, at the
supplier's price of the day (the catalogue cost give or take a few percent, so receipts at
different costs move the moving average). A PO expects its goods by the end of a business
day some lead time on. Most suppliers deliver on that day or the one before; now and then a
truck comes late, and a line comes short, its balance following some days later or, once
the buyer gives up on it, cancelled. Now and then a supplier cannot take an order at all
and it is cancelled whole. The unreliable supplier is late and short far more often, and
during its bad spell (when its lots also fail inspection more) most of its orders are late.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Final

from ledger.demo import supply
from ledger.demo.books import PurchaseLineBook, PurchaseOrderBook
from ledger.demo.catalogue import UNRELIABLE_SUPPLIER
from ledger.demo.company import Product
from ledger.demo.simulation import Sim

CURRENCY: Final = "EUR"
DUE_HOUR: Final = 17.0  # a PO expects its goods by the end of the business day it names
DELIVERY_HOURS: Final = (8.0, 15.0)
EARLY: Final = 0.2  # of the POs on time, those that arrive a business day early
LATE_DAYS: Final = (1, 4)
UNRELIABLE_LATE_DAYS: Final = (2, 6)  # the unreliable supplier's late trucks are later still
BAD_SPELL_LATE: Final = 0.8
BAD_SPELL_SHORT: Final = 0.35
BALANCE_DAYS: Final = (3, 8)  # business days after a short delivery until its balance comes
BALANCE_GIVEN_UP: Final = 0.4  # of short lines, those whose balance never comes
REFUSED: Final = 0.03  # POs the supplier cannot take at all
PRICE_DRIFT: Final = (0.97, 1.04)
CENT: Final = Decimal("0.01")
REFUSED_REASON: Final = "Supplier cannot supply: out of stock at their end"
BALANCE_REASON: Final = "Balance not delivered: supplier back-ordered it indefinitely"


def review(sim: Sim, when: datetime) -> None:
    """The morning review: a purchase order per supplier and warehouse for what runs short."""
    for location_id in sim.company.warehouse_ids:
        wanted: dict[str, list[tuple[Product, int]]] = {}
        for product in sim.company.products.values():
            qty = _shortfall(sim, product, location_id)
            if qty:
                suppliers, shares = zip(*product.suppliers, strict=True)
                supplier_id = sim.rng.choices(suppliers, shares)[0]
                wanted.setdefault(supplier_id, []).append((product, qty))
        for supplier_id, lines in wanted.items():
            _place(sim, when, supplier_id, location_id, lines)


def _shortfall(sim: Sim, product: Product, location_id: str) -> int:
    """What to buy: reorder quantities until available, quarantined and on order exceed the
    reorder point (0 when they do already)."""
    key = (product.sku, location_id)
    policy, level = sim.policies[key], sim.books.level(*key)
    position = level.available + level.quarantined + sim.books.inbound.get(key, 0)
    if position > policy.reorder_point:
        return 0
    qty = policy.reorder_qty
    while position + qty <= policy.reorder_point:
        qty += policy.reorder_qty
    return qty


def _in_bad_spell(sim: Sim, supplier_id: str, at: datetime) -> bool:
    start, end = sim.bad_spell
    return supplier_id == UNRELIABLE_SUPPLIER and start <= at <= end


def _place(
    sim: Sim, when: datetime, supplier_id: str, location_id: str, wanted: list[tuple[Product, int]]
) -> None:
    rng, timeline = sim.rng, sim.timeline
    spec = sim.company.suppliers[supplier_id]
    lead = rng.randint(*spec.lead_days)
    due_day = timeline.business_day(when, lead)
    expected_at = timeline.at(due_day, DUE_HOUR)
    po = PurchaseOrderBook(
        po_id=sim.books.next_id("PO"),
        supplier_id=supplier_id,
        deliver_to=location_id,
        expected_at=expected_at,
        lines=[PurchaseLineBook(n, product.sku, qty) for n, (product, qty) in enumerate(wanted, start=1)],
    )
    body = {
        "po_id": po.po_id,
        "supplier_id": supplier_id,
        "deliver_to": location_id,
        "currency": CURRENCY,
        "expected_at": expected_at.isoformat().replace("+00:00", "Z"),
        "lines": [
            {"line_no": n, "sku": product.sku, "qty": str(qty), "unit_cost": str(_price(sim, product))}
            for n, (product, qty) in enumerate(wanted, start=1)
        ],
    }
    at = sim.emit(when, "place-purchase-order", body)
    sim.books.order_stock(po)
    if sim.chance(REFUSED):
        refused = timeline.business_slot(rng, at, rng.randint(1, 2), 9.0, 16.0)
        sim.schedule(refused, partial(cancel, sim, po_id=po.po_id, reason=REFUSED_REASON))
        return
    sim.schedule(_arrival(sim, po, at, lead), partial(deliver, sim, po_id=po.po_id))


def _price(sim: Sim, product: Product) -> Decimal:
    drift = Decimal(str(round(sim.rng.uniform(*PRICE_DRIFT), 3)))
    return (product.cost * drift).quantize(CENT)


def _arrival(sim: Sim, po: PurchaseOrderBook, placed: datetime, lead: int) -> datetime:
    """When the truck comes: on the expected day (or the one before), or some days late."""
    rng, timeline = sim.rng, sim.timeline
    spec = sim.company.suppliers[po.supplier_id]
    bad = _in_bad_spell(sim, po.supplier_id, po.expected_at)
    if sim.chance(BAD_SPELL_LATE if bad else spec.late_share):
        late = rng.randint(*(UNRELIABLE_LATE_DAYS if po.supplier_id == UNRELIABLE_SUPPLIER else LATE_DAYS))
        return timeline.business_slot(rng, po.expected_at, late, *DELIVERY_HOURS)
    ahead = lead - 1 if lead > 1 and sim.chance(EARLY) else lead
    return timeline.business_slot(rng, placed, ahead, *DELIVERY_HOURS)


def deliver(sim: Sim, when: datetime, *, po_id: str) -> None:
    """A delivery against every open line of the PO, some lines short."""
    po = sim.books.purchase_orders[po_id]
    if po.cancelled or not po.open_lines:
        return
    spec = sim.company.suppliers[po.supplier_id]
    short_share = BAD_SPELL_SHORT if _in_bad_spell(sim, po.supplier_id, when) else spec.partial_share
    short = False
    for line in po.open_lines:
        qty = line.open
        if qty > 1 and sim.chance(short_share):
            qty = max(1, min(qty - 1, round(qty * sim.rng.uniform(0.4, 0.8))))
            short = True
        supply.receive(
            sim, when, sku=line.sku, location_id=po.deliver_to, qty=qty, supplier_id=po.supplier_id,
            against=(po, line),
        )  # fmt: skip
    if not short:
        return
    rng, timeline = sim.rng, sim.timeline
    later = timeline.business_slot(rng, when, rng.randint(*BALANCE_DAYS), *DELIVERY_HOURS)
    if sim.chance(BALANCE_GIVEN_UP):
        sim.schedule(later, partial(cancel, sim, po_id=po_id, reason=BALANCE_REASON))
    else:
        sim.schedule(later, partial(deliver, sim, po_id=po_id))


def cancel(sim: Sim, when: datetime, *, po_id: str, reason: str) -> None:
    po = sim.books.purchase_orders[po_id]
    if po.cancelled or not po.open_lines:
        return
    sim.emit(when, "cancel-purchase-order", {"po_id": po_id, "reason": reason})
    sim.books.cancel_purchase(po)
