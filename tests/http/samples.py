"""One schema-valid body for every command of API.md, each optional field included.

Valid means the schema accepts it; whether the writer then answers 201 or 409 depends on what
the log already holds. Every body names the same master data (``SKU-1``, ``WH-A``, ``CUS-1``,
``north``, ``SO-1``, ``C-1``, ``L-1``, ``PO-1``, ``CMP-1``, ``LD-1``, ``OBJ-1``), so with
``setup_master_data`` of test_commands most succeed.
"""

from __future__ import annotations

import copy
from typing import Any

T = "2026-11-02T09:00:00Z"

_VALID: dict[str, dict[str, Any]] = {
    "register-product": {
        "sku": "SKU-1",
        "name": "Widget",
        "uom": "ea",
        "category": "widgets",
        "unit_price": "12.50",
        "reorder_point": "5",
        "reorder_qty": 20,
        "requires_inspection": False,
    },
    "set-reorder-policy": {"sku": "SKU-1", "location_id": "WH-A", "reorder_point": 5, "reorder_qty": "20"},
    "register-location": {"location_id": "WH-A", "name": "Main warehouse", "kind": "warehouse"},
    "register-supplier": {"supplier_id": "SUP-1", "name": "Acme Parts"},
    "register-customer": {"customer_id": "CUS-1", "name": "Northwind", "segment": "retail"},
    "register-team": {"team_id": "north", "name": "North team", "channel": "online"},
    "receive-stock": {
        "receipt_id": "R-1",
        "sku": "SKU-1",
        "location_id": "WH-A",
        "qty": "100",
        "lot_id": "L-1",
        "supplier_id": "SUP-1",
        "unit_cost": "3.20",
    },
    "transfer-stock": {
        "transfer_id": "T-1",
        "sku": "SKU-1",
        "from_location": "WH-A",
        "to_location": "ST-1",
        "qty": "10",
    },
    "adjust-stock": {
        "adjustment_id": "A-1",
        "sku": "SKU-1",
        "location_id": "WH-A",
        "counted_qty": "88",
        "reason": "cycle count",
    },
    "issue-stock": {"issue_id": "I-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "3", "reason": "sample"},
    "place-order": {
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "rep_id": "REP-7",
        "campaign_id": "CMP-1",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "2", "unit_price": "12.50", "discount_pct": "10"}],
    },
    "ship-order": {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "1"}]},
    "cancel-order": {"order_id": "SO-1", "reason": "customer changed mind"},
    "return-order": {
        "order_id": "SO-1",
        "return_id": "RT-1",
        "lines": [{"line_no": 1, "qty": "1", "condition": "resaleable"}],
    },
    "set-sales-target": {"period": "2026-11", "dimension": "team", "key": "north", "amount": "50000"},
    "record-inspection": {
        "inspection_id": "IN-1",
        "lot_id": "L-1",
        "sku": "SKU-1",
        "location_id": "WH-A",
        "supplier_id": "SUP-1",
        "stage": "incoming",
        "sample_size": 20,
        "defective_units": 1,
        "defects": [{"category": "scratch", "count": 1}],
        "disposition": "accept",
    },
    "file-complaint": {
        "complaint_id": "C-1",
        "customer_id": "CUS-1",
        "channel": "email",
        "category": "damaged",
        "severity": "high",
        "description": "Box arrived crushed",
        "order_id": "SO-1",
        "sku": "SKU-1",
        "lot_id": "L-1",
    },
    "acknowledge-complaint": {"complaint_id": "C-1"},
    "resolve-complaint": {"complaint_id": "C-1", "resolution": "replacement sent"},
    "reopen-complaint": {"complaint_id": "C-1", "reason": "replacement also damaged"},
    "place-purchase-order": {
        "po_id": "PO-1",
        "supplier_id": "SUP-1",
        "deliver_to": "WH-A",
        "currency": "EUR",
        "expected_at": "2026-11-09T12:00:00Z",
        "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "50", "unit_cost": "3.20"}],
    },
    "cancel-purchase-order": {"po_id": "PO-1", "reason": "supplier cannot deliver"},
    "record-delivery": {"order_id": "SO-1", "shipment_id": "SH-1", "carrier": "DHL", "tracking": "JD014600"},
    "launch-campaign": {
        "campaign_id": "CMP-1",
        "name": "Autumn search ads",
        "medium": "search",
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "budget": "1500.00",
        "currency": "EUR",
    },
    "record-campaign-spend": {
        "campaign_id": "CMP-1",
        "spend_id": "SP-1",
        "amount": "400.00",
        "note": "week 1",
    },
    "capture-lead": {"lead_id": "LD-1", "campaign_id": "CMP-1", "customer_id": "CUS-1", "channel": "online"},
    "qualify-lead": {"lead_id": "LD-1"},
    "lose-lead": {"lead_id": "LD-1", "reason": "chose a competitor"},
    "record-follow-up": {
        "follow_up_id": "F-1",
        "customer_id": "CUS-1",
        "kind": "call",
        "order_id": "SO-1",
        "complaint_id": "C-1",
        "csat": 4,
        "nps": 9,
        "note": "happy with the replacement",
    },
    "set-objective": {
        "objective_id": "OBJ-1",
        "title": "Grow net sales this quarter",
        "horizon": "short",
        "period": "2026-Q4",
        "kpi": "net_sales",
        "target": "250000",
        "owner": "Sales director",
    },
    "retire-objective": {"objective_id": "OBJ-1", "reason": "replaced by the annual plan"},
}
_VALID["place-order"]["promised_at"] = "2026-11-06T17:00:00Z"
_VALID["place-order"]["lead_id"] = "LD-1"

for _body in _VALID.values():
    _body["occurred_at"] = T

COMMAND_NAMES: tuple[str, ...] = tuple(sorted(_VALID))


def valid_body(name: str) -> dict[str, Any]:
    """A fresh copy of the command's valid body, safe to change."""
    return copy.deepcopy(_VALID[name])
