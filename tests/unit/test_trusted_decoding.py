"""Readers of the log build events without validating them again, and get what validation gives.

`decode_event` trusts the log's data (validated when its command was decided) and builds the
event from it directly; `parse_event` validates every field. For every event type the ledger
writes, both must answer equal events with equal field types, and data that is not what the
ledger writes must fail in `decode_event` exactly as it fails in `parse_event`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from handlers import DomainError, WriteModel, decide, evolve
from ledger.demo import generate
from schemas import EVENTS, Event, UnknownEventType, decode_event, latest_version, parse_command, parse_event
from schemas.access import TokenIssued, TokenRevoked
from schemas.inventory import StockReceived
from schemas.marketing import CampaignLaunched
from schemas.sales import OrderPlaced
from schemas.trusted import builder, replaced
from tests.support.golden import golden_events
from tests.support.marketing import MARKETING_HISTORY
from tests.support.purchasing import PURCHASING_HISTORY

NOW = datetime(2026, 11, 20, 15, 30, 12, tzinfo=UTC)


@cache
def stored() -> tuple[tuple[str, int, dict[str, Any]], ...]:
    """(type, schema_version, data as the log holds it) of two months of the demo company,
    a purchasing history and one of marketing, customers and plans (every event of those
    areas, whether the demo makes them or not), the token events it never makes, and the
    golden v1 events."""
    state, found = WriteModel(), list[Event]()
    for name, body in generate(NOW, 7, 60):
        try:
            events = decide(state, parse_command(name, body))
        except DomainError:
            continue
        for event in events:
            evolve(state, event)
        found += events
    for name, body in (*PURCHASING_HISTORY, *MARKETING_HISTORY):
        events = decide(state, parse_command(name, body))
        for event in events:
            evolve(state, event)
        found += events
    found += [TokenIssued(principal="ops", scopes=("admin", "read")), TokenRevoked(principal="ops")]
    as_logged = [(e.type, e.schema_version, orjson.loads(orjson.dumps(e.data()))) for e in found]
    return (*as_logged, *((e.type, e.schema_version, e.data) for e in golden_events()))


def every_value(model: BaseModel) -> Iterator[tuple[str, object]]:
    for name, value in model.__dict__.items():
        yield name, value
        for item in value if isinstance(value, tuple) else ():
            if isinstance(item, BaseModel):
                yield from every_value(item)


def test_the_data_decoded_covers_every_event_type_and_version() -> None:
    assert {(t, v) for t, v, _ in stored()} == set(EVENTS)


def test_decoded_events_equal_validated_ones_down_to_each_value_and_its_type() -> None:
    for type_, version, data in stored():
        trusted, validated = decode_event(type_, version, data), parse_event(type_, version, data)
        assert type(trusted) is type(validated)
        assert trusted == validated
        assert trusted.model_fields_set == validated.model_fields_set
        assert trusted.data() == validated.data()
        pairs = zip(every_value(trusted), every_value(validated), strict=True)
        assert all(a == b and type(a[1]) is type(b[1]) for a, b in pairs), (type_, data)


def test_decoded_events_are_frozen_models_like_validated_ones() -> None:
    type_, version, data = next(s for s in stored() if s[0] == "OrderPlaced")
    event, validated = decode_event(type_, version, data), parse_event(type_, version, data)
    assert isinstance(event, OrderPlaced)
    assert isinstance(validated, OrderPlaced)
    with pytest.raises(ValidationError, match="frozen"):
        event.order_id = "other"  # type: ignore[misc]  # frozen: the point
    assert isinstance(event.lines, tuple)
    assert isinstance(event.lines[0].amount, Decimal)
    assert hash(event.lines[0]) == hash(validated.lines[0])


def test_old_versions_are_upcast_before_they_are_built() -> None:
    for event in golden_events():
        decoded = decode_event(event.type, event.schema_version, event.data)
        assert decoded.schema_version == latest_version(event.type) == 2
        assert decoded == parse_event(event.type, event.schema_version, event.data)


def _received(**changes: object) -> dict[str, object]:
    data = {"receipt_id": "R-1", "sku": "SKU-1", "location_id": "WH-A", "qty": "5"}
    return {k: v for k, v in {**data, **changes}.items() if v is not ...}


@pytest.mark.parametrize(
    ("type_", "version", "data"),
    [
        ("StockReceived", 1, _received(colour="red")),  # a field the class does not have
        ("StockReceived", 1, _received(qty=...)),  # a required field missing
        ("StockReceived", 1, _received(qty="five")),  # text that is no decimal
        ("StockReceived", 1, _received(type="StockIssued")),  # a type tag that disagrees
        ("OrderShipped", 1, {"order_id": "O-1", "shipment_id": "S-1", "lines": [{"line_no": 1}]}),
        ("StockAdjusted", 1, {"adjustment_id": "A-1"}),  # v1 data the upcaster cannot lift
        ("StockAdjusted", 3, {}),
        ("NoSuchEvent", 1, {}),
    ],
    ids=["unknown-field", "missing", "not-a-decimal", "tag", "nested", "v1-broken", "v3", "type"],
)
def test_data_not_as_the_ledger_writes_it_fails_as_validation_fails(
    type_: str, version: int, data: dict[str, object]
) -> None:
    with pytest.raises((ValidationError, UnknownEventType)) as validated:
        parse_event(type_, version, data)
    with pytest.raises(type(validated.value)) as trusted:
        decode_event(type_, version, data)
    assert str(trusted.value) == str(validated.value)


def _launched(**changes: object) -> dict[str, object]:
    data = {
        "campaign_id": "CMP-1",
        "name": "Fair",
        "medium": "event",
        "starts_on": "2026-11-01",
        "ends_on": "2026-11-30",
        "budget": "10",
        "currency": "EUR",
    }
    return {**data, **changes}


def test_a_stored_date_is_built_as_a_date() -> None:
    event = decode_event("CampaignLaunched", 1, _launched(ends_on="2027-02-28"))
    assert isinstance(event, CampaignLaunched)
    assert type(event.starts_on) is date
    assert (event.starts_on, event.ends_on) == (date(2026, 11, 1), date(2027, 2, 28))
    assert event == parse_event("CampaignLaunched", 1, _launched(ends_on="2027-02-28"))


@pytest.mark.parametrize(
    "starts_on",
    [20261101, "20261101", "2026-W44-7", "2026-11-01T00:00:00Z", "2026-02-30", "2026-11-1", None],
    ids=["number", "basic", "week", "time", "no-such-day", "short", "null"],
)
def test_a_date_the_ledger_never_writes_fails_as_validation_fails(starts_on: object) -> None:
    data = _launched(starts_on=starts_on)
    with pytest.raises(ValidationError) as validated:
        parse_event("CampaignLaunched", 1, data)
    with pytest.raises(ValidationError) as trusted:
        decode_event("CampaignLaunched", 1, data)
    assert str(trusted.value) == str(validated.value)


def test_a_decimal_the_ledger_never_writes_as_a_number_reads_as_validation_reads_it() -> None:
    data = _received(qty=5.5, unit_cost=2)
    assert decode_event("StockReceived", 1, data) == parse_event("StockReceived", 1, data)


def test_data_that_breaks_a_rule_but_not_the_shape_is_trusted() -> None:
    """What validation alone would refuse reads as written: the check is ``ledger verify``'s."""
    data = _received(qty="-5", sku="not an id")
    with pytest.raises(ValidationError):
        parse_event("StockReceived", 1, data)
    event = decode_event("StockReceived", 1, data)
    assert isinstance(event, StockReceived)
    assert (event.qty, event.sku) == (Decimal(-5), "not an id")


def test_a_model_whose_fields_cannot_be_built_is_refused_when_the_builder_is_made() -> None:
    class Odd(BaseModel):
        counts: dict[str, int]

    with pytest.raises(TypeError, match="no trusted conversion"):
        builder(Odd)


def test_replaced_is_model_copy_with_update() -> None:
    command = parse_command("receive-stock", {"receipt_id": "R-1", "sku": "S", "location_id": "L", "qty": 3})
    copied, reference = replaced(command, occurred_at=NOW), command.model_copy(update={"occurred_at": NOW})
    assert copied == reference
    assert copied.model_fields_set == reference.model_fields_set
    assert command.occurred_at is None  # the original is untouched
