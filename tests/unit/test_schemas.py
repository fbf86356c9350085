"""Unit tests of the shared types, the registry and the committed JSON Schema files."""

import importlib
import json
import pkgutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError

import schemas
import schemas.types as schema_types
from schemas import (
    AREAS,
    COMMANDS,
    EVENTS,
    MalformedJSON,
    UnknownCommand,
    UnknownEventType,
    area_of_stream,
    latest_version,
    parse_command,
    parse_command_json,
    parse_event,
    register_upcaster,
)
from schemas.access import RecordedScope
from schemas.export import json_schemas, write_json_schemas
from schemas.planning import BusinessPeriod, Period
from schemas.types import (
    Currency,
    FreeText,
    Identifier,
    Money,
    NonNegativeQty,
    Percent,
    PositiveQty,
    Quantity,
    StoredText,
    Timestamp,
)

REGENERATE = (
    "schemas/json is stale; regenerate it with schemas.export.write_json_schemas(Path('schemas/json'))"
)

API_COMMANDS = {
    "register-product",
    "set-reorder-policy",
    "register-location",
    "register-supplier",
    "register-customer",
    "register-team",
    "receive-stock",
    "transfer-stock",
    "adjust-stock",
    "issue-stock",
    "place-order",
    "ship-order",
    "cancel-order",
    "return-order",
    "set-sales-target",
    "record-inspection",
    "file-complaint",
    "acknowledge-complaint",
    "resolve-complaint",
    "reopen-complaint",
    # v1.1
    "place-purchase-order",
    "cancel-purchase-order",
    "record-delivery",
    "launch-campaign",
    "record-campaign-spend",
    "capture-lead",
    "qualify-lead",
    "lose-lead",
    "record-follow-up",
    "set-objective",
    "retire-objective",
}


class Ids(BaseModel):
    id: Identifier


class Amounts(BaseModel):
    qty: Quantity = Decimal(0)
    positive: PositiveQty = Decimal(1)
    non_negative: NonNegativeQty = Decimal(0)
    money: Money = Decimal(0)
    pct: Percent = Decimal(0)


class Texts(BaseModel):
    free: FreeText = "f"
    stored: StoredText = "s"


class Times(BaseModel):
    at: Timestamp


@pytest.mark.parametrize("value", ["a", "SKU-1", "x.y_z-9", "A" * 64, "0"])
def test_identifier_accepts_short_ascii_tokens(value: str) -> None:
    assert Ids(id=value).id == value


@pytest.mark.parametrize(
    "value", ["", "a b", "ä", "A" * 65, "x\n", "\nx", "ｓku", "sku/1", "a:b", "a@b", "ＳＫＵ-1", 7, None]
)
def test_identifier_rejects_anything_else(value: object) -> None:
    with pytest.raises(ValidationError):
        Ids(id=value)


PATTERNED = [
    (Identifier, "SKU-1"),
    (Currency, "EUR"),
    (RecordedScope, "read:stock"),
    (Period, "2026-11"),
    (BusinessPeriod, "2026-Q4"),
]


@pytest.mark.parametrize(("annotated", "valid"), PATTERNED)
@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\n\n"])
def test_every_pattern_holds_the_whole_string_never_a_trailing_newline(
    annotated: object, valid: str, suffix: str
) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(annotated)
    assert adapter.validate_python(valid) == valid
    with pytest.raises(ValidationError):
        adapter.validate_python(valid + suffix)
    with pytest.raises(ValidationError):
        adapter.validate_python(suffix + valid)


def _models() -> set[type[BaseModel]]:
    """Every model class of the schemas package, nested ones included."""
    found: set[type[BaseModel]] = set()
    for module in pkgutil.iter_modules(schemas.__path__, "schemas."):
        for value in vars(importlib.import_module(module.name)).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                found.add(value)
    return found


def test_no_model_validates_patterns_with_an_engine_whose_end_lets_a_newline_through() -> None:
    # ``whole_match`` relies on pydantic's default engine reading "$" as the end of the text.
    models = _models()
    assert len(models) > len(COMMANDS) + len(EVENTS) // 2
    assert all(m.model_config.get("regex_engine", "rust-regex") == "rust-regex" for m in models)
    assert all(m in models for m in (*COMMANDS.values(), *EVENTS.values()))


