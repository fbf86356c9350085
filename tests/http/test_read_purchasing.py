"""The purchasing read routes end to end on both logs: the purchasing story in through the
commands, purchase orders and the supplier scorecard out, at several ``as_of``.

Every expectation is worked out by hand from the story (``tests.support.purchasing_story``,
whose docstring lists it); the arithmetic is written next to each figure.
"""

from __future__ import annotations

import asyncio
import base64
import json
from functools import reduce
from typing import Any

import pytest

from ledger.log import Position
from tests.support.purchasing_story import OVER_RECEIPT, SETUP, STORY

from .conftest import Api, AppFactory
from .logs import appends_nothing

PROBLEM = "application/problem+json"
MONTH = {"from": "2026-03-01", "to": "2026-04-01"}


def _reached(*bodies: dict[str, Any]) -> str:
    return reduce(Position.merge, (Position.from_token(b["position"]) for b in bodies)).token()


@pytest.fixture(scope="module")
async def story(module_api: Api) -> tuple[Api, str]:
    """The story told once per log; the position covering all of it."""
    status, body = await module_api.batch([{"name": name, "body": b} for name, b in STORY])
    assert status == 207, body
    assert [r["status"] for r in body["results"]] == [201] * len(STORY), body
    return module_api, _reached(*(r["body"] for r in body["results"]))


async def _get(api: Api, path: str, position: str, **params: str) -> tuple[int, Any]:
    response = await api.client.get(path, params={"min_position": position, **params}, headers=api.headers())
    body = await response.json(content_type=None)
    if response.status == 200:
        assert response.headers["X-Ledger-Position"]
    return response.status, body


