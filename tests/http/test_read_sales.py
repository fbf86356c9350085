"""The sales read routes end to end: attainment per dimension and basis, and the daily series.

One history (``scenario``) serves most tests, loaded once per log; every expectation below
is worked out by hand from it:

- SO-2 (store, team south), placed 2026-08-31: line 1 is 3 x SKU-B (toys) at 20.33 less
  50 %, net 10.165, placed 30.50 (30.495 half-up). Shipped 2 on 09-21: 20.33. Cancelled the
  last 1 on 09-22: 10.17 (10.165 half-up), which counts in August on the booked basis.
- SO-1 (online, team north), placed 2026-09-03: line 1 is 10 x SKU-A (tools) at 10.00 =
  100.00, line 2 is 4 x SKU-B at 25.00 less 10 % = 90.00. Shipped on 09-05 6 of line 1
  (60.00) and all of line 2 (90.00); 1 of line 2 returned on 09-10 (22.50); the other 4 of
  line 1 cancelled on 09-12 (40.00).
- Targets for 2026-09: total 200 on 08-01, replaced by 300 on 08-02; channel online 100,
  category toys 150, team east 50 (no sales at all).

So September, shipped basis: SO-1 60 + 90 - 22.50 = 127.50, SO-2 20.33, in all 147.83;
booked basis: SO-1 190 - 40 = 150.00 (SO-2 is August's: 30.50 - 10.17 = 20.33).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger.log import Position

from .conftest import Api, AppFactory

MASTER_DATA: list[tuple[str, dict[str, Any]]] = [
    ("register-location", {"location_id": "WH-A", "name": "Main", "kind": "warehouse"}),
    ("register-product", {"sku": "SKU-A", "name": "Spanner", "uom": "ea", "category": "tools"}),
    ("register-product", {"sku": "SKU-B", "name": "Kite", "uom": "ea", "category": "toys"}),
    ("register-customer", {"customer_id": "CUS-1", "name": "Northwind"}),
    ("register-team", {"team_id": "north", "name": "North"}),
    ("register-team", {"team_id": "south", "name": "South"}),
    ("receive-stock", {"receipt_id": "R-A", "sku": "SKU-A", "location_id": "WH-A", "qty": "100"}),
    ("receive-stock", {"receipt_id": "R-B", "sku": "SKU-B", "location_id": "WH-A", "qty": "100"}),
]


def order(order_id: str, channel: str, team: str, at: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "CUS-1",
        "channel": channel,
        "team_id": team,
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": lines,
        "occurred_at": at,
    }


def target(dimension: str, key: str, amount: str, at: str) -> dict[str, Any]:
    return {"period": "2026-09", "dimension": dimension, "key": key, "amount": amount, "occurred_at": at}


HISTORY: list[tuple[str, dict[str, Any]]] = [
    *MASTER_DATA,
    (
        "place-order",
        order(
            "SO-2",
            "store",
            "south",
            "2026-08-31T12:00:00Z",
            [{"line_no": 1, "sku": "SKU-B", "qty": "3", "unit_price": "20.33", "discount_pct": "50"}],
        ),
    ),
    (
        "place-order",
        order(
            "SO-1",
            "online",
            "north",
            "2026-09-03T10:00:00Z",
            [
                {"line_no": 1, "sku": "SKU-A", "qty": "10", "unit_price": "10.00"},
                {"line_no": 2, "sku": "SKU-B", "qty": "4", "unit_price": "25.00", "discount_pct": "10"},
            ],
        ),
    ),
    (
        "ship-order",
        {
            "order_id": "SO-1",
            "shipment_id": "SH-1",
            "lines": [{"line_no": 1, "qty": "6"}, {"line_no": 2, "qty": "4"}],
            "occurred_at": "2026-09-05T10:00:00Z",
        },
    ),
    (
        "return-order",
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 2, "qty": "1", "condition": "resaleable"}],
            "occurred_at": "2026-09-10T10:00:00Z",
        },
    ),
    ("cancel-order", {"order_id": "SO-1", "reason": "late", "occurred_at": "2026-09-12T10:00:00Z"}),
    (
        "ship-order",
        {
            "order_id": "SO-2",
            "shipment_id": "SH-2",
            "lines": [{"line_no": 1, "qty": "2"}],
            "occurred_at": "2026-09-21T10:00:00Z",
        },
    ),
    ("cancel-order", {"order_id": "SO-2", "reason": "late", "occurred_at": "2026-09-22T10:00:00Z"}),
    ("set-sales-target", target("total", "*", "200", "2026-08-01T00:00:00Z")),
    ("set-sales-target", target("total", "*", "300", "2026-08-02T00:00:00Z")),
    ("set-sales-target", target("channel", "online", "100", "2026-08-01T00:00:00Z")),
    ("set-sales-target", target("category", "toys", "150", "2026-08-01T00:00:00Z")),
    ("set-sales-target", target("team", "east", "50", "2026-08-01T00:00:00Z")),
]

SEP_END = "2026-10-15T00:00:00Z"
SEP_HALF = "2026-09-16T00:00:00Z"  # 15 of September's 30 days have passed


async def run(api: Api, commands: list[tuple[str, dict[str, Any]]]) -> str:
    """Run ``commands`` in order, in one batch; the position covering all of them."""
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


async def get(api: Api, route: str, position: str | None = None, **params: str) -> tuple[int, Any]:
    if position is not None:
        params["min_position"] = position
    response = await api.client.get(f"/v1/sales/{route}", params=params, headers=api.headers())
    return response.status, await response.json(content_type=None)


async def items(api: Api, route: str, position: str | None = None, **params: str) -> list[dict[str, Any]]:
    status, body = await get(api, route, position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    return list(body["items"])


def row(
    key: str,
    target: str | None,
    actual: str,
    pct: str | None,
    expected: str | None,
    pace: str | None,
    forecast: str | None,
) -> dict[str, Any]:
    return {
        "key": key,
        "target": target,
        "actual": actual,
        "attainment_pct": pct,
        "expected_to_date": expected,
        "pace_pct": pace,
        "forecast": forecast,
    }


async def test_attainment_on_the_shipped_basis_for_every_dimension(module_api: Api, scenario: str) -> None:
    async def shipped(dimension: str) -> list[dict[str, Any]]:
        return await items(
            module_api, "attainment", scenario, period="2026-09", dimension=dimension, as_of=SEP_END
        )

    # 147.83 / 300 = 49.277 %; the later target (300) replaced the earlier (200)
    assert await shipped("total") == [row("*", "300.00", "147.83", "49.28", "300.00", "49.28", "147.83")]
    assert await shipped("channel") == [
        row("online", "100.00", "127.50", "127.50", "100.00", "127.50", "127.50"),
        row("store", None, "20.33", None, None, None, "20.33"),
    ]
    assert await shipped("team") == [
        row("east", "50.00", "0.00", "0.00", "50.00", "0.00", "0.00"),
        row("north", None, "127.50", None, None, None, "127.50"),
        row("south", None, "20.33", None, None, None, "20.33"),
    ]
    # toys: 90.00 - 22.50 + 20.33 = 87.83 of 150 = 58.553 %
    assert await shipped("category") == [
        row("tools", None, "60.00", None, None, None, "60.00"),
        row("toys", "150.00", "87.83", "58.55", "150.00", "58.55", "87.83"),
    ]
    # shipped is the default basis and total the default dimension
    assert await items(module_api, "attainment", scenario, period="2026-09", as_of=SEP_END) == await shipped(
        "total"
    )


async def test_attainment_on_the_booked_basis_counts_cancellations_at_the_order_time(
    module_api: Api, scenario: str
) -> None:
    async def booked(period: str, dimension: str, as_of: str = SEP_END) -> list[dict[str, Any]]:
        return await items(
            module_api,
            "attainment",
            scenario,
            period=period,
            dimension=dimension,
            basis="booked",
            as_of=as_of,
        )

    assert await booked("2026-09", "total") == [
        row("*", "300.00", "150.00", "50.00", "300.00", "50.00", "150.00")
    ]
    assert await booked("2026-09", "channel") == [
        row("online", "100.00", "150.00", "150.00", "100.00", "150.00", "150.00")
    ]
    assert await booked("2026-09", "team") == [
        row("east", "50.00", "0.00", "0.00", "50.00", "0.00", "0.00"),
        row("north", None, "150.00", None, None, None, "150.00"),
    ]
    assert await booked("2026-09", "category") == [
        row("tools", None, "60.00", None, None, None, "60.00"),
        row("toys", "150.00", "90.00", "60.00", "150.00", "60.00", "90.00"),
    ]
    # SO-2's cancellation of 09-22 takes 10.17 off August, once it has happened
    assert await booked("2026-08", "channel") == [row("store", None, "20.33", None, None, None, "20.33")]
    assert await booked("2026-08", "channel", "2026-09-15T00:00:00Z") == [
        row("store", None, "30.50", None, None, None, "30.50")
    ]
    assert await booked("2026-Q3", "total") == [row("*", None, "170.33", None, None, None, "170.33")]
    assert await booked("2025", "total") == []


async def test_attainment_mid_period_gives_expected_pace_and_forecast(module_api: Api, scenario: str) -> None:
    async def half_way(basis: str, dimension: str) -> list[dict[str, Any]]:
        return await items(
            module_api,
            "attainment",
            scenario,
            period="2026-09",
            dimension=dimension,
            basis=basis,
            as_of=SEP_HALF,
        )

    # by 09-16 only SO-1's shipment, return and cancellation have happened; elapsed = 1/2
    assert await half_way("shipped", "total") == [
        row("*", "300.00", "127.50", "42.50", "150.00", "85.00", "255.00")
    ]
    assert await half_way("booked", "total") == [
        row("*", "300.00", "150.00", "50.00", "150.00", "100.00", "300.00")
    ]
    assert await half_way("shipped", "channel") == [
        row("online", "100.00", "127.50", "127.50", "50.00", "255.00", "255.00")
    ]
    # before the period starts nothing is expected yet, and before 08-02 the first target holds
    assert await items(
        module_api, "attainment", scenario, period="2026-09", as_of="2026-08-01T12:00:00Z"
    ) == [row("*", "200.00", "0.00", "0.00", "0.00", None, None)]


async def test_as_of_inside_a_day_counts_what_had_happened_by_that_instant(
    module_api: Api, scenario: str
) -> None:
    async def actual(basis: str, as_of: str) -> list[str]:
        found = await items(module_api, "attainment", scenario, period="2026-09", basis=basis, as_of=as_of)
        return [item["actual"] for item in found]

    # SO-1 shipped 150.00 at 10:00 on 09-05; its 40.00 were cancelled at 10:00 on 09-12
    assert await actual("shipped", "2026-09-05T09:59:59.999999Z") == ["0.00"]
    assert await actual("shipped", "2026-09-05T10:00:00Z") == ["150.00"]
    assert await actual("booked", "2026-09-12T09:59:59.999999Z") == ["190.00"]
    assert await actual("booked", "2026-09-12T10:00:00Z") == ["150.00"]


async def test_daily_series_by_business_day_with_filters(module_api: Api, scenario: str) -> None:
    def day(date: str, booked: str, shipped: str, returned: str, net: str) -> dict[str, str]:
        return {"day": date, "booked": booked, "shipped": shipped, "returned": returned, "net": net}

    zero = "0.00"
    assert await items(module_api, "daily", scenario, **{"from": "2026-09-03", "to": "2026-09-06"}) == [
        day("2026-09-03", "150.00", zero, zero, zero),
        day("2026-09-04", zero, zero, zero, zero),
        day("2026-09-05", zero, "150.00", zero, "150.00"),
    ]
    assert await items(module_api, "daily", scenario, **{"from": "2026-09-10", "to": "2026-09-11"}) == [
        day("2026-09-10", zero, zero, "22.50", "-22.50")
    ]
    august_31 = {"from": "2026-08-31", "to": "2026-09-01"}
    assert await items(module_api, "daily", scenario, **august_31) == [
        day("2026-08-31", "20.33", zero, zero, zero)
    ]
    assert await items(module_api, "daily", scenario, team_id="north", **august_31) == [
        day("2026-08-31", zero, zero, zero, zero)
    ]
    september_21 = {"from": "2026-09-21", "to": "2026-09-22"}
    assert await items(module_api, "daily", scenario, channel="store", **september_21) == [
        day("2026-09-21", zero, "20.33", zero, "20.33")
    ]
    assert await items(module_api, "daily", scenario, channel="online", **september_21) == [
        day("2026-09-21", zero, zero, zero, zero)
    ]
    # times name the days they fall in, the end rounded up to a whole day
    assert await items(
        module_api, "daily", scenario, **{"from": "2026-09-05T10:00:00Z", "to": "2026-09-05T12:00:00Z"}
    ) == [day("2026-09-05", zero, "150.00", zero, "150.00")]


async def test_daily_defaults_to_the_last_30_days_up_to_today(module_api: Api, scenario: str) -> None:
    before = datetime.now(UTC).date()
    days = await items(module_api, "daily", scenario)
    after = datetime.now(UTC).date()
    assert len(days) == 30
    assert days[-1]["day"] in {before.isoformat(), after.isoformat()}
    assert days[0]["day"] == (datetime.fromisoformat(days[-1]["day"]) - timedelta(days=29)).date().isoformat()


async def test_business_time_buckets_in_the_ledger_timezone(make_api: AppFactory) -> None:
    api = await make_api(timezone="Europe/Berlin")
    position = await run(
        api,
        [
            *MASTER_DATA,
            # 23:30 UTC is already the next day in Berlin: 01:30 CEST on 10-01, 00:30 CET on 11-01
            (
                "place-order",
                order(
                    "SO-9",
                    "direct",
                    "north",
                    "2026-09-30T23:30:00Z",
                    [{"line_no": 1, "sku": "SKU-A", "qty": "2", "unit_price": "5.00"}],
                ),
            ),
            (
                "ship-order",
                {
                    "order_id": "SO-9",
                    "shipment_id": "SH-9",
                    "lines": [{"line_no": 1, "qty": "2"}],
                    "occurred_at": "2026-10-31T23:30:00Z",
                },
            ),
        ],
    )
    later = "2026-12-01T00:00:00Z"

    async def actual(period: str, basis: str) -> list[str]:
        found = await items(api, "attainment", position, period=period, basis=basis, as_of=later)
        return [item["actual"] for item in found]

    assert await actual("2026-09", "booked") == []
    assert await actual("2026-10", "booked") == ["10.00"]
    assert await actual("2026-10", "shipped") == []
    assert await actual("2026-11", "shipped") == ["10.00"]
    days = await items(api, "daily", position, **{"from": "2026-09-30", "to": "2026-10-02"})
    assert [(d["day"], d["booked"]) for d in days] == [("2026-09-30", "0.00"), ("2026-10-01", "10.00")]


@pytest.mark.parametrize(
    ("route", "params", "loc"),
    [
        ("attainment", {}, "period"),
        ("attainment", {"period": "2026-13"}, "period"),
        ("attainment", {"period": "2026-Q5"}, "period"),
        ("attainment", {"period": "26-11"}, "period"),
        ("attainment", {"period": "0000"}, "period"),
        ("attainment", {"period": "2026", "dimension": "region"}, "dimension"),
        ("attainment", {"period": "2026", "basis": "net"}, "basis"),
        ("attainment", {"period": "2026", "as_of": "yesterday"}, "as_of"),
        ("daily", {"from": "2026-09-10", "to": "2026-09-01"}, "to"),
        ("daily", {"from": "2026-02-30"}, "from"),
        ("daily", {"from": "2000-01-01", "to": "2026-01-01"}, "to"),
        ("daily", {"channel": "fax"}, "channel"),
        ("daily", {"team_id": "no spaces"}, "team_id"),
    ],
)
async def test_bad_query_parameters_are_422(
    module_api: Api, route: str, params: dict[str, str], loc: str
) -> None:
    status, body = await get(module_api, route, **params)
    assert status == 422
    assert body["errors"][0]["loc"] == ["query", loc]
