"""The inventory read model end to end: levels now and as of a business time, reorder points,
the stock ledger with its running on-hand, paging, and refusals. Every expectation below is
worked out by hand from the commands sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger.log import Position

from .conftest import Api


def at(hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC).isoformat()


def utc(text: str) -> str:
    """A time as ``at`` spells it, whichever RFC 3339 spelling the answer used."""
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


class Session:
    """Sends commands (each must succeed) and reads what they all wrote."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen = Position.empty()

    async def do(self, name: str, body: dict[str, Any], when: str | None = None) -> None:
        status, answer = await self.api.command(name, {**body, **({"occurred_at": when} if when else {})})
        assert status == 201, (name, answer)
        self.seen = self.seen.merge(Position.from_token(answer["position"]))

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        params["min_position"] = self.seen.token()
        response = await self.api.client.get(path, params=params, headers=self.api.headers())
        return response.status, await response.json(content_type=None)

    async def items(self, path: str, **params: str) -> list[dict[str, Any]]:
        status, body = await self.get(path, **params)
        assert status == 200, body
        assert body["cursor"] is None
        return list(body["items"])

    async def master_data(self, *locations: str) -> None:
        for location_id in locations:
            await self.do(
                "register-location", {"location_id": location_id, "name": "Site", "kind": "warehouse"}
            )


def product(sku: str, reorder_point: str | None = None, *, inspected: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": sku, "name": sku, "uom": "ea", "category": "parts"}
    if reorder_point is not None:
        body["reorder_point"] = reorder_point
    return {**body, "requires_inspection": inspected}


def levels(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            i["sku"],
            i["location_id"],
            i["on_hand"],
            i["quarantined"],
            i["reserved"],
            i["available"],
            i["reorder_point"],
            i["below_reorder"],
        )
        for i in items
    ]


def ledger(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            utc(i["occurred_at"]),
            i["location_id"],
            i["type"],
            i["qty_change"],
            i["quarantined_change"],
            i["reserved_change"],
            i["on_hand_after"],
            i["document_id"],
        )
        for i in items
    ]


def order(order_id: str, qty: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [{"line_no": 1, "sku": "SKU-1", "qty": qty, "unit_price": "10.00"}],
    }


def inspection(inspection_id: str, lot_id: str, disposition: str) -> dict[str, Any]:
    return {
        "inspection_id": inspection_id,
        "lot_id": lot_id,
        "sku": "SKU-Q",
        "stage": "incoming",
        "sample_size": 5,
        "defective_units": 0 if disposition == "accept" else 3,
        "disposition": disposition,
    }


