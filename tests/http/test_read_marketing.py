"""``GET /v1/marketing/campaigns`` and ``GET /v1/sales/funnel`` end to end on both logs, and
``campaign_roas`` on the tables they read, every figure worked out by hand from
``tests.support.marketing_history`` (its docstring tells the story and the figures judged now).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ledger.http.keys import READ_DB, READ_MODELS
from ledger.log import Position
from projections.marketing import PROJECTION, campaign_roas
from tests.support.marketing_history import HISTORY

from .conftest import Api

CAMPAIGNS = "/v1/marketing/campaigns"
FUNNEL = "/v1/sales/funnel"


async def run(api: Api, commands: list[tuple[str, dict[str, Any]]]) -> str:
    status, body = await api.batch([{"name": name, "body": body} for name, body in commands])
    assert status == 207
    assert [r["status"] for r in body["results"]] == [201] * len(commands), body
    position = Position.empty()
    for result in body["results"]:
        position = position.merge(Position.from_token(result["body"]["position"]))
    return position.token()


@pytest.fixture(scope="module")
async def scenario(module_api: Api) -> str:
    return await run(module_api, HISTORY)


async def get(api: Api, path: str, position: str, **params: str) -> dict[str, Any]:
    response = await api.client.get(path, params={**params, "min_position": position}, headers=api.headers())
    body = await response.json(content_type=None)
    assert response.status == 200, body
    assert response.headers["X-Ledger-Position"]
    return dict(body)


def campaign(
    campaign_id: str,
    medium: str,
    budget: str,
    spend: str,
    counts: tuple[int, int, int, int],
    revenue: str,
    cost_per_lead: str | None,
    roas: str | None,
    budget_used_pct: str | None,
) -> dict[str, Any]:
    leads, qualified, won, orders = counts
    return {
        "campaign_id": campaign_id,
        "name": f"Campaign {campaign_id}",
        "medium": medium,
        "starts_on": "2026-09-01",
        "ends_on": "2026-09-30",
        "budget": budget,
        "spend": spend,
        "leads": leads,
        "qualified": qualified,
        "won": won,
        "orders": orders,
        "revenue": revenue,
        "cost_per_lead": cost_per_lead,
        "roas": roas,
        "budget_used_pct": budget_used_pct,
    }


async def test_campaigns_judged_now(module_api: Api, scenario: str) -> None:
    body = await get(module_api, CAMPAIGNS, scenario)
    assert body == {
        "items": [
            # Spend 0 over 1 lead; no spend, so no ROAS; a budget of 0 has no share used.
            campaign("CMP-E", "email", "0.00", "0.00", (1, 0, 0, 0), "0.00", "0.00", None, None),
            # Spend but no leads: no cost per lead; ROAS 0 / 50.
            campaign("CMP-P", "print", "500.00", "50.00", (0, 0, 0, 0), "0.00", None, "0.00", "10.00"),
            # L-1 qualified and won, L-2 qualified and lost, L-3 won straight from captured;
            # SO-1 (its lead's campaign), SO-2 (part cancelled), SO-3 (cancelled in full).
            campaign(
                "CMP-S", "search", "1000.00", "455.00", (3, 2, 2, 3), "242.12", "151.67", "0.53", "45.50"
            ),
        ],
        "cursor": None,
    }


async def test_as_of_leaves_out_later_campaigns_and_counts_what_happened_by_then(
    module_api: Api, scenario: str
) -> None:
    # On the 10th: SP-2, SO-3 and CMP-P are still to come, and SO-2's cancellation too, so SO-2
    # counts its whole booked 59.72: 200.00 + 59.72 = 259.72 over 300.00 = 0.8657.
    body = await get(module_api, CAMPAIGNS, scenario, as_of="2026-09-10")
    assert body["items"] == [
        campaign("CMP-E", "email", "0.00", "0.00", (1, 0, 0, 0), "0.00", "0.00", None, None),
        campaign("CMP-S", "search", "1000.00", "300.00", (3, 2, 2, 2), "259.72", "100.00", "0.87", "30.00"),
    ]
    # On the 5th at midnight: L-4 is not yet captured, L-2 not yet qualified, L-3 not yet won.
    body = await get(module_api, CAMPAIGNS, scenario, as_of="2026-09-05T00:00:00Z")
    assert body["items"] == [
        campaign("CMP-E", "email", "0.00", "0.00", (0, 0, 0, 0), "0.00", None, None, None),
        campaign("CMP-S", "search", "1000.00", "300.00", (3, 1, 1, 1), "200.00", "100.00", "0.67", "30.00"),
    ]
    # "By a time" includes it: SO-2's cancellation at 12 10:00 counts at exactly that instant.
    [_, cmp_s] = (await get(module_api, CAMPAIGNS, scenario, as_of="2026-09-12T10:00:00Z"))["items"]
    assert (cmp_s["orders"], cmp_s["revenue"]) == (2, "242.12")
    # Before CMP-S was launched there is nothing to show.
    assert (await get(module_api, CAMPAIGNS, scenario, as_of="2026-09-01T07:59:59Z"))["items"] == []


async def test_campaigns_page_by_campaign_id(module_api: Api, scenario: str) -> None:
    first = await get(module_api, CAMPAIGNS, scenario, limit="2")
    assert [item["campaign_id"] for item in first["items"]] == ["CMP-E", "CMP-P"]
    assert first["cursor"] is not None
    second = await get(module_api, CAMPAIGNS, scenario, limit="2", cursor=first["cursor"])
    assert [item["campaign_id"] for item in second["items"]] == ["CMP-S"]
    assert second["cursor"] is None


def stage(key: str, leads: int, qualified: int, won: int, lost: int, open_: int, pct: str) -> dict[str, Any]:
    return {
        "key": key,
        "leads": leads,
        "qualified": qualified,
        "won": won,
        "lost": lost,
        "open": open_,
        "conversion_pct": pct,
    }


async def test_the_funnel_by_channel(module_api: Api, scenario: str) -> None:
    # Every lead: online L-1 (won), L-2 (lost), L-4 (open), L-6 (lost); store L-3; direct L-5.
    body = await get(module_api, FUNNEL, scenario)
    assert body == {
        "items": [
            stage("direct", 1, 1, 0, 0, 1, "0.00"),
            stage("online", 4, 2, 1, 2, 1, "25.00"),
            stage("store", 1, 0, 1, 0, 0, "100.00"),
        ],
        "cursor": None,
    }
    # [01, 09) leaves out L-6, captured at 09 00:00: online is 1 won of 3.
    window = {"from": "2026-09-01", "to": "2026-09-09", "dimension": "channel"}
    assert (await get(module_api, FUNNEL, scenario, **window))["items"] == [
        stage("direct", 1, 1, 0, 0, 1, "0.00"),
        stage("online", 3, 2, 1, 1, 1, "33.33"),
        stage("store", 1, 0, 1, 0, 0, "100.00"),
    ]


async def test_the_funnel_by_campaign_keys_leads_without_one_none(module_api: Api, scenario: str) -> None:
    window = {"from": "2026-09-01", "to": "2026-09-09", "dimension": "campaign"}
    assert (await get(module_api, FUNNEL, scenario, **window))["items"] == [
        stage("CMP-E", 1, 0, 0, 0, 1, "0.00"),
        stage("CMP-S", 3, 2, 2, 1, 0, "66.67"),
        stage("none", 1, 1, 0, 0, 1, "0.00"),
    ]
    assert (await get(module_api, FUNNEL, scenario, dimension="campaign"))["items"][-1] == stage(
        "none", 2, 1, 0, 1, 1, "0.00"
    )


async def test_the_funnel_window_is_from_inclusive_to_exclusive(module_api: Api, scenario: str) -> None:
    async def leads(**window: str) -> int:
        return sum(item["leads"] for item in (await get(module_api, FUNNEL, scenario, **window))["items"])

    assert await leads(**{"from": "2026-09-02T10:00:00Z", "to": "2026-09-09"}) == 5  # L-1 at its start
    assert await leads(**{"from": "2026-09-02T10:00:00.000001Z", "to": "2026-09-09"}) == 4
    assert await leads(**{"from": "2026-09-09", "to": "2026-09-09T00:00:00.000001Z"}) == 1  # L-6
    assert await leads(**{"from": "2026-09-09", "to": "2026-09-09"}) == 0
    assert await leads(to="2026-09-03T09:00:00Z") == 2  # open at the start; L-3 is at the end
    assert await leads(**{"from": "2026-09-06"}) == 2  # open at the end: L-5, L-6
    assert await leads(**{"from": "2026-10-01"}) == 0


async def test_the_funnel_pages_by_key(module_api: Api, scenario: str) -> None:
    first = await get(module_api, FUNNEL, scenario, dimension="campaign", limit="2")
    assert [item["key"] for item in first["items"]] == ["CMP-E", "CMP-S"]
    second = await get(module_api, FUNNEL, scenario, dimension="campaign", limit="2", cursor=first["cursor"])
    assert [item["key"] for item in second["items"]] == ["none"]
    assert second["cursor"] is None


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def test_campaign_roas_is_revenue_over_spend_in_the_window(module_api: Api, scenario: str) -> None:
    await get(module_api, CAMPAIGNS, scenario)  # caught up
    app = module_api.client.server.app
    schema = app[READ_MODELS].schema(PROJECTION.name)

    async def roas(start: str, end: str, as_of: str | None = None) -> Decimal | None:
        async with app[READ_DB].acquire() as conn:
            return await campaign_roas(
                conn, schema, moment(start), moment(end), as_of=None if as_of is None else moment(as_of)
            )

    # September: SO-1 200.00 + SO-2 42.12 + SO-3 0 + SO-5 40.00 (CMP-X, launched or not) = 282.12
    # over 300 + 155 + 50 = 505: 0.5586.
    assert await roas("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z") == Decimal("0.56")
    # [01, 10): SO-1 and SO-2, less the cancellation known now, over SP-1: 242.12 / 300 = 0.807.
    assert await roas("2026-09-01T00:00:00Z", "2026-09-10T00:00:00Z") == Decimal("0.81")
    # As of the 10th the cancellation has not happened: 259.72 / 300 = 0.8657.
    as_of = "2026-09-10T00:00:00Z"
    assert await roas("2026-09-01T00:00:00Z", as_of, as_of) == Decimal("0.87")
    # [10, 16): SO-5 40.00 over SP-2 155.00 = 0.258; the spend at 15 09:00 is in at the start.
    assert await roas("2026-09-10T00:00:00Z", "2026-09-16T00:00:00Z") == Decimal("0.26")
    assert await roas("2026-09-15T09:00:00Z", "2026-09-16T00:00:00Z") == Decimal("0.00")
    # ... and out at the end: SO-5's revenue, but nothing spent. After it, SO-3 and no spend.
    assert await roas("2026-09-10T00:00:00Z", "2026-09-15T09:00:00Z") is None
    assert await roas("2026-09-15T10:00:00Z", "2026-09-17T00:00:00Z") is None


@pytest.mark.parametrize(
    ("path", "params", "status", "loc"),
    [
        (CAMPAIGNS, {"as_of": "yesterday"}, 422, "as_of"),
        (CAMPAIGNS, {"as_of": "2026-02-30"}, 422, "as_of"),
        (CAMPAIGNS, {"as_of": "0001-01-01"}, 422, "as_of"),
        (CAMPAIGNS, {"limit": "0"}, 422, "limit"),
        (CAMPAIGNS, {"limit": "1001"}, 422, "limit"),
        (CAMPAIGNS, {"cursor": "not a cursor"}, 400, None),
        (CAMPAIGNS, {"cursor": "WzFd"}, 400, None),  # [1]: not a campaign id
        (FUNNEL, {"from": "2026-09-01T10:00:00"}, 422, "from"),
        (FUNNEL, {"to": "tomorrow"}, 422, "to"),
        (FUNNEL, {"from": "2026-09-08", "to": "2026-09-01"}, 422, "to"),
        (FUNNEL, {"dimension": "team"}, 422, "dimension"),
        (FUNNEL, {"dimension": ""}, 422, "dimension"),
        (FUNNEL, {"limit": "x"}, 422, "limit"),
        (FUNNEL, {"cursor": "eyJhIjoxfQ"}, 400, None),  # {"a":1}
        (FUNNEL, {"wait_ms": "-1"}, 422, "wait_ms"),
        (FUNNEL, {"min_position": "garbage"}, 400, None),
    ],
)
async def test_bad_query_parameters_are_problems_never_500(
    module_api: Api, path: str, params: dict[str, str], status: int, loc: str | None
) -> None:
    response = await module_api.client.get(path, params=params, headers=module_api.headers())
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    if loc is not None:
        assert body["errors"][0]["loc"] == ["query", loc]


@pytest.mark.parametrize("path", [CAMPAIGNS, FUNNEL])
async def test_reading_needs_a_token(module_api: Api, path: str) -> None:
    response = await module_api.client.get(path)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
