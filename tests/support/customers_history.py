"""A history of customers who buy, complain and are called back, for the customers read
model's tests. Times are UTC; every figure below is worked out by hand.

Customers and segments: CUS-A and CUS-B retail, CUS-C and CUS-E wholesale, CUS-D none, CUS-F
retail, CUS-G wholesale (registered, nothing else). Orders (SKU-A, 10.00 a unit unless said):

- CUS-A: SO-A1 2 units placed 09-15 10:00, shipped (20.00). SO-A2 3 units placed at 11-01
  00:00 exactly, shipped (30.00), one unit returned (10.00). Net revenue 40.00.
- CUS-B: SO-B1 1 unit placed 10-10, shipped (10.00). SO-B2 placed 11-20, cancelled in full.
- CUS-C: SO-C1 5 units at 19.99 less 10 % placed 11-02; 2 shipped (2 x 19.99 x 0.9 = 35.982,
  35.98), the other 3 cancelled: not cancelled in full.
- CUS-D: SO-D1 1 unit placed 10-31 23:59:59, never shipped.
- CUS-E: SO-E1 placed 11-12, cancelled in full: never active.
- CUS-F: SO-F1 1 unit placed 08-01, shipped.

Retention (UTC): 2026-11 active A, C (B's November order was cancelled in full); A ordered
before, so returning 1, new 1; October's B and D lapsed (2); repeat 50.00. 2026-10 active B,
D, both new; September's A lapsed. 2026-Q4 active A, B, C, D, returning A; Q3's F lapsed;
repeat 25.00. 2026-12 nobody active (repeat null), November's A and C lapsed. 2026 active
A, B, C, D, F, all new.

Complaints: CMP-A1 (CUS-A, about SO-A2) filed 11-07, resolved 11-08, reopened 11-09: open.
CMP-A2 (CUS-A) filed 11-07, resolved 11-08. CMP-D1 (CUS-D) filed 10-20, never resolved.

Follow-ups (csat, nps; "c" names a complaint):

| id | customer | at | csat | nps |
| FU-11 | A | 09-30 23:59:59 | 4 | 9 |
| FU-9 | A | 10-01 00:00 | 1 | 0 |
| FU-7 | B | 10-12 | 4 | 6 |
| FU-8 | D | 10-25, c CMP-D1 | 5 | 7 |
| FU-1 | A | 11-06, order SO-A2 | 5 | 10 |
| FU-2 | A | 11-08, c CMP-A1 | 2 | 3 |
| FU-3 | B | 11-15 | 4 | 8 |
| FU-4 | C | 11-20 | 3 | - |
| FU-6 | D | 11-25 | - | - | (not a response)
| FU-5 | C | 11-30 23:59:59 | - | 9 |
| FU-10 | C | 12-01 00:00 | - | 9 |

By month: September 1 response, csat 4.00, 100.00 %, nps 100.00. October 3 responses, csat
10 / 3 = 3.33, 2 of 3 satisfied 66.67 %, nps (0 promoters - 2 detractors) / 3 = -66.67,
after a complaint 5.00. November 5 responses, csat 14 / 4 = 3.50, 2 of 4 = 50.00 %, nps (2 - 1)
/ 4 = 25.00, after a complaint 2.00. December 1 response, nps 100.00, no csat.
"""

from __future__ import annotations

from typing import Any

Command = tuple[str, dict[str, Any]]

SETUP: list[Command] = [
    ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
    ("register-product", {"sku": "SKU-A", "name": "Spanner", "uom": "ea", "category": "tools"}),
    ("register-team", {"team_id": "north", "name": "North"}),
    ("receive-stock", {"receipt_id": "R-A", "sku": "SKU-A", "location_id": "WH-A", "qty": "100",
                       "occurred_at": "2026-07-01T00:00:00Z"}),
    *[
        ("register-customer", {"customer_id": customer, "name": f"Customer {customer}", **segment})
        for customer, segment in [
            ("CUS-A", {"segment": "retail"}),
            ("CUS-B", {"segment": "retail"}),
            ("CUS-C", {"segment": "wholesale"}),
            ("CUS-D", {}),
            ("CUS-E", {"segment": "wholesale"}),
            ("CUS-F", {"segment": "retail"}),
            ("CUS-G", {"segment": "wholesale"}),
        ]
    ],
]  # fmt: skip


def place(
    order_id: str, customer: str, at: str, qty: str, price: str = "10.00", discount: str = "0"
) -> Command:
    line = {"line_no": 1, "sku": "SKU-A", "qty": qty, "unit_price": price, "discount_pct": discount}
    body = {"order_id": order_id, "customer_id": customer, "channel": "online", "team_id": "north",
            "currency": "EUR", "fulfil_from": "WH-A", "lines": [line], "occurred_at": at}  # fmt: skip
    return "place-order", body


