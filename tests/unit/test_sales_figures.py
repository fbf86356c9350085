"""The sales read model's arithmetic: period spans in the ledger's time zone, elapsed
fractions, half-up cents, and the attainment figures with their undefined cases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from projections.sales.figures import (
    Attainment,
    attainment,
    business_days,
    cents,
    elapsed_fraction,
    period_span,
)

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("period", "zone", "start", "end"),
    [
        ("2026-11", UTC_ZONE, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
        ("2026-12", UTC_ZONE, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2026-Q4", UTC_ZONE, "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        ("2026-Q1", UTC_ZONE, "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("2026", UTC_ZONE, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        # summer time (UTC+2) at the start of October, winter time (UTC+1) at its end
        ("2026-10", BERLIN, "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"),
        ("2026", BERLIN, "2025-12-31T23:00:00Z", "2026-12-31T23:00:00Z"),
    ],
)
def test_a_period_spans_its_calendar_months_in_the_zone(
    period: str, zone: ZoneInfo, start: str, end: str
) -> None:
    assert period_span(period, zone) == (at(start), at(end))


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-00", "2026-Q0", "2026-Q5", "26-11", "2026-1", "0000", "9999"]
)
def test_a_period_that_is_no_month_quarter_or_year_in_range_is_refused(period: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        period_span(period, UTC_ZONE)


def test_elapsed_fraction_is_exact_and_clamped() -> None:
    start, end = period_span("2026-09", UTC_ZONE)
    assert elapsed_fraction(start, end, at("2026-09-16T00:00:00Z")) == Fraction(1, 2)
    assert elapsed_fraction(start, end, at("2026-09-11T00:00:00Z")) == Fraction(1, 3)
    assert elapsed_fraction(start, end, at("2026-08-01T00:00:00Z")) == 0
    assert elapsed_fraction(start, end, at("2027-01-01T00:00:00Z")) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.005"), "0.01"),
        (Decimal("-0.005"), "-0.01"),
        (Decimal("10.165"), "10.17"),
        (Decimal("0.0049"), "0.00"),
        (Decimal("-0.004"), "0.00"),
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Decimal(12), "12.00"),
        (Decimal("123456789012345678901234.5"), "123456789012345678901234.50"),
    ],
)
def test_cents_round_half_up_away_from_zero(value: Decimal | Fraction, expected: str) -> None:
    assert format(cents(value), "f") == expected


def D(text: str) -> Decimal:
    return Decimal(text)


def test_attainment_half_way_through_a_period() -> None:
    assert attainment("*", D("300"), D("127.50"), Fraction(1, 2)) == Attainment(
        "*", D("300.00"), D("127.50"), D("42.50"), D("150.00"), D("85.00"), D("255.00")
    )


def test_pace_and_forecast_come_from_exact_figures_not_rounded_ones() -> None:
    # expected is 33.333... (shown 33.33): 50 / 33.333... = 150 %, where 50 / 33.33 would give 150.02
    figures = attainment("north", D("100"), D("50"), Fraction(1, 3))
    assert (figures.expected_to_date, figures.pace_pct, figures.forecast) == (
        D("33.33"),
        D("150.00"),
        D("150.00"),
    )


def test_what_has_no_divisor_or_no_target_is_none() -> None:
    assert attainment("store", None, D("20.33"), Fraction(1)) == Attainment(
        "store", None, D("20.33"), None, None, None, D("20.33")
    )
    assert attainment("east", D("0"), D("5"), Fraction(1, 2)) == Attainment(
        "east", D("0.00"), D("5.00"), None, D("0.00"), None, D("10.00")
    )
    assert attainment("*", D("200"), D("0"), Fraction(0)) == Attainment(
        "*", D("200.00"), D("0.00"), D("0.00"), D("0.00"), None, None
    )


def test_a_negative_actual_keeps_its_sign() -> None:
    figures = attainment("toys", D("100"), D("-22.50"), Fraction(1, 2))
    assert (figures.actual, figures.attainment_pct, figures.pace_pct, figures.forecast) == (
        D("-22.50"),
        D("-22.50"),
        D("-45.00"),
        D("-45.00"),
    )


def test_business_days_start_at_local_midnights_across_a_clock_change() -> None:
    days = business_days(date(2026, 10, 24), date(2026, 10, 27), BERLIN)
    assert days.count == 3
    assert [b - a for a, b in itertools.pairwise(days.bounds)] == [
        timedelta(hours=24),
        timedelta(hours=25),
        timedelta(hours=24),
    ]
    assert days.bounds[0] == at("2026-10-23T22:00:00Z")
    assert business_days(date(2026, 1, 1), date(2026, 1, 1), UTC_ZONE).count == 0
    with pytest.raises(ValueError, match="before"):
        business_days(date(2026, 1, 2), date(2026, 1, 1), UTC_ZONE)
