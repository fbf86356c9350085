"""Unit tests of the area models: every event's stream and stored data, and the business-shape rules."""

from decimal import Decimal
from typing import Any, ClassVar, Literal

import pytest
from pydantic import ValidationError

from schemas import (
    EVENTS,
    Event,
    EventRegistry,
    UnknownEventType,
    area_of_stream,
    latest_version,
    parse_command,
    parse_event,
)
from schemas.planning import SalesTargetSet
from schemas.sales import OrderPlaced

_STOCK = {"sku": "SKU-1", "location_id": "WH-A", "qty": "5"}
_LINE = {
    "line_no": 1,
    "sku": "SKU-1",
    "qty": "2",
    "unit_price": "10.00",
    "discount_pct": "0",
    "amount": "20.00",
}

SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "ProductRegistered": (
        {"sku": "SKU-1", "name": "Widget", "uom": "ea", "category": "widgets", "requires_inspection": True},
        "product:SKU-1",
    ),
    "ReorderPolicySet": ({"sku": "SKU-1", "reorder_point": 5, "reorder_qty": 20}, "product:SKU-1"),
    "LocationRegistered": ({"location_id": "WH-A", "name": "Main", "kind": "warehouse"}, "location:WH-A"),
    "SupplierRegistered": ({"supplier_id": "SUP-1", "name": "Acme"}, "supplier:SUP-1"),
    "CustomerRegistered": ({"customer_id": "C-1", "name": "Bob", "segment": "retail"}, "customer:C-1"),
    "TeamRegistered": ({"team_id": "north", "name": "North"}, "team:north"),
    "StockReceived": ({"receipt_id": "R-1", **_STOCK, "unit_cost": "1.5"}, "stock:SKU-1@WH-A"),
    "StockQuarantined": ({"receipt_id": "R-1", "lot_id": "L-77", **_STOCK}, "stock:SKU-1@WH-A"),
    "StockTransferred": (
        {"transfer_id": "T-1", "sku": "SKU-1", "from_location": "WH-A", "to_location": "ST-1", "qty": 1},
        "stock:SKU-1@WH-A",
    ),
    "StockAdjusted": (
        {
            "adjustment_id": "A-1",
            "sku": "SKU-1",
            "location_id": "WH-A",
            "counted_qty": 3,
            "delta": "-2",
            "reason": "cycle count",
        },
        "stock:SKU-1@WH-A",
    ),
    "StockIssued": (
        {
            "issue_id": "I-1",
            **_STOCK,
            "reason": "sale",
            "order_id": "SO-1",
            "shipment_id": "SH-1",
            "line_no": 1,
        },
        "stock:SKU-1@WH-A",
    ),
    "StockReserved": ({"order_id": "SO-1", "line_no": 1, **_STOCK}, "stock:SKU-1@WH-A"),
    "ReservationReleased": ({"order_id": "SO-1", "line_no": 1, **_STOCK}, "stock:SKU-1@WH-A"),
    "LotReleased": ({"lot_id": "L-77", "inspection_id": "IN-1", **_STOCK}, "stock:SKU-1@WH-A"),
    "LotRejected": ({"lot_id": "L-77", "inspection_id": "IN-1", **_STOCK}, "stock:SKU-1@WH-A"),
    "OrderPlaced": (
        {
            "order_id": "SO-1",
            "customer_id": "C-1",
            "channel": "online",
            "team_id": "north",
            "currency": "EUR",
            "fulfil_from": "WH-A",
            "lines": [_LINE],
            "total": "20.00",
        },
        "order:SO-1",
    ),
    "OrderShipped": (
        {
            "order_id": "SO-1",
            "shipment_id": "SH-1",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": 2, "amount": "20.00"}],
        },
        "order:SO-1",
    ),
    "OrderCancelled": (
        {
            "order_id": "SO-1",
            "reason": "customer changed mind",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": 2}],
        },
        "order:SO-1",
    ),
    "OrderReturned": (
        {
            "order_id": "SO-1",
            "return_id": "RT-1",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": 1, "condition": "damaged", "amount": "10.00"}],
        },
        "order:SO-1",
    ),
    "SalesTargetSet": (
        {"period": "2026-11", "dimension": "team", "key": "north", "amount": 1000},
        "target:2026-11/team/north",
    ),
    "InspectionRecorded": (
        {
            "inspection_id": "IN-1",
            "lot_id": "L-77",
            "sku": "SKU-1",
            "stage": "incoming",
            "sample_size": 50,
            "defective_units": 2,
            "defects": [{"category": "scratch", "count": 3}],
            "disposition": "accept",
        },
        "lot:L-77",
    ),
    "ComplaintFiled": (
        {
            "complaint_id": "C-9",
            "customer_id": "C-1",
            "channel": "email",
            "category": "late-delivery",
            "severity": "high",
            "description": "Parcel arrived a week late.",
            "order_id": "SO-1",
        },
        "complaint:C-9",
    ),
    "ComplaintAcknowledged": ({"complaint_id": "C-9"}, "complaint:C-9"),
    "ComplaintResolved": ({"complaint_id": "C-9", "resolution": "Refunded shipping."}, "complaint:C-9"),
    "ComplaintReopened": ({"complaint_id": "C-9", "reason": "Refund never arrived."}, "complaint:C-9"),
    "PurchaseOrderPlaced": (
        {
            "po_id": "PO-1",
            "supplier_id": "SUP-1",
            "deliver_to": "WH-A",
            "currency": "EUR",
            "expected_at": "2026-11-09T12:00:00Z",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "10", "unit_cost": "2.5", "amount": "25.00"}],
            "total": "25.00",
        },
        "po:PO-1",
    ),
    "PurchaseOrderReceived": (
        {
            "po_id": "PO-1",
            "po_line": 1,
            "receipt_id": "R-1",
            "supplier_id": "SUP-1",
            **_STOCK,
            "unit_cost": "2.5",
        },
        "po:PO-1",
    ),
    "PurchaseOrderCancelled": (
        {
            "po_id": "PO-1",
            "reason": "no longer needed",
            "lines": [{"line_no": 1, "sku": "SKU-1", "qty": "5"}],
        },
        "po:PO-1",
    ),
    "ShipmentDelivered": ({"order_id": "SO-1", "shipment_id": "SH-1", "carrier": "DHL"}, "order:SO-1"),
    "CampaignLaunched": (
        {
            "campaign_id": "CMP-1",
            "name": "Spring fair",
            "medium": "event",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
            "budget": "1500.00",
            "currency": "EUR",
        },
        "campaign:CMP-1",
    ),
    "CampaignSpendRecorded": (
        {"campaign_id": "CMP-1", "spend_id": "SP-1", "amount": "400.00", "note": "stand"},
        "campaign:CMP-1",
    ),
    "LeadCaptured": ({"lead_id": "L-1", "campaign_id": "CMP-1", "channel": "online"}, "lead:L-1"),
    "LeadQualified": ({"lead_id": "L-1"}, "lead:L-1"),
    "LeadLost": ({"lead_id": "L-1", "reason": "went elsewhere"}, "lead:L-1"),
    "LeadWon": (
        {"lead_id": "L-1", "order_id": "SO-1", "customer_id": "C-1", "campaign_id": "CMP-1"},
        "lead:L-1",
    ),
    "FollowUpRecorded": (
        {
            "follow_up_id": "F-1",
            "customer_id": "C-1",
            "kind": "call",
            "complaint_id": "C-9",
            "csat": 4,
            "nps": 0,
        },
        "followup:F-1",
    ),
    "ObjectiveSet": (
        {
            "objective_id": "OBJ-1",
            "title": "Recommend us",
            "horizon": "long",
            "period": "2026..2028",
            "kpi": "nps",
            "target": "-5",
            "owner": "Head of service",
        },
        "objective:OBJ-1",
    ),
    "ObjectiveRetired": ({"objective_id": "OBJ-1", "reason": "plan changed"}, "objective:OBJ-1"),
    "TokenIssued": ({"principal": "alice", "scopes": ["audit", "read"]}, "principal:alice"),
    "TokenRevoked": ({"principal": "alice"}, "principal:alice"),
}


