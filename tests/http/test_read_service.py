"""The service read model end to end: complaints and their SLA clocks as of business times.

Every expectation is worked out by hand from the business times below (all in November 2026,
UTC) and the SLA defaults of API.md: critical 1 h / 24 h, high 4 h / 72 h, medium 8 h /
120 h, low 24 h / 240 h.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.http.reads import cursor_for
from ledger.log import Position

from .conftest import Api, AppFactory

TIME_FIELDS = ("filed_at", "first_response_at", "resolved_at", "response_due_at", "resolution_due_at")


def t(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> str:
    return t(day, hour, minute, second).isoformat().replace("+00:00", "Z")


async def record(api: Api, *commands: tuple[str, dict[str, Any]]) -> str:
    """Runs the commands in one batch, in order; the position that covers all of them."""
    status, body = await api.batch([{"name": name, "body": b} for name, b in commands])
    assert status == 207
    position = Position.empty()
    for (name, _), result in zip(commands, body["results"], strict=True):
        assert result["status"] == 201, (name, result)
        position = position.merge(Position.from_token(result["body"]["position"]))
    return position.token()


def filed(complaint_id: str, severity: str, when: str, **extra: str) -> tuple[str, dict[str, Any]]:
    body = {
        "complaint_id": complaint_id,
        "customer_id": "CUS-1",
        "channel": "email",
        "category": "late",
        "severity": severity,
        "description": "where is it",
        "occurred_at": when,
        **extra,
    }
    return ("file-complaint", body)


def acked(complaint_id: str, when: str) -> tuple[str, dict[str, Any]]:
    return ("acknowledge-complaint", {"complaint_id": complaint_id, "occurred_at": when})


def resolved(complaint_id: str, when: str) -> tuple[str, dict[str, Any]]:
    return ("resolve-complaint", {"complaint_id": complaint_id, "resolution": "sorted", "occurred_at": when})


def reopened(complaint_id: str, when: str) -> tuple[str, dict[str, Any]]:
    return ("reopen-complaint", {"complaint_id": complaint_id, "reason": "again", "occurred_at": when})


CUSTOMER = ("register-customer", {"customer_id": "CUS-1", "name": "Northwind", "occurred_at": at(1, 8)})


async def scenario(api: Api) -> str:
    """C-1 critical: answered in 30 min, resolved in 11 h. C-2 high: answered in 1 h 30 min
    18 s (1.505 h), resolved after 80 h (> 72). C-3 medium: first answered by its resolution
    after 10 h (> 8), reopened, acknowledged, resolved again 121 h after filing (> 120).
    C-4 low: never answered."""
    return await record(
        api,
        CUSTOMER,
        ("register-product", {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "w"}),
        filed("C-1", "critical", at(2, 9), channel="phone", sku="SKU-1", lot_id="L-9"),
        acked("C-1", at(2, 9, 30)),
        resolved("C-1", at(2, 20)),
        filed("C-2", "high", at(2, 10)),
        acked("C-2", at(2, 11, 30, 18)),
        resolved("C-2", at(5, 18)),
        filed("C-3", "medium", at(2, 11)),
        resolved("C-3", at(2, 21)),
        reopened("C-3", at(3, 9)),
        acked("C-3", at(3, 10)),
        resolved("C-3", at(7, 12)),
        filed("C-4", "low", at(2, 12)),
    )


async def get(api: Api, path: str, position: str, **params: str) -> Any:
    response = await api.client.get(path, params={"min_position": position, **params}, headers=api.headers())
    assert response.status == 200, await response.text()
    assert response.headers["X-Ledger-Position"]
    return await response.json()


async def complaints(api: Api, position: str, **params: str) -> dict[str, dict[str, Any]]:
    """The listed complaints by id (in answer order), their times parsed."""
    body = await get(api, "/v1/complaints", position, **params)
    assert body["cursor"] is None
    return {item["complaint_id"]: parsed(item) for item in body["items"]}


def parsed(item: dict[str, Any]) -> dict[str, Any]:
    return {k: datetime.fromisoformat(v) if k in TIME_FIELDS and v else v for k, v in item.items()}


def clocks(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["status"],
        item["first_response_hours"],
        item["resolution_hours"],
        item["breached_response"],
        item["breached_resolution"],
    )


async def test_each_transition_and_both_breach_flags_as_of_business_times(api: Api) -> None:
    position = await scenario(api)

    assert await complaints(api, position, as_of=at(2, 8)) == {}

    early = await complaints(api, position, as_of=at(2, 12))
    assert list(early) == ["C-1", "C-2", "C-3", "C-4"]
    assert early["C-1"] == {
        "complaint_id": "C-1",
        "customer_id": "CUS-1",
        "channel": "phone",
        "category": "late",
        "severity": "critical",
        "order_id": None,
        "sku": "SKU-1",
        "lot_id": "L-9",
        "status": "acknowledged",
        "filed_at": t(2, 9),
        "first_response_at": t(2, 9, 30),
        "resolved_at": None,
        "first_response_hours": "0.50",
        "resolution_hours": None,
        "breached_response": False,
        "breached_resolution": False,
        "response_due_at": t(2, 10),
        "resolution_due_at": t(3, 9),
    }
    assert clocks(early["C-2"]) == ("acknowledged", "1.51", None, False, False)
    assert early["C-2"]["first_response_at"] == t(2, 11, 30, 18)
    assert (early["C-2"]["response_due_at"], early["C-2"]["resolution_due_at"]) == (t(2, 14), t(5, 10))
    assert clocks(early["C-3"]) == ("open", None, None, False, False)
    assert (early["C-3"]["response_due_at"], early["C-3"]["resolution_due_at"]) == (t(2, 19), t(7, 11))
    assert clocks(early["C-4"]) == ("open", None, None, False, False)
    assert (early["C-4"]["response_due_at"], early["C-4"]["resolution_due_at"]) == (t(3, 12), t(12, 12))

    # C-3's response is due at 19:00: on the dot is in time, a second later is breached.
    assert clocks((await complaints(api, position, as_of=at(2, 19)))["C-3"]) == (
        "open",
        None,
        None,
        False,
        False,
    )
    late = await complaints(api, position, as_of=at(2, 19, 0, 1))
    assert clocks(late["C-3"]) == ("open", None, None, True, False)
    assert clocks(late["C-1"]) == ("acknowledged", "0.50", None, False, False)

    evening = await complaints(api, position, as_of=at(2, 22))
    assert clocks(evening["C-1"]) == ("resolved", "0.50", "11.00", False, False)
    assert evening["C-1"]["resolved_at"] == t(2, 20)
    assert clocks(evening["C-3"]) == ("resolved", "10.00", "10.00", True, False)
    assert evening["C-3"]["first_response_at"] == evening["C-3"]["resolved_at"] == t(2, 21)

    again = await complaints(api, position, as_of=at(3, 9, 30))
    assert clocks(again["C-3"]) == ("open", "10.00", None, True, False)
    assert again["C-3"]["resolved_at"] is None

    later = await complaints(api, position, as_of=at(5, 12))
    assert clocks(later["C-2"]) == ("acknowledged", "1.51", None, False, True)
    assert clocks(later["C-3"]) == ("acknowledged", "10.00", None, True, False)
    assert later["C-3"]["first_response_at"] == t(2, 21)
    assert clocks(later["C-4"]) == ("open", None, None, True, False)

    final = await complaints(api, position)
    assert clocks(final["C-1"]) == ("resolved", "0.50", "11.00", False, False)
    assert clocks(final["C-2"]) == ("resolved", "1.51", "80.00", False, True)
    assert clocks(final["C-3"]) == ("resolved", "10.00", "121.00", True, True)
    assert final["C-3"]["resolved_at"] == t(7, 12)
    assert clocks(final["C-4"]) == ("open", None, None, True, True)


async def test_filters_and_pages_follow_filing_order(api: Api) -> None:
    position = await scenario(api)

    async def ids(**params: str) -> list[str]:
        return list(await complaints(api, position, **params))

    assert await ids(status="open") == ["C-4"]
    assert await ids(status="resolved") == ["C-1", "C-2", "C-3"]
    assert await ids(status="acknowledged") == []
    assert await ids(status="acknowledged", as_of=at(5, 12)) == ["C-2", "C-3"]
    assert await ids(status="open", as_of=at(3, 9, 30)) == ["C-3", "C-4"]
    assert await ids(breached="false") == ["C-1"]
    assert await ids(breached="true") == ["C-2", "C-3", "C-4"]
    assert await ids(breached="true", as_of=at(2, 22)) == ["C-3"]
    assert await ids(severity="high") == ["C-2"]
    assert await ids(severity="medium", breached="true") == ["C-3"]
    assert await ids(severity="low", breached="false") == []

    first = await get(api, "/v1/complaints", position, limit="3")
    assert [i["complaint_id"] for i in first["items"]] == ["C-1", "C-2", "C-3"]
    rest = await get(api, "/v1/complaints", position, limit="3", cursor=first["cursor"])
    assert ([i["complaint_id"] for i in rest["items"]], rest["cursor"]) == (["C-4"], None)

    first = await get(api, "/v1/complaints", position, limit="2", breached="true")
    assert [i["complaint_id"] for i in first["items"]] == ["C-2", "C-3"]
    rest = await get(api, "/v1/complaints", position, limit="2", breached="true", cursor=first["cursor"])
    assert ([i["complaint_id"] for i in rest["items"]], rest["cursor"]) == (["C-4"], None)

    exact = await get(api, "/v1/complaints", position, limit="4")
    assert (len(exact["items"]), exact["cursor"]) == (4, None)


async def test_sla_hours_come_from_the_settings(make_api: AppFactory) -> None:
    api = await make_api(sla_hours={"high": ("1.5", "10")})
    position = await record(
        api,
        CUSTOMER,
        filed("S-1", "high", at(2, 9)),
        acked("S-1", at(2, 10, 45)),
        resolved("S-1", at(2, 18)),
        filed("S-2", "medium", at(2, 9)),
        acked("S-2", at(2, 10, 45)),
        filed("S-3", "high", at(2, 9, 0, 1)),
    )

    final = await complaints(api, position)
    assert clocks(final["S-1"]) == ("resolved", "1.75", "9.00", True, False)
    assert (final["S-1"]["response_due_at"], final["S-1"]["resolution_due_at"]) == (t(2, 10, 30), t(2, 19))
    assert clocks(final["S-2"]) == ("acknowledged", "1.75", None, False, True)
    assert (final["S-2"]["response_due_at"], final["S-2"]["resolution_due_at"]) == (t(2, 17), t(7, 9))
    assert clocks(final["S-3"]) == ("open", None, None, True, True)

    due = await complaints(api, position, as_of=at(2, 10, 30, 1))
    assert clocks(due["S-3"]) == ("open", None, None, False, False)
    past = await complaints(api, position, as_of=at(2, 10, 30, 2))
    assert clocks(past["S-3"]) == ("open", None, None, True, False)
    assert clocks(past["S-1"]) == ("open", None, None, True, False)


def line(
    severity: str,
    filed_: int,
    open_: int,
    resolved: int,
    median_response: str | None,
    p90_response: str | None,
    median_resolution: str | None,
    breaches: int,
    compliance: str | None,
) -> dict[str, Any]:
    return {
        "severity": severity,
        "filed": filed_,
        "open": open_,
        "resolved": resolved,
        "median_first_response_hours": median_response,
        "p90_first_response_hours": p90_response,
        "median_resolution_hours": median_resolution,
        "breaches": breaches,
        "sla_compliance_pct": compliance,
    }


async def test_summary_per_severity_over_a_filing_window(api: Api) -> None:
    position = await record(
        api,
        CUSTOMER,
        filed("K-0", "critical", at(9, 23)),
        resolved("K-0", at(9, 23, 30)),
        filed("H-1", "high", at(10, 0)),
        acked("H-1", at(10, 1)),
        resolved("H-1", at(10, 10)),
        filed("H-2", "high", at(10, 1)),
        acked("H-2", at(10, 6)),
        resolved("H-2", at(10, 21)),
        filed("H-3", "high", at(10, 2)),
        resolved("H-3", at(10, 4)),
        filed("H-4", "high", at(11, 0)),
        filed("M-1", "medium", at(10, 3)),
        acked("M-1", at(10, 4)),
        resolved("M-1", at(11, 9)),
        filed("M-2", "medium", at(10, 3)),
        acked("M-2", at(10, 5)),
        resolved("M-2", at(15, 13)),
        filed("M-3", "medium", at(10, 3)),
        acked("M-3", at(10, 7, 15)),
        resolved("M-3", at(12, 5)),
        filed("M-4", "medium", at(10, 3)),
        acked("M-4", at(10, 12)),
    )
    window = {"from": at(10, 0), "to": at(11, 0)}

    body = await get(api, "/v1/complaints/summary", position, **window)
    assert body == {
        "items": [
            line("critical", 0, 0, 0, None, None, None, 0, None),
            # first responses 1, 5, 2 h; resolutions 10, 20, 2 h; H-2 answered late
            line("high", 3, 0, 3, "2.00", "5.00", "10.00", 1, "66.67"),
            # first responses 1, 2, 4.25, 9 h: median (2 + 4.25) / 2 = 3.125; p90 rank ceil(3.6) = 4
            # resolutions 30, 130, 50 h; M-2 resolved late, M-4 answered late and still open
            line("medium", 4, 1, 3, "3.13", "9.00", "50.00", 2, "50.00"),
            line("low", 0, 0, 0, None, None, None, 0, None),
        ],
        "cursor": None,
    }

    everything = (await get(api, "/v1/complaints/summary", position))["items"]
    assert everything[0] == line("critical", 1, 0, 1, "0.50", "0.50", "0.50", 0, "100.00")
    # H-4, filed on the window's end, is never answered
    assert everything[1] == line("high", 4, 1, 3, "2.00", "5.00", "10.00", 2, "50.00")
    assert everything[2] == body["items"][2]

    morning = (await get(api, "/v1/complaints/summary", position, as_of=at(10, 8), **window))["items"]
    assert morning[1] == line("high", 3, 2, 1, "2.00", "5.00", "2.00", 1, "66.67")
    # M-4 not answered yet but not due until 11:00
    assert morning[2] == line("medium", 4, 4, 0, "2.00", "4.25", None, 0, "100.00")

    before = (await get(api, "/v1/complaints/summary", position, as_of=at(9, 12)))["items"]
    assert [i["filed"] for i in before] == [0, 0, 0, 0]


async def test_bad_parameters_are_refused(api: Api) -> None:
    for path, params in [
        ("/v1/complaints", {"status": "closed"}),
        ("/v1/complaints", {"severity": "urgent"}),
        ("/v1/complaints", {"breached": "maybe"}),
        ("/v1/complaints", {"as_of": "yesterday"}),
        ("/v1/complaints", {"as_of": "2026-11-02T09:00:00"}),
        ("/v1/complaints", {"as_of": "0001-01-01T00:00:00+14:00"}),
        ("/v1/complaints", {"limit": "0"}),
        ("/v1/complaints", {"limit": "1001"}),
        ("/v1/complaints/summary", {"from": "2026-13-01T00:00:00Z"}),
        ("/v1/complaints/summary", {"from": at(3, 0), "to": at(2, 0)}),
        ("/v1/complaints/summary", {"as_of": "9999-12-31T23:00:00-14:00"}),
    ]:
        response = await api.client.get(path, params=params, headers=api.headers())
        assert response.status == 422, (path, params)
        assert response.content_type == "application/problem+json"
        name = next(iter(params)) if len(params) == 1 else "to"
        assert (await response.json())["errors"][0]["loc"] == ["query", name]

    for cursor in [
        "garbage!",
        cursor_for([1, 2]),
        cursor_for(["not a time", "C-1"]),
        cursor_for(["x"]),
        cursor_for(["0001-01-01T00:00:00+14:00", "C-1"]),
    ]:
        response = await api.client.get("/v1/complaints", params={"cursor": cursor}, headers=api.headers())
        assert response.status == 400, cursor

    response = await api.client.get("/v1/complaints")
    assert response.status == 401