def ship(order_id: str, at: str, qty: str) -> Command:
    body = {"order_id": order_id, "shipment_id": f"SH-{order_id}", "lines": [{"line_no": 1, "qty": qty}],
            "occurred_at": at}  # fmt: skip
    return "ship-order", body


def cancel(order_id: str, at: str) -> Command:
    return "cancel-order", {"order_id": order_id, "reason": "no longer wanted", "occurred_at": at}


def complain(complaint_id: str, customer: str, at: str, order_id: str | None = None) -> Command:
    body = {"complaint_id": complaint_id, "customer_id": customer, "channel": "phone", "category": "late",
            "severity": "low", "description": "it came late", "occurred_at": at}  # fmt: skip
    if order_id is not None:
        body["order_id"] = order_id
    return "file-complaint", body


def follow_up(
    follow_up_id: str, customer: str, at: str, csat: int | None, nps: int | None, **about: str
) -> Command:
    body: dict[str, Any] = {"follow_up_id": follow_up_id, "customer_id": customer, "kind": "call",
                            "occurred_at": at, **about}  # fmt: skip
    if csat is not None:
        body["csat"] = csat
    if nps is not None:
        body["nps"] = nps
    return "record-follow-up", body


# fmt: off
HISTORY: list[Command] = [
    *SETUP,
    place("SO-F1", "CUS-F", "2026-08-01T09:00:00Z", "1"),
    ship("SO-F1", "2026-08-02T09:00:00Z", "1"),
    place("SO-A1", "CUS-A", "2026-09-15T10:00:00Z", "2"),
    ship("SO-A1", "2026-09-16T10:00:00Z", "2"),
    follow_up("FU-11", "CUS-A", "2026-09-30T23:59:59Z", 4, 9),
    follow_up("FU-9", "CUS-A", "2026-10-01T00:00:00Z", 1, 0),
    place("SO-B1", "CUS-B", "2026-10-10T10:00:00Z", "1"),
    ship("SO-B1", "2026-10-11T10:00:00Z", "1"),
    follow_up("FU-7", "CUS-B", "2026-10-12T10:00:00Z", 4, 6),
    complain("CMP-D1", "CUS-D", "2026-10-20T10:00:00Z"),
    follow_up("FU-8", "CUS-D", "2026-10-25T10:00:00Z", 5, 7, complaint_id="CMP-D1"),
    place("SO-D1", "CUS-D", "2026-10-31T23:59:59Z", "1"),
    place("SO-A2", "CUS-A", "2026-11-01T00:00:00Z", "3"),
    place("SO-C1", "CUS-C", "2026-11-02T10:00:00Z", "5", price="19.99", discount="10"),
    ship("SO-C1", "2026-11-03T10:00:00Z", "2"),
    cancel("SO-C1", "2026-11-04T10:00:00Z"),
    ship("SO-A2", "2026-11-05T10:00:00Z", "3"),
    follow_up("FU-1", "CUS-A", "2026-11-06T10:00:00Z", 5, 10, order_id="SO-A2"),
    complain("CMP-A1", "CUS-A", "2026-11-07T10:00:00Z", order_id="SO-A2"),
    complain("CMP-A2", "CUS-A", "2026-11-07T11:00:00Z"),
    ("resolve-complaint", {"complaint_id": "CMP-A1", "resolution": "refunded",
                           "occurred_at": "2026-11-08T09:00:00Z"}),
    ("resolve-complaint", {"complaint_id": "CMP-A2", "resolution": "apologised",
                           "occurred_at": "2026-11-08T09:30:00Z"}),
    follow_up("FU-2", "CUS-A", "2026-11-08T10:00:00Z", 2, 3, complaint_id="CMP-A1"),
    ("reopen-complaint", {"complaint_id": "CMP-A1", "reason": "refund never arrived",
                          "occurred_at": "2026-11-09T10:00:00Z"}),
    ("return-order", {"order_id": "SO-A2", "return_id": "RT-A2",
                      "lines": [{"line_no": 1, "qty": "1", "condition": "damaged"}],
                      "occurred_at": "2026-11-10T10:00:00Z"}),
    place("SO-E1", "CUS-E", "2026-11-12T10:00:00Z", "1"),
    cancel("SO-E1", "2026-11-13T10:00:00Z"),
    follow_up("FU-3", "CUS-B", "2026-11-15T10:00:00Z", 4, 8),
    place("SO-B2", "CUS-B", "2026-11-20T10:00:00Z", "1"),
    follow_up("FU-4", "CUS-C", "2026-11-20T12:00:00Z", 3, None),
    cancel("SO-B2", "2026-11-21T10:00:00Z"),
    follow_up("FU-6", "CUS-D", "2026-11-25T10:00:00Z", None, None),
    follow_up("FU-5", "CUS-C", "2026-11-30T23:59:59Z", None, 9),
    follow_up("FU-10", "CUS-C", "2026-12-01T00:00:00Z", None, 9),
]
# fmt: on
