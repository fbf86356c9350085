"""Stock valuation, open purchase orders and reorder suggestions end to end, on both logs.

Commands go through the writer, which decides every value; each figure read back below was
worked out by hand from the commands sent (the working is beside each expectation). A
moving average per sku and location: a receipt with a cost adds qty x cost; a movement out
removes qty x value / on_hand (rounded half-up to cents) or the whole value when it empties
the location; a return, a receipt without a cost and a positive count add at the average.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog

from ledger.cli import main
from ledger.log import Position

from .conftest import Api

PROBLEM = "application/problem+json"
FASTENERS = "fasteners & fixings"


def at(hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC).isoformat()


class Session:
    """Sends commands (each must succeed) and reads what they all wrote."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.seen = Position.empty()

    async def do(self, name: str, body: dict[str, Any], when: str) -> None:
        status, answer = await self.api.command(name, {**body, "occurred_at": when})
        assert status == 201, (name, answer)
        self.seen = self.seen.merge(Position.from_token(answer["position"]))

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        params["min_position"] = self.seen.token()
        response = await self.api.client.get(path, params=params, headers=self.api.headers())
        return response.status, await response.json(content_type=None)

    async def body(self, path: str, **params: str) -> dict[str, Any]:
        status, body = await self.get(path, **params)
        assert status == 200, body
        return dict(body)

    async def items(self, path: str, **params: str) -> list[dict[str, Any]]:
        body = await self.body(path, **params)
        assert body["cursor"] is None
        return list(body["items"])


def receipt(receipt_id: str, sku: str, location_id: str, qty: str, **more: Any) -> dict[str, Any]:
    return {"receipt_id": receipt_id, "sku": sku, "location_id": location_id, "qty": qty, **more}


def purchase(po_id: str, supplier_id: str, deliver_to: str, *lines: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "po_id": po_id,
        "supplier_id": supplier_id,
        "deliver_to": deliver_to,
        "currency": "EUR",
        "expected_at": at(20),
        "lines": [
            {"line_no": n, "sku": sku, "qty": qty, "unit_cost": cost}
            for n, (sku, qty, cost) in enumerate(lines, start=1)
        ],
    }


