"""The purchasing commands and deliveries through HTTP, on both logs: 201 with their events,
409 problems with the contract's codes, 422 for what the schema refuses; and the audit
route shows the new events whole, with the value the writer recorded."""

from __future__ import annotations

from typing import Any

from .conftest import Api
from .test_commands import setup_master_data, types

PO = {
    "po_id": "PO-1",
    "supplier_id": "SUP-1",
    "deliver_to": "WH-A",
    "currency": "EUR",
    "expected_at": "2026-11-09T12:00:00Z",
    "lines": [
        {"line_no": 1, "sku": "SKU-1", "qty": "10", "unit_cost": "2.50"},
        {"line_no": 2, "sku": "SKU-Q", "qty": 4, "unit_cost": 7.125},
    ],
}
ORDER = {
    "order_id": "SO-1",
    "customer_id": "CUS-1",
    "channel": "online",
    "team_id": "north",
    "currency": "EUR",
    "fulfil_from": "WH-A",
    "promised_at": "2026-11-06T17:00:00+01:00",
    "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "2", "unit_price": "9.90"}],
}


def receipt(receipt_id: str, qty: object, po_line: int | None = 1, **extra: Any) -> dict[str, Any]:
    body = {"receipt_id": receipt_id, "sku": "SKU-1", "location_id": "WH-A", "qty": qty, **extra}
    if po_line is not None:
        body |= {"po_id": "PO-1", "po_line": po_line}
    return body


def code(body: dict[str, Any]) -> str:
    return str(body["type"]).rsplit("/", 1)[-1]


async def stream_events(api: Api, stream: str, position: str) -> list[dict[str, Any]]:
    params = {"min_position": position}
    async with api.client.get(
        f"/v1/streams/{stream}/events", params=params, headers=api.headers()
    ) as response:
        assert response.status == 200, await response.text()
        return list((await response.json())["items"])


async def test_purchasing_and_delivery_commands_answer_201_with_their_events(api: Api) -> None:
    await setup_master_data(api)

    status, body = await api.command("place-purchase-order", PO)
    assert (status, types(body)) == (201, ["PurchaseOrderPlaced"])
    assert (body["events"][0]["stream"], body["events"][0]["version"]) == ("po:PO-1", 1)

    status, body = await api.command("receive-stock", receipt("R-1", "4"))
    assert (status, types(body)) == (201, ["StockReceived", "PurchaseOrderReceived"])
    assert [e["stream"] for e in body["events"]] == ["stock:SKU-1@WH-A", "po:PO-1"]

    inspected = receipt("R-2", 4, po_line=2, sku="SKU-Q", lot_id="L-1", unit_cost="7.20")
    status, body = await api.command("receive-stock", inspected)
    assert (status, types(body)) == (201, ["StockReceived", "StockQuarantined", "PurchaseOrderReceived"])

    status, body = await api.command("cancel-purchase-order", {"po_id": "PO-1", "reason": "supplier short"})
    assert (status, types(body)) == (201, ["PurchaseOrderCancelled"])

    status, body = await api.command("place-order", ORDER)
    assert (status, types(body)) == (201, ["OrderPlaced", "StockReserved"])
    ship = {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "2"}]}
    assert (await api.command("ship-order", ship))[0] == 201
    delivery = {"order_id": "SO-1", "shipment_id": "SH-1", "carrier": "DHL", "tracking": "JD0002"}
    status, body = await api.command("record-delivery", delivery)
    assert (status, types(body)) == (201, ["ShipmentDelivered"])
    assert body["events"][0]["stream"] == "order:SO-1"

    po = await stream_events(api, "po:PO-1", body["position"])
    assert [(e["type"], e["version"]) for e in po] == [
        ("PurchaseOrderPlaced", 1),
        ("PurchaseOrderReceived", 2),
        ("PurchaseOrderReceived", 3),
        ("PurchaseOrderCancelled", 4),
    ]
    assert po[0]["data"]["total"] == "53.50"  # 25.00 + 4 x 7.125
    assert po[0]["data"]["lines"][1]["amount"] == "28.50"
    assert (po[1]["data"]["supplier_id"], po[1]["data"]["unit_cost"]) == ("SUP-1", "2.50")
    assert po[2]["data"]["unit_cost"] == "7.20"
    assert po[3]["data"]["lines"] == [{"line_no": 1, "sku": "SKU-1", "qty": "6"}]

    stock = await stream_events(api, "stock:SKU-1@WH-A", body["position"])
    received, _reserved, issued = stock
    assert {k: received["data"][k] for k in ("po_id", "po_line", "supplier_id", "unit_cost", "value")} == {
        "po_id": "PO-1",
        "po_line": 1,
        "supplier_id": "SUP-1",
        "unit_cost": "2.50",
        "value": "10.00",
    }
    assert received["data"]["unit_cost_after"] == "2.5000"
    assert (issued["type"], issued["data"]["value"], issued["data"]["unit_cost_after"]) == (
        "StockIssued",
        "5.00",
        "2.5000",
    )

    order = await stream_events(api, "order:SO-1", body["position"])
    assert order[0]["data"]["promised_at"] == "2026-11-06T17:00:00+01:00"
    assert (order[-1]["type"], order[-1]["data"]["carrier"], order[-1]["data"]["tracking"]) == (
        "ShipmentDelivered",
        "DHL",
        "JD0002",
    )


