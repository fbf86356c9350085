"""Hostile input to every command: whatever arrives, the answer is a 4xx problem, never a 500.

Every command of ``schemas.registry.COMMANDS`` gets bodies that are not JSON, JSON that is not
an object, the wrong media type, oversized bodies, absurd nesting, numbers no decimal can hold,
every field of the wrong type, unicode tricks in every id, unknown and missing fields and
garbage business times; the answer must be ``application/problem+json`` with ``type``,
``title``, ``status`` equal to the HTTP status, ``detail`` and, for a 422, ``errors`` naming the
field. None of it may reach the log; afterwards the app is still ready and a valid command on
a fresh stream still gets version 1. The fields are read from the command models, so a field
added to a schema is attacked too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import types
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import pytest
from annotated_types import Ge, Gt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo
from pydantic.types import StringConstraints

from handlers.errors import DomainError
from ledger.http.problems import problem_for, problem_response
from schemas import COMMANDS, parse_command

from .conftest import Api, AppFactory
from .logs import appends_nothing, events_after
from .samples import COMMAND_NAMES, valid_body

PROBLEM = "application/problem+json"
ID_CHARS = "[A-Za-z0-9._-]{1,64}"
SENTINEL = "\x1ehostile\x1e"

Path = tuple[str | int, ...]


# -- the fields of a command, read from its model ---------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    path: Path
    kind: str  # id, text, choice, decimal, int, bool, array, time, date
    required: bool
    nullable: bool
    positive: bool  # a number that must be greater than zero
    signed: bool  # a number with no lower bound (an objective's target may be below zero)


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """The bare type under Annotated and Optional, the metadata met, and whether None is allowed."""
    metadata: list[Any] = []
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            nullable = nullable or len(members) < len(get_args(annotation))
            (annotation,) = members
        else:
            return annotation, metadata, nullable


def _kind(annotation: Any, metadata: list[Any]) -> str:
    origin = get_origin(annotation)
    if origin is tuple:
        return "array"
    if origin is Literal:
        return "choice"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is Decimal:
        return "decimal"
    if annotation in (datetime, AwareDatetime):
        return "time"
    if annotation is date:
        return "date"
    if annotation is str:
        patterns = [m.pattern for m in metadata if isinstance(m, StringConstraints) and m.pattern]
        return "id" if any(ID_CHARS in str(pattern) for pattern in patterns) else "text"
    raise AssertionError(f"a field type these tests do not know: {annotation!r}")


def fields_of(model: type[BaseModel], prefix: Path = ()) -> Iterator[FieldSpec]:
    for name, info in model.model_fields.items():
        annotation, nested, nullable = _unwrap(info.annotation)
        metadata = [*info.metadata, *nested]
        kind = _kind(annotation, metadata)
        path = (*prefix, name)
        positive = any(isinstance(m, Gt) and m.gt == 0 for m in metadata)
        signed = not any(isinstance(m, Ge | Gt) for m in metadata)
        yield FieldSpec(path, kind, info.is_required(), nullable or info.default is None, positive, signed)
        if kind == "array":
            (item,) = (arg for arg in get_args(annotation) if arg is not Ellipsis)
            yield from fields_of(item, (*path, 0))


def command_fields(name: str, *kinds: str) -> list[FieldSpec]:
    return [f for f in fields_of(COMMANDS[name]) if not kinds or f.kind in kinds]


def with_value(name: str, path: Path, raw: str) -> bytes:
    """The command's valid body as JSON text, with the raw JSON text ``raw`` at ``path``."""
    body = valid_body(name)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = SENTINEL
    return json.dumps(body).replace(json.dumps(SENTINEL), raw).encode()


def without(name: str, path: Path) -> bytes:
    body = valid_body(name)
    target: Any = body
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return json.dumps(body).encode()


