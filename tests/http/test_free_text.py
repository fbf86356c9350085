"""Free text over HTTP (API.md v1.1), on both logs: taken as sent (trimmed), refused with a 422
naming the field when it holds a control character, and usable as a key all the way through.

A product category is free text and also a sales-target key, so a target stream id may hold
spaces and slashes: the target, the attainment by category, the Pareto of defect categories
and the audit route (the stream id URL-encoded) must all work with it.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Api


async def ok(api: Api, name: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await api.command(name, {**body, "occurred_at": "2026-11-02T09:00:00Z"})
    assert status == 201, (name, answer)
    return answer


async def get(api: Api, path: str, **params: str) -> Any:
    response = await api.client.get(path, params=params, headers=api.headers())
    assert response.status == 200, (path, response.status, await response.text())
    return await response.json()


async def test_a_complaint_filed_under_damaged_goods_is_201_and_reads_back(module_api: Api) -> None:
    x = uuid.uuid4().hex[:10]
    await ok(module_api, "register-customer", {"customer_id": f"CUS-{x}", "name": "  Müller & Söhne GmbH  "})
    answer = await ok(
        module_api,
        "file-complaint",
        {
            "complaint_id": f"C-{x}",
            "customer_id": f"CUS-{x}",
            "channel": "email",
            "category": "damaged goods",
            "severity": "high",
            "description": "Karton zerdrückt 📦, Inhalt „beschädigt“",
        },
    )
    found = await get(module_api, "/v1/complaints", min_position=answer["position"], limit="1000")
    [complaint] = [c for c in found["items"] if c["complaint_id"] == f"C-{x}"]
    assert complaint["category"] == "damaged goods"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "damaged\tgoods"),
        ("category", "damaged\ngoods"),
        ("description", "bell\x07"),
        ("description", "\x85"),
        ("category", "\ud800"),
        ("category", "x" * 501),
        ("category", "   "),
    ],
)
async def test_control_characters_and_overlong_free_text_are_422_naming_the_field(
    module_api: Api, field: str, value: str
) -> None:
    body = {
        "complaint_id": "C-1",
        "customer_id": "CUS-1",
        "channel": "email",
        "category": "damaged goods",
        "severity": "high",
        "description": "crushed",
        field: value,
    }
    status, answer = await module_api.command("file-complaint", body)
    assert status == 422, answer
    assert ["body", field] in [error["loc"] for error in answer["errors"]]


async def test_a_free_text_category_is_a_target_key_through_to_the_reads(module_api: Api) -> None:
    x = uuid.uuid4().hex[:10]
    category = f"power tools / hand {x} & Zubehör 🙂"
    sku, wh, team = f"SKU-{x}", f"WH-{x}", f"T-{x}"
    await ok(module_api, "register-location", {"location_id": wh, "name": "Lager Nord", "kind": "warehouse"})
    await ok(module_api, "register-product", {"sku": sku, "name": "Säge", "uom": "ea", "category": category})
    await ok(module_api, "register-customer", {"customer_id": f"CUS-{x}", "name": "Northwind"})
    await ok(module_api, "register-team", {"team_id": team, "name": "North"})
    await ok(
        module_api, "receive-stock", {"receipt_id": f"R-{x}", "sku": sku, "location_id": wh, "qty": "10"}
    )
    await ok(
        module_api,
        "record-inspection",
        {
            "inspection_id": f"Q-{x}",
            "lot_id": f"L-{x}",
            "sku": sku,
            "stage": "final",
            "sample_size": 10,
            "defective_units": 2,
            "defects": [{"category": "bent pin / loose", "count": 2}],
            "disposition": "accept",
        },
    )
    line = {"line_no": 1, "sku": sku, "qty": "4", "unit_price": "25.00"}
    await ok(
        module_api,
        "place-order",
        {
            "order_id": f"SO-{x}",
            "customer_id": f"CUS-{x}",
            "channel": "online",
            "team_id": team,
            "currency": "EUR",
            "fulfil_from": wh,
            "lines": [line],
        },
    )
    await ok(
        module_api,
        "ship-order",
        {"order_id": f"SO-{x}", "shipment_id": f"SH-{x}", "lines": [{"line_no": 1, "qty": "4"}]},
    )
    target = {"period": "2026-11", "dimension": "category", "key": f"  {category}  ", "amount": "400"}
    answer = await ok(module_api, "set-sales-target", target)
    stream = f"target:2026-11/category/{category}"
    assert [e["stream"] for e in answer["events"]] == [stream]

    attainment = await get(
        module_api,
        "/v1/sales/attainment",
        period="2026-11",
        dimension="category",
        as_of="2026-12-01T00:00:00Z",
        min_position=answer["position"],
    )
    [mine] = [item for item in attainment["items"] if item["key"] == category]
    assert (mine["target"], mine["actual"]) == ("400.00", "100.00")

    pareto = await get(module_api, "/v1/quality/pareto", sku=sku, min_position=answer["position"])
    assert [(i["category"], i["count"]) for i in pareto["items"]] == [("bent pin / loose", 2)]

    events = await get(
        module_api, f"/v1/streams/{quote(stream, safe='')}/events", min_position=answer["position"]
    )
    [event] = events["items"]
    assert (event["stream"], event["data"]["key"]) == (stream, category)


@pytest.mark.parametrize(
    ("dimension", "key"),
    [("team", "north east"), ("channel", "on/line"), ("total", "all"), ("category", "*")],
)
async def test_only_a_category_key_is_free_text(module_api: Api, dimension: str, key: str) -> None:
    body = {"period": "2026-11", "dimension": dimension, "key": key, "amount": "1"}
    status, answer = await module_api.command("set-sales-target", body)
    assert status == 422, answer
    assert ["body", "key"] in [error["loc"] for error in answer["errors"]]


async def test_the_audit_route_refuses_stream_ids_no_event_can_have(module_api: Api) -> None:
    for stream in ["target:a%00b", "target:%ED%A0%80", "target:" + "x" * 1001, "nocategory"]:
        response = await module_api.client.get(f"/v1/streams/{stream}/events", headers=module_api.headers())
        assert response.status == 404, (stream, await response.text())
        assert response.content_type == "application/problem+json"