def test_under_an_engine_whose_end_lets_a_newline_through_whole_match_checks_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pattern = r"^[a-z]{1,3}$"

    def model() -> type[BaseModel]:
        class Loose(BaseModel):
            model_config = ConfigDict(regex_engine="python-re")
            id: Annotated[str, StringConstraints(pattern=pattern), schema_types.whole_match(pattern)]

        return Loose

    assert model()(id="ab\n").id == "ab\n"  # why no model may use such an engine unchecked
    monkeypatch.setattr(schema_types, "_ANCHORED", False)
    with pytest.raises(ValidationError, match="should match pattern"):
        model()(id="ab\n")
    assert model()(id="ab").id == "ab"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        ("12.50", "12.50"),
        (12.5, "12.5"),
        (0.1, "0.1"),
        (2.0, "2"),
        ("1e3", "1000"),
        ("-3.25", "-3.25"),
        ("0.000001", "0.000001"),
        (Decimal("7.125"), "7.125"),
        ("-0", "0"),
        ("123456789012345678.123456", "123456789012345678.123456"),
    ],
)
def test_quantity_reads_numbers_and_strings_and_writes_strings(value: object, text: str) -> None:
    model = Amounts(qty=value)
    assert model.qty == Decimal(text)
    assert model.model_dump(mode="json")["qty"] == text
    assert json.loads(model.model_dump_json())["qty"] == text


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        float("nan"),
        float("inf"),
        "1_000",
        " 1",
        "1 ",
        "١٢",
        "0x10",
        "",
        ".5",
        "1e99999",
        "1.1234567",
        10**30,
        "9" * 100_000,
        "1." + "0" * 100_000 + "1",
        0.30000000000000004,
        [1],
    ],
)
def test_quantity_rejects_non_numbers_and_oversized_values(value: object) -> None:
    with pytest.raises(ValidationError):
        Amounts(qty=value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("positive", 0),
        ("positive", "-1"),
        ("non_negative", "-0.000001"),
        ("money", "1.00001"),
        ("pct", "100.01"),
        ("pct", -1),
    ],
)
def test_decimal_bounds(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        Amounts.model_validate({field: value})


def test_decimal_bounds_are_inclusive_where_documented() -> None:
    model = Amounts.model_validate({"non_negative": 0, "pct": 100, "money": "-5.1234"})
    assert model.model_dump(mode="json")["pct"] == "100"


def test_exact_json_decoding_keeps_every_digit() -> None:
    body = b'{"receipt_id": "R-1", "sku": "S", "location_id": "W", "qty": 0.1, "unit_cost": 12.50}'
    command = parse_command_json("receive-stock", body)
    assert command.model_dump(mode="json")["qty"] == "0.1"
    assert command.model_dump(mode="json")["unit_cost"] == "12.50"
    lossy = b'{"receipt_id": "R-1", "sku": "S", "location_id": "W", "qty": 1.0000000000000000001}'
    with pytest.raises(ValidationError):
        parse_command_json("receive-stock", lossy)
    huge = lossy.replace(b"1.0000000000000000001", b"1." + b"0" * 1_000_000 + b"1")
    with pytest.raises(ValidationError):
        parse_command_json("receive-stock", huge)


@pytest.mark.parametrize(
    "raw", [b"{", b'{"qty": NaN}', b'{"a": 1, "a": 2}', b"[" * 100_000, b"\xff\xfe\x00", b"9" * 5000]
)
def test_malformed_json_is_one_exception_type(raw: bytes) -> None:
    with pytest.raises(MalformedJSON):
        parse_command_json("receive-stock", raw)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("  damaged goods  ", "damaged goods"),
        ("Gartenmöbel / Außenbereich", "Gartenmöbel / Außenbereich"),
        ("破損 🙂 \u200d", "破損 🙂 \u200d"),
        ("\tpadded with tabs and line breaks\r\n", "padded with tabs and line breaks"),
        ("x" * 500, "x" * 500),
        ("a" * 64, "a" * 64),
    ],
)
def test_free_text_is_trimmed_printable_unicode_of_up_to_500_characters(value: str, kept: str) -> None:
    assert Texts(free=value).free == kept


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "a\tb",
        "line one\nline two",
        "a\x00b",
        "bell\x07",
        "del\x7f",
        "next\x85line",
        "\ud800",
        "x\udc00y",
        "x" * 501,
    ],
)
def test_free_text_refuses_control_characters_lone_surrogates_and_length(value: str) -> None:
    with pytest.raises(ValidationError):
        Texts(free=value)


