"""A history of orders against their delivery promises, for the fulfilment read model's tests.

The window is [2026-09-01, 2026-09-08) (dates: UTC midnights). Orders, all of one unit price,
placed, promised, shipped and delivered at these times (September unless said):

- SO-1 online, north: 5 x SKU-A placed 01 10:00, promised 04 12:00; shipped whole on 02 10:00
  (24 h), delivered 05 09:00, after its promise: in full, late.
- SO-2 online, south: 4 x SKU-A and 2 x SKU-B placed 01 12:00, promised 05 12:00; line 1
  shipped 02 12:00, line 2 on 03 18:00 (54 h after placing), delivered 03 10:00 and 05 12:00,
  the second exactly at the promise: in full, on time.
- SO-3 store, north: 10 x SKU-A and 3 x SKU-B placed 02 09:00, promised 06 09:00; 6 of line 1
  shipped 03 09:00 and delivered 05 09:00, the rest cancelled on 04: every unit not
  cancelled was delivered by the promise, so on time, but not in full.
- SO-4 store, south: cancelled in full before anything shipped: left out.
- SO-5 online, north: 1 x SKU-B placed 03 10:00, promised 07 10:00, shipped 04 14:00 (28 h),
  never delivered: in full, not on time.
- SO-6 online, south: promised 08 00:00, the window's end: outside [from, to).
- SO-7 distributor, south: placed 08-30 10:00, promised 01 00:00, the window's start;
  shipped 08-31 10:00 (24 h) and delivered 08-31 16:00: on time in full.
- SO-8 online, north: no promise: never counted.

Counted: SO-1, 2, 3, 5, 7. On time SO-2, 3, 7 (3 of 5: 60 %); in full SO-1, 2, 5, 7 (80 %);
both SO-2, 7 (40 %). Days to ship over the four in full: (24 + 54 + 28 + 24) / 4 = 32.5 h
= 1.354 days.
"""

from __future__ import annotations

from typing import Any

SETUP: list[tuple[str, dict[str, Any]]] = [
    ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
    ("register-product", {"sku": "SKU-A", "name": "Spanner", "uom": "ea", "category": "tools"}),
    ("register-product", {"sku": "SKU-B", "name": "Kite", "uom": "ea", "category": "toys"}),
    ("register-customer", {"customer_id": "CUS-1", "name": "Northwind"}),
    ("register-team", {"team_id": "north", "name": "North"}),
    ("register-team", {"team_id": "south", "name": "South"}),
    ("receive-stock", {"receipt_id": "R-A", "sku": "SKU-A", "location_id": "WH-A", "qty": "100"}),
    ("receive-stock", {"receipt_id": "R-B", "sku": "SKU-B", "location_id": "WH-A", "qty": "100"}),
]


def place(
    order_id: str, channel: str, team: str, at: str, promised: str | None, lines: list[tuple[str, str]]
) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": "CUS-1",
        "channel": channel,
        "team_id": team,
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [
            {"line_no": n, "sku": sku, "qty": qty, "unit_price": "10.00"}
            for n, (sku, qty) in enumerate(lines, start=1)
        ],
        "occurred_at": at,
    }
    if promised is not None:
        body["promised_at"] = promised
    return "place-order", body


def ship(
    order_id: str, shipment_id: str, at: str, lines: list[tuple[int, str]]
) -> tuple[str, dict[str, Any]]:
    body = {
        "order_id": order_id,
        "shipment_id": shipment_id,
        "lines": [{"line_no": n, "qty": qty} for n, qty in lines],
        "occurred_at": at,
    }
    return "ship-order", body


def deliver(order_id: str, shipment_id: str, at: str) -> tuple[str, dict[str, Any]]:
    return "record-delivery", {"order_id": order_id, "shipment_id": shipment_id, "occurred_at": at}


def cancel(order_id: str, at: str) -> tuple[str, dict[str, Any]]:
    return "cancel-order", {"order_id": order_id, "reason": "customer changed mind", "occurred_at": at}


TWO_LINES = [("SKU-A", "4"), ("SKU-B", "2")]
SO_3_LINES = [("SKU-A", "10"), ("SKU-B", "3")]
# fmt: off
HISTORY: list[tuple[str, dict[str, Any]]] = [
    *SETUP,
    place("SO-7", "distributor", "south", "2026-08-30T10:00:00Z", "2026-09-01T00:00:00Z", [("SKU-A", "2")]),
    ship("SO-7", "SH-7", "2026-08-31T10:00:00Z", [(1, "2")]),
    deliver("SO-7", "SH-7", "2026-08-31T16:00:00Z"),
    place("SO-1", "online", "north", "2026-09-01T10:00:00Z", "2026-09-04T12:00:00Z", [("SKU-A", "5")]),
    place("SO-2", "online", "south", "2026-09-01T12:00:00Z", "2026-09-05T12:00:00Z", TWO_LINES),
    place("SO-8", "online", "north", "2026-09-01T13:00:00Z", None, [("SKU-A", "1")]),
    place("SO-3", "store", "north", "2026-09-02T09:00:00Z", "2026-09-06T09:00:00Z", SO_3_LINES),
    place("SO-4", "store", "south", "2026-09-02T10:00:00Z", "2026-09-06T10:00:00Z", [("SKU-B", "1")]),
    ship("SO-1", "SH-1", "2026-09-02T10:00:00Z", [(1, "5")]),
    cancel("SO-4", "2026-09-02T11:00:00Z"),
    ship("SO-2", "SH-2a", "2026-09-02T12:00:00Z", [(1, "4")]),
    ship("SO-8", "SH-8", "2026-09-02T13:00:00Z", [(1, "1")]),
    ship("SO-3", "SH-3", "2026-09-03T09:00:00Z", [(1, "6")]),
    deliver("SO-2", "SH-2a", "2026-09-03T10:00:00Z"),
    place("SO-5", "online", "north", "2026-09-03T10:00:00Z", "2026-09-07T10:00:00Z", [("SKU-B", "1")]),
    ship("SO-2", "SH-2b", "2026-09-03T18:00:00Z", [(2, "2")]),
    deliver("SO-8", "SH-8", "2026-09-03T19:00:00Z"),
    cancel("SO-3", "2026-09-04T08:00:00Z"),
    ship("SO-5", "SH-5", "2026-09-04T14:00:00Z", [(1, "1")]),
    deliver("SO-1", "SH-1", "2026-09-05T09:00:00Z"),
    deliver("SO-3", "SH-3", "2026-09-05T09:00:00Z"),
    place("SO-6", "online", "south", "2026-09-05T10:00:00Z", "2026-09-08T00:00:00Z", [("SKU-A", "1")]),
    deliver("SO-2", "SH-2b", "2026-09-05T12:00:00Z"),
]
# fmt: on
