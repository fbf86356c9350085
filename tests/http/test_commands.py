"""Every command of API.md end to end through HTTP, on both logs: statuses, events, rules."""

from __future__ import annotations

from typing import Any

from ledger.log import Position

from .conftest import Api

T = "2026-11-02T09:00:00Z"


def types(body: dict[str, Any]) -> list[str]:
    return [e["type"] for e in body["events"]]


async def setup_master_data(api: Api) -> None:
    for name, body in [
        ("register-location", {"location_id": "WH-A", "name": "Main warehouse", "kind": "warehouse"}),
        ("register-location", {"location_id": "ST-1", "name": "City store", "kind": "store"}),
        ("register-supplier", {"supplier_id": "SUP-1", "name": "Acme Parts"}),
        ("register-customer", {"customer_id": "CUS-1", "name": "Northwind", "segment": "retail"}),
        ("register-team", {"team_id": "north", "name": "North team", "channel": "online"}),
        (
            "register-product",
            {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "widgets", "unit_price": "12.50"},
        ),
        (
            "register-product",
            {"sku": "SKU-Q", "name": "Valve", "uom": "ea", "category": "valves", "requires_inspection": True},
        ),
    ]:
        status, answer = await api.command(name, body)
        assert status == 201, (name, answer)


async def test_every_command_end_to_end(api: Api) -> None:
    await setup_master_data(api)

    status, body = await api.command(
        "set-reorder-policy", {"sku": "SKU-1", "location_id": "WH-A", "reorder_point": 5, "reorder_qty": "20"}
    )
    assert (status, types(body)) == (201, ["ReorderPolicySet"])

    status, body = await api.command(
        "receive-stock",
        {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "100", "supplier_id": "SUP-1"},
    )
    assert (status, types(body)) == (201, ["StockReceived"])
    assert body["events"][0]["stream"] == "stock:SKU-1@WH-A"
    assert body["events"][0]["version"] == 1
    Position.from_token(body["position"])

    status, body = await api.command(
        "receive-stock",
        {"receipt_id": "R-2", "sku": "SKU-Q", "location_id": "WH-A", "qty": 40, "lot_id": "L-7"},
    )
    assert (status, types(body)) == (201, ["StockReceived", "StockQuarantined"])

    status, body = await api.command(
        "transfer-stock",
        {"transfer_id": "T-1", "sku": "SKU-1", "from_location": "WH-A", "to_location": "ST-1", "qty": "10"},
    )
    assert (status, types(body)) == (201, ["StockTransferred"])

    status, body = await api.command(
        "adjust-stock",
        {
            "adjustment_id": "A-1",
            "sku": "SKU-1",
            "location_id": "WH-A",
            "counted_qty": "88",
            "reason": "cycle count",
        },
    )
    assert (status, types(body)) == (201, ["StockAdjusted"])

    status, body = await api.command(
        "issue-stock",
        {"issue_id": "I-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "3", "reason": "sample"},
    )
    assert (status, types(body)) == (201, ["StockIssued"])

    order = {
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "occurred_at": T,
        "lines": [
            {"line_no": 1, "sku": "SKU-1", "qty": "10", "unit_price": "12.50", "discount_pct": "10"},
            {"line_no": 2, "sku": "SKU-1", "qty": 5, "unit_price": 12.5},
        ],
    }
    status, body = await api.command("place-order", order)
    assert (status, types(body)) == (201, ["OrderPlaced", "StockReserved", "StockReserved"])

    status, body = await api.command(
        "ship-order", {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "10"}]}
    )
    assert (status, types(body)) == (201, ["OrderShipped", "StockIssued"])

    status, body = await api.command(
        "return-order",
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 1, "qty": "2", "condition": "resaleable"}],
        },
    )
    assert (status, types(body)) == (201, ["OrderReturned", "StockReceived"])

    status, body = await api.command("cancel-order", {"order_id": "SO-1", "reason": "customer changed mind"})
    assert (status, types(body)) == (201, ["OrderCancelled", "ReservationReleased"])

    status, body = await api.command(
        "set-sales-target", {"period": "2026-11", "dimension": "team", "key": "north", "amount": "50000"}
    )
    assert (status, types(body)) == (201, ["SalesTargetSet"])
    assert body["events"][0]["stream"] == "target:2026-11/team/north"

    status, body = await api.command(
        "record-inspection",
        {
            "inspection_id": "IN-1",
            "lot_id": "L-7",
            "sku": "SKU-Q",
            "stage": "incoming",
            "sample_size": 20,
            "defective_units": 1,
            "defects": [{"category": "scratch", "count": 1}],
            "disposition": "accept",
        },
    )
    assert (status, types(body)) == (201, ["InspectionRecorded", "LotReleased"])

    complaint = {
        "complaint_id": "C-1",
        "customer_id": "CUS-1",
        "channel": "email",
        "category": "damaged",
        "severity": "high",
        "description": "Box arrived crushed",
        "order_id": "SO-1",
    }
    status, body = await api.command("file-complaint", complaint)
    assert (status, types(body)) == (201, ["ComplaintFiled"])
    for name, extra, event in [
        ("acknowledge-complaint", {}, "ComplaintAcknowledged"),
        ("resolve-complaint", {"resolution": "replacement sent"}, "ComplaintResolved"),
        ("reopen-complaint", {"reason": "replacement also damaged"}, "ComplaintReopened"),
    ]:
        status, body = await api.command(name, {"complaint_id": "C-1", **extra})
        assert (status, types(body)) == (201, [event]), body