def as_json(value: str) -> str:
    """A string as JSON text: raw UTF-8 where it can be, escapes (a lone surrogate) where not."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


# -- what is sent and what must come back ------------------------------------------------------


class Answer(NamedTuple):
    status: int
    content_type: str
    body: Any
    headers: dict[str, str]


async def post(
    api: Api,
    path: str,
    data: bytes | Any,
    content_type: str | None = "application/json",
    **headers: str,
) -> Answer:
    sent = api.headers(**headers)
    skip: set[str] = set()
    if content_type is None:
        skip.add("Content-Type")
    else:
        sent["Content-Type"] = content_type
    async with api.client.post(path, data=data, headers=sent, skip_auto_headers=skip) as response:
        raw = await response.read()
        return Answer(response.status, response.content_type, _decode(raw), dict(response.headers))


async def request(api: Api, method: str, path: str) -> Answer:
    async with api.client.request(method, path, headers=api.headers()) as response:
        raw = await response.read()
        return Answer(response.status, response.content_type, _decode(raw), dict(response.headers))


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def assert_problem(answer: Answer, status: int, case: object, loc: Path | None = None) -> None:
    """A problem+json answer of ``status``; for a 422 one that names ``loc`` among its errors."""
    assert answer.status == status, (case, answer.status, answer.body)
    assert answer.content_type == PROBLEM, (case, answer)
    body = answer.body
    assert isinstance(body, dict), (case, body)
    assert isinstance(body.get("type"), str), (case, body)
    assert body["type"], (case, body)
    assert isinstance(body.get("title"), str), (case, body)
    assert body["title"], (case, body)
    assert body.get("status") == status, (case, body)
    assert isinstance(body.get("detail"), str), (case, body)
    assert body["detail"], (case, body)
    if status == 422:
        errors = body.get("errors")
        assert isinstance(errors, list), (case, body)
        assert errors, (case, body)
        for error in errors:
            assert isinstance(error, dict), (case, body)
            assert isinstance(error.get("loc"), list), (case, body)
            assert isinstance(error.get("msg"), str), (case, body)
            assert error["msg"], (case, body)
        if loc is not None:
            wanted = ["body", *loc]
            assert any(e["loc"][: len(wanted)] == wanted for e in errors), (case, wanted, errors)


async def command(api: Api, name: str, data: bytes) -> Answer:
    return await post(api, f"/v1/commands/{name}", data)


@pytest.fixture(scope="module", autouse=True)
async def ready_at_start(module_api: Api) -> None:
    """The app is ready before the first attack, so that being ready after it means something:
    a fresh app's projectors take a moment to reach the end of the log, and the first
    command's attacks take less."""
    for _ in range(200):
        async with module_api.client.get("/readyz") as response:
            if response.status == 200:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the app did not become ready within 10 s")


@contextlib.asynccontextmanager
async def leaves_no_trace(api: Api) -> AsyncIterator[None]:
    """Nothing may reach the log inside; after it, the app is ready and still takes commands."""
    async with appends_nothing(api):
        yield
    async with api.client.get("/readyz") as response:
        assert response.status == 200, await response.text()
    location = f"FRESH-{uuid.uuid4().hex[:12]}"
    answer = await command(
        api, "register-location", json.dumps({"location_id": location, "name": "x", "kind": "store"}).encode()
    )
    assert answer.status == 201, answer
    [event] = answer.body["events"]
    assert (event["stream"], event["version"]) == (f"location:{location}", 1)


# -- the hostile values ------------------------------------------------------------------------

FIVE_THOUSAND_DIGITS = "1" + "0" * 4999
DEEP_ARRAYS = "[" * 100_000 + "]" * 100_000
DEEP_OBJECTS = '{"a":' * 100_000 + "1" + "}" * 100_000

# (label, raw JSON text, status): 400 when no JSON reader of exact decimals takes it, else 422.
HOSTILE_NUMBERS = [
    ("1e999999", "1e999999", 422),
    ("-1e999999", "-1e999999", 422),
    ("1e-999999", "1e-999999", 422),
    ("an exponent beyond any decimal", "1E+99999999999999999999", 400),
    ("a tiny exponent beyond any decimal", "1E-99999999999999999999", 400),
    ("a 5000-digit integer", FIVE_THOUSAND_DIGITS, 400),
    ("a 40-digit integer", "9" * 40, 422),
    ("a 400-digit fraction", "0." + "1" * 400, 422),
    ("NaN", "NaN", 400),
    ("Infinity", "Infinity", 400),
    ("-Infinity", "-Infinity", 400),
    ("negative", "-1", 422),
    ("more places than allowed", "0.0000001", 422),
    ('"NaN"', '"NaN"', 422),
    ('"Infinity"', '"Infinity"', 422),
    ('"1e999999"', '"1e999999"', 422),
    ('"1e9999"', '"1e9999"', 422),
    ("hexadecimal string", '"0x1A"', 422),
    ("underscored string", '"1_000"', 422),
    ("decimal comma", '"12,50"', 422),
    ("padded string", '" 12"', 422),
    ("empty string", '""', 422),
    ("fullwidth digits", '"１２"', 422),
    ("Arabic-Indic digits", '"١٢"', 422),
    ("true", "true", 422),
    ("false", "false", 422),
    ("object", '{"value": 1}', 422),
    ("array", "[1]", 422),
]

