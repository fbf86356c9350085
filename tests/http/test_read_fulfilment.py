"""``GET /v1/sales/fulfilment`` end to end on both logs, every figure worked out by hand from
``tests.support.fulfilment_history`` (its docstring tells the orders and what each counts as).
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.log import Position
from tests.support.fulfilment_history import HISTORY

from .conftest import Api

WINDOW = {"from": "2026-09-01", "to": "2026-09-08"}


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


async def get(api: Api, position: str | None = None, **params: str) -> tuple[int, Any]:
    if position is not None:
        params["min_position"] = position
    response = await api.client.get("/v1/sales/fulfilment", params=params, headers=api.headers())
    return response.status, await response.json(content_type=None)


async def items(api: Api, position: str, **params: str) -> list[dict[str, Any]]:
    status, body = await get(api, position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    return list(body["items"])


def row(
    key: str, orders: int, on_time: str | None, in_full: str | None, otif: str | None, days: str | None
) -> dict[str, Any]:
    return {
        "key": key,
        "orders": orders,
        "on_time_pct": on_time,
        "in_full_pct": in_full,
        "otif_pct": otif,
        "mean_days_to_ship": days,
    }


async def test_the_total_judges_each_order_against_its_promise(module_api: Api, scenario: str) -> None:
    # 32.5 h = 1.3541.. days
    expected = [row("*", 5, "60.00", "80.00", "40.00", "1.35")]
    assert await items(module_api, scenario, dimension="total", **WINDOW) == expected
    assert await items(module_api, scenario, **WINDOW) == expected  # total is the default


async def test_per_channel(module_api: Api, scenario: str) -> None:
    # online: SO-1, 2, 5; (24 + 54 + 28) / 3 = 35.33 h = 1.472 days. store: SO-3 alone, which
    # shipped nothing in full, so there is no time to ship to measure.
    assert await items(module_api, scenario, dimension="channel", **WINDOW) == [
        row("distributor", 1, "100.00", "100.00", "100.00", "1.00"),
        row("online", 3, "33.33", "100.00", "33.33", "1.47"),
        row("store", 1, "100.00", "0.00", "0.00", None),
    ]


async def test_per_team(module_api: Api, scenario: str) -> None:
    # north: SO-1, 3, 5, in full SO-1 and 5: (24 + 28) / 2 = 26 h = 1.083 days.
    # south: SO-2, 7: (54 + 24) / 2 = 39 h = 1.625 days, half-up 1.63.
    assert await items(module_api, scenario, dimension="team", **WINDOW) == [
        row("north", 3, "33.33", "66.67", "0.00", "1.08"),
        row("south", 2, "100.00", "100.00", "100.00", "1.63"),
    ]


async def test_the_window_is_from_inclusive_to_exclusive(module_api: Api, scenario: str) -> None:
    async def orders(**window: str) -> list[int]:
        return [item["orders"] for item in await items(module_api, scenario, **window)]

    assert await orders(**{"from": "2026-09-01T00:00:00.000001Z", "to": "2026-09-08"}) == [4]  # not SO-7
    # SO-6, promised at 09-08 00:00, counts from a window that holds that instant: nothing of it
    # was shipped, so it is neither on time nor in full.
    assert await items(
        module_api, scenario, **{"from": "2026-09-08", "to": "2026-09-08T00:00:00.000001Z"}
    ) == [row("*", 1, "0.00", "0.00", "0.00", None)]
    assert await orders(**{"from": "2026-09-01", "to": "2026-09-09"}) == [6]
    assert await orders(**{"from": "2026-09-05T12:00:00Z", "to": "2026-09-05T12:00:00Z"}) == []
    assert await orders(**{"from": "2026-10-01"}) == []
    assert await orders(to="2026-09-08") == [5]  # open at the start
    assert await orders() == [6]  # every order with a promise but the one cancelled in full


async def test_a_delivery_after_the_promise_is_late_and_one_at_it_is_on_time(
    module_api: Api, scenario: str
) -> None:
    # SO-1 alone is promised in [04, 05): delivered a day late.
    assert await items(module_api, scenario, **{"from": "2026-09-04", "to": "2026-09-05"}) == [
        row("*", 1, "0.00", "100.00", "0.00", "1.00")
    ]
    # SO-2 alone is promised in [05, 06): its second shipment arrived exactly at 12:00.
    assert await items(module_api, scenario, **{"from": "2026-09-05", "to": "2026-09-06"}) == [
        row("*", 1, "100.00", "100.00", "100.00", "2.25")
    ]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "2026-09-01T10:00:00"}, "to"),
        ({"from": "2026-09-08", "to": "2026-09-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"dimension": "category"}, "dimension"),
        ({"dimension": ""}, "dimension"),
        ({"wait_ms": "-1"}, "wait_ms"),
    ],
)
async def test_bad_query_parameters_are_problems_never_500(
    module_api: Api, params: dict[str, str], loc: str
) -> None:
    response = await module_api.client.get(
        "/v1/sales/fulfilment", params=params, headers=module_api.headers()
    )
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["errors"][0]["loc"] == ["query", loc]


async def test_reading_needs_a_token(module_api: Api) -> None:
    response = await module_api.client.get("/v1/sales/fulfilment")
    assert response.status == 401
    assert response.content_type == "application/problem+json"
