"""``GET /v1/plans/scorecard`` end to end on both logs, every figure worked out by hand in
``tests.support.plans_story`` (its docstring tells the business and what each KPI comes to).

Each KPI has two objectives, one on track and met, one off track and missed; others pin a
replaced objective, retired ones, one set after ``as_of``, nothing to measure, a quarter, a
span of years, the filters, paging and the refusals of bad parameters.
"""

from __future__ import annotations

from typing import Any

import pytest

from ledger.log import Position
from tests.support.plans_story import AFTER, BUSINESS, EXPECTED, MID, PLAN

from .conftest import Api


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
    return await run(module_api, [*BUSINESS, *PLAN])


async def get(api: Api, path: str, position: str | None = None, **params: str) -> tuple[int, Any]:
    if position is not None:
        params["min_position"] = position
    response = await api.client.get(path, params=params, headers=api.headers())
    return response.status, await response.json(content_type=None)


async def scorecard(api: Api, position: str, **params: str) -> dict[str, dict[str, Any]]:
    status, body = await get(api, "/v1/plans/scorecard", position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    ids = [item["objective_id"] for item in body["items"]]
    assert ids == sorted(ids)
    return {item["objective_id"]: item for item in body["items"]}


@pytest.mark.parametrize(
    ("when", "actual_at", "status_at"), [(MID, 3, 4), (AFTER, 5, 6)], ids=["mid", "after"]
)
async def test_every_kpi_measured_and_judged_on_track_off_track_met_missed(
    module_api: Api, scenario: str, when: str, actual_at: int, status_at: int
) -> None:
    found = await scorecard(module_api, scenario, as_of=when)
    for expected in EXPECTED:
        objective_id, kpi, target = expected[:3]
        assert found[objective_id] == {
            "objective_id": objective_id,
            "title": f"{kpi} {target}",
            "horizon": "short",
            "period": "2025-03",
            "kpi": kpi,
            "target": target,
            "actual": expected[actual_at],
            "status": expected[status_at],
        }, objective_id


async def test_a_replaced_objective_shows_the_version_in_force_and_retired_ones_are_left_out(
    module_api: Api, scenario: str
) -> None:
    mid = await scorecard(module_api, scenario, as_of=MID)
    assert (mid["RP-1"]["title"], mid["RP-1"]["target"], mid["RP-1"]["status"]) == (
        "first",
        "100",
        "on_track",
    )
    assert "RT-1" not in mid
    assert mid["RT-2"]["status"] == "on_track"  # retired only after MID
    assert "LT-1" not in mid  # set after MID
    after = await scorecard(module_api, scenario, as_of=AFTER)
    assert (after["RP-1"]["title"], after["RP-1"]["target"]) == ("second", "400")
    assert (after["RP-1"]["actual"], after["RP-1"]["status"]) == ("360.00", "missed")
    assert "RT-1" not in after
    assert "RT-2" not in after
    assert (after["LT-1"]["actual"], after["LT-1"]["status"]) == ("0.020000", "met")


async def test_nothing_to_measure_is_null_and_off_track_then_missed(module_api: Api, scenario: str) -> None:
    during = await scorecard(module_api, scenario, as_of="2025-05-15", period="2025-05")
    assert {k: (v["actual"], v["status"]) for k, v in during.items()} == {
        "NL-1": (None, "off_track"),
        "NL-2": (None, "off_track"),
        "NL-3": (None, "off_track"),
        "NL-4": (None, "off_track"),
        "NL-5": (None, "off_track"),
        "NL-6": (None, "off_track"),
        "NL-7": (None, "off_track"),
    }
    after = await scorecard(module_api, scenario, as_of="2025-06-10", period="2025-05")
    assert {k: (v["actual"], v["status"]) for k, v in after.items()} == {
        "NL-1": (None, "missed"),
        "NL-2": (None, "missed"),
        "NL-3": (None, "missed"),
        "NL-4": (None, "missed"),
        "NL-5": (None, "missed"),
        "NL-6": (None, "missed"),
        "NL-7": (None, "missed"),
    }


async def test_a_span_of_years_runs_from_its_first_years_start_to_its_last_years_end(
    module_api: Api, scenario: str
) -> None:
    # 2024-01-01 to 2026-01-01 is 731 days. At AFTER 465 have passed and 660.00 was sold:
    # forecast 660 * 731 / 465 = 1037.55. At MID 440 days and 560.00: 930.36.
    after = await scorecard(module_api, scenario, as_of=AFTER, horizon="long")
    assert {k: (v["period"], v["actual"], v["status"]) for k, v in after.items()} == {
        "SP-1": ("2024..2025", "660.00", "on_track"),
        "SP-2": ("2024..2025", None, "off_track"),  # 2022..2023 sold nothing to grow from
    }
    mid = await scorecard(module_api, scenario, as_of=MID, period="2024..2025")
    assert (mid["SP-1"]["actual"], mid["SP-1"]["status"]) == ("560.00", "off_track")
    ended = await scorecard(module_api, scenario, as_of="2026-01-01", period="2024..2025")
    assert (ended["SP-1"]["actual"], ended["SP-1"]["status"]) == ("660.00", "missed")


async def test_horizon_and_period_filter_by_exact_match(module_api: Api, scenario: str) -> None:
    medium = await scorecard(module_api, scenario, as_of=AFTER, horizon="medium")
    assert {k: (v["period"], v["actual"], v["status"]) for k, v in medium.items()} == {
        "QV-1": ("2025-Q1", "970.00", "met")  # the value at the quarter's end
    }
    assert await scorecard(module_api, scenario, as_of=MID, period="2025") == {}
    quarter = await scorecard(module_api, scenario, as_of=MID, period="2025-Q1")
    assert {k: (v["actual"], v["status"]) for k, v in quarter.items()} == {"QV-1": ("920.00", "on_track")}
    march = await scorecard(module_api, scenario, as_of=AFTER, period="2025-03", horizon="short")
    assert set(march) == {e[0] for e in EXPECTED} | {"RP-1", "LT-1"}


async def test_the_figures_are_those_the_reports_show(module_api: Api, scenario: str) -> None:
    """One definition per figure: the scorecard agrees with each report that shows it."""
    march = {"from": "2025-03-01", "to": "2025-04-01"}
    _, attainment = await get(module_api, "/v1/sales/attainment", scenario, period="2025-03", as_of=MID)
    assert (attainment["items"][0]["actual"], attainment["items"][0]["forecast"]) == ("260.00", "537.33")
    _, suppliers = await get(module_api, "/v1/suppliers/scorecard", scenario,
                             **{"from": "2025-03-01", "to": "2025-04-01", "as_of": AFTER})  # fmt: skip
    assert [s["otif_pct"] for s in suppliers["items"]] == ["66.67"]
    _, fulfilment = await get(module_api, "/v1/sales/fulfilment", scenario, **march)
    assert [f["otif_pct"] for f in fulfilment["items"]] == ["66.67"]
    _, valuation = await get(module_api, "/v1/inventory/valuation", scenario, as_of=MID)
    assert valuation["total_value"] == "920.00"
    _, summary = await get(module_api, "/v1/complaints/summary", scenario,
                           **{"from": "2025-03-01", "to": "2025-04-01", "as_of": AFTER})  # fmt: skip
    assert {s["severity"]: s["sla_compliance_pct"] for s in summary["items"]} == {
        "critical": "0.00", "high": "100.00", "medium": None, "low": "100.00"
    }  # fmt: skip
    _, trends = await get(module_api, "/v1/quality/trends", scenario,
                          **{"from": "2025-03-01", "to": "2025-04-01", "bucket": "month"})  # fmt: skip
    assert [(t["inspected_units"], t["defective_units"]) for t in trends["items"]] == [(200, 4)]
    _, satisfaction = await get(module_api, "/v1/customers/satisfaction", scenario, bucket="month", **march)
    assert [(b["csat_avg"], b["nps"]) for b in satisfaction["items"]] == [("3.50", "-25.00")]
    _, retention = await get(module_api, "/v1/customers/retention", scenario, period="2025-03")
    assert retention["repeat_rate_pct"] == "33.33"
    _, campaigns = await get(module_api, "/v1/marketing/campaigns", scenario, as_of=AFTER)
    assert [c["roas"] for c in campaigns["items"]] == ["1.50"]


async def test_pages_by_objective_id(module_api: Api, scenario: str) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"as_of": AFTER, "limit": "5", **({"cursor": cursor} if cursor else {})}
        status, body = await get(module_api, "/v1/plans/scorecard", scenario, **params)
        assert status == 200, body
        assert len(body["items"]) <= 5
        seen += [item["objective_id"] for item in body["items"]]
        cursor = body["cursor"]
        if cursor is None:
            break
    assert seen == sorted(await scorecard(module_api, scenario, as_of=AFTER))
    assert len(seen) == len(EXPECTED) + 12  # RP-1, LT-1, NL-1 to 7, QV-1, SP-1 and 2