async def test_purchasing_rules_answer_409_with_their_codes(api: Api) -> None:
    await setup_master_data(api)
    assert (await api.command("place-purchase-order", PO))[0] == 201

    refused: list[tuple[str, dict[str, Any], str]] = [
        ("place-purchase-order", PO, "already-exists"),
        ("place-purchase-order", {**PO, "po_id": "PO-2", "supplier_id": "SUP-X"}, "unknown-supplier"),
        ("place-purchase-order", {**PO, "po_id": "PO-2", "deliver_to": "WH-X"}, "unknown-location"),
        (
            "place-purchase-order",
            {**PO, "po_id": "PO-2", "lines": [{"line_no": 1, "sku": "NOPE", "qty": 1, "unit_cost": 1}]},
            "unknown-product",
        ),
        (
            "place-purchase-order",
            {
                **PO,
                "po_id": "PO-2",
                "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "999999999999999999", "unit_cost": "1e19"}],
            },
            "invalid-quantity",
        ),
        ("receive-stock", {**receipt("R-1", 1), "po_id": "PO-9"}, "unknown-purchase-order"),
        ("receive-stock", receipt("R-1", 1, po_line=3), "unknown-po-line"),
        ("receive-stock", receipt("R-1", 1, sku="SKU-Q"), "po-line-mismatch"),
        ("receive-stock", receipt("R-1", 1, location_id="ST-1"), "po-line-mismatch"),
        ("receive-stock", receipt("R-1", "10.5"), "over-receipt"),
        ("cancel-purchase-order", {"po_id": "PO-9", "reason": "x"}, "unknown-purchase-order"),
        ("record-delivery", {"order_id": "SO-9", "shipment_id": "SH-1"}, "unknown-order"),
    ]
    for name, body, expected in refused:
        status, answer = await api.command(name, body)
        assert (status, code(answer)) == (409, expected), (name, body, answer)
        assert answer["detail"]

    assert (await api.command("cancel-purchase-order", {"po_id": "PO-1", "reason": "x"}))[0] == 201
    for name, body, expected in [
        ("cancel-purchase-order", {"po_id": "PO-1", "reason": "again"}, "invalid-transition"),
        ("receive-stock", receipt("R-1", 1), "over-receipt"),
    ]:
        status, answer = await api.command(name, body)
        assert (status, code(answer)) == (409, expected), (name, answer)

    assert (await api.command("receive-stock", receipt("R-5", "20", po_line=None)))[0] == 201
    assert (await api.command("place-order", ORDER))[0] == 201
    assert (await api.command("place-order", {**ORDER, "order_id": "SO-2"}))[0] == 201
    ship = {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "2"}]}
    assert (await api.command("ship-order", ship))[0] == 201
    for body, expected in [
        ({"order_id": "SO-1", "shipment_id": "SH-9"}, "unknown-shipment"),
        ({"order_id": "SO-2", "shipment_id": "SH-1"}, "unknown-shipment"),  # another order's
    ]:
        status, answer = await api.command("record-delivery", body)
        assert (status, code(answer)) == (409, expected), answer
    assert (await api.command("record-delivery", {"order_id": "SO-1", "shipment_id": "SH-1"}))[0] == 201
    status, answer = await api.command("record-delivery", {"order_id": "SO-1", "shipment_id": "SH-1"})
    assert (status, code(answer)) == (409, "invalid-transition")


async def test_what_the_schema_refuses_is_422_naming_the_problem(api: Api) -> None:
    lines = [
        {"line_no": 1, "sku": "SKU-1", "qty": 1, "unit_cost": 1},
        {"line_no": 1, "sku": "SKU-1", "qty": 2, "unit_cost": 1},
    ]
    for name, body, said in [
        ("receive-stock", {**receipt("R-1", 1, po_line=None), "po_id": "PO-1"}, "po_id and po_line"),
        ("receive-stock", {**receipt("R-1", 1, po_line=None), "po_line": 1}, "po_id and po_line"),
        ("place-purchase-order", {**PO, "lines": lines}, "line_no 1 appears more than once"),
        ("place-purchase-order", {**PO, "lines": []}, "lines"),
        ("place-purchase-order", {**PO, "expected_at": "2026-11-09"}, "expected_at"),
        ("place-order", {**ORDER, "promised_at": "2026-11-06T17:00:00"}, "promised_at"),
        ("cancel-purchase-order", {"po_id": "PO-1"}, "reason"),
        ("record-delivery", {"order_id": "SO-1", "shipment_id": "SH-1", "carrier": ""}, "carrier"),
    ]:
        status, answer = await api.command(name, body)
        assert status == 422, (name, body, answer)
        assert answer["errors"], answer
        assert said in str(answer["errors"]), (said, answer)
