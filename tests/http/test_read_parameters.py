"""Read parameters that must never reach a query unchecked: every time parameter of every read
route (found in /openapi.json, so a new route is covered too), periods, and every list's
cursor. Junk is a 422 naming the parameter, a foreign cursor a 400; a date is the start of that
day in LEDGER_TIMEZONE; times beyond the business window are refused before any date
arithmetic could overflow."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from ledger.http.openapi import document
from ledger.log import Position

from .conftest import Api, AppFactory

PROBLEM = "application/problem+json"

JUNK_TIMES = [
    "2026W01T09",
    "2026-W01",
    "2026-11-02T09:00:00",  # no offset
    "2026-11-02T09:00Z",  # no seconds
    "20261102T090000Z",
    "2026-13-01",
    "2026-02-30",
    "2026-11-02T24:00:00Z",
    "2026-11-02T09:00:60Z",
    "2026-11-02T09:00:00+24:00",
    "2026-11-02T09:00:00.1234567890Z",  # ten fractional digits
    "٢٠٢٦-١١-٠٢",  # digits, but not ASCII ones
    "2026-11-02T09:00:00Z\n",
    "2026-11-02\x00",
    "1e9",
    "now",
    "",
]
OUT_OF_WINDOW = [
    "0001-01-01T00:00:00+01:00",  # no such instant in UTC
    "9999-12-31T23:59:59-01:00",
    "9999-12-31",
    "0001-01-01",
    "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00.000001Z",
]
GOOD_TIMES = [
    "2026-11-02T09:00:00Z",
    "2026-11-02t09:00:00z",
    "2026-11-02T09:00:00.123456789+01:00",
    "2026-11-02T09:00:00 01:00",  # a "+" sent unescaped arrives as a space
    "2026-11-02T09:00:00-05:30",
    "2026-11-02",
    "1900-01-01T00:00:00Z",
    "3000-01-01T00:00:00Z",
]
# What a route needs besides the parameter under test, and the sku its path names.
BASE_PARAMS = {"/v1/sales/attainment": {"period": "2026-11"}}
SKU = "SKU-PARAM"


def time_parameters() -> list[tuple[str, str]]:
    """(path, parameter) for every query parameter of a read route that takes a time."""
    found = []
    for path, operations in document()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("format") in ("date-time", "date"):
                found.append((path.replace("{sku}", SKU), parameter["name"]))
    return found


async def get(api: Api, path: str, params: dict[str, str]) -> tuple[int, str, Any]:
    response = await api.client.get(path, params=params, headers=api.headers())
    return response.status, response.content_type, await response.json(content_type=None)


def assert_names(status: int, content_type: str, body: Any, name: str, case: object) -> None:
    assert (status, content_type) == (422, PROBLEM), (case, status, body)
    assert body["status"] == 422, (case, body)
    assert ["query", name] in [error["loc"] for error in body["errors"]], (case, body)
    assert name in body["detail"], (case, body)


@pytest.fixture(scope="module")
async def product(module_api: Api) -> Api:
    status, answer = await module_api.command(
        "register-product", {"sku": SKU, "name": "Param", "uom": "ea", "category": "parts"}
    )
    assert status in (201, 409), answer
    return module_api


def test_every_read_time_parameter_is_found() -> None:
    assert {name for _, name in time_parameters()} >= {"as_of", "from", "to"}
    assert len(time_parameters()) >= 12


async def test_junk_in_any_time_parameter_is_422_naming_it(product: Api) -> None:
    for path, name in time_parameters():
        for junk in JUNK_TIMES:
            answer = await get(product, path, {**BASE_PARAMS.get(path, {}), name: junk})
            assert_names(*answer, name, (path, name, junk))


async def test_times_beyond_the_business_window_are_422_naming_the_parameter(product: Api) -> None:
    for path, name in time_parameters():
        for far in OUT_OF_WINDOW:
            status, content_type, body = await get(product, path, {**BASE_PARAMS.get(path, {}), name: far})
            assert_names(status, content_type, body, name, (path, name, far))
            assert "1900-01-01" in body["errors"][0]["msg"], body


async def test_every_rfc3339_spelling_and_a_date_are_accepted(product: Api) -> None:
    for path, name in time_parameters():
        for good in GOOD_TIMES:
            status, _, body = await get(product, path, {**BASE_PARAMS.get(path, {}), name: good})
            assert status == 200, (path, name, good, body)


@pytest.mark.parametrize(
    ("period", "ok"),
    [
        ("9999-12", False),
        ("9999", False),
        ("0000", False),
        ("0001-Q1", False),
        ("1899-12", False),
        ("3000", False),
        ("2026..2028", False),
        ("2026-Q5", False),
        ("2026-00", False),
        ("2026-11\n", False),
        ("", False),
        ("1900", True),
        ("2999-Q4", True),
        ("2026-11", True),
    ],
)
async def test_periods_outside_the_window_or_misspelt_are_422(module_api: Api, period: str, ok: bool) -> None:
    status, content_type, body = await get(module_api, "/v1/sales/attainment", {"period": period})
    if ok:
        assert status == 200, body
    else:
        assert_names(status, content_type, body, "period", period)


async def test_a_date_is_the_start_of_that_day_in_the_ledger_time_zone(make_api: AppFactory) -> None:
    api = await make_api(timezone="America/New_York")
    seen = Position.empty()
    for name, body in [
        ("register-location", {"location_id": "WH-NY", "name": "NY", "kind": "warehouse"}),
        ("register-product", {"sku": "SKU-TZ", "name": "TZ", "uom": "ea", "category": "parts"}),
        # 23:30 on 1 March in New York, 04:30 on 2 March in UTC
        ("receive-stock", {"receipt_id": "R-1", "sku": "SKU-TZ", "location_id": "WH-NY", "qty": "5",
                           "occurred_at": "2026-03-01T23:30:00-05:00"}),
        # 00:30 on 2 March in New York
        ("receive-stock", {"receipt_id": "R-2", "sku": "SKU-TZ", "location_id": "WH-NY", "qty": "7",
                           "occurred_at": "2026-03-02T00:30:00-05:00"}),
    ]:  # fmt: skip
        status, answer = await api.command(name, body)
        assert status == 201, answer
        seen = seen.merge(Position.from_token(answer["position"]))
    wait = {"min_position": seen.token()}

    _, _, levels = await get(api, "/v1/inventory", {**wait, "sku": "SKU-TZ", "as_of": "2026-03-02"})
    assert [item["on_hand"] for item in levels["items"]] == ["5"]
    _, _, later = await get(api, "/v1/inventory/SKU-TZ/movements", {**wait, "from": "2026-03-02"})
    assert [item["document_id"] for item in later["items"]] == ["R-2"]
    _, _, earlier = await get(api, "/v1/inventory/SKU-TZ/movements", {**wait, "to": "2026-03-02"})
    assert [item["document_id"] for item in earlier["items"]] == ["R-1"]


def cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


TIME = "2026-11-02T09:00:00+00:00"
FOREIGN_CURSORS: dict[str, list[Any]] = {
    "/v1/streams/product:SKU-1/events": [
        [3000000000],
        [2**31],
        [-1],
        [0],
        [True],
        [1.5],
        ["1"],
        [],
        [1, 2],
        [None],
    ],
    "/v1/inventory": [
        ["SKU\x00", "WH-A"],
        ["S" * 65, "WH-A"],
        ["SKU-1"],
        [1, 2],
        ["SKU-1", "WH-A", "x"],
    ],
    f"/v1/inventory/{SKU}/movements": [
        ["0001-01-01T00:00:00+01:00", "stock:A@B", 1, 0],  # no such instant
        ["9999-12-31T23:59:59-01:00", "stock:A@B", 1, 0],
        ["2026-11-02T09:00:00", "stock:A@B", 1, 0],
        ["2026-11-02", "stock:A@B", 1, 0],
        [TIME, "stock:A@B", 2**31, 0],
        [TIME, "stock:A@B", 0, 0],
        [TIME, "stock:A@B", 1, 2],
        [TIME, "stock:A@B", 1, True],
        [TIME, "order:A", 1, 0],
        [TIME, "stock:A@B", "1", 0],
    ],
    "/v1/complaints": [
        [TIME, "C\n"],
        ["yesterday", "C-1"],
        [9, "C-1"],
        ["0001-01-01T00:00:00+01:00", "C-1"],
        ["2026-11-02T09:00:00", "C-1"],
        [TIME],
    ],
}
NOT_CURSORS = ["!!!", "e30", "bnVsbA", "WzEsMl0=====", "x" * 5000, "w6k", "__8", "WzFd\n"]


async def test_cursors_with_values_this_ledger_never_issued_are_400(product: Api) -> None:
    for path, values in FOREIGN_CURSORS.items():
        for value in values:
            cases = [(value, cursor(value))] + [(raw, raw) for raw in NOT_CURSORS]
            for case, raw in cases:
                status, content_type, body = await get(product, path, {"cursor": raw})
                assert (status, content_type) == (400, PROBLEM), (path, case, body)
                assert body["type"].endswith("invalid-cursor"), (path, case, body)


async def test_the_audit_cursor_of_issue_10_is_a_400(module_api: Api) -> None:
    status, _, body = await get(module_api, "/v1/streams/product:X/events", {"cursor": "WzMwMDAwMDAwMDBd"})
    assert status == 400, body
