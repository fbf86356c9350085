"""A business of February and March 2025, and a plan measured against it, for the scorecard.

Times are UTC (the default LEDGER_TIMEZONE). ``MID`` is 2025-03-16 00:00, 15 of March's 31
days in; ``AFTER`` is 2025-04-10, after March has ended. One product, SKU-A at 10.00 a unit
(every receipt costs 10, so the moving average stays 10), sold at 20.00.

Net sales (shipped less returned): February SO-0 shipped 10 on 02-05 (200.00) and SO-0b 5 on
02-20 (100.00). March: SO-1 shipped 10 on 03-03 (200), SO-2 5 on 03-12 (100), 2 of SO-1
returned on 03-14 (-40), SO-3 5 on 03-25 (100). At MID 260.00, forecast 260 / (15/31) =
537.33; all of March 360.00.

Sales growth: February's same elapsed part is 15/31 of its 28 days (to 02-14 13:09:40.6),
which holds SO-0 alone (200): at MID (260 - 200) / 200 = 30.00; for all of March (360 - 300)
/ 300 = 20.00.

Complaints filed in March (default SLA hours): C-1 low, answered in 2 h, resolved in 3 days;
C-2 critical, acknowledged after 3 h (breached, its 1 h passed), never resolved; C-3 high
and C-4 low filed after MID, answered and resolved in time. At MID 1 of 2 complied (50.00);
after March 3 of 4 (75.00).

Inspections: I-0 in February (10 of 10 defective, outside March), I-1 on 03-09 (1 of 50),
I-2 on 03-15 (3 of 50), I-3 on 03-20 (0 of 100): at MID 4 / 100 = 0.040000, after March
4 / 200 = 0.020000.

Purchase order lines due in March (S-1): PO-1 due 03-10, received whole 03-08 (on time);
PO-2 due 03-12, half on 03-11 and half on 03-14 (late); PO-3 due 03-20, received whole
03-19. At MID PO-3 is not due yet and not counted: 1 of 2 OTIF (50.00); after March 2 of 3
(66.67).

Orders promised in March: SO-1 (03-05, delivered 03-04: on time in full), SO-2 (03-10,
shipped 03-12: late), SO-3 (03-28, delivered 03-27). At MID SO-1 and SO-2 are promised by
then: 50.00; after March 2 of 3: 66.67.

Follow-ups in March (customer C-1): csat 5 and nps 10 on 03-05, 3 and 6 on 03-10, 4 and 8 on
03-20, 2 and 0 on 03-25 (one in February, 1 and 0, is outside). At MID csat (5 + 3) / 2 = 4.00
and nps 50 % promoters - 50 % detractors = 0.00; after March csat 14 / 4 = 3.50 and nps 25 % -
50 % = -25.00.

Repeat rate: C-1 bought in February; C-3 first orders on 03-06 (SO-5), C-2 on 03-22 (SO-4),
neither shipped nor promised. At MID C-1 and C-3 are active, C-1 returning: 50.00; after
March one returning of three: 33.33.

Campaign CMP-1: SO-5 (10 x 20.00 = 200.00) and SO-4 (5 x 20.00 = 100.00) carry it; spend
100.00 on 03-02 and 100.00 on 03-20. At MID 200 / 100 = 2.00; after March 300 / 200 = 1.50.

Stock value of SKU-A at WH-1 (all at 10): 02-01 +100 (1000), 02-05 -10, 02-20 -5 (850), 03-03
-10 (750), 03-08 +10 (850), 03-11 +5 (900), 03-12 -5 (850), 03-14 +5 and +2 returned (920),
03-19 +10 (1020), 03-25 -5 (970). At MID 920.00; at March's end 970.00.
"""

from __future__ import annotations

from typing import Any

MID = "2025-03-16T00:00:00Z"
AFTER = "2025-04-10T00:00:00Z"
SET_AT = "2025-02-01T00:00:00Z"

Command = tuple[str, dict[str, Any]]


def at(time: str, name: str, body: dict[str, Any]) -> Command:
    return name, {**body, "occurred_at": time}