def test_every_registered_event_has_a_sample() -> None:
    assert set(SAMPLES) == {type_ for type_, _ in EVENTS}


@pytest.mark.parametrize("type_", sorted(SAMPLES))
def test_event_stream_area_and_stored_data_round_trip(type_: str) -> None:
    data, stream = SAMPLES[type_]
    event = parse_event(type_, 1, data)
    assert event.type == type(event).__name__ == type_
    assert event.stream() == stream
    assert area_of_stream(stream) == type(event).__module__.rsplit(".", 1)[1]
    stored = event.data()
    assert "type" not in stored
    latest = latest_version(type_)
    assert parse_event(type_, latest, stored) == event
    assert parse_event(type_, latest, stored).data() == stored


def test_lot_dispositions_are_inventory_events() -> None:
    for type_ in ("LotReleased", "LotRejected"):
        assert area_of_stream(parse_event(type_, 1, SAMPLES[type_][0]).stream()) == "inventory"


def test_event_data_writes_decimals_as_strings_and_keeps_nulls() -> None:
    event = OrderPlaced.model_validate(SAMPLES["OrderPlaced"][0])
    stored = event.data()
    assert stored["total"] == "20.00"
    assert stored["lines"][0]["amount"] == "20.00"
    assert stored["rep_id"] is None