async def a_day_of_stock(s: Session) -> None:
    """The day the expectations below are worked out from (times in hours of 2026-11-02 UTC)."""
    for location_id in ("WH-A", "WH-B"):
        await s.do(
            "register-location", {"location_id": location_id, "name": "Site", "kind": "warehouse"}, at(7)
        )
    for supplier_id in ("SUP-1", "SUP-2"):
        await s.do("register-supplier", {"supplier_id": supplier_id, "name": supplier_id}, at(7))
    await s.do("register-customer", {"customer_id": "CUS-1", "name": "Northwind"}, at(7))
    await s.do("register-team", {"team_id": "north", "name": "North"}, at(7))
    base = {"uom": "ea", "requires_inspection": False}
    await s.do(
        "register-product",
        {
            **base,
            "sku": "SKU-1",
            "name": "Bolt",
            "category": FASTENERS,
            "reorder_point": "20",
            "reorder_qty": "25",
        },
        at(7),
    )
    await s.do(
        "register-product",
        {**base, "sku": "SKU-Q", "name": "Valve", "category": "parts", "requires_inspection": True},
        at(7),
    )
    await s.do("register-product", {**base, "sku": "SKU-3", "name": "Gasket", "category": "parts"}, at(7))

    # A: 10 at 2.00 = 20.00, then 5 at 3.10 = 15.50: 15 units, 35.50 (2.3667).
    await s.do("receive-stock", receipt("R-1", "SKU-1", "WH-A", "10", unit_cost="2.00"), at(8))
    await s.do("receive-stock", receipt("R-2", "SKU-1", "WH-A", "5", unit_cost="3.10"), at(9))
    # PO-1 to A: 20 of SKU-1 at 2.50 and 4 of SKU-Q at 10.00.
    await s.do(
        "place-purchase-order",
        purchase("PO-1", "SUP-1", "WH-A", ("SKU-1", "20", "2.50"), ("SKU-Q", "4", "10.00")),
        at(10),
    )
    # Half of line 1 arrives at the line's cost: + 25.00, A 25 units, 60.50 (2.42); 10 on order.
    await s.do("receive-stock", receipt("R-3", "SKU-1", "WH-A", "10", po_id="PO-1", po_line=1), at(11))
    # B has an average of its own: 4 at 3.00 = 12.00.
    await s.do("receive-stock", receipt("R-4", "SKU-1", "WH-B", "4", unit_cost="3.00"), at(11, 30))
    # 5 move A -> B at A's average: 5 x 60.50 / 25 = 12.10. A 20, 48.40; B 9, 24.10 (2.6778).
    transfer = {
        "transfer_id": "T-1",
        "sku": "SKU-1",
        "from_location": "WH-A",
        "to_location": "WH-B",
        "qty": "5",
    }
    await s.do("transfer-stock", transfer, at(12))
    # The half-received PO is cancelled: its remainders (10 and 4) leave on_order.
    await s.do("cancel-purchase-order", {"po_id": "PO-1", "reason": "supplier late"}, at(12, 30))
    order = {
        "order_id": "SO-1",
        "customer_id": "CUS-1",
        "channel": "online",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "3", "unit_price": "9.00"}],
    }
    await s.do("place-order", order, at(12, 50))
    # Shipped: 3 x 48.40 / 20 = 7.26 out. A 17, 41.14 (2.42).
    await s.do(
        "ship-order",
        {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [{"line_no": 1, "qty": "3"}]},
        at(13),
    )
    # One back, resaleable, at the average 41.14 / 17 = 2.42. A 18, 43.56.
    returned = {
        "order_id": "SO-1",
        "return_id": "RT-1",
        "lines": [{"line_no": 1, "qty": "1", "condition": "resaleable"}],
    }
    await s.do("return-order", returned, at(13, 30))
    # Counted 15 at A: 3 out at 3 x 43.56 / 18 = 7.26. A 15, 36.30 (2.42).
    count = {
        "adjustment_id": "A-1",
        "sku": "SKU-1",
        "location_id": "WH-A",
        "counted_qty": "15",
        "reason": "count",
    }
    await s.do("adjust-stock", count, at(14))
    # Counted 10 at B: 1 in at 24.10 / 9 = 2.6777... -> 2.68. B 10, 26.78 (2.6780).
    await s.do(
        "adjust-stock",
        {**count, "adjustment_id": "A-2", "location_id": "WH-B", "counted_qty": "10"},
        at(14, 30),
    )
    # B emptied: all 26.78 out; its last figure stays 2.6780.
    issue = {"issue_id": "I-1", "sku": "SKU-1", "location_id": "WH-B", "qty": "10", "reason": "production"}
    await s.do("issue-stock", issue, at(15))
    # Refilled without a cost, at the last figure: 2 x 2.6780 = 5.356 -> 5.36. B 2, 5.36 (2.68).
    await s.do("receive-stock", receipt("R-5", "SKU-1", "WH-B", "2"), at(15, 30))
    # A lot in quarantine is on hand and valued: 4 x 10.00 = 40.00; rejected, all 40.00 leave.
    await s.do("receive-stock", receipt("R-6", "SKU-Q", "WH-A", "4", unit_cost="10.00", lot_id="L-1"), at(16))
    inspection = {
        "inspection_id": "IN-1",
        "lot_id": "L-1",
        "sku": "SKU-Q",
        "stage": "incoming",
        "sample_size": 4,
        "defective_units": 3,
        "disposition": "reject",
    }
    await s.do("record-inspection", inspection, at(16, 30))
    # 6 on order to B from SUP-2; then the last PO of SKU-1, from SUP-1, is cancelled whole.
    await s.do("place-purchase-order", purchase("PO-2", "SUP-2", "WH-B", ("SKU-1", "6", "2.00")), at(17))
    await s.do("place-purchase-order", purchase("PO-3", "SUP-1", "WH-A", ("SKU-1", "50", "2.00")), at(17, 30))
    await s.do("cancel-purchase-order", {"po_id": "PO-3", "reason": "duplicate"}, at(17, 45))
    # B's own policy (12, in 2s) wins over the product's (20, in 25s); SKU-3 has a policy at A only.
    await s.do(
        "set-reorder-policy",
        {"sku": "SKU-1", "location_id": "WH-B", "reorder_point": "12", "reorder_qty": "2"},
        at(18),
    )
    await s.do(
        "set-reorder-policy",
        {"sku": "SKU-3", "location_id": "WH-A", "reorder_point": "5", "reorder_qty": "10"},
        at(18),
    )


def stock(items: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (i["sku"], i["location_id"]): (
            i["on_hand"], i["available"], i["on_order"], i["projected"], i["unit_cost"], i["value"]
        )
        for i in items
    }  # fmt: skip


