"""A history of campaigns, leads and the orders they brought, for the marketing read model's tests.

All times are September 2026, UTC. Campaigns (launched at 08:00):

- CMP-S search, launched 01, budget 1000.00; spend SP-1 300.00 on 01 09:00 and SP-2 155.00
  on 15 09:00.
- CMP-E email, launched 02, budget 0.00, no spend.
- CMP-P print, launched 20, budget 500.00; spend SP-1 50.00 on 21 09:00; no leads, no orders.

Leads:

- L-1 CMP-S online (CUS-1) captured 02 10:00, qualified 03 10:00, won by SO-1 on 04 10:00.
- L-2 CMP-S online captured 02 11:00, qualified 05 10:00, lost 06 10:00 (after qualifying).
- L-3 CMP-S store (CUS-2) captured 03 09:00, won by SO-2 on 08 10:00 straight from captured.
- L-4 CMP-E online captured 05 09:00, open.
- L-5 no campaign, direct, captured 06 09:00, qualified 07 09:00, open.
- L-6 no campaign, online, captured 09 00:00, lost 10 10:00 straight from captured.

Orders (SKU-A from WH-A):

- SO-1 CUS-1 online, names lead L-1 and no campaign: takes CMP-S. 2 x 100.00 = 200.00,
  placed 04 10:00.
- SO-2 CUS-2 store, lead L-3, campaign CMP-S, placed 08 10:00: line 1 3 x 10.35 less 15 %
  (net 8.7975) = 26.39, line 2 1 x 33.33; booked 59.72. One unit of each line shipped 09
  10:00, the rest cancelled 12 10:00: 2 units of line 1, priced as the sales read model
  prices a cancellation, 2 x 8.7975 = 17.595, half-up 17.60. Revenue 59.72 - 17.60 = 42.12.
- SO-3 CUS-1 online, campaign CMP-S, no lead, 1 x 100.00 placed 16 10:00, cancelled in full
  17 10:00: an order of the campaign, revenue 0.
- SO-4 CUS-2 online, no campaign, placed 05 10:00, cancelled 06 10:00: no campaign's.
- SO-5 CUS-1 direct, campaign CMP-X (never launched), 1 x 40.00 placed 10 10:00: a campaign
  order the campaigns list cannot show, counted by ``campaign_roas``.

Judged now, CMP-S: spend 455.00, leads 3, qualified 2 (L-1, L-2; L-3 never was), won 2
(L-1, L-3), orders 3, revenue 200.00 + 42.12 + 0 = 242.12, cost per lead 455 / 3 = 151.67,
ROAS 242.12 / 455 = 0.5321 -> 0.53, budget used 45.50 %. CMP-E: 1 lead, cost per lead 0.00,
ROAS null (no spend), budget used null (budget 0). CMP-P: cost per lead null (no leads), ROAS
0 / 50 = 0.00, budget used 10.00 %.
"""

from __future__ import annotations

from typing import Any

Command = tuple[str, dict[str, Any]]


def at(day: int, clock: str) -> str:
    return f"2026-09-{day:02d}T{clock}:00Z"


def launch(campaign_id: str, medium: str, day: int, budget: str) -> Command:
    return "launch-campaign", {
        "campaign_id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "medium": medium,
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "budget": budget,
        "currency": "EUR",
        "occurred_at": at(day, "08:00"),
    }


def spend(campaign_id: str, spend_id: str, amount: str, day: int) -> Command:
    body = {
        "campaign_id": campaign_id,
        "spend_id": spend_id,
        "amount": amount,
        "occurred_at": at(day, "09:00"),
    }
    return "record-campaign-spend", body


def capture(
    lead_id: str, campaign_id: str | None, channel: str, when: str, customer_id: str | None = None
) -> Command:
    body: dict[str, Any] = {"lead_id": lead_id, "channel": channel, "occurred_at": when}
    if campaign_id is not None:
        body["campaign_id"] = campaign_id
    if customer_id is not None:
        body["customer_id"] = customer_id
    return "capture-lead", body


