"""Stock coming in and moving: opening stock, receipts, incoming inspection, restocking the
store, and the weekly cycle count (what is bought and when it comes: ``purchasing``).

Receipts of regulated products wait in quarantine until an incoming inspection accepts
(releases) or rejects the lot; a lot sent back for rework is inspected again a day or two on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from ledger.demo import inspection
from ledger.demo.books import LotBook, PurchaseLineBook, PurchaseOrderBook
from ledger.demo.catalogue import COUNT_REASON, FOUND_REASON, SHRINK_REASONS
from ledger.demo.simulation import Sim

OPENING_INSPECTION_MINUTES = (20.0, 80.0)
COUNT_DELTAS = ((0, 55), (-1, 18), (1, 10), (-2, 9), (-3, 4), (2, 4))


def open_stock(sim: Sim) -> None:
    """Opening balances at every warehouse, and the store's first fill once they are usable."""
    start = sim.timeline.start
    for location_id in sim.company.warehouse_ids:
        for product in sim.company.products.values():
            policy = sim.policies[(product.sku, location_id)]
            supplier_id = product.suppliers[0][0]
            qty = policy.reorder_point + policy.reorder_qty
            receive(sim, start, sku=product.sku, location_id=location_id, qty=qty, supplier_id=supplier_id)
    fill_at = start + timedelta(minutes=OPENING_INSPECTION_MINUTES[1] + 30)
    for index, product in enumerate(p for p in sim.company.products.values() if p.in_store):
        sim.schedule(fill_at + timedelta(minutes=index), partial(restock_store, sim, sku=product.sku))


def receive(
    sim: Sim,
    when: datetime,
    *,
    sku: str,
    location_id: str,
    qty: int,
    supplier_id: str,
    against: tuple[PurchaseOrderBook, PurchaseLineBook] | None = None,
) -> None:
    """A lot received: against a PO line at the line's cost, or (the opening balances) at the
    catalogue cost without one."""
    product = sim.company.products[sku]
    lot = LotBook(
        lot_id=sim.books.next_id("L"),
        sku=sku,
        location_id=location_id,
        supplier_id=supplier_id,
        qty=qty,
        quarantined=product.requires_inspection,
        received_at=when,
    )
    body: dict[str, Any] = {
        "receipt_id": sim.books.next_id("GRN"),
        "sku": sku,
        "location_id": location_id,
        "qty": str(qty),
        "lot_id": lot.lot_id,
        "supplier_id": supplier_id,
    }
    if against is None:
        body["unit_cost"] = str(product.cost)
        at = sim.emit(when, "receive-stock", body)
        sim.books.receive(lot)
    else:
        po, line = against
        body |= {"po_id": po.po_id, "po_line": line.line_no}
        at = sim.emit(when, "receive-stock", body)
        sim.books.receive_against(line, lot)
    if not lot.quarantined:
        return
    timeline = sim.timeline
    if at < sim.open_at:
        inspect_at = at + timedelta(minutes=sim.rng.uniform(*OPENING_INSPECTION_MINUTES))
    else:
        inspect_at = at + timedelta(hours=sim.rng.uniform(1.5, 6.0))
        if timeline.local_hour(inspect_at) > 17.5 or timeline.local_date(inspect_at) != timeline.local_date(
            at
        ):
            inspect_at = timeline.business_slot(sim.rng, at, 1, 8.0, 11.0)  # first thing next morning
    sim.schedule(inspect_at, partial(inspect_incoming, sim, lot_id=lot.lot_id))


def inspect_incoming(sim: Sim, when: datetime, *, lot_id: str) -> None:
    lot = sim.books.lots[lot_id]
    product = sim.company.products[lot.sku]
    sample, accept = inspection.plan(lot.qty)
    rate = inspection.defect_rate(sim, lot.supplier_id, when)
    if lot.inspections:  # the supplier sorted the lot: what is left is mostly good
        rate /= 3
    defective = sim.binomial(sample, rate)
    opening = when < sim.open_at
    if opening or defective <= accept:
        disposition = "accept"
    elif defective <= accept + 2 and not lot.inspections:
        disposition = "rework"
    else:
        disposition = "reject"
    body = inspection.body(
        sim,
        lot_id=lot_id,
        product=product,
        location_id=lot.location_id,
        supplier_id=lot.supplier_id,
        stage="incoming",
        sample=sample,
        defective=defective,
        disposition=disposition,
    )
    sim.emit(when, "record-inspection", body)
    lot.inspections += 1
    if disposition == "accept":
        sim.books.release(lot)
    elif disposition == "reject":
        sim.books.reject(lot)
    else:
        again = sim.timeline.business_slot(sim.rng, when, sim.rng.randint(1, 2), 9.0, 15.0)
        sim.schedule(again, partial(inspect_incoming, sim, lot_id=lot_id))


def restock_store(sim: Sim, when: datetime, *, sku: str) -> None:
    """Transfer to the store when its available stock is at or below its reorder point."""
    store_id = sim.company.store[0]
    policy, level = sim.policies[(sku, store_id)], sim.books.level(sku, store_id)
    if level.available > policy.reorder_point:
        return
    wanted = policy.reorder_qty
    while level.available + wanted <= policy.reorder_point:
        wanted += policy.reorder_qty
    sources = sorted(
        sim.company.warehouse_ids,
        key=lambda w: (w != sim.company.main_warehouse, -sim.books.level(sku, w).available),
    )
    source = next((w for w in sources if sim.books.level(sku, w).available >= wanted), None)
    if source is None:
        source = max(sources, key=lambda w: sim.books.level(sku, w).available)
    qty = min(wanted, sim.books.level(sku, source).available)
    if qty <= 0:
        return
    body = {
        "transfer_id": sim.books.next_id("TR"),
        "sku": sku,
        "from_location": source,
        "to_location": store_id,
        "qty": str(qty),
    }
    sim.emit(when, "transfer-stock", body)
    sim.books.transfer(sku, source, store_id, qty)


def cycle_count(sim: Sim, when: datetime, *, sku: str, location_id: str) -> None:
    """A physical count: usually what the books say, now and then a unit or two off."""
    level = sim.books.level(sku, location_id)
    deltas, weights = zip(*COUNT_DELTAS, strict=True)
    delta = sim.rng.choices(deltas, weights)[0]
    counted = max(level.on_hand + delta, level.held)
    if counted < level.on_hand:
        code, reason = sim.rng.choice(SHRINK_REASONS)
    else:
        code, reason = FOUND_REASON if counted > level.on_hand else COUNT_REASON
    body = {
        "adjustment_id": sim.books.next_id("CC"),
        "sku": sku,
        "location_id": location_id,
        "counted_qty": str(counted),
        "reason": reason,
        "reason_code": code,
    }
    sim.emit(when, "adjust-stock", body)
    sim.books.count(sku, location_id, counted)
