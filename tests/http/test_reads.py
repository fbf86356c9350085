"""What every read shares: read-your-writes through min_position, the position header,
operational routes, and the audit stream route."""

from __future__ import annotations

from ledger.envelope import Envelope, chain_breaks
from ledger.http.keys import SETTINGS
from ledger.log import Position, TopicPartition

from .conftest import Api


async def test_audit_reads_a_stream_whole_after_min_position(api: Api) -> None:
    await api.command("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"})
    status, _ = await api.command(
        "register-product", {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "w"}
    )
    assert status == 201
    await api.command("set-reorder-policy", {"sku": "SKU-1", "reorder_point": "5", "reorder_qty": "10"})
    _, last = await api.command(
        "set-reorder-policy", {"sku": "SKU-1", "reorder_point": "6", "reorder_qty": "10"}
    )

    response = await api.client.get(
        "/v1/streams/product:SKU-1/events", params={"min_position": last["position"]}, headers=api.headers()
    )
    assert response.status == 200
    assert Position.from_token(response.headers["X-Ledger-Position"]).covers(
        Position.from_token(last["position"])
    )
    events = [Envelope.from_dict(e) for e in (await response.json())["items"]]
    assert [e.type for e in events] == ["ProductRegistered", "ReorderPolicySet", "ReorderPolicySet"]
    assert chain_breaks(events) == []
    assert all(e.actor == "admin" for e in events)

    paged = await api.client.get(
        "/v1/streams/product:SKU-1/events", params={"limit": "2"}, headers=api.headers()
    )
    first_page = await paged.json()
    assert [e["version"] for e in first_page["items"]] == [1, 2]
    rest = await api.client.get(
        "/v1/streams/product:SKU-1/events", params={"cursor": first_page["cursor"]}, headers=api.headers()
    )
    assert [e["version"] for e in (await rest.json())["items"]] == [3]


async def test_unknown_stream_is_404_and_the_route_needs_the_audit_scope(api: Api) -> None:
    response = await api.client.get("/v1/streams/order:NOPE/events", headers=api.headers())
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    issued = await api.client.post(
        "/v1/admin/tokens", json={"principal": "reader", "scopes": ["read"]}, headers=api.headers()
    )
    token = (await issued.json())["token"]
    response = await api.client.get(
        "/v1/streams/order:NOPE/events", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 403


async def test_min_position_not_reached_in_time_is_503_and_a_foreign_token_is_400(api: Api) -> None:
    ahead = Position({TopicPartition(f"{api.client.app[SETTINGS].topic_prefix}.catalog", 0): 10**9})
    response = await api.client.get(
        "/v1/streams/product:X/events",
        params={"min_position": ahead.token(), "wait_ms": "50"},
        headers=api.headers(),
    )
    assert response.status == 503
    assert response.headers["Retry-After"]
    response = await api.client.get(
        "/v1/streams/product:X/events", params={"min_position": "garbage"}, headers=api.headers()
    )
    assert response.status == 400
    response = await api.client.get(
        "/v1/streams/product:X/events", params={"wait_ms": "-5"}, headers=api.headers()
    )
    assert response.status == 422


async def test_operational_routes_report_projectors_metrics_and_readiness(api: Api) -> None:
    await api.command("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"})
    ready = await api.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["writer"] == "active"
    response = await api.client.get("/v1/projections", headers=api.headers())
    items = {item["name"]: item for item in (await response.json())["items"]}
    assert {"inventory", "sales", "quality", "service", "purchasing", "audit"} <= set(items)
    assert items["audit"]["parked"] == 0
    metrics = await api.client.get("/metrics")
    text = await metrics.text()
    assert "ledger_projector_events_total" in text
    assert "ledger_append_seconds_bucket" in text