async def test_levels_ledger_and_as_of_after_a_day_of_stock_orders_and_inspections(api: Api) -> None:
    s = Session(api)
    await s.master_data("WH-A", "WH-B")
    await s.do("register-customer", {"customer_id": "CUS-1", "name": "Northwind"})
    await s.do("register-team", {"team_id": "north", "name": "North"})
    await s.do("register-product", product("SKU-1", "5"))
    await s.do("register-product", product("SKU-Q", inspected=True))
    stock = {"sku": "SKU-1", "location_id": "WH-A"}
    await s.do("receive-stock", {"receipt_id": "R-1", **stock, "qty": "100"}, at(9))
    await s.do(
        "receive-stock",
        {"receipt_id": "R-2", "sku": "SKU-Q", "location_id": "WH-A", "qty": "20", "lot_id": "L-1"},
        at(9, 30),
    )
    await s.do(
        "receive-stock",
        {"receipt_id": "R-3", "sku": "SKU-Q", "location_id": "WH-A", "qty": "8", "lot_id": "L-2"},
        at(9, 45),
    )
    await s.do(
        "transfer-stock",
        {"transfer_id": "T-1", "sku": "SKU-1", "from_location": "WH-A", "to_location": "WH-B", "qty": "30"},
        at(10),
    )
    await s.do("record-inspection", inspection("IN-1", "L-1", "accept"), at(10, 30))
    await s.do("record-inspection", inspection("IN-2", "L-2", "reject"), at(10, 45))
    await s.do(
        "adjust-stock",
        {
            "adjustment_id": "A-1",
            "sku": "SKU-1",
            "location_id": "WH-B",
            "counted_qty": "28",
            "reason": "count",
        },
        at(11),
    )
    await s.do("issue-stock", {"issue_id": "I-1", **stock, "qty": "5", "reason": "sample"}, at(12))
    await s.do("place-order", order("SO-1", "10"), at(13))
    await s.do(
        "ship-order",
        {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "4"}]},
        at(14),
    )
    await s.do("cancel-order", {"order_id": "SO-1", "reason": "changed mind"}, at(15))
    await s.do(
        "return-order",
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 1, "qty": "1", "condition": "resaleable"}],
        },
        at(16),
    )
    await s.do("place-order", order("SO-2", "3"), at(17))

    # A: 100 - 30 - 5 - 4 + 1 = 62 on hand, SO-2 holds 3. B: 30 - 2. Q: 20 + 8, L-2's 8 rejected.
    assert levels(await s.items("/v1/inventory")) == [
        ("SKU-1", "WH-A", "62", "0", "3", "59", "5", False),
        ("SKU-1", "WH-B", "28", "0", "0", "28", "5", False),
        ("SKU-Q", "WH-A", "20", "0", "0", "20", None, False),
    ]
    assert ledger(await s.items("/v1/inventory/SKU-1/movements")) == [
        (at(9), "WH-A", "StockReceived", "100", "0", "0", "100", "R-1"),
        (at(10), "WH-A", "StockTransferred", "-30", "0", "0", "70", "T-1"),
        (at(10), "WH-B", "StockTransferred", "30", "0", "0", "30", "T-1"),
        (at(11), "WH-B", "StockAdjusted", "-2", "0", "0", "28", "A-1"),
        (at(12), "WH-A", "StockIssued", "-5", "0", "0", "65", "I-1"),
        (at(13), "WH-A", "StockReserved", "0", "0", "10", "65", "SO-1"),
        (at(14), "WH-A", "StockIssued", "-4", "0", "-4", "61", "SH-1-1"),
        (at(15), "WH-A", "ReservationReleased", "0", "0", "-6", "61", "SO-1"),
        (at(16), "WH-A", "StockReceived", "1", "0", "0", "62", "RT-1-1"),
        (at(17), "WH-A", "StockReserved", "0", "0", "3", "62", "SO-2"),
    ]
    assert ledger(await s.items("/v1/inventory/SKU-Q/movements")) == [
        (at(9, 30), "WH-A", "StockReceived", "20", "0", "0", "20", "R-2"),
        (at(9, 30), "WH-A", "StockQuarantined", "0", "20", "0", "20", "L-1"),
        (at(9, 45), "WH-A", "StockReceived", "8", "0", "0", "28", "R-3"),
        (at(9, 45), "WH-A", "StockQuarantined", "0", "8", "0", "28", "L-2"),
        (at(10, 30), "WH-A", "LotReleased", "0", "-20", "0", "28", "L-1"),
        (at(10, 45), "WH-A", "LotRejected", "-8", "-8", "0", "20", "L-2"),
    ]
    moved = await s.items("/v1/inventory/SKU-1/movements", location_id="WH-B")
    assert all(len(row["event_id"]) > 0 for row in moved)
    assert moved[0]["event_id"] != moved[1]["event_id"]

    # Before anything at WH-B, and before any SKU-Q: only the first receipt counts.
    assert levels(await s.items("/v1/inventory", as_of=at(9, 15))) == [
        ("SKU-1", "WH-A", "100", "0", "0", "100", "5", False),
    ]
    # as_of includes a movement at that very time (the transfer); both Q lots still wait.
    assert levels(await s.items("/v1/inventory", as_of=at(10))) == [
        ("SKU-1", "WH-A", "70", "0", "0", "70", "5", False),
        ("SKU-1", "WH-B", "30", "0", "0", "30", "5", False),
        ("SKU-Q", "WH-A", "28", "28", "0", "0", None, False),
    ]
    assert levels(await s.items("/v1/inventory", as_of="2026-11-02T13:30:00+00:00")) == [
        ("SKU-1", "WH-A", "65", "0", "10", "55", "5", False),
        ("SKU-1", "WH-B", "28", "0", "0", "28", "5", False),
        ("SKU-Q", "WH-A", "20", "0", "0", "20", None, False),
    ]
    assert levels(await s.items("/v1/inventory", as_of=at(10, 40), sku="SKU-Q")) == [
        ("SKU-Q", "WH-A", "28", "8", "0", "20", None, False),
    ]