def qualify(lead_id: str, when: str) -> Command:
    return "qualify-lead", {"lead_id": lead_id, "occurred_at": when}


def lose(lead_id: str, when: str) -> Command:
    return "lose-lead", {"lead_id": lead_id, "reason": "went elsewhere", "occurred_at": when}


def place(
    order_id: str,
    customer_id: str,
    channel: str,
    when: str,
    lines: list[tuple[str, str, str]],
    *,
    campaign_id: str | None = None,
    lead_id: str | None = None,
) -> Command:
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer_id,
        "channel": channel,
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [
            {"line_no": n, "sku": "SKU-A", "qty": qty, "unit_price": price, "discount_pct": discount}
            for n, (qty, price, discount) in enumerate(lines, start=1)
        ],
        "occurred_at": when,
    }
    if campaign_id is not None:
        body["campaign_id"] = campaign_id
    if lead_id is not None:
        body["lead_id"] = lead_id
    return "place-order", body


def cancel(order_id: str, when: str) -> Command:
    return "cancel-order", {"order_id": order_id, "reason": "customer changed mind", "occurred_at": when}


SETUP: list[Command] = [
    ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
    ("register-product", {"sku": "SKU-A", "name": "Spanner", "uom": "ea", "category": "tools"}),
    ("register-customer", {"customer_id": "CUS-1", "name": "Northwind"}),
    ("register-customer", {"customer_id": "CUS-2", "name": "Southwind"}),
    ("register-team", {"team_id": "north", "name": "North"}),
    ("receive-stock", {"receipt_id": "R-A", "sku": "SKU-A", "location_id": "WH-A", "qty": "100"}),
]
SHIP_SO_2: Command = (
    "ship-order",
    {
        "order_id": "SO-2",
        "shipment_id": "SH-2",
        "lines": [{"line_no": 1, "qty": "1"}, {"line_no": 2, "qty": "1"}],
        "occurred_at": at(9, "10:00"),
    },
)
# fmt: off
HISTORY: list[Command] = [
    *SETUP,
    launch("CMP-S", "search", 1, "1000.00"),
    spend("CMP-S", "SP-1", "300.00", 1),
    launch("CMP-E", "email", 2, "0"),
    capture("L-1", "CMP-S", "online", at(2, "10:00"), "CUS-1"),
    capture("L-2", "CMP-S", "online", at(2, "11:00")),
    capture("L-3", "CMP-S", "store", at(3, "09:00"), "CUS-2"),
    qualify("L-1", at(3, "10:00")),
    place("SO-1", "CUS-1", "online", at(4, "10:00"), [("2", "100.00", "0")], lead_id="L-1"),
    capture("L-4", "CMP-E", "online", at(5, "09:00")),
    qualify("L-2", at(5, "10:00")),
    place("SO-4", "CUS-2", "online", at(5, "10:00"), [("1", "20.00", "0")]),
    capture("L-5", None, "direct", at(6, "09:00")),
    lose("L-2", at(6, "10:00")),
    cancel("SO-4", at(6, "10:00")),
    qualify("L-5", at(7, "09:00")),
    place("SO-2", "CUS-2", "store", at(8, "10:00"), [("3", "10.35", "15"), ("1", "33.33", "0")],
          campaign_id="CMP-S", lead_id="L-3"),
    capture("L-6", None, "online", at(9, "00:00")),
    SHIP_SO_2,
    place("SO-5", "CUS-1", "direct", at(10, "10:00"), [("1", "40.00", "0")], campaign_id="CMP-X"),
    lose("L-6", at(10, "10:00")),
    cancel("SO-2", at(12, "10:00")),
    spend("CMP-S", "SP-2", "155.00", 15),
    place("SO-3", "CUS-1", "online", at(16, "10:00"), [("1", "100.00", "0")], campaign_id="CMP-S"),
    cancel("SO-3", at(17, "10:00")),
    launch("CMP-P", "print", 20, "500.00"),
    spend("CMP-P", "SP-1", "50.00", 21),
]
# fmt: on
