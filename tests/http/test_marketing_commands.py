"""Marketing, customers and plans through HTTP, on both logs: 201 with their events (a lead
won by its order in the order's own append), 409 problems with the contract's codes, 422 for
what the schema refuses; and the audit route shows the new events as recorded."""

from __future__ import annotations

from typing import Any

from .conftest import Api
from .test_commands import setup_master_data, types
from .test_purchasing_commands import code, stream_events

CAMPAIGN = {
    "campaign_id": "CMP-1",
    "name": "Autumn search ads",
    "medium": "search",
    "starts_on": "2026-11-01",
    "ends_on": "2026-11-30",
    "budget": "1500.00",
    "currency": "EUR",
}
ORDER = {
    "order_id": "SO-1",
    "customer_id": "CUS-1",
    "channel": "online",
    "team_id": "north",
    "currency": "EUR",
    "fulfil_from": "WH-A",
    "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "2", "unit_price": "9.90"}],
}
COMPLAINT = {
    "complaint_id": "C-1",
    "customer_id": "CUS-1",
    "channel": "phone",
    "category": "late delivery",
    "severity": "low",
    "description": "a day late",
}
OBJECTIVE = {
    "objective_id": "OBJ-1",
    "title": "Customers recommend us",
    "horizon": "long",
    "period": "2026..2028",
    "kpi": "nps",
    "target": 30,
    "owner": "Head of service",
}


def lead(lead_id: str, **extra: Any) -> dict[str, Any]:
    return {"lead_id": lead_id, "channel": "online", **extra}


def follow_up(follow_up_id: str = "F-1", **extra: Any) -> dict[str, Any]:
    return {"follow_up_id": follow_up_id, "customer_id": "CUS-1", "kind": "call", **extra}


async def master_data_and_stock(api: Api) -> None:
    await setup_master_data(api)
    assert (await api.command("register-customer", {"customer_id": "CUS-2", "name": "Southwind"}))[0] == 201
    stock = {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "50"}
    assert (await api.command("receive-stock", stock))[0] == 201


