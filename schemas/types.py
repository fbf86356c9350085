"""Shared field types for commands and events.

The public contract (API.md, "Identifiers, numbers, times") is enforced here once, so every
area module states its fields in business terms: ids are short ASCII tokens, quantities and
money are bounded decimals that read a JSON number or string and always write a string, times
carry a timezone, and free text is bounded and free of control characters. Commands are held
to today's rules; events keep accepting whatever earlier versions of the commands recorded.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)

MAX_DIGITS: Final = 24
QTY_PLACES: Final = 6
MONEY_PLACES: Final = 4
MAX_INT: Final = 2**31 - 1  # fits a PostgreSQL integer column
MAX_LINES: Final = 500

ID_PATTERN: Final = r"^[A-Za-z0-9._-]{1,64}$"


def _engine_anchors_the_end() -> bool:
    """Whether pydantic's default pattern engine reads ``$`` as the end of the text, as the
    Rust ``regex`` crate does (Python's ``re`` also lets it match before a final newline)."""
    try:
        TypeAdapter(Annotated[str, StringConstraints(pattern=r"^a$")]).validate_python("a\n")
    except ValidationError:
        return True
    return False


_ANCHORED: Final = _engine_anchors_the_end()


@dataclass(frozen=True)
class WholeMatch:
    """``pattern``, already held to the whole string by pydantic's own check: nothing to add."""

    pattern: str


def whole_match(pattern: str) -> AfterValidator | WholeMatch:
    """Hold ``pattern`` (anchored ``^...$``) to the whole string, so "x\n" never passes.

    Pair it with the same ``pattern`` in StringConstraints, which feeds JSON Schema and is
    checked by pydantic's engine. Its default engine (the Rust ``regex`` crate, which no
    model here configures otherwise: ``tests/unit/test_schemas.py``) already reads ``$`` as
    the end of the text, so nothing more is checked; only an engine whose ``$`` also matches
    before a final newline gets a second, Python check (about 0.3 us a field, on every id
    of every command and event).
    """
    if _ANCHORED:
        return WholeMatch(pattern)
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.fullmatch(value) is None:
            raise ValueError(f"should match pattern '{pattern}'")
        return value

    return AfterValidator(check)


Identifier = Annotated[str, StringConstraints(max_length=64, pattern=ID_PATTERN), whole_match(ID_PATTERN)]
"""An id such as a sku, location, order or lot id."""

Code = Identifier
"""A short classification token used as a key (uom, customer segment, a team's channel)."""

CURRENCY_PATTERN: Final = r"^[A-Z]{3}$"
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN), whole_match(CURRENCY_PATTERN)]

FREE_TEXT_MAX: Final = 500
_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # categories Cc and Cs


def _printable(value: str) -> str:
    # Lone surrogates (a JSON "\ud800" escape) are no text at all: no encoder can write them.
    if _UNPRINTABLE.search(value):
        raise ValueError("free text may not hold control characters or lone surrogates")
    return value


FreeText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=FREE_TEXT_MAX),
    AfterValidator(_printable),
    Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}),
]
"""Free text in a command (API.md v1.1): names, categories, reasons, descriptions, resolutions
and notes. Trimmed, 1 to 500 characters of printable Unicode, no control characters."""

StoredText = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
    ),
]
"""Free text in an event: whatever any version of the commands ever let through. Wider than
``FreeText`` because events are never rewritten: the first versions took texts of up to 2000
characters with tabs and line breaks, names of up to 200, and categories as ids."""

LineNo = Annotated[int, Strict(), Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Strict(), Field(ge=0, le=MAX_INT)]
PositiveCount = Annotated[int, Strict(), Field(ge=1, le=MAX_INT)]


_RFC3339: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _rfc3339_only(value: object) -> object:
    # pydantic alone would also read epoch seconds, given as a number or as a string.
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected an RFC 3339 timestamp with a time zone, e.g. 2026-11-05T10:00:00Z")


EARLIEST_TIME: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME: Final = datetime(3000, 1, 1, tzinfo=UTC)
"""Business times lie in [EARLIEST_TIME, LATEST_TIME): far enough from datetime's own limits
(years 1 and 9999) that every later computation survives them: an SLA clock's due time, a
week's or month's start in any ``LEDGER_TIMEZONE``, the previous period of a span of years."""


def _within_window(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError as e:
        raise ValueError("timestamp out of range") from e
    if not EARLIEST_TIME <= utc < LATEST_TIME:
        raise ValueError("a business time from 1900-01-01 up to 3000-01-01 (UTC)")
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339_only),
    AfterValidator(_within_window),
    Field(description="RFC 3339 with a time zone, from 1900-01-01T00:00:00Z up to 3000-01-01T00:00:00Z"),
]
"""A timezone-aware RFC 3339 time in the business window; naive times and epoch numbers are rejected."""

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: object) -> object:
    # pydantic alone would also read a datetime string or epoch seconds as a date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("expected a date, e.g. 2026-11-05")