async def _orders(api: Api, position: str, **params: str) -> list[dict[str, Any]]:
    status, body = await _get(api, "/v1/purchasing/orders", position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


async def _scores(api: Api, position: str, **params: str) -> dict[str, dict[str, Any]]:
    status, body = await _get(api, "/v1/suppliers/scorecard", position, **params)
    assert status == 200, body
    assert body["cursor"] is None
    return {item.pop("supplier_id"): item for item in body["items"]}


def _line(line_no: int, sku: str, ordered: str, received: str, cancelled: str, open_: str) -> dict[str, Any]:
    return {
        "line_no": line_no,
        "sku": sku,
        "ordered": ordered,
        "received": received,
        "cancelled": cancelled,
        "open": open_,
    }


def _po(
    po_id: str, supplier: str, due: str, status: str, amount: str, overdue: bool, *lines: dict[str, Any]
) -> dict[str, Any]:
    return {
        "po_id": po_id,
        "supplier_id": supplier,
        "deliver_to": "WH-A",
        "expected_at": due,
        "status": status,
        "amount": amount,
        "lines": list(lines),
        "overdue": overdue,
    }


# As of 2026-03-15 00:00 UTC.
PO_1 = _po(
    "PO-1", "SUP-A", "2026-03-06T09:00:00Z", "received", "26.01", False,  # 25.00 + (3 x 0.335 -> 1.01)
    _line(1, "SKU-1", "10", "10", "0", "0"),  # 4 + 6
    _line(2, "SKU-2", "3", "3", "0", "0"),
)  # fmt: skip
PO_2 = _po(
    "PO-2", "SUP-A", "2026-03-09T12:00:00Z", "received", "40.00", False,
    _line(1, "SKU-1", "20", "20", "0", "0"),  # 8 + 12
)  # fmt: skip
PO_3 = _po(
    "PO-3", "SUP-A", "2026-03-10T09:00:00Z", "cancelled", "25.00", False,  # 10 x 1.00 + 5 x 3.00
    _line(1, "SKU-2", "10", "6", "4", "0"),  # half received, then the rest cancelled
    _line(2, "SKU-1", "5", "0", "5", "0"),
)  # fmt: skip
PO_4 = _po(
    "PO-4", "SUP-B", "2026-03-12T09:00:00Z", "open", "220.00", True,  # 50 x 4.00 + 10 x 2.00
    _line(1, "SKU-Q", "50", "50", "0", "0"),
    _line(2, "SKU-1", "10", "0", "0", "10"),
)  # fmt: skip
PO_5 = _po(
    "PO-5", "SUP-B", "2026-03-20T09:00:00Z", "open", "7.00", False, _line(1, "SKU-1", "7", "0", "0", "7")
)
PO_6 = _po(
    "PO-6", "SUP-C", "2026-04-05T09:00:00Z", "open", "3.00", False, _line(1, "SKU-2", "2", "0", "0", "2")
)
PO_7 = _po(
    "PO-7", "SUP-E", "2026-03-10T09:00:00Z", "open", "3.00", True, _line(1, "SKU-2", "3", "0", "0", "3")
)
MID_MARCH = "2026-03-15T00:00:00Z"


async def test_purchase_orders_as_they_stood_in_the_middle_of_march(story: tuple[Api, str]) -> None:
    api, position = story
    assert await _orders(api, position, as_of=MID_MARCH) == [PO_1, PO_2, PO_3, PO_4, PO_5, PO_6, PO_7]
    assert await _orders(api, position, as_of=MID_MARCH, status="open") == [PO_4, PO_5, PO_6, PO_7]
    assert await _orders(api, position, as_of=MID_MARCH, status="received") == [PO_1, PO_2]
    assert await _orders(api, position, as_of=MID_MARCH, status="cancelled") == [PO_3]
    assert await _orders(api, position, as_of=MID_MARCH, supplier_id="SUP-B") == [PO_4, PO_5]
    assert await _orders(api, position, as_of=MID_MARCH, overdue="true") == [PO_4, PO_7]
    assert await _orders(api, position, as_of=MID_MARCH, overdue="false", status="open") == [PO_5, PO_6]
    assert await _orders(api, position, as_of=MID_MARCH, supplier_id="SUP-D") == []


async def test_as_of_leaves_out_later_orders_receipts_and_cancellations(story: tuple[Api, str]) -> None:
    api, position = story
    # 2 March 11:00: only PO-1 (09:00) and PO-6 (10:00) are placed; nothing is received yet.
    early = await _orders(api, position, as_of="2026-03-02T11:00:00Z")
    nothing_yet = [_line(1, "SKU-1", "10", "0", "0", "10"), _line(2, "SKU-2", "3", "0", "0", "3")]
    assert early == [{**PO_1, "status": "open", "lines": nothing_yet}, PO_6]
    # 7 March: PO-1 complete (6 more on 5 March); PO-3 half received (6 on 6 March), its
    # cancellation (8 March) not yet; PO-2 not due until 9 March 12:00; PO-7 until 10 March.
    by_id = {po["po_id"]: po for po in await _orders(api, position, as_of="2026-03-07T00:00:00Z")}
    assert by_id["PO-1"] == PO_1
    assert by_id["PO-3"] == {
        **PO_3,
        "status": "open",
        "lines": [_line(1, "SKU-2", "10", "6", "0", "4"), _line(2, "SKU-1", "5", "0", "0", "5")],
    }
    assert by_id["PO-2"] == {**PO_2, "status": "open", "lines": [_line(1, "SKU-1", "20", "0", "0", "20")]}
    assert (by_id["PO-4"]["overdue"], by_id["PO-7"]["overdue"]) == (False, False)
    # 10 March 00:00: PO-2 past its 9 March 12:00 with all 20 open; PO-3 cancelled on 8 March.
    by_id = {po["po_id"]: po for po in await _orders(api, position, as_of="2026-03-10T00:00:00Z")}
    assert by_id["PO-2"] == {
        **PO_2,
        "status": "open",
        "overdue": True,
        "lines": [_line(1, "SKU-1", "20", "0", "0", "20")],
    }
    assert by_id["PO-3"] == PO_3
    # 10 March 15:00: 8 received at 12:00, 12 still open, still overdue.
    by_id = {po["po_id"]: po for po in await _orders(api, position, as_of="2026-03-10T15:00:00Z")}
    assert by_id["PO-2"] == {
        **PO_2,
        "status": "open",
        "overdue": True,
        "lines": [_line(1, "SKU-1", "20", "8", "0", "12")],
    }


async def test_overdue_starts_after_expected_at_and_now_is_the_default(story: tuple[Api, str]) -> None:
    api, position = story
    at_due = await _orders(api, position, as_of="2026-03-10T09:00:00Z", supplier_id="SUP-E")
    assert [po["overdue"] for po in at_due] == [False]  # by expected_at is not after it
    after_due = await _orders(api, position, as_of="2026-03-10T09:00:01Z", supplier_id="SUP-E")
    assert [po["overdue"] for po in after_due] == [True]
    # Now (after 5 April): PO-5 and PO-6 are past due too.
    now = await _orders(api, position, overdue="true")
    assert now == [PO_4, {**PO_5, "overdue": True}, {**PO_6, "overdue": True}, PO_7]


async def test_pages_follow_the_cursor_through_every_order(story: tuple[Api, str]) -> None:
    api, position = story
    seen: list[dict[str, Any]] = []
    params = {"as_of": MID_MARCH, "limit": "3"}
    for _ in range(5):
        status, body = await _get(api, "/v1/purchasing/orders", position, **params)
        assert status == 200, body
        seen += body["items"]
        if body["cursor"] is None:
            break
        params["cursor"] = body["cursor"]
    assert seen == [PO_1, PO_2, PO_3, PO_4, PO_5, PO_6, PO_7]
    status, body = await _get(api, "/v1/suppliers/scorecard", position, as_of=MID_MARCH, limit="2", **MONTH)
    assert status == 200, body
    assert [i["supplier_id"] for i in body["items"]] == ["SUP-A", "SUP-B"]
    status, rest = await _get(
        api, "/v1/suppliers/scorecard", position, as_of=MID_MARCH, cursor=body["cursor"], **MONTH
    )
    assert status == 200, rest
    assert ([i["supplier_id"] for i in rest["items"]], rest["cursor"]) == (["SUP-D", "SUP-E"], None)


async def test_an_over_receipt_is_refused_and_records_nothing(story: tuple[Api, str]) -> None:
    api, position = story
    name, body = OVER_RECEIPT
    async with appends_nothing(api):
        status, answer = await api.command(name, body)
    assert status == 409, answer
    assert answer["type"].endswith("over-receipt")
    assert await _orders(api, position, as_of=MID_MARCH, status="received") == [PO_1, PO_2]


def _score(
    lines: int,
    pcts: tuple[str | None, str | None, str | None],
    lead: str | None,
    inspected: int = 0,
    defective: int = 0,
    rate: str | None = None,
    rejected: int = 0,
) -> dict[str, Any]:
    on_time, in_full, otif = pcts
    return {
        "lines": lines,
        "on_time_pct": on_time,
        "in_full_pct": in_full,
        "otif_pct": otif,
        "lead_time_days": lead,
        "inspected_units": inspected,
        "defective_units": defective,
        "defect_rate": rate,
        "rejected_lots": rejected,
    }


NONE = (None, None, None)


async def test_the_scorecard_of_march_in_the_middle_of_march(story: tuple[Api, str]) -> None:
    api, position = story
    assert await _scores(api, position, as_of=MID_MARCH, **MONTH) == {
        # PO-1 line 1 (on time, by its second receipt: 3.25 days), PO-1 line 2 (on time, 2.00),
        # PO-2 (late: 9.25), PO-3's two lines (remainders cancelled: neither). 2 / 5, 3 / 5, 2 / 5;
        # lead (3.25 + 2.00 + 9.25) / 3 = 4.8333. Inspections: I-2 of lot R-8, 1 of 12 = 0.083333.
        "SUP-A": _score(5, ("40.00", "60.00", "40.00"), "4.83", 12, 1, "0.083333", 0),
        # PO-4 line 1 early (1.00 day), line 2 open and past due; PO-5 not due yet: not counted.
        # I-1 of lot L-B1 rejected, 3 of 32 = 0.09375; I-4 (final) does not count.
        "SUP-B": _score(2, ("50.00", "50.00", "50.00"), "1.00", 32, 3, "0.093750", 1),
        # No PO lines; L-D1 inspected, nothing defective.
        "SUP-D": _score(0, NONE, None, 8, 0, "0.000000", 0),
        # PO-7 open and past due; no lot of its inspected.
        "SUP-E": _score(1, ("0.00", "0.00", "0.00"), None),
        # SUP-C (PO-6 due in April) has nothing in the window: left out.
    }


async def test_the_scorecard_judged_earlier_leaves_out_what_was_not_yet_due(story: tuple[Api, str]) -> None:
    api, position = story
    assert await _scores(api, position, as_of="2026-03-08T00:00:00Z", **MONTH) == {
        # PO-1's lines only: PO-2 and PO-3 are open and not yet due (PO-3 cancelled on 8 March
        # 09:00, after as_of). Lead (3.25 + 2.00) / 2 = 2.625, half-up 2.63.
        "SUP-A": _score(2, ("100.00", "100.00", "100.00"), "2.63", 12, 1, "0.083333", 0),
        "SUP-B": _score(1, ("100.00", "100.00", "100.00"), "1.00", 32, 3, "0.093750", 1),
        "SUP-D": _score(0, NONE, None, 8, 0, "0.000000", 0),  # I-5 on 7 March
        # SUP-E: PO-7 not due until 10 March: nothing to count, left out.
    }
    # On 6 March 11:00 I-5 (7 March) is still to come, and PO-1 line 1 already complete.
    early = await _scores(api, position, as_of="2026-03-06T11:00:00Z", **MONTH)
    assert set(early) == {"SUP-A", "SUP-B"}


async def test_a_narrow_window_and_now_as_the_default(story: tuple[Api, str]) -> None:
    api, position = story
    window = {"from": "2026-03-10", "to": "2026-03-13T00:00:00Z"}
    assert await _scores(api, position, as_of=MID_MARCH, **window) == {
        "SUP-A": _score(2, ("0.00", "0.00", "0.00"), None),  # PO-3 (due 10 March): both cancelled
        "SUP-B": _score(2, ("50.00", "50.00", "50.00"), "1.00"),  # PO-4 (due 12 March)
        "SUP-E": _score(1, ("0.00", "0.00", "0.00"), None),  # PO-7 (due 10 March)
    }
    # Judged now, PO-5 (due 20 March, never received) is late too: SUP-B 1 of 3 = 33.33.
    # I-6 (2 April) is after the window: SUP-A keeps 12 / 1.
    now = await _scores(api, position, **MONTH)
    assert now["SUP-B"] == _score(3, ("33.33", "33.33", "33.33"), "1.00", 32, 3, "0.093750", 1)
    assert now["SUP-A"] == _score(5, ("40.00", "60.00", "40.00"), "4.83", 12, 1, "0.083333", 0)
    # Without a window every line counts: PO-6 (due 5 April) is late now, and I-6 rejects lot
    # SUP-A 12 + 4 inspected, 1 + 4 defective (5 / 16 = 0.3125), one lot rejected.
    everything = await _scores(api, position)
    assert everything["SUP-C"] == _score(1, ("0.00", "0.00", "0.00"), None)
    assert everything["SUP-A"] == _score(5, ("40.00", "60.00", "40.00"), "4.83", 16, 5, "0.312500", 1)


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


BAD = [
    ("/v1/purchasing/orders", {"status": "late"}, 422, "status"),
    ("/v1/purchasing/orders", {"overdue": "maybe"}, 422, "overdue"),
    ("/v1/purchasing/orders", {"supplier_id": "SUP A"}, 422, "supplier_id"),
    ("/v1/purchasing/orders", {"as_of": "yesterday"}, 422, "as_of"),
    ("/v1/purchasing/orders", {"as_of": "9999-12-31"}, 422, "as_of"),
    ("/v1/purchasing/orders", {"limit": "0"}, 422, "limit"),
    ("/v1/purchasing/orders", {"limit": "1001"}, 422, "limit"),
    ("/v1/purchasing/orders", {"cursor": "!!!"}, 400, None),
    ("/v1/purchasing/orders", {"cursor": _cursor([7])}, 400, None),
    ("/v1/purchasing/orders", {"cursor": _cursor(["PO 1"])}, 400, None),
    ("/v1/purchasing/orders", {"cursor": _cursor(["PO-1", "x"])}, 400, None),
    ("/v1/suppliers/scorecard", {"from": "2026-03-02", "to": "2026-03-01"}, 422, "to"),
    ("/v1/suppliers/scorecard", {"from": "2026-03-01", "to": "2026-03-01"}, 422, "to"),
    ("/v1/suppliers/scorecard", {"from": "2026-03-01T00:00:00"}, 422, "from"),
    ("/v1/suppliers/scorecard", {"to": "0001-01-01"}, 422, "to"),
    ("/v1/suppliers/scorecard", {"as_of": "2026-02-30"}, 422, "as_of"),
    ("/v1/suppliers/scorecard", {"limit": "x"}, 422, "limit"),
    ("/v1/suppliers/scorecard", {"cursor": _cursor([None])}, 400, None),
    ("/v1/suppliers/scorecard", {"cursor": "x" * 5000}, 400, None),
    ("/v1/suppliers/scorecard", {"wait_ms": "-1"}, 422, "wait_ms"),
    ("/v1/suppliers/scorecard", {"min_position": "junk"}, 400, None),
]


@pytest.mark.parametrize(("path", "params", "status", "name"), BAD)
async def test_bad_parameters_are_problems_never_500(
    module_api: Api, path: str, params: dict[str, str], status: int, name: str | None
) -> None:
    response = await module_api.client.get(path, params=params, headers=module_api.headers())
    body = await response.json(content_type=None)
    assert (response.status, response.content_type) == (status, PROBLEM), (params, body)
    if name is not None:
        assert ["query", name] in [error["loc"] for error in body["errors"]], body


async def test_reads_need_a_token_with_the_read_scope(module_api: Api) -> None:
    for path in ("/v1/purchasing/orders", "/v1/suppliers/scorecard"):
        assert (await module_api.client.get(path)).status == 401
    response = await module_api.client.post(
        "/v1/admin/tokens",
        json={"principal": "buyer", "scopes": ["purchasing:write"]},
        headers=module_api.headers(),
    )
    buyer = module_api.as_((await response.json())["token"])
    for path in ("/v1/purchasing/orders", "/v1/suppliers/scorecard"):
        response = await buyer.client.get(path, headers=buyer.headers())
        assert (response.status, response.content_type) == (403, PROBLEM)


async def test_an_online_rebuild_gives_the_same_answers(story: tuple[Api, str]) -> None:
    api, position = story
    before = (
        await _orders(api, position, as_of=MID_MARCH),
        await _scores(api, position, as_of=MID_MARCH, **MONTH),
    )
    response = await api.client.post("/v1/projections/purchasing/rebuild", headers=api.headers())
    assert response.status == 202, await response.text()
    started = await response.json()
    async with asyncio.timeout(60):
        while (status := await (await api.client.get(started["watch"], headers=api.headers())).json())[
            "state"
        ] != "swapped":
            assert status["state"] in ("requested", "building", "swapping"), status
            await asyncio.sleep(0.1)
    assert status["schema"] == started["schema"]
    after = (
        await _orders(api, position, as_of=MID_MARCH),
        await _scores(api, position, as_of=MID_MARCH, **MONTH),
    )
    assert after == before


async def test_window_dates_are_days_in_the_ledger_time_zone(make_api: AppFactory) -> None:
    api = await make_api(timezone="America/New_York")
    due = {"PO-NY1": "2026-03-01T23:30:00-05:00", "PO-NY2": "2026-03-02T00:30:00-05:00"}  # 04:30Z, 05:30Z
    commands = [
        *SETUP,
        *(
            (
                "place-purchase-order",
                {"po_id": po_id, "supplier_id": "SUP-A", "deliver_to": "WH-A", "currency": "USD",
                 "expected_at": expected_at, "occurred_at": "2026-02-20T12:00:00Z",
                 "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "1", "unit_cost": "1"}]},
            )
            for po_id, expected_at in due.items()
        ),
    ]  # fmt: skip
    status, body = await api.batch([{"name": name, "body": b} for name, b in commands])
    assert status == 207, body
    assert [r["status"] for r in body["results"]] == [201] * len(commands), body
    position = _reached(*(r["body"] for r in body["results"]))
    # Both open and past due on 3 March: from 2 March (New York) takes PO-NY2 alone, to 2 March PO-NY1.
    late = _score(1, ("0.00", "0.00", "0.00"), None)
    judged = {"as_of": "2026-03-03"}
    assert await _scores(api, position, **judged, **{"from": "2026-03-02"}) == {"SUP-A": late}
    assert await _scores(api, position, **judged, to="2026-03-02") == {"SUP-A": late}
    assert await _scores(api, position, **judged, **{"from": "2026-03-01"}) == {
        "SUP-A": _score(2, ("0.00", "0.00", "0.00"), None)
    }
    # as_of a date is its start in New York too: 2 March 00:00-05:00 is after PO-NY1's due time only.
    orders = await _orders(api, position, as_of="2026-03-02")
    assert [(po["po_id"], po["overdue"]) for po in orders] == [("PO-NY1", True), ("PO-NY2", False)]