async def test_answers_carry_a_position_that_covers_the_write(module_api: Api, scenario: str) -> None:
    response = await module_api.client.get(
        "/v1/plans/scorecard", params={"min_position": scenario}, headers=module_api.headers()
    )
    assert response.status == 200
    assert Position.from_token(response.headers["X-Ledger-Position"]).covers(Position.from_token(scenario))


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"horizon": "forever"}, "horizon"),
        ({"period": "2026-13"}, "period"),
        ({"period": "2028..2026"}, "period"),
        ({"period": "Q1"}, "period"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "0001-01-01"}, "as_of"),
        ({"limit": "0"}, "limit"),
        ({"limit": "x"}, "limit"),
    ],
)
async def test_bad_parameters_are_problems_not_errors(
    module_api: Api, scenario: str, params: dict[str, str], loc: str
) -> None:
    status, body = await get(module_api, "/v1/plans/scorecard", None, **params)
    assert status == 422, body
    assert [e["loc"] for e in body["errors"]] == [["query", loc]] or loc in str(body["errors"]), body


async def test_a_foreign_cursor_and_a_foreign_position_are_refused(module_api: Api, scenario: str) -> None:
    status, body = await get(module_api, "/v1/plans/scorecard", None, cursor="not-a-cursor")
    assert 400 <= status < 500, body
    status, body = await get(module_api, "/v1/plans/scorecard", "p2.garbage")
    assert 400 <= status < 500, body


async def test_needs_the_read_scope(module_api: Api, scenario: str) -> None:
    response = await module_api.client.get("/v1/plans/scorecard")
    assert response.status == 401


async def test_min_position_waits_for_every_read_model_it_reads(module_api: Api, scenario: str) -> None:
    written = Position.from_token(scenario)
    ahead = Position({tp: o + 1_000_000 for tp, o in written.items() if tp.topic.endswith(".sales")})
    status, body = await get(module_api, "/v1/plans/scorecard", ahead.token(), wait_ms="100")
    assert status == 503, body
    # Sales events are read by the sales, fulfilment and quality models among those it reads.
    assert "sales" in body["detail"]
    assert "fulfilment" in body["detail"]
    assert "purchasing" not in body["detail"]  # it reads no sales event
