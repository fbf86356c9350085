"""The pure parts of the plan's scorecard: periods as instants, the period before, and how an
objective is judged from its figure (good direction, exact meeting, nothing to measure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from projections.plans import Measure, previous, span, status
from projections.plans.kpis import Good, Window

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("period", "before"),
    [
        ("2026-03", "2026-02"),
        ("2026-01", "2025-12"),
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026", "2025"),
        ("2026..2028", "2023..2025"),
        ("2026..2026", "2025..2025"),
    ],
)
def test_the_period_before_has_the_same_length(period: str, before: str) -> None:
    assert previous(period) == before


def test_a_span_of_years_runs_from_its_first_years_start_to_its_last_years_end_in_the_zone() -> None:
    assert span("2026..2028", BERLIN) == (
        datetime(2025, 12, 31, 23, tzinfo=UTC),
        datetime(2028, 12, 31, 23, tzinfo=UTC),
    )
    assert span("2026-Q2", ZoneInfo("UTC")) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 7, 1, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="earlier year"):
        span("2028..2026", BERLIN)
    with pytest.raises(ValueError, match="a month"):
        span("2026-13", BERLIN)


def test_what_is_known_ends_just_after_as_of_within_the_period() -> None:
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    mid = datetime(2026, 3, 16, tzinfo=UTC)
    assert Window("2026-03", start, end, mid).known_end == datetime(2026, 3, 16, 0, 0, 0, 1, tzinfo=UTC)
    assert Window("2026-03", start, end, datetime(2026, 5, 1, tzinfo=UTC)).known_end == end
    assert Window("2026-03", start, end, datetime(2026, 2, 1, tzinfo=UTC)).known_end == start


@pytest.mark.parametrize(
    ("judged", "target", "good", "ended", "expected"),
    [
        ("95", "95", "up", False, "on_track"),  # meeting exactly meets it
        ("94.99", "95", "up", False, "off_track"),
        ("95", "95", "up", True, "met"),
        ("94.99", "95", "up", True, "missed"),
        ("95", "95", "down", True, "met"),
        ("95.01", "95", "down", True, "missed"),
        ("0", "10", "down", False, "on_track"),
        (None, "0", "up", False, "off_track"),  # nothing to measure
        (None, "100", "down", True, "missed"),
    ],
)
def test_an_objective_is_judged_in_its_kpis_good_direction(
    judged: str | None, target: str, good: Good, ended: bool, expected: str
) -> None:
    figure = None if judged is None else Decimal(judged)
    assert status(Measure(figure, figure), Decimal(target), good, ended=ended) == expected


def test_net_sales_is_judged_on_its_forecast_not_its_actual() -> None:
    assert (
        status(Measure(Decimal("260.00"), Decimal("537.33")), Decimal("500"), "up", ended=False) == "on_track"
    )
    assert status(Measure(Decimal("260.00"), None), Decimal("0"), "up", ended=False) == "off_track"