def _order(
    order_id: str, placed: str, qty: str, promised: str | None = None, *, customer: str = "C-1", **extra: str
) -> Command:
    body: dict[str, Any] = {
        **extra,
        "order_id": order_id,
        "customer_id": customer,
        "channel": "online",
        "team_id": "T-1",
        "currency": "EUR",
        "fulfil_from": "WH-1",
        "lines": [{"line_no": 1, "sku": "SKU-A", "qty": qty, "unit_price": "20.00"}],
    }
    if promised is not None:
        body["promised_at"] = promised
    return at(placed, "place-order", body)


def _ship(order_id: str, shipment_id: str, time: str, qty: str) -> Command:
    return at(time, "ship-order", {"order_id": order_id, "shipment_id": shipment_id,
                                   "lines": [{"line_no": 1, "qty": qty}]})  # fmt: skip


def _po(po_id: str, placed: str, expected: str) -> Command:
    line = {"line_no": 1, "sku": "SKU-A", "qty": "10", "unit_cost": "10.00"}
    body = {"po_id": po_id, "supplier_id": "S-1", "deliver_to": "WH-1", "currency": "EUR",
            "expected_at": expected, "lines": [line]}  # fmt: skip
    return at(placed, "place-purchase-order", body)


def _receive(receipt_id: str, po_id: str, time: str, qty: str) -> Command:
    body = {"receipt_id": receipt_id, "sku": "SKU-A", "location_id": "WH-1", "qty": qty, "po_id": po_id,
            "po_line": 1, "lot_id": "L-1"}  # fmt: skip
    return at(time, "receive-stock", body)


def _inspect(inspection_id: str, time: str, sample: int, defective: int) -> Command:
    body = {"inspection_id": inspection_id, "lot_id": "L-1", "sku": "SKU-A", "stage": "final",
            "sample_size": sample, "defective_units": defective, "disposition": "accept"}  # fmt: skip
    return at(time, "record-inspection", body)


def _follow_up(follow_up_id: str, time: str, csat: int, nps: int) -> Command:
    body = {"follow_up_id": follow_up_id, "customer_id": "C-1", "kind": "call", "csat": csat, "nps": nps}
    return at(time, "record-follow-up", body)


def _spend(spend_id: str, time: str, amount: str) -> Command:
    return at(time, "record-campaign-spend", {"campaign_id": "CMP-1", "spend_id": spend_id, "amount": amount})


def _complaint(complaint_id: str, time: str, severity: str) -> Command:
    body = {"complaint_id": complaint_id, "customer_id": "C-1", "channel": "email", "category": "late",
            "severity": severity, "description": "it came late"}  # fmt: skip
    return at(time, "file-complaint", body)


def _answer(complaint_id: str, acknowledged: str, resolved: str | None) -> list[Command]:
    steps = [at(acknowledged, "acknowledge-complaint", {"complaint_id": complaint_id})]
    if resolved is not None:
        steps.append(
            at(resolved, "resolve-complaint", {"complaint_id": complaint_id, "resolution": "sorted"})
        )
    return steps