ID_TRICKS = [
    ("fullwidth letters", "ＳＫＵ-1"),
    ("zero-width joiner", "SKU\u200d1"),
    ("zero-width space", "SKU\u200b1"),
    ("right-to-left override", "\u202eSKU-1"),
    ("combining mark", "SKU-1\u0301"),
    ("NUL byte", "SKU\x001"),
    ("lone high surrogate", "\ud800"),
    ("lone low surrogate", "SKU\udc00"),
    ("emoji", "SKU-\U0001f642"),
    ("65 characters", "A" * 65),
    ("trailing newline", "SKU-1\n"),
    ("leading space", " SKU-1"),
    ("empty", ""),
    ("Cyrillic homoglyph", "\u0405KU-1"),
    ("Kelvin sign", "\u212a-1"),
    ("no-break space", "SKU\u00a01"),
    ("byte order mark", "\ufeffSKU-1"),
    ("stream separator", "SKU:1"),
    ("stock stream separator", "SKU@WH-A"),
    ("slash", "a/b"),
    ("path traversal", "../x"),
]

TIME_GARBAGE = [
    ("naive", "2026-11-02T09:00:00"),
    ("date only", "2026-11-02"),
    ("words", "yesterday"),
    ("epoch seconds as a string", "1700000000"),
    ("month 13", "2026-13-02T09:00:00Z"),
    ("February 30", "2026-02-30T09:00:00Z"),
    ("hour 25", "2026-11-02T25:00:00Z"),
    ("leap second", "2026-12-31T23:59:60Z"),
    ("offset +25:00", "2026-11-02T09:00:00+25:00"),
    ("after year 9999 in UTC", "9999-12-31T23:59:59-23:59"),
    ("before year 1 in UTC", "0001-01-01T00:00:00+01:00"),
    ("ten fractional digits", "2026-11-02T09:00:00.1234567890Z"),
    ("trailing newline", "2026-11-02T09:00:00Z\n"),
    ("fullwidth digits", "２０２６-11-02T09:00:00Z"),
    ("empty", ""),
    ("year 999, which strftime spells in three digits", "0999-01-01T00:00:00Z"),
    ("just before the business-time window", "1899-12-31T23:59:59.999999Z"),
    ("the window's start less a minute, in an offset", "1900-01-01T00:00:00+00:01"),
    ("the window's end", "3000-01-01T00:00:00Z"),
    ("the window's end, in an offset", "2999-12-31T23:59:59-00:01"),
    ("year 9999", "9999-01-01T00:00:00Z"),
]

