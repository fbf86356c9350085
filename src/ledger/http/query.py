"""Strict query parameters and list cursors of the read routes.

A bad parameter is a 422 naming it; a cursor this ledger did not issue is a 400. Whatever
passes is safe to compute with: times lie in the business window (``EARLIEST_TIME`` to
``LATEST_TIME``), so no later date arithmetic overflows, and every cursor value fits the
column it is compared with, so the database never refuses an argument.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from ledger.http.keys import SETTINGS
from ledger.http.problems import Problem
from schemas.types import EARLIEST_TIME, LATEST_TIME

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
MAX_CURSOR: Final = 2048
ID: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")  # as cursor_for writes it, without padding

# RFC 3339 with its offset. In a query string an unescaped "+" arrives as a space, so a space
# stands for "+" before the offset's hours.
_TIME: Final = re.compile(
    r"(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<clock>[0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]{1,9}))?(?P<offset>[Zz]|[-+ ][0-9]{2}:[0-9]{2})"
)
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_HINT: Final = "an RFC 3339 time with its offset (2026-11-02T09:00:00Z) or a date (2026-11-02)"
_UTC: Final = ZoneInfo("UTC")
_WINDOW_HINT: Final = f"a time from {EARLIEST_TIME:%Y-%m-%d} up to {LATEST_TIME:%Y-%m-%d} (UTC)"


def invalid(name: str, msg: str) -> Problem:
    """The 422 for one bad query parameter."""
    return Problem(
        422,
        "validation-failed",
        f"query parameter {name!r}: {msg}",
        errors=[{"loc": ["query", name], "msg": msg}],
    )


def foreign_cursor() -> Problem:
    return Problem(400, "invalid-cursor", "the cursor is not one this ledger issued")


class OutOfWindow(ValueError):
    """A well-formed time outside the business window."""


def parse_instant(value: str, zone: ZoneInfo, *, bounded: bool = True) -> datetime:
    """An RFC 3339 time, or a date's start in ``zone``, as a UTC instant in the business window
    (``bounded``) or anywhere a datetime can hold one.

    ValueError for a spelling that is neither (or no such day or time), OutOfWindow beyond it."""
    if _DATE.fullmatch(value):
        day = date.fromisoformat(value)
        return _within_window(
            lambda: datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC), bounded
        )
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValueError(_TIME_HINT)
    offset = match["offset"].upper().replace(" ", "+").replace("Z", "+00:00")
    # datetime holds microseconds: further digits are cut, never rounded into the next second.
    fraction = "." + match["fraction"][:6].ljust(6, "0") if match["fraction"] else ""
    moment = datetime.fromisoformat(f"{match['day']}T{match['clock']}{fraction}{offset}")
    return _within_window(lambda: moment.astimezone(UTC), bounded)


def _within_window(utc: Callable[[], datetime], bounded: bool) -> datetime:
    try:
        moment = utc()
    except OverflowError as e:  # year 1 at +01:00, or 9999 at -01:00: no such instant
        raise OutOfWindow(_WINDOW_HINT) from e
    if bounded and not EARLIEST_TIME <= moment <= LATEST_TIME:
        raise OutOfWindow(_WINDOW_HINT)
    return moment


class Query:
    """Typed, validated access to a request's query parameters."""

    def __init__(self, request: web.Request) -> None:
        self._params = request.query
        self.zone = ZoneInfo(request.app[SETTINGS].timezone)

    def raw(self, name: str) -> str | None:
        return self._params.get(name)

    def text(
        self, name: str, *, pattern: re.Pattern[str] | None = ID, default: str | None = None
    ) -> str | None:
        value = self._params.get(name)
        if value is None:
            return default
        if pattern is not None and not pattern.fullmatch(value):
            raise invalid(name, "not a valid value")
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        value = self._params.get(name)
        if value is None:
            return default
        if value not in options:
            raise invalid(name, f"one of {', '.join(options)}")
        return value

    def flag(self, name: str) -> bool | None:
        value = self._params.get(name)
        if value is None:
            return None
        if value.lower() not in ("true", "false", "1", "0"):
            raise invalid(name, "true or false")
        return value.lower() in ("true", "1")

    def integer(self, name: str, *, default: int, low: int, high: int) -> int:
        value = self._params.get(name)
        if value is None:
            return default
        if not re.fullmatch(r"-?[0-9]{1,9}", value) or not low <= int(value) <= high:
            raise invalid(name, f"a whole number from {low} to {high}")
        return int(value)

    def decimal(self, name: str) -> Decimal | None:
        value = self._params.get(name)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation as e:
            raise invalid(name, "a decimal number") from e
        if not number.is_finite() or len(value) > 40:
            raise invalid(name, "a decimal number")
        return number

    def time(self, name: str) -> datetime | None:
        """An RFC 3339 time with its offset, or a date meaning its start in LEDGER_TIMEZONE, as
        a UTC instant within the business window."""
        value = self._params.get(name)
        if value is None:
            return None
        try:
            return parse_instant(value, self.zone)
        except OutOfWindow as e:
            raise invalid(name, _WINDOW_HINT) from e
        except ValueError as e:
            raise invalid(name, _TIME_HINT) from e

    def limit(self) -> int:
        return self.integer("limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)

    def cursor(self, *fields: CursorField) -> tuple[Any, ...] | None:
        """The place the previous page ended, one value per field, each checked by its field."""
        value = self._params.get("cursor")
        if value is None:
            return None
        try:
            if len(value) > MAX_CURSOR or not _BASE64URL.fullmatch(value):
                raise ValueError("not a cursor's spelling")
            decoded = orjson.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            if not isinstance(decoded, list) or len(decoded) != len(fields):
                raise ValueError("not a cursor of this list")
            return tuple(check(item) for check, item in zip(fields, decoded, strict=True))
        except (binascii.Error, ValueError, TypeError) as e:
            raise foreign_cursor() from e


CursorField = Callable[[object], Any]
"""Checks one value of a cursor and returns it as the query wants it; ValueError if foreign."""


def cursor_for(values: list[Any]) -> str:
    """The opaque cursor of a page's last row (times as RFC 3339 text)."""
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def whole(low: int, high: int) -> CursorField:
    """An integer in [low, high]: the range of the column it is compared with."""

    def check(value: object) -> int:
        if type(value) is not int or not low <= value <= high:
            raise ValueError("not a whole number in range")
        return value

    return check


def matching(pattern: re.Pattern[str]) -> CursorField:
    def check(value: object) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError("not a value of this list")
        return value

    return check


identifier = matching(ID)


def instant(value: object) -> datetime:
    """A time as ``cursor_for`` wrote it: RFC 3339 with its offset. Only compared in SQL, so
    any instant is fine, even one of an event recorded before the business window existed."""
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise ValueError("not a time")
    return parse_instant(value, _UTC, bounded=False)