BUSINESS: list[Command] = [
    ("register-location", {"location_id": "WH-1", "name": "Main", "kind": "warehouse"}),
    ("register-product", {"sku": "SKU-A", "name": "Spanner", "uom": "ea", "category": "tools"}),
    ("register-customer", {"customer_id": "C-1", "name": "Northwind"}),
    ("register-team", {"team_id": "T-1", "name": "Team one"}),
    ("register-supplier", {"supplier_id": "S-1", "name": "Supplies"}),
    ("register-customer", {"customer_id": "C-2", "name": "Southwind"}),
    ("register-customer", {"customer_id": "C-3", "name": "Eastwind"}),
    at(
        "2025-02-25T00:00:00Z",
        "launch-campaign",
        {
            "campaign_id": "CMP-1",
            "name": "Spring",
            "medium": "email",
            "starts_on": "2025-03-01",
            "ends_on": "2025-03-31",
            "budget": "1000.00",
            "currency": "EUR",
        },
    ),
    _follow_up("F-0", "2025-02-10T09:00:00Z", 1, 0),
    _follow_up("F-1", "2025-03-05T09:00:00Z", 5, 10),
    _follow_up("F-2", "2025-03-10T09:00:00Z", 3, 6),
    _follow_up("F-3", "2025-03-20T09:00:00Z", 4, 8),
    _follow_up("F-4", "2025-03-25T09:00:00Z", 2, 0),
    _spend("SP-1", "2025-03-02T09:00:00Z", "100.00"),
    _spend("SP-2", "2025-03-20T09:00:00Z", "100.00"),
    at(
        "2025-02-01T00:00:00Z",
        "receive-stock",
        {"receipt_id": "R-0", "sku": "SKU-A", "location_id": "WH-1", "qty": "100", "unit_cost": "10.00"},
    ),
    _order("SO-0", "2025-02-03T09:00:00Z", "10"),
    _ship("SO-0", "SH-0", "2025-02-05T09:00:00Z", "10"),
    _order("SO-0b", "2025-02-18T09:00:00Z", "5"),
    _ship("SO-0b", "SH-0b", "2025-02-20T09:00:00Z", "5"),
    _inspect("I-0", "2025-02-15T09:00:00Z", 10, 10),
    _order("SO-1", "2025-03-02T09:00:00Z", "10", promised="2025-03-05T12:00:00Z"),
    _ship("SO-1", "SH-1", "2025-03-03T09:00:00Z", "10"),
    at("2025-03-04T09:00:00Z", "record-delivery", {"order_id": "SO-1", "shipment_id": "SH-1"}),
    _order("SO-2", "2025-03-05T09:00:00Z", "5", promised="2025-03-10T12:00:00Z"),
    _po("PO-1", "2025-03-01T09:00:00Z", "2025-03-10T12:00:00Z"),
    _po("PO-2", "2025-03-01T09:00:00Z", "2025-03-12T12:00:00Z"),
    _po("PO-3", "2025-03-01T09:00:00Z", "2025-03-20T12:00:00Z"),
    _receive("R-1", "PO-1", "2025-03-08T09:00:00Z", "10"),
    _inspect("I-1", "2025-03-09T09:00:00Z", 50, 1),
    _receive("R-2a", "PO-2", "2025-03-11T09:00:00Z", "5"),
    _ship("SO-2", "SH-2", "2025-03-12T09:00:00Z", "5"),
    at("2025-03-13T09:00:00Z", "record-delivery", {"order_id": "SO-2", "shipment_id": "SH-2"}),
    _receive("R-2b", "PO-2", "2025-03-14T09:00:00Z", "5"),
    at(
        "2025-03-14T10:00:00Z",
        "return-order",
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 1, "qty": "2", "condition": "resaleable"}],
        },
    ),
    _inspect("I-2", "2025-03-15T09:00:00Z", 50, 3),
    _complaint("C-1", "2025-03-02T10:00:00Z", "low"),
    *_answer("C-1", "2025-03-02T12:00:00Z", "2025-03-05T10:00:00Z"),
    _complaint("C-2", "2025-03-10T00:00:00Z", "critical"),
    *_answer("C-2", "2025-03-10T03:00:00Z", None),
    _receive("R-3", "PO-3", "2025-03-19T09:00:00Z", "10"),
    _inspect("I-3", "2025-03-20T09:00:00Z", 100, 0),
    _complaint("C-3", "2025-03-20T00:00:00Z", "high"),
    *_answer("C-3", "2025-03-20T01:00:00Z", "2025-03-21T00:00:00Z"),
    _order("SO-3", "2025-03-20T09:00:00Z", "5", promised="2025-03-28T12:00:00Z"),
    _order("SO-5", "2025-03-06T09:00:00Z", "10", customer="C-3", campaign_id="CMP-1"),
    _order("SO-4", "2025-03-22T09:00:00Z", "5", customer="C-2", campaign_id="CMP-1"),
    _ship("SO-3", "SH-3", "2025-03-25T09:00:00Z", "5"),
    at("2025-03-27T09:00:00Z", "record-delivery", {"order_id": "SO-3", "shipment_id": "SH-3"}),
    _complaint("C-4", "2025-03-25T00:00:00Z", "low"),
    *_answer("C-4", "2025-03-25T01:00:00Z", "2025-03-26T00:00:00Z"),
]


def objective(objective_id: str, kpi: str, target: str, *, period: str = "2025-03", horizon: str = "short",
              title: str | None = None, time: str = SET_AT) -> Command:  # fmt: skip
    body = {"objective_id": objective_id, "title": title or f"{kpi} {target}", "horizon": horizon,
            "period": period, "kpi": kpi, "target": target}  # fmt: skip
    return at(time, "set-objective", body)