WRONG_TYPES = {
    "id": [("number", "123"), ("boolean", "true"), ("object", '{"a": "b"}'), ("array", '["SKU-1"]')],
    "text": [
        ("number", "123"),
        ("boolean", "false"),
        ("object", '{"a": "b"}'),
        ("array", '["x"]'),
        ("empty", '""'),
        ("blank", '"   "'),
        ("NUL byte", '"a\\u0000b"'),
        ("lone surrogate", '"\\ud800"'),
        ("lone low surrogate inside", '"a\\udc00b"'),
        ("tab inside", '"a\\tb"'),
        ("line break inside", '"line one\\nline two"'),
        ("carriage return inside", '"a\\rb"'),
        ("DEL", '"a\\u007fb"'),
        ("C1 next-line control", '"a\\u0085b"'),
        ("escape sequence", '"\\u001b[31mred"'),
        ("501 characters", json.dumps("x" * 501)),
        ("3000 characters", json.dumps("x" * 3000)),
    ],
    "choice": [("number", "1"), ("boolean", "true"), ("object", "{}"), ("unknown value", '"nope"')],
    "decimal": [("boolean", "true"), ("object", "{}"), ("array", '["1"]')],
    "int": [
        ("string", '"5"'),
        ("decimal", "5.0"),
        ("boolean", "true"),
        ("object", '{"n": 1}'),
        ("array", "[1]"),
        ("2^31", "2147483648"),
        ("negative", "-1"),
    ],
    "bool": [("string", '"true"'), ("one", "1"), ("zero", "0"), ("object", "{}")],
    "array": [
        ("string", '"x"'),
        ("object", '{"line_no": 1}'),
        ("array of numbers", "[1]"),
        ("nested", "[[]]"),
    ],
    "time": [("epoch seconds", "1700000000"), ("boolean", "true"), ("object", "{}"), ("array", "[]")],
    "date": [
        ("epoch seconds", "1793491200"),
        ("epoch seconds as a string", '"1793491200"'),
        ("boolean", "true"),
        ("object", "{}"),
        ("array", '["2026-11-01"]'),
        ("a time", '"2026-11-01T00:00:00Z"'),
        ("a naive time", '"2026-11-01T00:00:00"'),
        ("basic format", '"20261101"'),
        ("week date", '"2026-W44-7"'),
        ("one-digit day", '"2026-11-1"'),
        ("day first", '"01/11/2026"'),
        ("February 30", '"2026-02-30"'),
        ("before the business window", '"1899-12-31"'),
        ("the window's end", '"3000-01-01"'),
        ("trailing newline", '"2026-11-01\\n"'),
        ("fullwidth digits", '"２０２６-11-01"'),
        ("empty", '""'),
    ],
}


def test_the_samples_are_schema_valid_and_cover_every_command() -> None:
    assert set(COMMAND_NAMES) == set(COMMANDS)
    for name in COMMAND_NAMES:
        parse_command(name, valid_body(name))
        assert {f.kind for f in command_fields(name)} <= set(WRONG_TYPES)
    # The model reading sees through Optional and Annotated to the constraints.
    receipt = {f.path: f for f in command_fields("receive-stock")}
    assert (receipt[("qty",)].kind, receipt[("qty",)].positive) == ("decimal", True)
    assert (receipt[("unit_cost",)].kind, receipt[("unit_cost",)].positive) == ("decimal", False)
    assert not receipt[("qty",)].signed
    assert not receipt[("unit_cost",)].signed
    target = {f.path: f for f in command_fields("set-objective")}[("target",)]
    assert (target.kind, target.positive, target.signed) == ("decimal", False, True)
    assert (receipt[("lot_id",)].kind, receipt[("lot_id",)].nullable) == ("id", True)
    assert receipt[("occurred_at",)].kind == "time"
    line = {f.path: f for f in command_fields("place-order")}[("lines", 0, "line_no")]
    assert (line.kind, line.required, line.nullable) == ("int", True, False)
    campaign = {f.path: f for f in command_fields("launch-campaign")}
    assert (campaign[("starts_on",)].kind, campaign[("ends_on",)].required) == ("date", True)
    follow_up = {f.path: f for f in command_fields("record-follow-up")}
    assert (follow_up[("csat",)].kind, follow_up[("nps",)].nullable) == ("int", True)


# -- one test per command and kind of attack, all on one app per log ---------------------------


class Case(NamedTuple):
    label: object
    data: bytes
    status: int
    loc: Path | None = None  # for a 422: where the error must be reported
    content_type: str | None = "application/json"