@pytest.mark.parametrize("period", ["2026-11", "2026-01", "2026-12", "2026-Q1", "2026-Q4", "2026"])
def test_period_accepts_month_quarter_and_year(period: str) -> None:
    target = SalesTargetSet(period=period, dimension="total", key="*", amount=Decimal(1))
    assert target.stream() == f"target:{period}/total/*"


@pytest.mark.parametrize(
    "period",
    [
        "2026-13",
        "2026-00",
        "2026-Q0",
        "2026-Q5",
        "26-11",
        "2026-1",
        "2026-11\n",
        "２０２６",
        "2026/11",
        "",
        "0999",
        "1899-12",
        "3000",
        "9999-Q4",
    ],
)
def test_period_rejects_other_shapes(period: str) -> None:
    with pytest.raises(ValidationError):
        parse_command("set-sales-target", {"period": period, "dimension": "total", "key": "*", "amount": 1})


@pytest.mark.parametrize(
    ("dimension", "key", "ok"),
    [
        ("total", "*", True),
        ("total", "north", False),
        ("team", "north", True),
        ("team", "*", False),
        ("category", "a b", True),
        ("category", "power tools / hand", True),
        ("category", "*", False),
        ("category", "tab\there", False),
        ("team", "north east", False),
        ("channel", "on line", False),
        ("channel", "online", True),
        ("region", "north", False),
    ],
)
def test_target_key_fits_dimension(dimension: str, key: str, ok: bool) -> None:
    body = {"period": "2026", "dimension": dimension, "key": key, "amount": "0"}
    if ok:
        assert parse_command("set-sales-target", body).model_dump()["key"] == key
    else:
        with pytest.raises(ValidationError):
            parse_command("set-sales-target", body)


def _order(**changes: Any) -> dict[str, Any]:
    line = {"line_no": 1, "sku": "SKU-1", "qty": 2, "unit_price": "9.99"}
    body = {
        "order_id": "SO-1",
        "customer_id": "C-1",
        "channel": "direct",
        "team_id": "north",
        "currency": "EUR",
        "fulfil_from": "WH-A",
        "lines": [line],
    }
    return {**body, **changes}


def test_place_order_defaults_discount_to_zero() -> None:
    command = parse_command("place-order", _order())
    assert command.model_dump(mode="json")["lines"][0]["discount_pct"] == "0"


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": []},
        {"lines": [{"line_no": n, "sku": "S", "qty": 1, "unit_price": 1} for n in range(1, 502)]},
        {"lines": [{"line_no": 1, "sku": "S", "qty": 1, "unit_price": 1}] * 2},
        {"lines": [{"line_no": 0, "sku": "S", "qty": 1, "unit_price": 1}]},
        {"lines": [{"line_no": True, "sku": "S", "qty": 1, "unit_price": 1}]},
        {"lines": [{"line_no": 1, "sku": "S", "qty": 1, "unit_price": 1, "discount_pct": 101}]},
        {"currency": "eur"},
        {"currency": "EURO"},
        {"channel": "fax"},
        {"customer_id": None},
    ],
)
def test_place_order_rejects_bad_shapes(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_command("place-order", _order(**changes))


def test_place_order_accepts_500_lines() -> None:
    lines = [{"line_no": n, "sku": "S", "qty": 1, "unit_price": 1} for n in range(1, 501)]
    assert len(parse_command("place-order", _order(lines=lines)).model_dump()["lines"]) == 500


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("ship-order", [{"line_no": 1, "qty": 1}, {"line_no": 1, "qty": 2}]),
        ("ship-order", []),
        ("return-order", [{"line_no": 2, "qty": 1, "condition": "damaged"}] * 2),
        ("return-order", [{"line_no": 2, "qty": 1, "condition": "broken"}]),
    ],
)
def test_ship_and_return_lines_are_non_empty_and_unique(name: str, lines: list[dict[str, Any]]) -> None:
    body = {"order_id": "SO-1", "shipment_id": "SH-1", "return_id": "RT-1", "lines": lines}
    body.pop("return_id" if name == "ship-order" else "shipment_id")
    with pytest.raises(ValidationError):
        parse_command(name, body)