@pytest.mark.parametrize(
    "value",
    [
        "line one\nline two\twith a tab",  # a text as the first versions took it
        "t" * 2000,
        "n" * 200,  # a name
        "SKU-1.a_b",  # a category when it was an id
        "x" * 500,  # free text as commands take it now
        "C1 \x85 controls",
    ],
)
def test_stored_text_accepts_whatever_earlier_commands_recorded(value: str) -> None:
    assert Texts(stored=value).stored == value


def test_stored_text_still_refuses_what_no_version_recorded() -> None:
    for bad in ["", "a\x00", "t" * 2001, "bell\x07"]:
        with pytest.raises(ValidationError):
            Texts(stored=bad)


def test_old_events_stay_valid_while_commands_follow_the_free_text_rules() -> None:
    old_text = "first line\nsecond line\t" + "x" * 1500
    assert parse_event("ComplaintResolved", 1, {"complaint_id": "C-1", "resolution": old_text})
    assert parse_event("OrderCancelled", 1, {"order_id": "SO-1", "reason": old_text, "lines": []})
    registered = {"sku": "SKU-1", "name": "n" * 200, "uom": "ea", "category": "power-tools"}
    assert parse_event("ProductRegistered", 1, {**registered, "requires_inspection": False})
    defects = [{"category": "scratch", "count": 1}, {"category": "bent pin", "count": 2}]
    inspection = {
        "inspection_id": "Q-1", "lot_id": "L-1", "sku": "SKU-1", "stage": "final", "sample_size": 5,
        "defective_units": 1, "defects": defects, "disposition": "accept",
    }  # fmt: skip
    assert parse_event("InspectionRecorded", 1, inspection)
    with pytest.raises(ValidationError):
        parse_command("resolve-complaint", {"complaint_id": "C-1", "resolution": old_text})
    complaint = {
        "complaint_id": "C-1", "customer_id": "CUS-1", "channel": "email", "category": "damaged goods",
        "severity": "high", "description": "Box arrived crushed",
    }  # fmt: skip
    assert parse_command("file-complaint", complaint).model_dump()["category"] == "damaged goods"


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-05T10:00:00Z",
        "2026-11-05T10:00:00+01:00",
        "2026-11-05 10:00:00.123456-05:00",
        datetime.fromisoformat("2026-11-05T10:00:00+00:00"),
    ],
)
def test_timestamps_need_a_timezone(value: object) -> None:
    assert Times.model_validate({"at": value}).at.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-05T10:00:00",
        datetime.fromisoformat("2026-11-05T10:00:00"),
        "2026-11-05",
        1_700_000_000,
        "1700000000",
        "2026-11-05T10:00Z",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_naive_epoch_and_out_of_range_times_are_rejected(value: object) -> None:
    with pytest.raises(ValidationError):
        Times(at=value)


def test_occurred_at_is_optional_and_must_be_aware() -> None:
    body = {"complaint_id": "C-9"}
    assert parse_command("acknowledge-complaint", body).occurred_at is None
    aware = parse_command("acknowledge-complaint", {**body, "occurred_at": "2026-11-05T10:00:00Z"})
    assert aware.occurred_at is not None
    with pytest.raises(ValidationError):
        parse_command("acknowledge-complaint", {**body, "occurred_at": "2026-11-05T10:00:00"})


def test_extra_fields_are_rejected_everywhere() -> None:
    with pytest.raises(ValidationError):
        parse_command("acknowledge-complaint", {"complaint_id": "C-9", "actor": "mallory"})
    with pytest.raises(ValidationError):
        parse_event("ComplaintAcknowledged", 1, {"complaint_id": "C-9", "extra": 1})
    line = {"line_no": 1, "qty": 1, "colour": "red"}
    with pytest.raises(ValidationError):
        parse_command("ship-order", {"order_id": "SO-1", "shipment_id": "SH-1", "lines": [line]})


def test_commands_and_events_are_frozen() -> None:
    command = parse_command("acknowledge-complaint", {"complaint_id": "C-9"})
    with pytest.raises(ValidationError, match="frozen"):
        command.occurred_at = None  # type: ignore[misc]  # the runtime refusal is what is tested
    event = parse_event("ComplaintAcknowledged", 1, {"complaint_id": "C-9"})
    with pytest.raises(ValidationError, match="frozen"):
        event.type = "ComplaintResolved"  # type: ignore[misc]  # likewise