async def test_a_day_of_stock_is_valued_ordered_and_suggested_as_worked_out_by_hand(
    api: Api, backend: str, request: pytest.FixtureRequest, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Session(api)
    await a_day_of_stock(s)

    items = await s.items("/v1/inventory")
    assert set(items[0]) >= {"quarantined", "reserved", "reorder_point", "below_reorder"}
    assert stock(items) == {
        ("SKU-1", "WH-A"): ("15", "15", "0", "15", "2.4200", "36.30"),
        ("SKU-1", "WH-B"): ("2", "2", "6", "8", "2.6800", "5.36"),
        ("SKU-Q", "WH-A"): ("0", "0", "0", "0", "10.0000", "0.00"),  # empty: the last figure
    }

    # on_order of PO-1 placed, half received, then cancelled half received; the pair of SKU-Q
    # and A has only a PO line at 10:30 (never valued: 0.0000).
    async def at_a(when: str) -> dict[tuple[str, str], tuple[Any, ...]]:
        return stock(await s.items("/v1/inventory", location_id="WH-A", as_of=when))

    assert await at_a(at(10, 30)) == {
        ("SKU-1", "WH-A"): ("15", "15", "20", "35", "2.3667", "35.50"),
        ("SKU-Q", "WH-A"): ("0", "0", "4", "4", "0.0000", "0.00"),
    }
    assert (await at_a(at(11, 15)))[("SKU-1", "WH-A")] == ("25", "25", "10", "35", "2.4200", "60.50")
    assert await at_a(at(12, 45)) == {
        ("SKU-1", "WH-A"): ("20", "20", "0", "20", "2.4200", "48.40"),
        ("SKU-Q", "WH-A"): ("0", "0", "0", "0", "0.0000", "0.00"),
    }
    # Quarantined stock is valued; B between its emptying and its refill keeps its last figure.
    assert (await at_a(at(16, 15)))[("SKU-Q", "WH-A")] == ("4", "0", "0", "0", "10.0000", "40.00")
    at_b = stock(await s.items("/v1/inventory", location_id="WH-B", as_of=at(15, 15)))
    assert at_b == {("SKU-1", "WH-B"): ("0", "0", "0", "0", "2.6780", "0.00")}

    # The stock ledger carries each movement's value and the running value of its location.
    ledger = await s.items("/v1/inventory/SKU-1/movements", location_id="WH-B")
    assert [(e["document_id"], e["value_change"], e["value_after"]) for e in ledger] == [
        ("R-4", "12.00", "12.00"),
        ("T-1", "12.10", "24.10"),
        ("A-2", "2.68", "26.78"),
        ("I-1", "-26.78", "0.00"),
        ("R-5", "5.36", "5.36"),
    ]
    ledger = await s.items("/v1/inventory/SKU-1/movements", location_id="WH-A")
    assert [(e["document_id"], e["value_change"]) for e in ledger] == [
        ("R-1", "20.00"),
        ("R-2", "15.50"),
        ("R-3", "25.00"),
        ("T-1", "-12.10"),
        ("SO-1", "0"),  # the reservation moves no value
        ("SH-1-1", "-7.26"),
        ("RT-1-1", "2.42"),
        ("A-1", "-7.26"),
    ]
    assert ledger[-1]["value_after"] == "36.30"

    # Valuation: rows with nothing on hand are left out; the total is the whole filtered set's.
    valued = await s.body("/v1/inventory/valuation")
    assert valued == {
        "items": [
            {"sku": "SKU-1", "location_id": "WH-A", "on_hand": "15", "unit_cost": "2.4200", "value": "36.30"},
            {"sku": "SKU-1", "location_id": "WH-B", "on_hand": "2", "unit_cost": "2.6800", "value": "5.36"},
        ],
        "cursor": None,
        "total_value": "41.66",
    }
    first = await s.body("/v1/inventory/valuation", limit="1")
    assert [i["location_id"] for i in first["items"]] == ["WH-A"]
    assert first["total_value"] == "41.66"
    assert first["cursor"] is not None
    second = await s.body("/v1/inventory/valuation", limit="1", cursor=first["cursor"])
    assert [i["location_id"] for i in second["items"]] == ["WH-B"]
    assert (second["total_value"], second["cursor"]) == ("41.66", None)
    assert await s.body("/v1/inventory/valuation", category="parts") == {
        "items": [],
        "cursor": None,
        "total_value": "0.00",
    }
    assert (await s.body("/v1/inventory/valuation", category=FASTENERS))["total_value"] == "41.66"
    assert await s.body("/v1/inventory/valuation", category="parts", as_of=at(16, 15)) == {
        "items": [
            {"sku": "SKU-Q", "location_id": "WH-A", "on_hand": "4", "unit_cost": "10.0000", "value": "40.00"}
        ],
        "cursor": None,
        "total_value": "40.00",
    }
    assert await s.body("/v1/inventory/valuation", location_id="WH-B", as_of=at(14, 45)) == {
        "items": [
            {"sku": "SKU-1", "location_id": "WH-B", "on_hand": "10", "unit_cost": "2.6780", "value": "26.78"}
        ],
        "cursor": None,
        "total_value": "26.78",
    }
    # At 16:15: A 36.30, B refilled at 15:30 with 5.36, the lot in quarantine 40.00; at 15:15
    # B was empty and is left out: A 36.30 alone.
    assert (await s.body("/v1/inventory/valuation", as_of=at(16, 15)))["total_value"] == "81.66"
    at_quarter_past_three = await s.body("/v1/inventory/valuation", as_of=at(15, 15))
    assert [i["location_id"] for i in at_quarter_past_three["items"]] == ["WH-A"]
    assert at_quarter_past_three["total_value"] == "36.30"

    # Suggestions: A 15 <= 20 needs one 25; B 2 + 6 = 8 <= 12 needs 3 x 2 (2 x 2 reaches only 12);
    # SKU-3 at A, named by its policy alone, needs 10 and was never ordered. The last PO of SKU-1
    # placed was PO-3, cancelled, from SUP-1.
    assert await s.items("/v1/purchasing/suggestions") == [
        {
            "sku": "SKU-1",
            "location_id": "WH-A",
            "available": "15",
            "on_order": "0",
            "projected": "15",
            "reorder_point": "20",
            "reorder_qty": "25",
            "suggested_qty": "25",
            "supplier_id": "SUP-1",
        },
        {
            "sku": "SKU-1",
            "location_id": "WH-B",
            "available": "2",
            "on_order": "6",
            "projected": "8",
            "reorder_point": "12",
            "reorder_qty": "2",
            "suggested_qty": "6",
            "supplier_id": "SUP-1",
        },
        {
            "sku": "SKU-3",
            "location_id": "WH-A",
            "available": "0",
            "on_order": "0",
            "projected": "0",
            "reorder_point": "5",
            "reorder_qty": "10",
            "suggested_qty": "10",
            "supplier_id": None,
        },
    ]
    assert [i["sku"] for i in await s.items("/v1/purchasing/suggestions", location_id="WH-B")] == ["SKU-1"]
    paged = await s.body("/v1/purchasing/suggestions", limit="2")
    assert len(paged["items"]) == 2
    assert paged["cursor"] is not None
    rest = await s.body("/v1/purchasing/suggestions", limit="2", cursor=paged["cursor"])
    assert ([i["sku"] for i in rest["items"]], rest["cursor"]) == (["SKU-3"], None)

    # Rebuilt from the log, the inventory tables equal the live ones.
    monkeypatch.setenv("LEDGER_DATABASE_URL", request.getfixturevalue("pg_dsn"))
    monkeypatch.setenv("LEDGER_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("LEDGER_PARTITIONS", "2")
    if backend == "kafka":
        monkeypatch.setenv("LEDGER_KAFKA_BOOTSTRAP", request.getfixturevalue("kafka_bootstrap"))
    else:
        monkeypatch.delenv("LEDGER_KAFKA_BOOTSTRAP", raising=False)
    try:
        assert await asyncio.to_thread(main, ["replay", "--compare", "--projection", "inventory"]) == 0
    finally:
        structlog.reset_defaults()


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/inventory/valuation", {"as_of": "yesterday"}, 422),
        ("/v1/inventory/valuation", {"as_of": "2026-11-02T09:00:00"}, 422),
        ("/v1/inventory/valuation", {"location_id": "a b"}, 422),
        ("/v1/inventory/valuation", {"category": "bad\x01text"}, 422),
        ("/v1/inventory/valuation", {"category": "   "}, 422),
        ("/v1/inventory/valuation", {"category": "x" * 501}, 422),
        ("/v1/inventory/valuation", {"limit": "0"}, 422),
        ("/v1/inventory/valuation", {"cursor": "bm90LWEtY3Vyc29y"}, 400),
        ("/v1/purchasing/suggestions", {"location_id": "WH/A"}, 422),
        ("/v1/purchasing/suggestions", {"limit": "1001"}, 422),
        ("/v1/purchasing/suggestions", {"cursor": "!"}, 400),
    ],
)
async def test_bad_parameters_are_problems_naming_them(
    api: Api, path: str, params: dict[str, str], status: int
) -> None:
    response = await api.client.get(path, params=params, headers=api.headers())
    assert response.status == status
    assert response.content_type == PROBLEM
    problem = await response.json(content_type=None)
    assert problem["status"] == status
    if status == 422:
        assert problem["errors"][0]["loc"] == ["query", next(iter(params))]


async def test_new_routes_need_a_token_and_answer_an_empty_ledger(api: Api) -> None:
    for path in ("/v1/inventory/valuation", "/v1/purchasing/suggestions"):
        assert (await api.client.get(path)).status == 401
        response = await api.client.get(path, headers=api.headers())
        assert response.status == 200
        assert response.headers["X-Ledger-Position"]
    valued = await (await api.client.get("/v1/inventory/valuation", headers=api.headers())).json()
    assert valued == {"items": [], "cursor": None, "total_value": "0.00"}
