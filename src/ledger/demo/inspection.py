"""Sampling plans and defect findings: how many units an inspector checks and what they find.

Sample sizes follow the lot-size steps of single sampling at general inspection level II
(ISO 2859-1), with acceptance numbers close to AQL 2.5. Each defective unit carries one
defect, sometimes two, of the product's typical kinds, the first kinds being the most common.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Final

from ledger.demo.catalogue import UNRELIABLE_SUPPLIER
from ledger.demo.company import Product
from ledger.demo.simulation import Sim

# (largest lot size, sample size, acceptance number)
PLANS: Final = (
    (15, 3, 0),
    (25, 5, 1),
    (50, 8, 1),
    (90, 13, 1),
    (150, 20, 1),
    (280, 32, 2),
    (500, 50, 3),
    (1200, 80, 5),
    (3200, 125, 7),
)
LARGEST_PLAN: Final = (200, 10)
KIND_WEIGHTS: Final = (40, 25, 15, 10, 10)
BAD_SPELL_FACTOR: Final = 5.0


def plan(lot_size: int) -> tuple[int, int]:
    """(sample size, acceptance number) for a lot of ``lot_size`` units."""
    for largest, sample, accept in PLANS:
        if lot_size <= largest:
            return min(sample, lot_size), accept
    return LARGEST_PLAN


def defect_rate(sim: Sim, supplier_id: str, at: datetime) -> float:
    rate = sim.company.suppliers[supplier_id].defect_rate
    start, end = sim.bad_spell
    if supplier_id == UNRELIABLE_SUPPLIER and start <= at <= end:
        rate *= BAD_SPELL_FACTOR
    return rate


def findings(sim: Sim, product: Product, defective: int) -> list[dict[str, Any]]:
    """The defects found on ``defective`` units, largest category first."""
    kinds = product.defects
    counts: Counter[str] = Counter()
    for _ in range(defective):
        for _ in range(2 if sim.chance(0.25) else 1):
            counts[sim.rng.choices(kinds, KIND_WEIGHTS[: len(kinds)])[0]] += 1
    return [{"category": kind, "count": count} for kind, count in counts.most_common()]


def body(
    sim: Sim,
    *,
    lot_id: str,
    product: Product,
    location_id: str,
    supplier_id: str,
    stage: str,
    sample: int,
    defective: int,
    disposition: str,
) -> dict[str, Any]:
    return {
        "inspection_id": sim.books.next_id("QI"),
        "lot_id": lot_id,
        "sku": product.sku,
        "location_id": location_id,
        "supplier_id": supplier_id,
        "stage": stage,
        "sample_size": sample,
        "defective_units": defective,
        "defects": findings(sim, product, defective),
        "disposition": disposition,
    }