def not_json(name: str) -> list[Case]:
    valid = json.dumps(valid_body(name)).encode()
    first = next(iter(valid_body(name)))
    cases = [
        ("empty", b""),
        ("whitespace only", b" \r\n\t "),
        ("plain text", b"hello"),
        ("single quotes", b"{'sku': 'SKU-1'}"),
        ("unquoted keys", b"{sku: 1}"),
        ("XML", b"<command/>"),
        ("trailing garbage", valid + b" x"),
        ("two documents", valid + valid),
        ("trailing comma", valid[:-1] + b", }"),
        ("comment", b"/* hi */ " + valid),
        ("cut in half", valid[: len(valid) // 2]),
        ("last byte missing", valid[:-1]),
        ("open brace", b"{"),
        ("unterminated string", b'{"sku": "SKU-1'),
        ("invalid UTF-8", b'{"name": "\xff\xfe"}'),
        ("UTF-8 encoded surrogate", b'{"name": "\xed\xa0\x80"}'),
        ("overlong UTF-8", b'{"name": "\xc0\xaf"}'),
        ("Latin-1", '{"name": "café"}'.encode("latin-1")),
        ("raw control character in a string", b'{"name": "a\x01b"}'),
        ("NUL outside strings", b"{\x00}"),
        ("duplicate key", f'{{"{first}": "X", '.encode() + valid[1:]),
        ("bare NaN", b"NaN"),
        ("bare Infinity", b"Infinity"),
        ("a 5000-digit integer", FIVE_THOUSAND_DIGITS.encode()),
        ("an exponent beyond any decimal", b"1E+99999999999999999999"),
        ("100000 nested arrays", DEEP_ARRAYS.encode()),
        ("100000 nested objects", DEEP_OBJECTS.encode()),
        ("100000 nested arrays in a field", with_value(name, (first,), DEEP_ARRAYS)),
        ("100000 nested objects in a field", with_value(name, (first,), DEEP_OBJECTS)),
    ]
    if "lines" in valid_body(name):
        line = json.dumps(valid_body(name)["lines"][0])
        cases.append(
            ("duplicate key in a line", with_value(name, ("lines",), f'[{{"line_no": 9, {line[1:]}]'))
        )
    return [Case(("not JSON", label), data, 400) for label, data in cases]


def not_declared_json(name: str) -> list[Case]:
    valid = json.dumps(valid_body(name)).encode()
    return [
        Case(("content type", content_type), valid, 415, content_type=content_type)
        for content_type in [
            "text/plain",
            None,
            "application/octet-stream",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "text/json",
            "application/jsonx",
        ]
    ]


def not_an_object(name: str) -> list[Case]:
    valid = json.dumps(valid_body(name)).encode()
    cases = [
        ("empty array", b"[]"),
        ("the body in an array", b"[" + valid + b"]"),
        ("string", json.dumps(name).encode()),
        ("number", b"42"),
        ("decimal", b"1.5"),
        ("null", b"null"),
        ("true", b"true"),
        ("empty object", b"{}"),
        ("500 nested arrays", b"[" * 500 + b"]" * 500),
    ]
    return [Case(("not an object", label), data, 422, loc=()) for label, data in cases]


def wrong_types(name: str) -> list[Case]:
    cases = []
    for field in command_fields(name):
        values = [*WRONG_TYPES[field.kind], *([] if field.nullable else [("null", "null")])]
        for label, raw in values:
            cases.append(Case((field.path, label), with_value(name, field.path, raw), 422, field.path))
    return cases


def hostile_numbers(name: str) -> list[Case]:
    return [
        Case((field.path, label), with_value(name, field.path, raw), status, field.path)
        for field in command_fields(name, "decimal")
        for label, raw, status in HOSTILE_NUMBERS
        if not (field.signed and label == "negative")
    ]


def unicode_ids(name: str) -> list[Case]:
    return [
        Case((field.path, label), with_value(name, field.path, as_json(value)), 422, field.path)
        for field in command_fields(name, "id")
        for label, value in ID_TRICKS
    ]


def garbage_times(name: str) -> list[Case]:
    path = ("occurred_at",)
    return [
        Case((path, label), with_value(name, path, json.dumps(value)), 422, path)
        for label, value in TIME_GARBAGE
    ]


def missing_fields(name: str) -> list[Case]:
    required = [f for f in command_fields(name) if f.required]
    assert required
    return [Case(("missing", f.path), without(name, f.path), 422, f.path) for f in required]


def unknown_fields(name: str) -> list[Case]:
    # (where, raw JSON text, where the error is reported)
    extras: list[tuple[Path, str, Path]] = [
        (("actor",), '"mallory"', ("actor",)),
        (("id",), '"e-1"', ("id",)),
        (("stream",), '"order:SO-666"', ("stream",)),
        (("version",), "1", ("version",)),
        (("recorded_at",), '"2026-11-02T09:00:00Z"', ("recorded_at",)),
        (("idempotency_key",), '"k"', ("idempotency_key",)),
        (("Sku",), '"SKU-1"', ("Sku",)),
        (("__proto__",), '{"admin": true}', ("__proto__",)),
        (("",), "1", ("",)),
        (("\ud800",), "1", ()),  # a key that is no Unicode string at all
    ]
    for field in command_fields(name, "array"):
        extras.append(((*field.path, 0, "mallory"), "1", (*field.path, 0, "mallory")))
    return [Case(("unknown", path), with_value(name, path, raw), 422, loc) for path, raw, loc in extras]


async def refuses_all(api: Api, name: str, cases: list[Case]) -> None:
    async with leaves_no_trace(api):
        for case in cases:
            answer = await post(api, f"/v1/commands/{name}", case.data, case.content_type)
            assert_problem(answer, case.status, case.label, loc=case.loc)


@pytest.mark.parametrize("name", COMMAND_NAMES)
async def test_bodies_that_are_no_json_object_are_400_415_or_422(module_api: Api, name: str) -> None:
    await refuses_all(module_api, name, [*not_json(name), *not_declared_json(name), *not_an_object(name)])


@pytest.mark.parametrize("name", COMMAND_NAMES)
async def test_hostile_values_in_every_field_are_refused_naming_the_field(module_api: Api, name: str) -> None:
    cases = [*wrong_types(name), *hostile_numbers(name), *unicode_ids(name), *garbage_times(name)]
    await refuses_all(module_api, name, cases)


@pytest.mark.parametrize("name", COMMAND_NAMES)
async def test_missing_and_unknown_fields_are_422_so_a_body_cannot_set_the_actor(
    module_api: Api, name: str
) -> None:
    await refuses_all(module_api, name, [*missing_fields(name), *unknown_fields(name)])


# -- limits, headers, routes ---------------------------------------------------------------------


async def test_bodies_over_the_limit_are_413_however_they_arrive(make_api: AppFactory) -> None:
    api = await make_api(max_body_bytes=2048)
    padding = "x" * 4096
    bomb = gzip.compress(b'{"name": "' + b"x" * 1_500_000 + b'"}')
    assert len(bomb) < 2048

    async def chunks(data: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(data), 512):
            yield data[start : start + 512]

    async with leaves_no_trace(api):
        for name in COMMAND_NAMES:
            big = json.dumps({**valid_body(name), "padding": padding}).encode()
            assert_problem(await command(api, name, big), 413, (name, "with a length"))
            assert_problem(await command(api, name, chunks(big)), 413, (name, "chunked"))
            assert_problem(await command(api, name, b" " * 3000), 413, (name, "blank"))
            answer = await post(api, f"/v1/commands/{name}", bomb, **{"Content-Encoding": "gzip"})
            assert_problem(answer, 413, (name, "gzip bomb"))
            # Just under the limit, the same padding is read and refused by the schema instead.
            small = json.dumps({**valid_body(name), "padding": "x" * 100}).encode()
            assert_problem(await command(api, name, small), 422, (name, "under the limit"), loc=("padding",))


async def test_malformed_idempotency_keys_are_400_before_anything_is_written(module_api: Api) -> None:
    bad_keys = [("201 characters", "k" * 201), ("non-ASCII", "ключ-1"), ("a space", "a b"), ("empty", "")]
    async with leaves_no_trace(module_api):
        for name in COMMAND_NAMES:
            valid = json.dumps(valid_body(name)).encode()
            for label, key in bad_keys:
                answer = await post(module_api, f"/v1/commands/{name}", valid, **{"Idempotency-Key": key})
                assert_problem(answer, 400, (name, label))
                assert answer.body["type"].endswith("invalid-idempotency-key")
        answer = await post(
            module_api, "/v1/commands/register-location", b"{}", **{"X-Correlation-Id": "a b"}
        )
        assert_problem(answer, 400, "correlation id")
        # A header of bytes that are not UTF-8 at all, which no client library will send.
        head = await raw_request(
            module_api,
            b"POST /v1/commands/register-location HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {module_api.token}\r\n".encode()
            + b"Idempotency-Key: \xff\xfek\r\nContent-Type: application/json\r\n"
            + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        )
        assert head.startswith(b"HTTP/1.1 400 "), head
        assert b"Content-Type: application/problem+json" in head, head


async def raw_request(api: Api, data: bytes) -> bytes:
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_unknown_command_names_are_404(module_api: Api) -> None:
    valid = json.dumps(valid_body("register-location")).encode()
    async with leaves_no_trace(module_api):
        for name in [
            "no-such-command",
            "Register-Location",
            "register_location",
            "register-location%20",
            "register-location%00",
            "%ED%A0%80",
            "%F0%9F%99%82",
            "ｒｅｇｉｓｔｅｒ-location",
            "a" * 2000,
        ]:
            answer = await command(module_api, name, valid)
            assert_problem(answer, 404, name)
            assert answer.body["type"].endswith("unknown-command")
        # The name is checked before the body is read.
        assert_problem(await command(module_api, "no-such-command", b"{"), 404, "before the body")


async def test_wrong_methods_are_405_naming_the_allowed_ones(module_api: Api) -> None:
    cases = [
        ("/v1/commands/register-location", ["GET", "PUT", "PATCH", "DELETE"], "POST"),
        ("/v1/commands", ["GET", "PUT", "DELETE"], "POST"),
        ("/v1/admin/tokens", ["GET", "PUT", "DELETE"], "POST"),
        ("/v1/admin/tokens/someone", ["GET", "POST", "PUT"], "DELETE"),
    ]
    async with leaves_no_trace(module_api):
        for path, methods, allowed in cases:
            for method in methods:
                answer = await request(module_api, method, path)
                assert_problem(answer, 405, (method, path))
                assert allowed in answer.headers["Allow"], (method, path, answer.headers)


async def test_unknown_routes_are_404(module_api: Api) -> None:
    async with leaves_no_trace(module_api):
        for method, path in [
            ("GET", "/index.html"),  # "/" is the console
            ("GET", "/console/"),
            ("GET", "/console"),
            ("GET", "/v1"),
            ("POST", "/v1/command/register-location"),
            ("POST", "/v2/commands/register-location"),
            ("POST", "/V1/commands/register-location"),
            ("POST", "/v1/commands/register-location/"),
            ("POST", "/v1/commands/register-location/extra"),
            ("GET", "/v1/admin"),
            ("GET", "/%00"),
            ("GET", "/" + "a" * 2000),
        ]:
            assert_problem(await request(module_api, method, path), 404, (method, path))


async def test_a_batch_answers_hostile_items_one_by_one_and_appends_nothing(module_api: Api) -> None:
    async with leaves_no_trace(module_api):
        assert_problem(await post(module_api, "/v1/commands", b"[{"), 400, "not JSON")
        assert_problem(await post(module_api, "/v1/commands", b"{}"), 422, "an object", loc=())
        assert_problem(await post(module_api, "/v1/commands", b"[]", "text/plain"), 415, "text/plain")
        items: list[tuple[Any, int]] = [
            (None, 422),
            ("register-location", 422),
            ({"name": "register-location"}, 422),
            ({"name": "register-location", "body": []}, 422),
            (
                {
                    "name": "register-location",
                    "body": {"location_id": "\ud800", "name": "x", "kind": "store"},
                },
                422,
            ),
            (
                {
                    "name": "register-location",
                    "body": {"location_id": "B", "name": "x", "kind": "store"},
                    "x": 1,
                },
                422,
            ),
            (
                {"name": "register-location", "body": valid_body("register-location"), "idempotency_key": 5},
                400,
            ),
            (
                {
                    "name": "register-location",
                    "body": valid_body("register-location"),
                    "idempotency_key": "ä",
                },
                400,
            ),
            ({"name": "no-such-command", "body": {}}, 404),
            ({"name": ["register-location"], "body": {}}, 422),
            *(({"name": name, "body": {"actor": "mallory"}}, 422) for name in COMMAND_NAMES),
        ]
        answer = await post(module_api, "/v1/commands", json.dumps([item for item, _ in items]).encode())
        assert answer.status == 207, answer
        results = answer.body["results"]
        assert [r["status"] for r in results] == [status for _, status in items]
        for result, (item, status) in zip(results, items, strict=True):
            assert_problem(Answer(result["status"], PROBLEM, result["body"], {}), status, item)


async def test_negative_zero_is_zero_and_never_stored_with_a_sign(module_api: Api) -> None:
    sku = f"Z-{uuid.uuid4().hex[:10]}"
    body = {**valid_body("register-product"), "sku": sku, "unit_price": "-0", "reorder_point": SENTINEL}
    answer = await command(
        module_api, "register-product", json.dumps(body).replace(json.dumps(SENTINEL), "-0.0").encode()
    )
    assert answer.status == 201, answer
    data = await stored_data(module_api, f"product:{sku}")
    for field in ("unit_price", "reorder_point"):
        assert not data[field].startswith("-"), data
        assert Decimal(data[field]) == 0, data
    # In every decimal field: zero where zero is allowed, refused where the number must be positive.
    for name in COMMAND_NAMES:
        for spec in command_fields(name, "decimal"):
            answer = await command(module_api, name, with_value(name, spec.path, "-0"))
            if spec.positive:
                assert_problem(answer, 422, (name, spec.path), loc=spec.path)
            else:
                assert answer.status in (201, 409), (name, spec.path, answer)


async def test_an_idempotency_key_on_a_body_with_fractional_numbers_replays_instead_of_failing(
    module_api: Api,
) -> None:
    sku = f"K-{uuid.uuid4().hex[:10]}"
    sent = json.dumps({**valid_body("register-product"), "sku": sku, "unit_price": 12.5}).encode()
    key = {"Idempotency-Key": f"key-{sku}"}
    first = await post(module_api, "/v1/commands/register-product", sent, **key)
    assert first.status == 201, first
    again = await post(module_api, "/v1/commands/register-product", sent, **key)
    assert (again.status, again.body) == (first.status, first.body)
    other = sent.replace(b"12.5", b"12.75")
    conflict = await post(module_api, "/v1/commands/register-product", other, **key)
    assert_problem(conflict, 409, "another body, same key")
    assert conflict.body["type"].endswith("idempotency-conflict")
    assert [e.type for e in await events_after(module_api) if e.stream == f"product:{sku}"] == [
        "ProductRegistered"
    ]


def test_what_a_rule_attaches_never_replaces_the_standard_problem_members() -> None:
    error = DomainError("complaint C-1 is open", type="evil", title="t", status="open", extra=1)
    body, _ = problem_for(error)
    assert (body["type"], body["status"], body["detail"]) == (
        "/problems/rule-violated",
        409,
        "complaint C-1 is open",
    )
    assert body["title"] == DomainError.title
    assert body["extra"] == 1
    response = problem_response(body)
    assert (response.status, response.content_type) == (409, PROBLEM)


async def stored_data(api: Api, stream: str) -> dict[str, Any]:
    [envelope] = [e for e in await events_after(api) if e.stream == stream]
    return envelope.data


# -- fuzzing ---------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=()), max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def mutated_bodies(name: str) -> st.SearchStrategy[Any]:
    keys = [*valid_body(name), "actor", "x"]
    return st.builds(
        lambda replaced, dropped: {
            **{k: v for k, v in valid_body(name).items() if k not in dropped},
            **replaced,
        },
        st.dictionaries(st.sampled_from(keys), json_values, max_size=3),
        st.sets(st.sampled_from(keys), max_size=2),
    )


def fuzzed(name: str) -> st.SearchStrategy[bytes]:
    documents = json_values | mutated_bodies(name)
    mangled = st.builds(
        lambda text, cut: text[:cut], st.just(json.dumps(valid_body(name)).encode()), st.integers(0, 400)
    )
    return st.builds(lambda value: json.dumps(value).encode(), documents) | st.binary(max_size=200) | mangled


@pytest.mark.parametrize("name", ["register-product", "place-order", "record-inspection", "set-sales-target"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_fuzzed_bodies_never_get_a_server_error(
    module_api: Api, name: str, data: st.DataObject
) -> None:
    sent = data.draw(fuzzed(name))
    answer = await command(module_api, name, sent)
    assert answer.status < 500, (sent, answer)
    if answer.status == 201:
        assert answer.content_type == "application/json"
        assert answer.body["events"]
    else:
        assert_problem(answer, answer.status, sent)