def test_every_api_command_is_registered_under_its_name_and_area() -> None:
    assert set(COMMANDS) == API_COMMANDS
    for name, cls in COMMANDS.items():
        assert cls.command_name == name
        assert cls.area in AREAS
    assert len(AREAS) == 10
    assert COMMANDS["place-purchase-order"].area == COMMANDS["cancel-purchase-order"].area == "purchasing"
    assert COMMANDS["record-delivery"].area == "sales"
    marketing = ("launch-campaign", "record-campaign-spend", "capture-lead", "qualify-lead", "lose-lead")
    assert {COMMANDS[name].area for name in marketing} == {"marketing"}
    assert COMMANDS["record-follow-up"].area == "customers"
    assert COMMANDS["set-objective"].area == COMMANDS["retire-objective"].area == "planning"


def test_unknown_command_is_a_key_error_with_a_plain_message() -> None:
    with pytest.raises(UnknownCommand) as caught:
        parse_command("launch-rocket", {})
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "unknown command 'launch-rocket'"


def test_non_object_bodies_are_validation_errors() -> None:
    bodies: list[object] = [[], "x", None, 3]
    for body in bodies:
        with pytest.raises(ValidationError):
            parse_command("acknowledge-complaint", body)


def test_unknown_event_types_and_versions_are_rejected() -> None:
    with pytest.raises(UnknownEventType, match="Nope"):
        parse_event("Nope", 1, {})
    for version in (0, 2):
        with pytest.raises(UnknownEventType, match="version"):
            parse_event("ComplaintAcknowledged", version, {"complaint_id": "C-9"})
    assert latest_version("OrderPlaced") == 1
    with pytest.raises(ValueError, match="no version 1 below"):
        register_upcaster("OrderPlaced", 1, dict)


@pytest.mark.parametrize(
    ("stream", "area"),
    [
        ("product:SKU-1", "catalog"),
        ("location:WH-A", "catalog"),
        ("supplier:SUP-1", "catalog"),
        ("customer:C-1", "catalog"),
        ("team:north", "catalog"),
        ("stock:SKU-1@WH-A", "inventory"),
        ("order:SO-1001", "sales"),
        ("target:2026-11/team/north", "planning"),
        ("lot:L-77", "quality"),
        ("complaint:C-9", "service"),
        ("principal:alice", "access"),
        ("po:PO-1", "purchasing"),
        ("campaign:CMP-1", "marketing"),
        ("lead:L-1", "marketing"),
        ("followup:F-1", "customers"),
        ("objective:OBJ-1", "planning"),
        ("target:2026-11/category/power tools / hand", "planning"),
    ],
)
def test_area_of_stream(stream: str, area: str) -> None:
    assert area_of_stream(stream) == area


@pytest.mark.parametrize("stream", ["rocket:1", "order", "order:", ":1", ""])
def test_area_of_stream_rejects_unknown_or_malformed_streams(stream: str) -> None:
    with pytest.raises(ValueError, match="stream"):
        area_of_stream(stream)


def test_json_schema_files_are_keyed_by_command_name_and_event_version() -> None:
    names = set(json_schemas())
    assert {f"commands/{name}.json" for name in API_COMMANDS} <= names
    assert {f"events/{type_}.v{version}.json" for type_, version in EVENTS} <= names
    assert len(names) == len(COMMANDS) + len(EVENTS)


def test_event_schemas_describe_stored_data() -> None:
    schema = json_schemas()["events/OrderPlaced.v1.json"]
    assert "type" not in schema["properties"]
    assert "rep_id" in schema["required"]
    assert schema["properties"]["total"]["type"] == "string"


def test_committed_json_schemas_are_current(tmp_path: Path) -> None:
    committed = Path(schemas.__file__).parent / "json"
    write_json_schemas(tmp_path)

    def files(root: Path) -> dict[str, bytes]:
        found = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.json")}
        found.pop("asyncapi.json", None)  # `ledger schemas` writes it for the configured log: not committed
        return found

    fresh, stored = files(tmp_path), files(committed)
    assert sorted(stored) == sorted(fresh), REGENERATE
    for name, content in fresh.items():
        assert stored[name] == content, f"{name}: {REGENERATE}"


def test_written_schema_bytes_are_deterministic(tmp_path: Path) -> None:
    first = write_json_schemas(tmp_path / "a")
    second = write_json_schemas(tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    text = first[0].read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.startswith(('{\n  "$defs"', '{\n  "$schema"'))
