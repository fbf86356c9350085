"""StockAdjusted v1 -> v2: the golden v1 events still verify, read as v2 and replay like new ones.

v2 splits v1's free-text `reason` into a `reason_code` and a `note`. Stored v1 events are
never rewritten (their hash covers their v1 data); `parse_event` lifts them on read through
`upcast_stock_adjusted_v1_v2`, with the same mapping rule the adjust-stock handler applies to
a command without `reason_code`.
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from pydantic import ValidationError

from handlers import WriteModel, decide, evolve
from ledger.envelope import Envelope, chain_breaks
from schemas import EVENTS, latest_version, parse_command, parse_event, upcast
from schemas.catalog import LocationRegistered, ProductRegistered
from schemas.inventory import StockAdjusted, StockAdjustedV1, reason_code_of, upcast_stock_adjusted_v1_v2
from tests.support.golden import golden_events

GOLDEN = golden_events()

# adjustment_id -> (reason_code, note) the golden v1 events must read as.
EXPECTED = {
    "CC-0001": ("cycle_count", "Opening count"),
    "CC-0002": ("cycle_count", "Weekly cycle count"),
    "CC-0003": ("damage", "Weekly cycle count: damaged packaging written off"),
    "CC-0004": ("correction", "Weekly cycle count: picking error corrected"),
    "CC-0005": ("shrinkage", "Weekly cycle count: shrinkage"),
    "CC-0006": ("found", "Weekly cycle count: misplaced stock found"),
    "CC-0007": ("other", "Pallet moved in from the yard\nwithout paperwork"),
}


def streams(events: list[Envelope]) -> dict[str, list[Envelope]]:
    by_stream: dict[str, list[Envelope]] = {}
    for event in events:
        by_stream.setdefault(event.stream, []).append(event)
    return by_stream


def test_the_golden_set_is_whole_v1_stock_adjusted_envelopes() -> None:
    assert len(GOLDEN) == len(EXPECTED)
    assert {(e.type, e.schema_version) for e in GOLDEN} == {("StockAdjusted", 1)}
    assert sorted(e.data["adjustment_id"] for e in GOLDEN) == sorted(EXPECTED)
    assert all("reason" in e.data and "reason_code" not in e.data for e in GOLDEN)


def test_golden_v1_events_still_hash_and_chain() -> None:
    by_stream = streams(GOLDEN)
    assert len(by_stream) == 2
    for events in by_stream.values():
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        assert chain_breaks(events) == []


def test_stock_adjusted_has_v1_and_v2_in_the_registry() -> None:
    assert latest_version("StockAdjusted") == 2
    assert EVENTS[("StockAdjusted", 1)] is StockAdjustedV1
    assert EVENTS[("StockAdjusted", 2)] is StockAdjusted
    assert StockAdjusted.schema_version == 2


def test_golden_v1_data_still_validates_as_v1() -> None:
    for envelope in GOLDEN:
        assert StockAdjustedV1.model_validate(envelope.data).data() == envelope.data


def test_golden_v1_events_parse_as_v2_with_the_expected_codes_and_notes() -> None:
    for envelope in GOLDEN:
        event = parse_event(envelope.type, envelope.schema_version, envelope.data)
        assert isinstance(event, StockAdjusted)
        assert (event.reason_code, event.note) == EXPECTED[event.adjustment_id]
        assert event.stream() == envelope.stream
        assert event.counted_qty == Decimal(envelope.data["counted_qty"])
        assert event.delta == Decimal(envelope.data["delta"])


def test_reading_a_golden_event_leaves_it_and_its_hash_unchanged() -> None:
    for envelope in GOLDEN:
        before = copy.deepcopy(envelope.data)
        parse_event(envelope.type, envelope.schema_version, envelope.data)
        assert envelope.data == before
        assert envelope.compute_hash() == envelope.hash


def test_the_upcaster_is_a_pure_function_of_v1_data() -> None:
    data = copy.deepcopy(GOLDEN[2].data)
    lifted = upcast_stock_adjusted_v1_v2(data)
    assert data == GOLDEN[2].data
    assert lifted == {
        "adjustment_id": "CC-0003",
        "sku": "SKU-100",
        "location_id": "WH-A",
        "counted_qty": "38",
        "delta": "-2",
        "reason_code": "damage",
        "note": "Weekly cycle count: damaged packaging written off",
    }
    assert upcast_stock_adjusted_v1_v2(data) == lifted
    assert upcast("StockAdjusted", 1, data) == (2, lifted)


def test_malformed_v1_data_fails_as_v1_before_any_upcasting() -> None:
    data = {k: v for k, v in GOLDEN[0].data.items() if k != "reason"}
    with pytest.raises(ValidationError) as caught:
        parse_event("StockAdjusted", 1, data)
    assert [error["loc"] for error in caught.value.errors()] == [("reason",)]
    with pytest.raises(ValidationError):  # v2 data is not v1 data
        parse_event("StockAdjusted", 1, {**data, "reason_code": "other", "note": None})


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("Weekly cycle count", "cycle_count"),
        ("Annual STOCKTAKE", "cycle_count"),
        ("counted twice", "cycle_count"),
        ("Damaged in transit", "damage"),
        ("two broken, one spoiled", "damage"),
        ("Found two broken units", "damage"),
        ("Theft suspected", "shrinkage"),
        ("cycle count: 3 missing", "shrinkage"),
        ("Booking mistake corrected", "correction"),
        ("error found in last count", "correction"),
        ("Misplaced stock found", "found"),
        ("Returned to the vendor off the books", "other"),
        ("Recount", "other"),
        ("discount tags", "other"),
    ],
)
def test_the_reason_rule_takes_the_first_cause_whose_keyword_starts_a_word(reason: str, code: str) -> None:
    assert reason_code_of(reason) == code


def _sites() -> WriteModel:
    state = WriteModel()
    evolve(
        state,
        ProductRegistered(
            sku="SKU-100", name="Widget", uom="ea", category="widgets", requires_inspection=False
        ),
    )
    for location_id in ("WH-A", "ST-1"):
        evolve(state, LocationRegistered(location_id=location_id, name=location_id, kind="warehouse"))
    return state


def _same_command_today(state: WriteModel, v1: dict[str, object]) -> StockAdjusted:
    """The count as a command would record it today. A reason with line breaks was free text
    then and is not now: today's command says it on one line, and the note keeps the old text."""
    body = {k: v for k, v in v1.items() if k != "delta"}
    body["reason"] = " ".join(str(body["reason"]).split())
    (event,) = decide(state, parse_command("adjust-stock", body))
    assert isinstance(event, StockAdjusted)
    return event.model_copy(update={"note": v1["reason"]})


