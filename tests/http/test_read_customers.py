"""``/v1/customers/satisfaction``, ``/v1/customers/retention`` and ``/v1/customers/{id}`` end
to end on both logs, every figure worked out by hand from ``tests.support.customers_history``
(its docstring tells the customers, orders, complaints and follow-ups)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.log import Position
from tests.support.customers_history import HISTORY

from .conftest import Api, AppFactory


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


async def get(api: Api, path: str, position: str | None = None, **params: str) -> tuple[int, Any]:
    if position is not None:
        params["min_position"] = position
    response = await api.client.get(path, params=params, headers=api.headers())
    if response.status != 200:
        assert response.content_type == "application/problem+json"
    return response.status, await response.json(content_type=None)


async def buckets(api: Api, position: str, **params: str) -> list[dict[str, Any]]:
    status, body = await get(api, "/v1/customers/satisfaction", position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    return list(body["items"])


def bucket(
    start: str, responses: int, csat: str | None, pct: str | None, nps: str | None, after: str | None
) -> dict[str, Any]:
    return {
        "bucket": start,
        "responses": responses,
        "csat_avg": csat,
        "csat_pct": pct,
        "nps": nps,
        "after_complaint_csat_avg": after,
    }


SEPTEMBER = bucket("2026-09-01T00:00:00Z", 1, "4.00", "100.00", "100.00", None)
# csat 1 4 5: 10 / 3; satisfied 2 of 3; nps 0 6 7: no promoter, two detractors (6 is one) of 3.
OCTOBER = bucket("2026-10-01T00:00:00Z", 3, "3.33", "66.67", "-66.67", "5.00")
# csat 5 2 4 3: 14 / 4; satisfied 5 and 4; nps 10 3 8 9: promoters 10 and 9, detractor 3 (8 passive).
NOVEMBER = bucket("2026-11-01T00:00:00Z", 5, "3.50", "50.00", "25.00", "2.00")
DECEMBER = bucket("2026-12-01T00:00:00Z", 1, None, None, "100.00", None)


async def test_satisfaction_per_month_counts_responses_and_works_out_csat_and_nps(
    module_api: Api, scenario: str
) -> None:
    expected = [SEPTEMBER, OCTOBER, NOVEMBER, DECEMBER]
    assert await buckets(module_api, scenario, bucket="month") == expected
    assert await buckets(module_api, scenario) == expected  # month is the default


async def test_satisfaction_per_quarter(module_api: Api, scenario: str) -> None:
    # Q4: csat 24 / 7 = 3.428..; 4 of 7 satisfied = 57.142..; nps promoters 10 9 9, detractors
    # 6 0 3 of 8 answers; after a complaint csat 5 and 2.
    assert await buckets(module_api, scenario, bucket="quarter") == [
        bucket("2026-07-01T00:00:00Z", 1, "4.00", "100.00", "100.00", None),
        bucket("2026-10-01T00:00:00Z", 9, "3.43", "57.14", "0.00", "3.50"),
    ]


async def test_satisfaction_of_one_segment(module_api: Api, scenario: str) -> None:
    # retail is CUS-A and CUS-B: October csat 1 and 4, nps 0 and 6, both detractors.
    assert await buckets(module_api, scenario, segment="retail") == [
        SEPTEMBER,
        bucket("2026-10-01T00:00:00Z", 2, "2.50", "50.00", "-100.00", None),
        bucket("2026-11-01T00:00:00Z", 3, "3.67", "66.67", "0.00", "2.00"),
    ]
    assert await buckets(module_api, scenario, segment="wholesale") == [
        bucket("2026-11-01T00:00:00Z", 2, "3.00", "0.00", "100.00", None),
        bucket("2026-12-01T00:00:00Z", 1, None, None, "100.00", None),
    ]
    assert await buckets(module_api, scenario, segment="nobody") == []


async def test_satisfaction_windows_are_from_inclusive_to_exclusive(module_api: Api, scenario: str) -> None:
    assert await buckets(module_api, scenario, **{"from": "2026-10-01", "to": "2026-12-01"}) == [
        OCTOBER,
        NOVEMBER,
    ]
    # Leaving out FU-9 (10-01 00:00) and FU-5 (11-30 23:59:59).
    window = {"from": "2026-10-01T00:00:00.000001Z", "to": "2026-11-30T23:59:59Z"}
    assert await buckets(module_api, scenario, **window) == [
        bucket("2026-10-01T00:00:00Z", 2, "4.50", "100.00", "-50.00", "5.00"),
        bucket("2026-11-01T00:00:00Z", 4, "3.50", "50.00", "0.00", "2.00"),
    ]
    assert await buckets(module_api, scenario, **{"from": "2027-01-01"}) == []


def retention(period: str, active: int, new: int, returning: int, lapsed: int, rate: str | None) -> Any:
    return {
        "period": period,
        "active": active,
        "new": new,
        "returning": returning,
        "lapsed": lapsed,
        "repeat_rate_pct": rate,
    }


@pytest.mark.parametrize(
    "expected",
    [
        # A came back; C is new; B's only November order was cancelled in full, so B lapsed with D.
        retention("2026-11", 2, 1, 1, 2, "50.00"),
        # B and D are new (D's order at 23:59:59 on the 31st); A, September's, lapsed.
        retention("2026-10", 2, 2, 0, 1, "0.00"),
        retention("2026-Q4", 4, 3, 1, 1, "25.00"),
        retention("2026-12", 0, 0, 0, 2, None),
        retention("2026", 5, 5, 0, 0, "0.00"),  # E's one order was cancelled in full
        retention("2027", 0, 0, 0, 5, None),
    ],
    ids=lambda expected: expected["period"],
)
async def test_retention_of_a_period(module_api: Api, scenario: str, expected: dict[str, Any]) -> None:
    status, body = await get(module_api, "/v1/customers/retention", scenario, period=expected["period"])
    assert status == 200, body
    assert body == expected


def customer(**fields: Any) -> dict[str, Any]:
    blank: dict[str, Any] = {
        "segment": None,
        "first_order_at": None,
        "last_order_at": None,
        "orders": 0,
        "net_revenue": "0.00",
        "complaints": 0,
        "open_complaints": 0,
        "last_follow_up_at": None,
        "csat_avg": None,
    }
    return {**blank, **fields}


@pytest.mark.parametrize(
    "expected",
    [
        # 20.00 + 30.00 shipped, 10.00 returned; CMP-A1 reopened, CMP-A2 resolved; csat 4 1 5 2.
        customer(customer_id="CUS-A", segment="retail", first_order_at="2026-09-15T10:00:00Z",
                 last_order_at="2026-11-01T00:00:00Z", orders=2, net_revenue="40.00", complaints=2,
                 open_complaints=1, last_follow_up_at="2026-11-08T10:00:00Z", csat_avg="3.00"),
        # The order cancelled in full still counts as placed.
        customer(customer_id="CUS-B", segment="retail", first_order_at="2026-10-10T10:00:00Z",
                 last_order_at="2026-11-20T10:00:00Z", orders=2, net_revenue="10.00",
                 last_follow_up_at="2026-11-15T10:00:00Z", csat_avg="4.00"),
        # 2 of 5 shipped at 19.99 less 10 %: 35.982.
        customer(customer_id="CUS-C", segment="wholesale", first_order_at="2026-11-02T10:00:00Z",
                 last_order_at="2026-11-02T10:00:00Z", orders=1, net_revenue="35.98",
                 last_follow_up_at="2026-12-01T00:00:00Z", csat_avg="3.00"),
        # A follow-up without scores is still the last one.
        customer(customer_id="CUS-D", first_order_at="2026-10-31T23:59:59Z",
                 last_order_at="2026-10-31T23:59:59Z", orders=1, complaints=1, open_complaints=1,
                 last_follow_up_at="2026-11-25T10:00:00Z", csat_avg="5.00"),
        customer(customer_id="CUS-E", segment="wholesale", first_order_at="2026-11-12T10:00:00Z",
                 last_order_at="2026-11-12T10:00:00Z", orders=1),
        customer(customer_id="CUS-G", segment="wholesale"),
    ],
    ids=lambda expected: expected["customer_id"],
)  # fmt: skip
async def test_one_customer(module_api: Api, scenario: str, expected: dict[str, Any]) -> None:
    status, body = await get(module_api, f"/v1/customers/{expected['customer_id']}", scenario)
    assert status == 200, body
    assert body == expected


@pytest.mark.parametrize("customer_id", ["CUS-Z", "bad%20id", "x" * 65, "%C3%A9"])
async def test_an_unknown_customer_is_a_404_problem(module_api: Api, scenario: str, customer_id: str) -> None:
    status, body = await get(module_api, f"/v1/customers/{customer_id}", scenario)
    assert status == 404
    assert body["type"].endswith("unknown-customer")


@pytest.mark.parametrize(
    ("path", "params", "loc"),
    [
        ("/v1/customers/satisfaction", {"bucket": "week"}, "bucket"),
        ("/v1/customers/satisfaction", {"bucket": ""}, "bucket"),
        ("/v1/customers/satisfaction", {"from": "yesterday"}, "from"),
        ("/v1/customers/satisfaction", {"to": "2026-02-30"}, "to"),
        ("/v1/customers/satisfaction", {"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ("/v1/customers/satisfaction", {"from": "0001-01-01"}, "from"),
        ("/v1/customers/satisfaction", {"segment": "not a segment"}, "segment"),
        ("/v1/customers/satisfaction", {"wait_ms": "-1"}, "wait_ms"),
        ("/v1/customers/retention", {}, "period"),
        ("/v1/customers/retention", {"period": "2026-13"}, "period"),
        ("/v1/customers/retention", {"period": "2026-Q5"}, "period"),
        ("/v1/customers/retention", {"period": "2026..2028"}, "period"),
        ("/v1/customers/retention", {"period": "0001"}, "period"),
        ("/v1/customers/retention", {"period": "9999-12"}, "period"),
        ("/v1/customers/retention", {"period": "1900-01", "wait_ms": "x"}, "wait_ms"),
    ],
)
async def test_bad_query_parameters_are_problems_never_500(
    module_api: Api, path: str, params: dict[str, str], loc: str
) -> None:
    status, body = await get(module_api, path, **params)
    assert status == 422
    assert body["errors"][0]["loc"] == ["query", loc]


async def test_the_first_period_of_the_window_has_a_previous_one(module_api: Api) -> None:
    status, body = await get(module_api, "/v1/customers/retention", period="1900-01")
    assert status == 200, body
    assert body["active"] == 0


@pytest.mark.parametrize(
    "path", ["/v1/customers/satisfaction", "/v1/customers/retention", "/v1/customers/CUS-A"]
)
async def test_reading_needs_a_token(module_api: Api, path: str) -> None:
    response = await module_api.client.get(path)
    assert response.status == 401
    assert response.content_type == "application/problem+json"


async def test_buckets_and_periods_are_business_time(make_api: AppFactory) -> None:
    """In Europe/Berlin FU-11 (09-30 23:59:59 UTC) falls in October, FU-5 (11-30 23:59:59 UTC)
    in December, and SO-D1 (10-31 23:59:59 UTC) in November."""
    api = await make_api(timezone="Europe/Berlin")
    position = await run(api, HISTORY)
    assert await buckets(api, position) == [
        # csat 4 1 4 5; nps 9 0 6 7: one promoter, two detractors of 4.
        bucket("2026-10-01T00:00:00+02:00", 4, "3.50", "75.00", "-25.00", "5.00"),
        bucket("2026-11-01T00:00:00+01:00", 4, "3.50", "50.00", "0.00", "2.00"),
        bucket("2026-12-01T00:00:00+01:00", 2, None, None, "100.00", None),
    ]
    status, body = await get(api, "/v1/customers/retention", position, period="2026-11")
    assert status == 200, body
    # A returns, C and D are new; of October's (B alone) B lapsed.
    assert body == retention("2026-11", 3, 2, 1, 1, "33.33")
