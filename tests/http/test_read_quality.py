"""The quality read routes end to end: commands in, trends, p-chart, Pareto and complaint rate out.

Every expectation is worked out by hand in the test from the commands it sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from ledger.log import Position

from .conftest import Api, AppFactory


def _reached(*bodies: dict[str, Any]) -> str:
    """The position covering every command answered (each names only its own partitions)."""
    return reduce(Position.merge, (Position.from_token(b["position"]) for b in bodies)).token()


async def _all_accepted(api: Api, items: list[tuple[str, dict[str, Any]]]) -> str:
    status, body = await api.batch([{"name": name, "body": b} for name, b in items])
    assert status == 207, body
    assert [r["status"] for r in body["results"]] == [201] * len(items), body
    return _reached(*(r["body"] for r in body["results"]))


async def _get(api: Api, path: str, position: str, **params: str) -> tuple[int, Any]:
    response = await api.client.get(
        f"/v1/quality/{path}", params={"min_position": position, **params}, headers=api.headers()
    )
    return response.status, await response.json(content_type=None)


def _inspection(
    inspection_id: str,
    lot_id: str,
    occurred_at: str,
    sample_size: int,
    defective: int,
    disposition: str = "accept",
    **extra: Any,
) -> tuple[str, dict[str, Any]]:
    body = {
        "inspection_id": inspection_id,
        "lot_id": lot_id,
        "sku": extra.pop("sku", "SKU-Q"),
        "stage": extra.pop("stage", "incoming"),
        "sample_size": sample_size,
        "defective_units": defective,
        "disposition": disposition,
        "occurred_at": occurred_at,
        **extra,
    }
    return ("record-inspection", body)


# Montgomery, D. C., Introduction to Statistical Quality Control (6th ed., Wiley 2009), Example 7.1
# and Table 7.1: frozen orange juice concentrate cans inspected for leaky seals, 30 samples of
# n = 50 taken at half-hour intervals. Published trial limits: p̄ = 0.2313, UCL = 0.4102,
# LCL = 0.0524; samples 15 and 23 plot above the UCL.
ORANGE_JUICE_NONCONFORMING = (
    12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
    8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6,
)  # fmt: skip


async def test_control_chart_reproduces_montgomerys_orange_juice_can_p_chart(api: Api) -> None:
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    samples = [
        _inspection(
            f"OJ-{i:02}",
            f"CAN-LOT-{i:02}",
            (start + timedelta(minutes=30 * (i - 1))).isoformat(),
            50,
            d,
            sku="OJ-CAN",
            stage="final",
        )
        for i, d in enumerate(ORANGE_JUICE_NONCONFORMING, start=1)
    ]
    product = {"sku": "OJ-CAN", "name": "6 oz can", "uom": "ea", "category": "cans"}
    # Recorded last sample first: the chart must follow business time, not arrival.
    position = await _all_accepted(api, [("register-product", product), *reversed(samples)])

    status, chart = await _get(api, "control-chart", position, sku="OJ-CAN")
    assert status == 200, chart
    assert Decimal(chart["center_line"]).quantize(Decimal("0.0001")) == Decimal("0.2313")  # 347 / 1500
    points = chart["subgroups"]
    assert [p["key"] for p in points] == [f"OJ-{i:02}" for i in range(1, 31)]
    assert all(p["n"] == 50 for p in points)
    assert [p["defective"] for p in points] == list(ORANGE_JUICE_NONCONFORMING)
    assert {Decimal(p["ucl"]).quantize(Decimal("0.0001")) for p in points} == {Decimal("0.4102")}
    assert {Decimal(p["lcl"]).quantize(Decimal("0.0001")) for p in points} == {Decimal("0.0524")}
    assert (points[14]["p"], points[22]["p"]) == ("0.440000", "0.480000")  # 22 / 50, 24 / 50
    beyond = [i for i, p in enumerate(points, start=1) if "beyond_3_sigma" in p["rules"]]
    assert beyond == [15, 23]
    # By hand, with sigma = 0.0596 for every sample (2 sigma above at 0.3505, 1 sigma at 0.2909):
    # 21, 22, 23 (20, 18, 24 of 50) are beyond 2 sigma, so 22 and 23 complete 2 of 3; samples
    # 21 to 24 (20, 18, 24, 15) are beyond 1 sigma with 20 (11) inside, so 24 completes 4 of 5.
    # No run of 8 on one side (the longest is 4: samples 21 to 24).
    assert {i: p["rules"] for i, p in enumerate(points, start=1) if p["rules"]} == {
        15: ["beyond_3_sigma"],
        22: ["2_of_3_beyond_2_sigma"],
        23: ["beyond_3_sigma", "2_of_3_beyond_2_sigma"],
        24: ["4_of_5_beyond_1_sigma"],
    }
    assert [i for i, p in enumerate(points, start=1) if p["out_of_control"]] == [15, 22, 23, 24]

    # All 30 samples fall on 2 March (UTC): one daily subgroup holding them all.
    status, daily = await _get(api, "control-chart", position, sku="OJ-CAN", subgroup="day")
    assert status == 200
    assert daily["subgroups"] == [
        {
            "key": "2026-03-02T00:00:00Z",
            "n": 1500,
            "defective": 347,
            "p": "0.231333",
            "ucl": daily["subgroups"][0]["ucl"],
            "lcl": daily["subgroups"][0]["lcl"],
            "out_of_control": False,
            "rules": [],
        }
    ]
    # sigma = sqrt(0.231333 * 0.768667 / 1500) = 0.010888: limits 0.26400 and 0.19867.
    assert Decimal(daily["subgroups"][0]["ucl"]).quantize(Decimal("0.001")) == Decimal("0.264")
    assert Decimal(daily["subgroups"][0]["lcl"]).quantize(Decimal("0.001")) == Decimal("0.199")

    status, other = await _get(api, "control-chart", position, sku="NO-SUCH-SKU")
    assert (status, other) == (200, {"center_line": None, "subgroups": []})


async def _inspected_lots(api: Api) -> str:
    """Two suppliers' lots inspected around the end of daylight saving time in New York.

    In America/New_York, 2026-11-01 is a Sunday and clocks fall back at 02:00 that day, so its
    midnight is at -04:00 and 2 November's at -05:00. I-1 is on 1 November local (22:00),
    the others on 2 November local. I-1 and I-3 both reject lot L-1; I-4 rejects L-9.
    """
    first_defects = [{"category": "scratch", "count": 2}, {"category": "dent", "count": 1}]
    final_defects = [
        {"category": "scratch", "count": 1},
        {"category": "crack", "count": 3},
        {"category": "dent", "count": 0},
    ]
    receipt = {"sku": "SKU-Q", "location_id": "WH-A"}
    sup_a = {"supplier_id": "SUP-A"}
    product = {"sku": "SKU-Q", "name": "Q", "uom": "ea", "category": "q", "requires_inspection": True}
    return await _all_accepted(
        api,
        [
            ("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
            ("register-supplier", {"supplier_id": "SUP-A", "name": "A"}),
            ("register-supplier", {"supplier_id": "SUP-B", "name": "B"}),
            ("register-product", product),
            ("receive-stock", {**receipt, "receipt_id": "R-1", "qty": "100", "lot_id": "L-1"} | sup_a),
            # No lot id: the receipt is quarantined as lot R-2, so I-2 is SUP-B's through it.
            ("receive-stock", {**receipt, "receipt_id": "R-2", "qty": "50", "supplier_id": "SUP-B"}),
            _inspection("I-1", "L-1", "2026-11-02T03:00:00Z", 32, 1, "reject", defects=first_defects),
            _inspection("I-2", "R-2", "2026-11-02T15:00:00Z", 30, 1, "accept"),
            # Its own supplier wins over its lot's (SUP-A through R-1).
            _inspection(
                "I-3",
                "L-1",
                "2026-11-02T16:00:00Z",
                10,
                3,
                "reject",
                stage="final",
                supplier_id="SUP-B",
                defects=final_defects,
            ),
            _inspection("I-4", "L-9", "2026-11-02T17:00:00Z", 5, 0, "reject"),
        ],
    )


def _bucket(
    start: str, inspections: int, inspected: int, defective: int, rate: str, rejected: int
) -> dict[str, Any]:
    return {
        "bucket": start,
        "inspections": inspections,
        "inspected_units": inspected,
        "defective_units": defective,
        "defect_rate": rate,
        "rejected_lots": rejected,
    }


async def test_trends_bucket_by_local_day_week_and_month_and_filter_by_supplier_stage_and_time(
    make_api: AppFactory,
) -> None:
    api = await make_api(timezone="America/New_York")
    position = await _inspected_lots(api)
    nov_1 = _bucket("2026-11-01T00:00:00-04:00", 1, 32, 1, "0.0313", 1)  # 1 / 32 = 0.03125, half up
    nov_2 = _bucket("2026-11-02T00:00:00-05:00", 3, 45, 4, "0.0889", 2)  # I-2, I-3, I-4: 4 / 45

    async def trends(**params: str) -> list[dict[str, Any]]:
        status, body = await _get(api, "trends", position, **params)
        assert status == 200, body
        assert body["cursor"] is None
        return list(body["items"])

    assert await trends() == [nov_1, nov_2]
    assert await trends(bucket="week") == [{**nov_1, "bucket": "2026-10-26T00:00:00-04:00"}, nov_2]
    # 5 / 77 = 0.06494; L-1 rejected twice counts once.
    assert await trends(bucket="month") == [_bucket("2026-11-01T00:00:00-04:00", 4, 77, 5, "0.0649", 2)]
    assert await trends(supplier_id="SUP-A") == [nov_1]
    assert await trends(supplier_id="SUP-B") == [_bucket("2026-11-02T00:00:00-05:00", 2, 40, 4, "0.1000", 1)]
    assert await trends(stage="final") == [_bucket("2026-11-02T00:00:00-05:00", 1, 10, 3, "0.3000", 1)]
    assert await trends(**{"from": "2026-11-02T15:30:00Z"}) == [
        _bucket("2026-11-02T00:00:00-05:00", 2, 15, 3, "0.2000", 2)
    ]
    assert await trends(to="2026-11-02T15:00:00Z", sku="SKU-Q") == [nov_1]
    assert await trends(sku="OTHER") == []

    status, body = await _get(api, "pareto", position)
    assert status == 200
    # scratch 2 + 1, crack 3, dent 1 + 0 of 7; a tie goes by name; running shares are not sums of
    # rounded shares (6 / 7 = 0.857142...).
    assert body == {
        "items": [
            {"category": "crack", "count": 3, "share": "0.4286", "cumulative_share": "0.4286"},
            {"category": "scratch", "count": 3, "share": "0.4286", "cumulative_share": "0.8571"},
            {"category": "dent", "count": 1, "share": "0.1429", "cumulative_share": "1.0000"},
        ],
        "cursor": None,
    }
    status, body = await _get(api, "pareto", position, **{"from": "2026-11-02T12:00:00Z"})
    assert body["items"] == [
        {"category": "crack", "count": 3, "share": "0.7500", "cumulative_share": "0.7500"},
        {"category": "scratch", "count": 1, "share": "0.2500", "cumulative_share": "1.0000"},
    ]


async def test_bad_query_parameters_are_422_problems(api: Api) -> None:
    _, body = await api.command("register-supplier", {"supplier_id": "SUP-X", "name": "X"})
    bad = [
        ("trends", {"bucket": "year"}),
        ("trends", {"stage": "shipping"}),
        ("trends", {"sku": "no spaces"}),
        ("trends", {"from": "yesterday"}),
        ("trends", {"from": "2026-11-02T10:00:00"}),
        ("trends", {"from": "0001-01-01T00:00:00+05:00"}),
        ("trends", {"from": "2026-11-03T00:00:00Z", "to": "2026-11-02T00:00:00Z"}),
        ("control-chart", {"subgroup": "month"}),
        ("control-chart", {"supplier_id": "x" * 65}),
        ("pareto", {"to": "2026-13-01T00:00:00Z"}),
        ("complaint-rate", {"bucket": "quarter"}),
    ]
    for path, params in bad:
        status, problem = await _get(api, path, body["position"], **params)
        assert status == 422, (path, params, problem)
        assert problem["errors"][0]["loc"][0] == "query"


async def test_complaint_rate_is_complaints_per_thousand_units_shipped_per_month(api: Api) -> None:
    stock = {"location_id": "WH-A", "qty": "500"}
    order = {
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [
            {"line_no": 1, "sku": "SKU-C", "qty": "420", "unit_price": "2"},
            {"line_no": 2, "sku": "SKU-D", "qty": "100.5", "unit_price": "3"},
        ],
        "occurred_at": "2026-10-01T09:00:00Z",
    }

    def complaint(complaint_id: str, at: str, **sku: str) -> tuple[str, dict[str, Any]]:
        body = {"complaint_id": complaint_id, "customer_id": "CUS-1", "channel": "email"}
        body |= {"category": "leak", "severity": "low", "description": "leaks", "occurred_at": at}
        return ("file-complaint", body | sku)

    def ship(shipment_id: str, at: str, *lines: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return (
            "ship-order",
            {"order_id": "SO-1", "shipment_id": shipment_id, "lines": list(lines), "occurred_at": at},
        )

    position = await _all_accepted(
        api,
        [
            ("register-location", {"location_id": "WH-A", "name": "A", "kind": "warehouse"}),
            ("register-product", {"sku": "SKU-C", "name": "C", "uom": "ea", "category": "c"}),
            ("register-product", {"sku": "SKU-D", "name": "D", "uom": "ea", "category": "d"}),
            ("register-customer", {"customer_id": "CUS-1", "name": "Cus"}),
            ("register-team", {"team_id": "north", "name": "North"}),
            ("receive-stock", {**stock, "receipt_id": "R-C", "sku": "SKU-C"}),
            ("receive-stock", {**stock, "receipt_id": "R-D", "sku": "SKU-D"}),
            ("place-order", order),
            # October: 320 of SKU-C. The end of October UTC is still October.
            ship("SH-1", "2026-10-31T23:59:59Z", {"line_no": 1, "qty": "320"}),
            ship("SH-2", "2026-11-03T10:00:00Z", {"line_no": 1, "qty": "100"}, {"line_no": 2, "qty": 100.5}),
            complaint("C-1", "2026-10-20T10:00:00Z", sku="SKU-C"),
            complaint("C-2", "2026-11-05T10:00:00Z"),
            complaint("C-3", "2026-11-06T10:00:00Z", sku="SKU-D"),
            complaint("C-4", "2026-12-01T00:00:00Z", sku="SKU-C"),
        ],
    )

    status, body = await _get(api, "complaint-rate", position)
    assert status == 200, body
    assert body["cursor"] is None
    # October 1 / 320 * 1000 = 3.125 (half up 3.13); November 2 / 200.5 * 1000 = 9.975..;
    # December has a complaint but nothing shipped.
    assert body["items"] == [
        _rate("2026-10-01T00:00:00Z", 1, "320", "3.13"),
        _rate("2026-11-01T00:00:00Z", 2, "200.5", "9.98"),
        _rate("2026-12-01T00:00:00Z", 1, "0", None),
    ]
    status, body = await _get(api, "complaint-rate", position, sku="SKU-C", bucket="day")
    assert body["items"] == [
        _rate("2026-10-20T00:00:00Z", 1, "0", None),
        _rate("2026-10-31T00:00:00Z", 0, "320", "0.00"),
        _rate("2026-11-03T00:00:00Z", 0, "100", "0.00"),
        _rate("2026-12-01T00:00:00Z", 1, "0", None),
    ]

    status, chart = await _get(api, "control-chart", position)
    assert (status, chart) == (200, {"center_line": None, "subgroups": []})


def _rate(bucket: str, complaints: int, units: str, per_thousand: str | None) -> dict[str, Any]:
    return {"bucket": bucket, "complaints": complaints, "units_shipped": units, "per_thousand": per_thousand}