# Per KPI: (objective, target, actual at MID, status at MID, actual AFTER, status AFTER).
EXPECTED: list[tuple[str, str, str, str | None, str, str | None, str]] = [
    ("NS-A", "net_sales", "360", "260.00", "on_track", "360.00", "met"),  # forecast 537.33; exactly
    ("NS-B", "net_sales", "600", "260.00", "off_track", "360.00", "missed"),
    ("SG-A", "sales_growth_pct", "20", "30.00", "on_track", "20.00", "met"),
    ("SG-B", "sales_growth_pct", "35", "30.00", "off_track", "20.00", "missed"),
    ("SL-A", "sla_compliance_pct", "50", "50.00", "on_track", "75.00", "met"),
    ("SL-B", "sla_compliance_pct", "80", "50.00", "off_track", "75.00", "missed"),
    ("DR-A", "defect_rate", "0.04", "0.040000", "on_track", "0.020000", "met"),
    ("DR-B", "defect_rate", "0.01", "0.040000", "off_track", "0.020000", "missed"),
    ("SO-A", "supplier_otif_pct", "50", "50.00", "on_track", "66.67", "met"),
    ("SO-B", "supplier_otif_pct", "70", "50.00", "off_track", "66.67", "missed"),
    ("CO-A", "customer_otif_pct", "50", "50.00", "on_track", "66.67", "met"),
    ("CO-B", "customer_otif_pct", "70", "50.00", "off_track", "66.67", "missed"),
    ("IV-A", "inventory_value", "970", "920.00", "on_track", "970.00", "met"),
    ("IV-B", "inventory_value", "900", "920.00", "off_track", "970.00", "missed"),
    ("CS-A", "csat_avg", "3.5", "4.00", "on_track", "3.50", "met"),
    ("CS-B", "csat_avg", "4.5", "4.00", "off_track", "3.50", "missed"),
    ("NP-A", "nps", "-25", "0.00", "on_track", "-25.00", "met"),
    ("NP-B", "nps", "10", "0.00", "off_track", "-25.00", "missed"),
    ("RR-A", "repeat_rate_pct", "33.33", "50.00", "on_track", "33.33", "met"),
    ("RR-B", "repeat_rate_pct", "60", "50.00", "off_track", "33.33", "missed"),
    ("RO-A", "campaign_roas", "1.5", "2.00", "on_track", "1.50", "met"),
    ("RO-B", "campaign_roas", "2.5", "2.00", "off_track", "1.50", "missed"),
]

PLAN: list[Command] = [
    *(objective(oid, kpi, target) for oid, kpi, target, *_ in EXPECTED),
    # Replaced after MID: at MID the first version is in force, after March the second.
    objective("RP-1", "net_sales", "100", title="first"),
    objective("RP-1", "net_sales", "400", title="second", time="2025-03-20T00:00:00Z"),
    # Retired before MID: never shown; retired after MID: shown at MID only.
    objective("RT-1", "net_sales", "1"),
    at("2025-02-10T00:00:00Z", "retire-objective", {"objective_id": "RT-1", "reason": "dropped"}),
    objective("RT-2", "net_sales", "1"),
    at("2025-03-20T00:00:00Z", "retire-objective", {"objective_id": "RT-2", "reason": "dropped"}),
    # Set after MID: only after March.
    objective("LT-1", "defect_rate", "0.05", time="2025-03-20T00:00:00Z"),
    # Nothing to measure in May: null, off track in May and missed after it.
    objective("NL-1", "supplier_otif_pct", "0", period="2025-05"),
    objective("NL-2", "defect_rate", "1", period="2025-05"),
    objective("NL-3", "sales_growth_pct", "0", period="2025-05"),
    objective("NL-4", "csat_avg", "0", period="2025-05"),
    objective("NL-5", "nps", "-100", period="2025-05"),
    objective("NL-6", "repeat_rate_pct", "0", period="2025-05"),
    objective("NL-7", "campaign_roas", "0", period="2025-05"),
    # A quarter and a span of years.
    objective("QV-1", "inventory_value", "2000", period="2025-Q1", horizon="medium"),
    objective("SP-1", "net_sales", "1000", period="2024..2025", horizon="long"),
    objective("SP-2", "sales_growth_pct", "5", period="2024..2025", horizon="long"),
]