async def test_reorder_point_location_policy_over_product_policy_over_registered_point(api: Api) -> None:
    s = Session(api)
    await s.master_data("WH-A", "WH-B", "WH-C")
    await s.do("register-product", product("SKU-1", "5"))
    await s.do("register-product", product("SKU-2"))
    await s.do("register-product", product("SKU-3", "50"))
    for sku, location_id, qty in [
        ("SKU-1", "WH-A", "10"),
        ("SKU-1", "WH-B", "10"),
        ("SKU-1", "WH-C", "8"),
        ("SKU-2", "WH-A", "1"),
        ("SKU-3", "WH-A", "40"),
    ]:
        await s.do(
            "receive-stock",
            {"receipt_id": f"R-{sku}-{location_id}", "sku": sku, "location_id": location_id, "qty": qty},
        )
    assert [i["below_reorder"] for i in await s.items("/v1/inventory", sku="SKU-1")] == [False, False, False]

    policy = {"sku": "SKU-1", "reorder_qty": "20"}
    await s.do("set-reorder-policy", {**policy, "reorder_point": "12"})
    await s.do("set-reorder-policy", {**policy, "location_id": "WH-B", "reorder_point": "4"})
    # Set last, the product-wide policy still yields to WH-B's own; it replaces "12" everywhere else.
    await s.do("set-reorder-policy", {**policy, "reorder_point": "8"})

    everything = [
        ("SKU-1", "WH-A", "10", "0", "0", "10", "8", False),
        ("SKU-1", "WH-B", "10", "0", "0", "10", "4", False),
        ("SKU-1", "WH-C", "8", "0", "0", "8", "8", True),  # available equal to the point is below
        ("SKU-2", "WH-A", "1", "0", "0", "1", None, False),
        ("SKU-3", "WH-A", "40", "0", "0", "40", "50", True),
    ]
    assert levels(await s.items("/v1/inventory")) == everything
    assert levels(await s.items("/v1/inventory", below_reorder="true")) == [everything[2], everything[4]]
    assert levels(await s.items("/v1/inventory", below_reorder="false")) == [
        everything[0],
        everything[1],
        everything[3],
    ]
    assert levels(await s.items("/v1/inventory", below_reorder="true", sku="SKU-1")) == [everything[2]]
    assert levels(await s.items("/v1/inventory", location_id="WH-A")) == [
        everything[0],
        everything[3],
        everything[4],
    ]
    # As of a time, the levels are then's, the reorder points today's.
    assert levels(await s.items("/v1/inventory", as_of="2000-01-01T00:00:00Z")) == []


