"""A small history of marketing, customers and plans as (command name, body): every command
and event of those areas.

A campaign launched with spend on it; three leads, one qualified and won by an order that
names no campaign (so it takes the lead's), one lost after qualifying, one lost straight from
captured; follow-ups after the order and after a complaint, with scores; objectives set, one
replaced, one retired. It uses master data of its own (ids ending in ``-M``), so it follows
any other history, and every command in it is accepted in order.
"""

from __future__ import annotations

from typing import Any

MARKETING_HISTORY: tuple[tuple[str, dict[str, Any]], ...] = (
    ("register-location", {"location_id": "WH-M", "name": "Marketing dock", "kind": "warehouse"}),
    ("register-customer", {"customer_id": "CUS-M", "name": "Meadow Stores", "segment": "retail"}),
    ("register-customer", {"customer_id": "CUS-M2", "name": "Marsh Trading"}),
    ("register-team", {"team_id": "team-m", "name": "Team M", "channel": "online"}),
    ("register-product", {"sku": "SKU-M", "name": "Mallet", "uom": "ea", "category": "hand tools"}),
    ("receive-stock", {"receipt_id": "R-M1", "sku": "SKU-M", "location_id": "WH-M", "qty": "20"}),
    (
        "launch-campaign",
        {
            "campaign_id": "CMP-M",
            "name": "Spring tools fair",
            "medium": "event",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
            "budget": "1500.00",
            "currency": "EUR",
        },
    ),
    (
        "record-campaign-spend",
        {"campaign_id": "CMP-M", "spend_id": "SP-1", "amount": "400.00", "note": "Stand"},
    ),
    ("record-campaign-spend", {"campaign_id": "CMP-M", "spend_id": "SP-2", "amount": "120.50"}),
    (
        "capture-lead",
        {"lead_id": "LD-M1", "campaign_id": "CMP-M", "customer_id": "CUS-M", "channel": "online"},
    ),
    ("capture-lead", {"lead_id": "LD-M2", "campaign_id": "CMP-M", "channel": "direct"}),
    ("capture-lead", {"lead_id": "LD-M3", "channel": "store"}),
    ("qualify-lead", {"lead_id": "LD-M1"}),
    ("qualify-lead", {"lead_id": "LD-M2"}),
    ("lose-lead", {"lead_id": "LD-M2", "reason": "Went with a competitor"}),
    ("lose-lead", {"lead_id": "LD-M3", "reason": "No budget this year"}),
    (
        "place-order",
        {
            "order_id": "SO-M1",
            "customer_id": "CUS-M",
            "channel": "online",
            "team_id": "team-m",
            "currency": "EUR",
            "fulfil_from": "WH-M",
            "lead_id": "LD-M1",
            "lines": [{"line_no": 1, "sku": "SKU-M", "qty": "3", "unit_price": "24.00"}],
        },
    ),
    (
        "file-complaint",
        {
            "complaint_id": "C-M1",
            "customer_id": "CUS-M",
            "channel": "phone",
            "category": "late delivery",
            "severity": "medium",
            "description": "Arrived a day late",
            "order_id": "SO-M1",
        },
    ),
    (
        "record-follow-up",
        {
            "follow_up_id": "F-M1",
            "customer_id": "CUS-M",
            "kind": "call",
            "order_id": "SO-M1",
            "complaint_id": "C-M1",
            "csat": 4,
            "nps": 9,
            "note": "Happy with the replacement",
        },
    ),
    ("record-follow-up", {"follow_up_id": "F-M2", "customer_id": "CUS-M2", "kind": "survey", "nps": 3}),
    (
        "set-objective",
        {
            "objective_id": "OBJ-M1",
            "title": "Grow net sales this quarter",
            "horizon": "short",
            "period": "2026-Q4",
            "kpi": "net_sales",
            "target": "250000",
            "owner": "Sales director",
        },
    ),
    (
        "set-objective",
        {
            "objective_id": "OBJ-M2",
            "title": "Customers recommend us",
            "horizon": "long",
            "period": "2026..2028",
            "kpi": "nps",
            "target": "30",
        },
    ),
    (
        "set-objective",
        {
            "objective_id": "OBJ-M1",
            "title": "Grow net sales this quarter",
            "horizon": "short",
            "period": "2026-Q4",
            "kpi": "net_sales",
            "target": "275000",
        },
    ),
    ("retire-objective", {"objective_id": "OBJ-M2", "reason": "Replaced by the retention plan"}),
)
"""Every command here is accepted, in this order, after any history not using its ids."""

MARKETING_EVENT_TYPES = frozenset(
    {
        "CampaignLaunched",
        "CampaignSpendRecorded",
        "LeadCaptured",
        "LeadQualified",
        "LeadLost",
        "LeadWon",
        "FollowUpRecorded",
        "ObjectiveSet",
        "ObjectiveRetired",
    }
)