def _inspection(**changes: Any) -> dict[str, Any]:
    body = {
        "inspection_id": "IN-1",
        "lot_id": "L-1",
        "sku": "S",
        "stage": "final",
        "sample_size": 10,
        "defective_units": 10,
        "disposition": "reject",
    }
    return {**body, **changes}


def test_inspection_allows_more_defects_than_defective_units() -> None:
    defects = [{"category": "scratch", "count": 10}, {"category": "dent", "count": 7}]
    command = parse_command("record-inspection", _inspection(defects=defects))
    assert command.model_dump()["defective_units"] == 10
    assert parse_command("record-inspection", _inspection()).model_dump()["defects"] == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"defective_units": 11},
        {"sample_size": 0, "defective_units": 0},
        {"sample_size": "10"},
        {"sample_size": 10.0},
        {"sample_size": True},
        {"defective_units": -1},
        {"defects": [{"category": "scratch", "count": -1}]},
        {"defects": [{"category": "line\nbreak", "count": 1}]},
        {"defects": [{"category": "", "count": 1}]},
        {"stage": "outgoing"},
    ],
)
def test_inspection_rejects_bad_counts(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_command("record-inspection", _inspection(**changes))


def test_transfer_needs_two_locations() -> None:
    body = {"transfer_id": "T-1", "sku": "S", "from_location": "WH-A", "to_location": "WH-A", "qty": 1}
    with pytest.raises(ValidationError, match="must differ"):
        parse_command("transfer-stock", body)


def test_issue_stock_command_cannot_claim_a_sale() -> None:
    body = {"issue_id": "I-1", "sku": "S", "location_id": "W", "qty": 1, "reason": "sale"}
    with pytest.raises(ValidationError):
        parse_command("issue-stock", body)


def test_register_product_defaults_and_strict_flag() -> None:
    body = {"sku": "S", "name": "Widget", "uom": "ea", "category": "widgets"}
    assert parse_command("register-product", body).model_dump()["requires_inspection"] is False
    with pytest.raises(ValidationError):
        parse_command("register-product", {**body, "requires_inspection": "yes"})


# A throwaway event type at version 3, in a registry of its own: the global one is untouched.
class Gadget(Event):
    schema_version: ClassVar[int] = 3

    type: Literal["Gadget"] = "Gadget"
    gadget_id: str
    colour: str
    size: int

    def stream(self) -> str:
        return f"gadget:{self.gadget_id}"


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in data.items() if k != "color"}, "colour": data["color"]}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    data["size"] = data.get("size", 0) + 1
    return data


def test_upcasters_run_in_sequence_up_to_the_latest_version() -> None:
    registry = EventRegistry([Gadget])
    registry.register_upcaster("Gadget", 2, _v2_to_v3)
    registry.register_upcaster("Gadget", 1, _v1_to_v2)
    original = {"gadget_id": "G-1", "color": "red"}
    assert registry.upcast("Gadget", 1, original) == (3, {"gadget_id": "G-1", "colour": "red", "size": 1})
    assert original == {"gadget_id": "G-1", "color": "red"}
    assert registry.parse("Gadget", 2, {"gadget_id": "G-1", "colour": "blue", "size": 4}) == Gadget(
        gadget_id="G-1", colour="blue", size=5
    )
    assert registry.upcast("Gadget", 3, {"gadget_id": "G-1"}) == (3, {"gadget_id": "G-1"})
    assert "Gadget" not in {type_ for type_, _ in EVENTS}


def test_upcasting_fails_clearly_on_gaps_and_unknown_versions() -> None:
    registry = EventRegistry([Gadget])
    registry.register_upcaster("Gadget", 2, _v2_to_v3)
    with pytest.raises(UnknownEventType, match="from v1 to v2"):
        registry.upcast("Gadget", 1, {})
    for version in (0, 4):
        with pytest.raises(UnknownEventType, match="version"):
            registry.upcast("Gadget", version, {})
    with pytest.raises(UnknownEventType):
        registry.latest_version("Widget")
    with pytest.raises(ValueError, match="already registered"):
        registry.register_upcaster("Gadget", 2, _v2_to_v3)
    with pytest.raises(ValueError, match="below its latest"):
        registry.register_upcaster("Gadget", 3, _v2_to_v3)


def test_a_registry_refuses_two_classes_for_one_version() -> None:
    with pytest.raises(ValueError, match="two classes"):
        EventRegistry([Gadget, Gadget])
