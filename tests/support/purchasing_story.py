"""A month of purchasing, as command bodies with their business times, for purchasing read tests.

March 2026, UTC. Every figure the tests expect is worked out by hand from this story:

- PO-1 (SUP-A), placed 03-02 09:00, due 03-06 09:00: line 1 SKU-1 10 @ 2.50 (25.00) received
  4 on 03-03 09:00 and 6 on 03-05 15:00 (complete, on time, 3 d 6 h = 3.25 days); line 2
  SKU-2 3 @ 0.335 (1.005 -> 1.01) received in full on 03-04 09:00 (2.00 days). Amount 26.01.
- PO-2 (SUP-A), placed 03-02 12:00, due 03-09 12:00: SKU-1 20 @ 2.00 (40.00) received 8 on
  03-10 12:00 and 12 on 03-11 18:00 (complete, late, 9 d 6 h = 9.25 days).
- PO-3 (SUP-A), placed 03-03 09:00, due 03-10 09:00: SKU-2 10 @ 1.00 and SKU-1 5 @ 3.00
  (25.00); 6 of line 1 received on 03-06 09:00, then cancelled on 03-08 09:00 (remainders 4
  and 5).
- PO-4 (SUP-B), placed 03-04 09:00, due 03-12 09:00: SKU-Q 50 @ 4.00 received in full as lot
  L-B1 on 03-05 09:00 (early, 1.00 day); SKU-1 10 @ 2.00 never received. Amount 220.00.
- PO-5 (SUP-B), placed 03-05 09:00, due 03-20 09:00: SKU-1 7 @ 1.00, never received.
- PO-6 (SUP-C), placed 03-02 10:00, due 04-05 09:00: SKU-2 2 @ 1.50, never received.
- PO-7 (SUP-E), placed 03-03 10:00, due 03-10 09:00: SKU-2 3 @ 1.00, never received.
- Without a PO: R-8, 30 SKU-Q from SUP-A with no lot id (its lot is R-8), on 03-05 10:00;
  R-9, 8 SKU-Q from SUP-D as lot L-D1, on 03-06 10:00.
- Inspections: I-1 incoming of L-B1 on 03-05 12:00, 32 inspected, 3 defective, reject;
  I-2 incoming of R-8 on 03-06 10:00, 12 / 1, accept; I-4 final of L-B1 on 03-07 09:00,
  5 / 5, rework (not incoming); I-5 incoming of L-D1 on 03-07 10:00, 8 / 0, accept;
  I-6 incoming of R-8 on 04-02 09:00, 4 / 4, reject (after the month).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

Story = list[tuple[str, dict[str, Any]]]


def _at(day: str, clock: str) -> str:
    """A time of 2026 in UTC: ``_at("03-02", "09:00")``."""
    return f"2026-{day}T{clock}:00Z"


def _po(
    po_id: str, supplier: str, placed: str, due: str, *lines: tuple[str, str, str]
) -> tuple[str, dict[str, Any]]:
    return (
        "place-purchase-order",
        {
            "po_id": po_id,
            "supplier_id": supplier,
            "deliver_to": "WH-A",
            "currency": "EUR",
            "expected_at": _at(*due.split()),
            "occurred_at": _at(*placed.split()),
            "lines": [
                {"line_no": n, "sku": sku, "qty": qty, "unit_cost": cost}
                for n, (sku, qty, cost) in enumerate(lines, start=1)
            ],
        },
    )


def receipt(receipt_id: str, sku: str, qty: str, at: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    body = {
        "receipt_id": receipt_id,
        "sku": sku,
        "location_id": "WH-A",
        "qty": qty,
        "occurred_at": at,
        **extra,
    }
    return ("receive-stock", body)


def _inspection(
    inspection_id: str,
    lot_id: str,
    at: str,
    sample: int,
    defective: int,
    disposition: str,
    stage: str = "incoming",
) -> tuple[str, dict[str, Any]]:
    return (
        "record-inspection",
        {
            "inspection_id": inspection_id,
            "lot_id": lot_id,
            "sku": "SKU-Q",
            "stage": stage,
            "sample_size": sample,
            "defective_units": defective,
            "disposition": disposition,
            "occurred_at": at,
        },
    )


SETUP: Final[Story] = [
    ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
    *[("register-supplier", {"supplier_id": f"SUP-{s}", "name": s}) for s in "ABCDE"],
    ("register-product", {"sku": "SKU-1", "name": "One", "uom": "ea", "category": "parts"}),
    ("register-product", {"sku": "SKU-2", "name": "Two", "uom": "ea", "category": "parts"}),
    ("register-product", {"sku": "SKU-Q", "name": "Q", "uom": "ea", "category": "parts",
                          "requires_inspection": True}),
]  # fmt: skip

STORY: Final[Story] = [
    *SETUP,
    _po("PO-1", "SUP-A", "03-02 09:00", "03-06 09:00", ("SKU-1", "10", "2.50"), ("SKU-2", "3", "0.335")),
    _po("PO-6", "SUP-C", "03-02 10:00", "04-05 09:00", ("SKU-2", "2", "1.50")),
    _po("PO-2", "SUP-A", "03-02 12:00", "03-09 12:00", ("SKU-1", "20", "2.00")),
    _po("PO-3", "SUP-A", "03-03 09:00", "03-10 09:00", ("SKU-2", "10", "1.00"), ("SKU-1", "5", "3.00")),
    _po("PO-7", "SUP-E", "03-03 10:00", "03-10 09:00", ("SKU-2", "3", "1.00")),
    _po("PO-4", "SUP-B", "03-04 09:00", "03-12 09:00", ("SKU-Q", "50", "4.00"), ("SKU-1", "10", "2.00")),
    _po("PO-5", "SUP-B", "03-05 09:00", "03-20 09:00", ("SKU-1", "7", "1.00")),
    receipt("R-1", "SKU-1", "4", _at("03-03", "09:00"), po_id="PO-1", po_line=1),
    receipt("R-3", "SKU-2", "3", _at("03-04", "09:00"), po_id="PO-1", po_line=2),
    receipt("R-7", "SKU-Q", "50", _at("03-05", "09:00"), po_id="PO-4", po_line=1, lot_id="L-B1"),
    receipt("R-8", "SKU-Q", "30", _at("03-05", "10:00"), supplier_id="SUP-A"),
    _inspection("I-1", "L-B1", _at("03-05", "12:00"), 32, 3, "reject"),
    receipt("R-2", "SKU-1", "6", _at("03-05", "15:00"), po_id="PO-1", po_line=1),
    receipt("R-6", "SKU-2", "6", _at("03-06", "09:00"), po_id="PO-3", po_line=1),
    _inspection("I-2", "R-8", _at("03-06", "10:00"), 12, 1, "accept"),
    receipt("R-9", "SKU-Q", "8", _at("03-06", "10:00"), supplier_id="SUP-D", lot_id="L-D1"),
    _inspection("I-4", "L-B1", _at("03-07", "09:00"), 5, 5, "rework", stage="final"),
    _inspection("I-5", "L-D1", _at("03-07", "10:00"), 8, 0, "accept"),
    ("cancel-purchase-order", {"po_id": "PO-3", "reason": "supplier cannot deliver",
                               "occurred_at": _at("03-08", "09:00")}),
    receipt("R-4", "SKU-1", "8", _at("03-10", "12:00"), po_id="PO-2", po_line=1),
    receipt("R-5", "SKU-1", "12", _at("03-11", "18:00"), po_id="PO-2", po_line=1),
    _inspection("I-6", "R-8", _at("04-02", "09:00"), 4, 4, "reject"),
]  # fmt: skip

OVER_RECEIPT: Final = receipt("R-X", "SKU-1", "1", _at("03-05", "16:00"), po_id="PO-1", po_line=1)
"""Refused: PO-1 line 1 is received in full (10 of 10)."""


def business_time(body: dict[str, Any]) -> datetime:
    return (
        datetime.fromisoformat(body["occurred_at"])
        if "occurred_at" in body
        else datetime.fromisoformat("2026-03-01T00:00:00+00:00")
    )