async def test_business_rules_answer_409_with_their_code(api: Api) -> None:
    await setup_master_data(api)
    await api.command(
        "receive-stock", {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "5"}
    )

    order = {
        "order_id": "SO-9",
        "customer_id": "CUS-1",
        "channel": "store",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [
            {"line_no": 1, "sku": "SKU-1", "qty": "4", "unit_price": "1"},
            {"line_no": 2, "sku": "SKU-1", "qty": "4", "unit_price": "1"},
        ],
    }
    status, body = await api.command("place-order", order)
    assert status == 409
    assert body["type"].endswith("insufficient-stock")
    assert body["status"] == 409
    assert body["detail"]

    status, body = await api.command(
        "receive-stock", {"receipt_id": "R-2", "sku": "NOPE", "location_id": "WH-A", "qty": "5"}
    )
    assert (status, body["type"].split("/")[-1]) == (409, "unknown-product")

    status, body = await api.command(
        "register-location", {"location_id": "WH-A", "name": "x", "kind": "store"}
    )
    assert status == 409

    await api.command(
        "file-complaint",
        {
            "complaint_id": "C-2",
            "customer_id": "CUS-1",
            "channel": "phone",
            "category": "late",
            "severity": "low",
            "description": "late",
        },
    )
    status, body = await api.command("reopen-complaint", {"complaint_id": "C-2", "reason": "x"})
    assert (status, body["type"].split("/")[-1]) == (409, "invalid-transition")


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(api: Api) -> None:
    body = {"location_id": "WH-Z", "name": "Z", "kind": "warehouse"}
    first = await api.command("register-location", body, **{"Idempotency-Key": "k-1"})
    again = await api.command("register-location", body, **{"Idempotency-Key": "k-1"})
    assert first[0] == again[0] == 201
    assert first[1] == again[1]

    other = await api.command("register-location", {**body, "name": "Other"}, **{"Idempotency-Key": "k-1"})
    assert other[0] == 409
    assert other[1]["type"].endswith("idempotency-conflict")

    response = await api.client.get("/healthz")
    assert response.status == 200


async def test_batch_answers_each_item_as_alone_in_order(api: Api) -> None:
    status, body = await api.batch(
        [
            {"name": "register-location", "body": {"location_id": "B-1", "name": "b", "kind": "store"}},
            {"name": "register-location", "body": {"location_id": "B-1", "name": "b", "kind": "store"}},
            {"name": "register-location", "body": {"location_id": "B-2", "name": "b"}},
            {"name": "no-such-command", "body": {}},
            {"name": "register-location", "body": {"location_id": "B-3", "name": "b", "kind": "store"}},
        ]
    )
    assert status == 207
    assert [r["status"] for r in body["results"]] == [201, 409, 422, 404, 201]
    assert body["results"][0]["body"]["events"][0]["stream"] == "location:B-1"
