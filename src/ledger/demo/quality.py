"""Inspections after receipt, and stock that leaves a warehouse without being sold.

Final inspections sample lots in stock before they go out; in-process inspections check
lots being repacked or kitted, and the defective units they find are scrapped. Now and then
a few demo units are issued as samples for a trade fair or a customer trial.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from ledger.demo import inspection
from ledger.demo.books import LotBook
from ledger.demo.simulation import Sim

REPACKED = ("hand-tools", "fasteners")  # what the warehouses repack and kit
SAMPLED = ("power-tools",)


def _usable_lots(sim: Sim, categories: tuple[str, ...] | None = None) -> list[LotBook]:
    """The newest usable lot of each product at each location (optionally of some categories)."""
    lots = []
    for (sku, _), lot_ids in sim.books.usable_lots.items():
        if lot_ids and (categories is None or sim.company.products[sku].category in categories):
            lots.append(sim.books.lots[lot_ids[-1]])
    return lots


def final_inspection(sim: Sim, when: datetime) -> None:
    lots = _usable_lots(sim)
    if not lots:
        return
    lot = sim.rng.choice(lots)
    product = sim.company.products[lot.sku]
    sample = min(lot.qty, sim.rng.choice((5, 8, 13)))
    defective = sim.binomial(sample, inspection.defect_rate(sim, lot.supplier_id, when) * 0.6)
    body = inspection.body(
        sim,
        lot_id=lot.lot_id,
        product=product,
        location_id=lot.location_id,
        supplier_id=lot.supplier_id,
        stage="final",
        sample=sample,
        defective=defective,
        disposition="accept" if defective <= 1 else "rework",
    )
    sim.emit(when, "record-inspection", body)


def in_process_inspection(sim: Sim, when: datetime) -> None:
    lots = _usable_lots(sim, REPACKED)
    if not lots:
        return
    lot = sim.rng.choice(lots)
    product = sim.company.products[lot.sku]
    sample, accept = inspection.plan(lot.qty)
    defective = sim.binomial(sample, inspection.defect_rate(sim, lot.supplier_id, when))
    body = inspection.body(
        sim,
        lot_id=lot.lot_id,
        product=product,
        location_id=lot.location_id,
        supplier_id=lot.supplier_id,
        stage="in_process",
        sample=sample,
        defective=defective,
        disposition="accept" if defective <= accept else "rework",
    )
    at = sim.emit(when, "record-inspection", body)
    if defective:
        later = at + timedelta(minutes=sim.rng.randint(5, 40))
        sim.schedule(
            later,
            partial(issue, sim, sku=lot.sku, location_id=lot.location_id, qty=defective, reason="scrap"),
        )


def trade_samples(sim: Sim, when: datetime) -> None:
    products = [p for p in sim.company.products.values() if p.category in SAMPLED]
    product = sim.rng.choice(products)
    issue(
        sim,
        when,
        sku=product.sku,
        location_id=sim.company.main_warehouse,
        qty=sim.rng.randint(1, 2),
        reason="sample",
    )


def issue(sim: Sim, when: datetime, *, sku: str, location_id: str, qty: int, reason: str) -> None:
    """Issue stock when that much is available (a scrap or sample never touches reserved stock)."""
    if sim.books.level(sku, location_id).available < qty:
        return
    body = {
        "issue_id": sim.books.next_id("ISS"),
        "sku": sku,
        "location_id": location_id,
        "qty": str(qty),
        "reason": reason,
    }
    sim.emit(when, "issue-stock", body)
    sim.books.issue(sku, location_id, qty)