async def test_a_back_dated_movement_recomputes_later_on_hand_after_and_the_ledger_pages(api: Api) -> None:
    s = Session(api)
    await s.master_data("WH-A", "WH-B")
    await s.do("register-product", product("SKU-1"))
    stock = {"sku": "SKU-1", "location_id": "WH-A"}
    await s.do("receive-stock", {"receipt_id": "R-1", **stock, "qty": "10"}, at(9))
    await s.do("issue-stock", {"issue_id": "I-1", **stock, "qty": "3", "reason": "scrap"}, at(11))
    await s.do(
        "transfer-stock",
        {"transfer_id": "T-1", "sku": "SKU-1", "from_location": "WH-A", "to_location": "WH-B", "qty": "2"},
        at(11, 30),
    )
    await s.do("receive-stock", {"receipt_id": "R-2", **stock, "qty": "5"}, at(12))
    assert [
        r["on_hand_after"] for r in await s.items("/v1/inventory/SKU-1/movements", location_id="WH-A")
    ] == [
        "10",
        "7",
        "5",
        "10",
    ]

    await s.do("receive-stock", {"receipt_id": "R-0", **stock, "qty": "4.5"}, at(10))
    rows = [
        (at(9), "WH-A", "StockReceived", "10", "0", "0", "10", "R-1"),
        (at(10), "WH-A", "StockReceived", "4.5", "0", "0", "14.5", "R-0"),
        (at(11), "WH-A", "StockIssued", "-3", "0", "0", "11.5", "I-1"),
        (at(11, 30), "WH-A", "StockTransferred", "-2", "0", "0", "9.5", "T-1"),
        (at(11, 30), "WH-B", "StockTransferred", "2", "0", "0", "2", "T-1"),
        (at(12), "WH-A", "StockReceived", "5", "0", "0", "14.5", "R-2"),
    ]
    assert ledger(await s.items("/v1/inventory/SKU-1/movements")) == rows
    assert levels(await s.items("/v1/inventory")) == [
        ("SKU-1", "WH-A", "14.5", "0", "0", "14.5", None, False),
        ("SKU-1", "WH-B", "2", "0", "0", "2", None, False),
    ]
    # from is inclusive, to exclusive; on_hand_after still counts what came before from.
    assert (
        ledger(await s.items("/v1/inventory/SKU-1/movements", **{"from": at(10), "to": at(12)})) == rows[1:5]
    )
    assert ledger(await s.items("/v1/inventory/SKU-1/movements", location_id="WH-B")) == [rows[4]]

    pages: list[list[tuple[Any, ...]]] = []
    params = {"limit": "2"}
    while True:
        status, body = await s.get("/v1/inventory/SKU-1/movements", **params)
        assert status == 200, body
        pages.append(ledger(body["items"]))
        if body["cursor"] is None:
            break
        params["cursor"] = body["cursor"]
    assert pages == [rows[0:2], rows[2:4], rows[4:6]]


async def test_levels_page_by_cursor_and_refusals(api: Api) -> None:
    s = Session(api)
    await s.master_data("WH-A", "WH-B")
    await s.do("register-product", product("SKU-1"))
    await s.do("register-product", product("SKU-2"))
    await s.do("register-product", product("SKU-9"))
    for sku, location_id in [("SKU-1", "WH-A"), ("SKU-1", "WH-B"), ("SKU-2", "WH-A")]:
        await s.do(
            "receive-stock",
            {"receipt_id": f"R-{sku}-{location_id}", "sku": sku, "location_id": location_id, "qty": "1"},
        )

    status, first = await s.get("/v1/inventory", limit="2")
    assert status == 200
    assert [(i["sku"], i["location_id"]) for i in first["items"]] == [("SKU-1", "WH-A"), ("SKU-1", "WH-B")]
    status, rest = await s.get("/v1/inventory", limit="2", cursor=first["cursor"])
    assert status == 200
    assert [(i["sku"], i["location_id"]) for i in rest["items"]] == [("SKU-2", "WH-A")]
    assert rest["cursor"] is None

    # A registered product without movements has an empty ledger; an unknown one has none at all.
    assert await s.items("/v1/inventory/SKU-9/movements") == []
    for path in ("/v1/inventory/NOPE/movements", "/v1/inventory/%20bad%20/movements"):
        status, body = await s.get(path)
        assert status == 404, body
        assert body["status"] == 404

    for path, params in [
        ("/v1/inventory", {"below_reorder": "maybe"}),
        ("/v1/inventory", {"as_of": "yesterday"}),
        ("/v1/inventory", {"as_of": "2026-11-02T09:00:00"}),
        ("/v1/inventory", {"as_of": "0001-01-01T00:00:00+01:00"}),  # before year 1 in UTC
        ("/v1/inventory", {"limit": "0"}),
        ("/v1/inventory", {"sku": "not a sku"}),
        ("/v1/inventory/SKU-1/movements", {"from": "soon"}),
        ("/v1/inventory/SKU-1/movements", {"location_id": "WH/A"}),
    ]:
        status, body = await s.get(path, **params)
        assert status == 422, (path, params, body)
        assert body["errors"][0]["loc"] == ["query", next(iter(params))]
    for path in ("/v1/inventory", "/v1/inventory/SKU-1/movements"):
        status, body = await s.get(path, cursor="bm90IGEgY3Vyc29y")
        assert status == 400, body
        status, body = await s.get(path, cursor="WyJ4IiwxLDJd")  # a list, but not one of ours
        assert status == 400, body
        status, body = await s.get(path, cursor="WyJhXHUwMDAwIiwiYiJd")  # ["a\u0000", "b"]
        assert status == 400, body