def test_a_golden_event_reads_as_the_same_count_decided_today() -> None:
    replayed, today = _sites(), _sites()
    for envelope in GOLDEN:
        old = parse_event(envelope.type, envelope.schema_version, envelope.data)
        new = _same_command_today(today, envelope.data)
        # Recorded before valuation, the old count moved no value; today's records that it moved 0.
        assert (old.value, old.unit_cost_after) == (None, None)
        assert (new.value, new.unit_cost_after) == (Decimal(0), Decimal(0))
        assert new.model_copy(update={"value": None, "unit_cost_after": None}) == old
        evolve(replayed, old)
        evolve(today, new)
    assert replayed.stock == today.stock
    assert replayed.adjustments == today.adjustments
    assert replayed.level("SKU-100", "WH-A").on_hand == Decimal(39)
    assert replayed.level("SKU-100", "ST-1").on_hand == Decimal(15)


def test_a_new_adjust_stock_is_recorded_as_v2() -> None:
    body = {"adjustment_id": "CC-9", "sku": "SKU-100", "location_id": "WH-A", "counted_qty": "4"}
    (event,) = decide(_sites(), parse_command("adjust-stock", {**body, "reason": "Forklift damage"}))
    assert isinstance(event, StockAdjusted)
    assert (event.type, event.schema_version) == ("StockAdjusted", 2)
    stored = event.data()
    assert stored == {
        **body,
        "delta": "4",
        "reason_code": "damage",
        "note": "Forklift damage",
        "value": "0",
        "unit_cost_after": "0",
    }
    assert parse_event(event.type, event.schema_version, stored) == event


def test_adjust_stock_still_requires_its_reason_and_checks_a_given_code() -> None:
    body = {"adjustment_id": "CC-9", "sku": "SKU-100", "location_id": "WH-A", "counted_qty": "4"}
    with pytest.raises(ValidationError):
        parse_command("adjust-stock", {**body, "reason_code": "damage"})
    with pytest.raises(ValidationError):
        parse_command("adjust-stock", {**body, "reason": "x", "reason_code": "lost-in-space"})
    assert (
        parse_command("adjust-stock", {**body, "reason": "x", "reason_code": "found"}).model_dump()[
            "reason_code"
        ]
        == "found"
    )