async def test_the_new_commands_answer_201_with_their_events(api: Api) -> None:
    await master_data_and_stock(api)

    status, body = await api.command("launch-campaign", CAMPAIGN)
    assert (status, types(body)) == (201, ["CampaignLaunched"])
    assert (body["events"][0]["stream"], body["events"][0]["version"]) == ("campaign:CMP-1", 1)
    spend = {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": 400.5, "note": "week 1"}
    status, body = await api.command("record-campaign-spend", spend)
    assert (status, types(body)) == (201, ["CampaignSpendRecorded"])
    assert (body["events"][0]["stream"], body["events"][0]["version"]) == ("campaign:CMP-1", 2)

    status, body = await api.command("capture-lead", lead("LD-1", campaign_id="CMP-1", customer_id="CUS-1"))
    assert (status, types(body)) == (201, ["LeadCaptured"])
    assert body["events"][0]["stream"] == "lead:LD-1"
    assert (await api.command("qualify-lead", {"lead_id": "LD-1"}))[0] == 201
    assert (await api.command("capture-lead", lead("LD-2")))[0] == 201
    status, body = await api.command("lose-lead", {"lead_id": "LD-2", "reason": "no budget"})
    assert (status, types(body)) == (201, ["LeadLost"])

    status, body = await api.command("place-order", {**ORDER, "lead_id": "LD-1"})
    assert (status, types(body)) == (201, ["OrderPlaced", "StockReserved", "LeadWon"])
    assert [(e["stream"], e["version"]) for e in body["events"]] == [
        ("order:SO-1", 1),
        ("stock:SKU-1@WH-A", 2),
        ("lead:LD-1", 3),
    ]

    assert (await api.command("file-complaint", COMPLAINT))[0] == 201
    scored = follow_up(order_id="SO-1", complaint_id="C-1", csat=4, nps=9, note="fine now")
    status, body = await api.command("record-follow-up", scored)
    assert (status, types(body)) == (201, ["FollowUpRecorded"])
    assert body["events"][0]["stream"] == "followup:F-1"

    status, body = await api.command("set-objective", OBJECTIVE)
    assert (status, types(body)) == (201, ["ObjectiveSet"])
    assert (await api.command("set-objective", {**OBJECTIVE, "target": "35.5"}))[0] == 201
    status, body = await api.command("retire-objective", {"objective_id": "OBJ-1", "reason": "replaced"})
    assert (status, types(body)) == (201, ["ObjectiveRetired"])
    position = body["position"]

    campaign = await stream_events(api, "campaign:CMP-1", position)
    assert campaign[0]["data"]["starts_on"] == "2026-11-01"
    assert (campaign[0]["data"]["budget"], campaign[1]["data"]["amount"]) == ("1500.00", "400.5")
    order = await stream_events(api, "order:SO-1", position)
    assert (order[0]["data"]["lead_id"], order[0]["data"]["campaign_id"]) == ("LD-1", "CMP-1")
    won = await stream_events(api, "lead:LD-1", position)
    assert [e["type"] for e in won] == ["LeadCaptured", "LeadQualified", "LeadWon"]
    assert won[2]["data"] == {
        "lead_id": "LD-1",
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "campaign_id": "CMP-1",
    }
    assert won[2]["correlation_id"] == order[0]["correlation_id"]
    [recorded] = await stream_events(api, "followup:F-1", position)
    assert (recorded["data"]["csat"], recorded["data"]["nps"]) == (4, 9)
    objective = await stream_events(api, "objective:OBJ-1", position)
    assert [(e["type"], e["data"].get("target")) for e in objective] == [
        ("ObjectiveSet", "30"),
        ("ObjectiveSet", "35.5"),
        ("ObjectiveRetired", None),
    ]
    assert objective[0]["data"]["period"] == "2026..2028"


async def test_the_new_rules_answer_409_with_their_codes(api: Api) -> None:
    await master_data_and_stock(api)
    for name, body in [
        ("launch-campaign", CAMPAIGN),
        ("launch-campaign", {**CAMPAIGN, "campaign_id": "CMP-2"}),
        ("record-campaign-spend", {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": "10"}),
        ("capture-lead", lead("LD-1", campaign_id="CMP-1", customer_id="CUS-1")),
        ("capture-lead", lead("LD-LOST")),
        ("lose-lead", {"lead_id": "LD-LOST", "reason": "gone"}),
        ("file-complaint", COMPLAINT),
        ("file-complaint", {**COMPLAINT, "complaint_id": "C-2", "customer_id": "CUS-2"}),
        ("place-order", {**ORDER, "order_id": "SO-2", "customer_id": "CUS-2"}),
        ("set-objective", OBJECTIVE),
    ]:
        status, answer = await api.command(name, body)
        assert status == 201, (name, answer)

    refused: list[tuple[str, dict[str, Any], str]] = [
        ("launch-campaign", CAMPAIGN, "already-exists"),
        (
            "record-campaign-spend",
            {"campaign_id": "CMP-9", "spend_id": "SP-1", "amount": "1"},
            "unknown-campaign",
        ),
        (
            "record-campaign-spend",
            {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": "1"},
            "already-exists",
        ),
        ("capture-lead", lead("LD-1"), "already-exists"),
        ("capture-lead", lead("LD-2", campaign_id="CMP-9"), "unknown-campaign"),
        ("capture-lead", lead("LD-2", customer_id="CUS-9"), "unknown-customer"),
        ("qualify-lead", {"lead_id": "LD-9"}, "unknown-lead"),
        ("lose-lead", {"lead_id": "LD-9", "reason": "x"}, "unknown-lead"),
        ("qualify-lead", {"lead_id": "LD-LOST"}, "invalid-transition"),
        ("lose-lead", {"lead_id": "LD-LOST", "reason": "again"}, "invalid-transition"),
        ("place-order", {**ORDER, "lead_id": "LD-9"}, "unknown-lead"),
        ("place-order", {**ORDER, "lead_id": "LD-LOST"}, "invalid-transition"),
        ("place-order", {**ORDER, "lead_id": "LD-1", "campaign_id": "CMP-2"}, "campaign-mismatch"),
        ("place-order", {**ORDER, "lead_id": "LD-1", "customer_id": "CUS-2"}, "customer-mismatch"),
        ("record-follow-up", follow_up(customer_id="CUS-9"), "unknown-customer"),
        ("record-follow-up", follow_up(order_id="SO-9"), "unknown-order"),
        ("record-follow-up", follow_up(complaint_id="C-9"), "unknown-complaint"),
        ("record-follow-up", follow_up(order_id="SO-2"), "customer-mismatch"),
        ("record-follow-up", follow_up(complaint_id="C-2"), "customer-mismatch"),
        ("retire-objective", {"objective_id": "OBJ-9", "reason": "x"}, "unknown-objective"),
    ]
    for name, body, expected in refused:
        status, answer = await api.command(name, body)
        assert (status, code(answer)) == (409, expected), (name, body, answer)
        assert answer["detail"]

    # What was refused changed nothing: the lead is still open, the follow-up id still free.
    status, body = await api.command("place-order", {**ORDER, "lead_id": "LD-1"})
    assert (status, types(body)) == (201, ["OrderPlaced", "StockReserved", "LeadWon"])
    assert (await api.command("record-follow-up", follow_up(complaint_id="C-1", csat=5)))[0] == 201
    assert (await api.command("retire-objective", {"objective_id": "OBJ-1", "reason": "x"}))[0] == 201
    for name, body, expected in [
        ("place-order", {**ORDER, "order_id": "SO-3", "lead_id": "LD-1"}, "invalid-transition"),
        ("qualify-lead", {"lead_id": "LD-1"}, "invalid-transition"),
        ("record-follow-up", follow_up(), "already-exists"),
        ("retire-objective", {"objective_id": "OBJ-1", "reason": "again"}, "invalid-transition"),
    ]:
        status, answer = await api.command(name, body)
        assert (status, code(answer)) == (409, expected), (name, answer)
    # Set again, a retired objective is active and can be retired once more.
    assert (await api.command("set-objective", OBJECTIVE))[0] == 201
    assert (await api.command("retire-objective", {"objective_id": "OBJ-1", "reason": "x"}))[0] == 201


async def test_what_the_schema_refuses_is_422_naming_the_problem(api: Api) -> None:
    for name, body, said in [
        ("launch-campaign", {**CAMPAIGN, "ends_on": "2026-10-31"}, "ends_on may not come before starts_on"),
        ("launch-campaign", {**CAMPAIGN, "starts_on": "2026-11-01T00:00:00Z"}, "starts_on"),
        ("launch-campaign", {**CAMPAIGN, "ends_on": "2026-02-30"}, "ends_on"),
        ("launch-campaign", {**CAMPAIGN, "medium": "radio"}, "medium"),
        ("launch-campaign", {**CAMPAIGN, "budget": "-1"}, "budget"),
        ("record-campaign-spend", {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": "-5"}, "amount"),
        ("capture-lead", lead("LD-1", channel="phone"), "channel"),
        ("lose-lead", {"lead_id": "LD-1"}, "reason"),
        ("record-follow-up", follow_up(csat=6), "csat"),
        ("record-follow-up", follow_up(csat=0), "csat"),
        ("record-follow-up", follow_up(csat=4.5), "csat"),
        ("record-follow-up", follow_up(csat="4"), "csat"),
        ("record-follow-up", follow_up(nps=11), "nps"),
        ("record-follow-up", follow_up(nps=-1), "nps"),
        ("record-follow-up", follow_up(nps=9.0), "nps"),
        ("record-follow-up", follow_up(kind="letter"), "kind"),
        ("set-objective", {**OBJECTIVE, "kpi": "profit"}, "kpi"),
        ("set-objective", {**OBJECTIVE, "period": "2028..2026"}, "earlier year to the later"),
        ("set-objective", {**OBJECTIVE, "period": "2026-11x"}, "period"),
        ("set-objective", {**OBJECTIVE, "horizon": "forever"}, "horizon"),
        ("retire-objective", {"objective_id": "OBJ-1"}, "reason"),
    ]:
        status, answer = await api.command(name, body)
        assert status == 422, (name, body, answer)
        assert answer["errors"], answer
        assert said in str(answer["errors"]), (said, answer)