def _date_within_window(value: date) -> date:
    if not EARLIEST_TIME.date() <= value < LATEST_TIME.date():
        raise ValueError("a date from 1900-01-01 up to 2999-12-31")
    return value


BusinessDate = Annotated[
    date,
    BeforeValidator(_iso_date_only),
    AfterValidator(_date_within_window),
    Field(description="a calendar date, YYYY-MM-DD, from 1900-01-01 to 2999-12-31"),
]
"""A calendar day in the business window (a campaign's first or last day)."""

# Decimals --------------------------------------------------------------------------------

_MAX_DECIMAL_TEXT: Final = 64
_DECIMAL_TEXT: Final = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,4})?$"
_DECIMAL_RE: Final = re.compile(_DECIMAL_TEXT)
_DECIMAL_OUT: Final = r"^-?[0-9]+(\.[0-9]+)?$"
_EXACT_FLOAT_DIGITS: Final = 15  # any decimal of up to 15 significant digits survives a binary64


def _canonical(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("NaN and Infinity are not numbers here")
    # Every zero is stored as plain 0: "-0" and "0e-9999" would otherwise keep their sign or a
    # ten-thousand-digit spelling, and a tiny request could record a huge event.
    return Decimal(0) if value.is_zero() else value


def _from_float(value: float) -> Decimal:
    if not math.isfinite(value):
        raise ValueError("NaN and Infinity are not numbers here")
    exact = Decimal(repr(value))
    if len(exact.normalize().as_tuple().digits) > _EXACT_FLOAT_DIGITS:
        raise ValueError("a number with more than 15 significant digits is not exact; send it as a string")
    return exact.to_integral_value() if exact == exact.to_integral_value() else exact


def _from_text(value: str) -> Decimal:
    if len(value) > _MAX_DECIMAL_TEXT or not _DECIMAL_RE.fullmatch(value):
        raise ValueError("expected a decimal string such as '12.50'")
    try:
        return Decimal(value)
    except InvalidOperation as e:
        raise ValueError("expected a decimal string such as '12.50'") from e


def _parse_decimal(value: object) -> object:
    """Read a JSON number or numeric string into a Decimal without passing through binary floats."""
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, not a boolean")
    if isinstance(value, int):
        if abs(value) >= 10**MAX_DIGITS:
            raise ValueError(f"at most {MAX_DIGITS} digits")
        return Decimal(value)
    if isinstance(value, float):
        return _canonical(_from_float(value))
    if isinstance(value, str):
        return _canonical(_from_text(value))
    if isinstance(value, Decimal):
        return _canonical(value)
    return value


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _input_schema(places: int, **bounds: int) -> WithJsonSchema:
    number: dict[str, Any] = {"type": "number", **bounds}
    text = {"type": "string", "pattern": _DECIMAL_TEXT, "maxLength": _MAX_DECIMAL_TEXT}
    return WithJsonSchema(
        {
            "anyOf": [number, text],
            "description": f"decimal, at most {MAX_DIGITS} digits and {places} places; number or string",
        },
        mode="validation",
    )


_PARSE: Final = BeforeValidator(_parse_decimal)
_AS_TEXT: Final = PlainSerializer(_decimal_text, return_type=str, when_used="json")
_OUTPUT_SCHEMA: Final = WithJsonSchema({"type": "string", "pattern": _DECIMAL_OUT}, mode="serialization")

Quantity = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=QTY_PLACES),
    _PARSE,
    _AS_TEXT,
    _input_schema(QTY_PLACES),
    _OUTPUT_SCHEMA,
]
"""A signed quantity (e.g. an adjustment delta)."""

PositiveQty = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=QTY_PLACES, gt=0),
    _PARSE,
    _AS_TEXT,
    _input_schema(QTY_PLACES, exclusiveMinimum=0),
    _OUTPUT_SCHEMA,
]

NonNegativeQty = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=QTY_PLACES, ge=0),
    _PARSE,
    _AS_TEXT,
    _input_schema(QTY_PLACES, minimum=0),
    _OUTPUT_SCHEMA,
]

Money = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=MONEY_PLACES),
    _PARSE,
    _AS_TEXT,
    _input_schema(MONEY_PLACES),
    _OUTPUT_SCHEMA,
]
"""A signed amount of money in the order's currency."""

NonNegativeMoney = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=MONEY_PLACES, ge=0),
    _PARSE,
    _AS_TEXT,
    _input_schema(MONEY_PLACES, minimum=0),
    _OUTPUT_SCHEMA,
]

Percent = Annotated[
    Decimal,
    Field(max_digits=MAX_DIGITS, decimal_places=MONEY_PLACES, ge=0, le=100),
    _PARSE,
    _AS_TEXT,
    _input_schema(MONEY_PLACES, minimum=0, maximum=100),
    _OUTPUT_SCHEMA,
]
"""A percentage from 0 to 100, e.g. a line discount."""
