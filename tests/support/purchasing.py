"""A small purchasing history as (command name, body): every purchasing command and event.

Purchase orders placed, received in parts against their lines (one product inspected on
arrival, so a receipt is quarantined too), one cancelled half-received; an order promised,
shipped and delivered. It uses master data of its own (ids ending in ``-P``), so it follows
any other history, and every command in it is accepted in order.
"""

from __future__ import annotations

from typing import Any

T = "2026-11-02T09:00:00Z"
EXPECTED = "2026-11-09T12:00:00Z"
PROMISED = "2026-11-06T17:00:00Z"

PURCHASING_HISTORY: tuple[tuple[str, dict[str, Any]], ...] = (
    ("register-location", {"location_id": "WH-P", "name": "Purchasing dock", "kind": "warehouse"}),
    ("register-location", {"location_id": "ST-P", "name": "Purchasing store", "kind": "store"}),
    ("register-supplier", {"supplier_id": "SUP-P", "name": "Parts and Pieces"}),
    ("register-customer", {"customer_id": "CUS-P", "name": "Peak Retail"}),
    ("register-team", {"team_id": "team-p", "name": "Team P"}),
    ("register-product", {"sku": "SKU-P", "name": "Pump", "uom": "ea", "category": "pumps"}),
    (
        "register-product",
        {"sku": "SKU-PQ", "name": "Valve", "uom": "ea", "category": "valves", "requires_inspection": True},
    ),
    (
        "place-purchase-order",
        {
            "po_id": "PO-P1",
            "supplier_id": "SUP-P",
            "deliver_to": "WH-P",
            "currency": "EUR",
            "expected_at": EXPECTED,
            "lines": [
                {"line_no": 1, "sku": "SKU-P", "qty": "10", "unit_cost": "2.50"},
                {"line_no": 2, "sku": "SKU-PQ", "qty": "4", "unit_cost": "7.125"},
            ],
        },
    ),
    (
        "receive-stock",
        {
            "receipt_id": "R-P1",
            "sku": "SKU-P",
            "location_id": "WH-P",
            "qty": "6",
            "po_id": "PO-P1",
            "po_line": 1,
        },
    ),
    (
        "receive-stock",
        {
            "receipt_id": "R-P2",
            "sku": "SKU-PQ",
            "location_id": "WH-P",
            "qty": "4",
            "lot_id": "L-P1",
            "supplier_id": "SUP-P",
            "unit_cost": "7.20",
            "po_id": "PO-P1",
            "po_line": 2,
        },
    ),
    ("cancel-purchase-order", {"po_id": "PO-P1", "reason": "Supplier out of stock"}),
    (
        "place-purchase-order",
        {
            "po_id": "PO-P2",
            "supplier_id": "SUP-P",
            "deliver_to": "WH-P",
            "currency": "EUR",
            "expected_at": EXPECTED,
            "lines": [{"line_no": 1, "sku": "SKU-P", "qty": "3", "unit_cost": "3.10"}],
        },
    ),
    (
        "receive-stock",
        {
            "receipt_id": "R-P3",
            "sku": "SKU-P",
            "location_id": "WH-P",
            "qty": "3",
            "po_id": "PO-P2",
            "po_line": 1,
        },
    ),
    (
        "transfer-stock",
        {"transfer_id": "T-P1", "sku": "SKU-P", "from_location": "WH-P", "to_location": "ST-P", "qty": "2"},
    ),
    (
        "place-order",
        {
            "order_id": "SO-P1",
            "customer_id": "CUS-P",
            "channel": "online",
            "team_id": "team-p",
            "currency": "EUR",
            "fulfil_from": "WH-P",
            "promised_at": PROMISED,
            "lines": [{"line_no": 1, "sku": "SKU-P", "qty": "2", "unit_price": "9.90"}],
        },
    ),
    ("ship-order", {"order_id": "SO-P1", "shipment_id": "SH-P1", "lines": [{"line_no": 1, "qty": "2"}]}),
    (
        "record-delivery",
        {"order_id": "SO-P1", "shipment_id": "SH-P1", "carrier": "DHL", "tracking": "JD0002"},
    ),
)
"""Every command here is accepted, in this order, after any history not using its ids."""

PURCHASING_EVENT_TYPES = frozenset(
    {"PurchaseOrderPlaced", "PurchaseOrderReceived", "PurchaseOrderCancelled", "ShipmentDelivered"}
)
