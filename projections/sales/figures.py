"""Sales arithmetic that needs no database: period spans, elapsed fractions, attainment figures.

Periods and business days are calendar spans in LEDGER_TIMEZONE, turned into instants here
so that the SQL only compares instants. Figures are computed exactly (``Fraction``) and
rounded half-up to 2 places once, at the end: pace and forecast are derived from the exact
actual, target and elapsed fraction, never from the rounded figures shown beside them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from schemas.planning import PERIOD_PATTERN

_PERIOD = re.compile(PERIOD_PATTERN)
_MICROSECOND = timedelta(microseconds=1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a business day starts; ValueError when it lies outside what datetimes hold."""
    try:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    except OverflowError as e:
        raise ValueError(f"{day} is out of range") from e


def period_span(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a month (``2026-11``), quarter (``2026-Q4``) or year (``2026``)."""
    if not _PERIOD.fullmatch(period):
        raise ValueError("a month (2026-11), a quarter (2026-Q4) or a year (2026)")
    year, _, part = period.partition("-")
    if not part:
        first, months = 1, 12
    elif part.startswith("Q"):
        first, months = 3 * int(part[1]) - 2, 3
    else:
        first, months = int(part), 1
    after = int(year) * 12 + first - 1 + months
    try:
        start = date(int(year), first, 1)
        end = date(after // 12, after % 12 + 1, 1)
    except ValueError as e:
        raise ValueError(f"{period} is out of range") from e
    return local_midnight(start, zone), local_midnight(end, zone)


def elapsed_fraction(start: datetime, end: datetime, as_of: datetime) -> Fraction:
    """How much of [start, end) has passed at ``as_of``, clamped to [0, 1]."""
    passed = Fraction((as_of - start) // _MICROSECOND, (end - start) // _MICROSECOND)
    return min(max(passed, Fraction(0)), Fraction(1))


@dataclass(frozen=True, slots=True)
class Days:
    """Consecutive business days from ``first`` on, and the instants their spans start and the last
    one ends (one more than there are days)."""

    first: date
    bounds: tuple[datetime, ...]

    @property
    def count(self) -> int:
        return len(self.bounds) - 1


def business_days(first: date, end: date, zone: ZoneInfo) -> Days:
    """The business days [first, end); ValueError when a bound is out of range."""
    if end < first:
        raise ValueError("the end comes before the start")
    local_midnight(end, zone)  # the last bound, checked before building the others
    return Days(
        first, tuple(local_midnight(first + timedelta(days=n), zone) for n in range((end - first).days + 1))
    )


def cents(value: Fraction | Decimal) -> Decimal:
    """``value`` rounded half-up (away from zero) to 2 places, exactly."""
    exact = Fraction(value)
    whole = math.floor(abs(exact) * 100 + Fraction(1, 2))
    return Decimal(f"{-whole if exact < 0 else whole}e-2")


@dataclass(frozen=True, slots=True)
class Attainment:
    """One key's standing in a period; every figure has 2 places, None where undefined."""

    key: str
    target: Decimal | None
    actual: Decimal
    attainment_pct: Decimal | None
    expected_to_date: Decimal | None
    pace_pct: Decimal | None
    forecast: Decimal | None


def attainment(key: str, target: Decimal | None, actual: Decimal | Fraction, elapsed: Fraction) -> Attainment:
    """The attainment figures of one key; see API.md and the sales read model's docstring."""
    done = Fraction(actual)
    forecast = cents(done / elapsed) if elapsed else None
    if target is None:
        return Attainment(key, None, cents(done), None, None, None, forecast)
    goal = Fraction(target)
    expected = goal * elapsed
    return Attainment(
        key=key,
        target=cents(goal),
        actual=cents(done),
        attainment_pct=cents(done / goal * 100) if goal else None,
        expected_to_date=cents(expected),
        pace_pct=cents(done / expected * 100) if expected else None,
        forecast=forecast,
    )
