"""The service summary's arithmetic, worked by hand: median, nearest-rank p90, percentages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from projections.service import median, nearest_rank, percent, summarise


def D(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_median_is_the_middle_value_or_the_mean_of_the_middle_two_rounded_half_up() -> None:
    assert median([]) is None
    assert median(D("7.25")) == Decimal("7.25")
    assert median(D("9.00", "1.00", "4.00")) == Decimal("4.00")
    assert median(D("4.25", "1.00", "9.00", "2.00")) == Decimal("3.13")  # (2 + 4.25) / 2 = 3.125
    assert median(D("0.01", "0.02")) == Decimal("0.02")  # 0.015 rounds up
    assert median(D("1.00", "3.00")) == Decimal("2.00")


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        (D("5.00"), 90, "5.00"),  # rank ceil(0.9) = 1
        (D("1.00", "5.00", "2.00"), 90, "5.00"),  # rank ceil(2.7) = 3
        (D("1.00", "2.00", "4.25", "9.00"), 90, "9.00"),  # rank ceil(3.6) = 4
        ([Decimal(n) for n in range(1, 11)], 90, "9"),  # rank ceil(9.0) = 9: exact ranks do not round up
        ([Decimal(n) for n in range(1, 12)], 90, "10"),  # rank ceil(9.9) = 10
        ([Decimal(n) for n in range(20, 0, -1)], 90, "18"),  # unsorted input, rank 18
        (D("3", "1", "2", "4"), 50, "2"),  # nearest-rank median is the lower middle
        (D("3", "1", "2"), 100, "3"),
    ],
)
def test_nearest_rank_takes_the_value_at_rank_ceil_p_n(
    values: list[Decimal], percentile: int, expected: str
) -> None:
    assert nearest_rank(values, percentile) == Decimal(expected)


def test_nearest_rank_of_nothing_is_none() -> None:
    assert nearest_rank([], 90) is None


def test_percent_rounds_half_up_and_is_none_for_an_empty_whole() -> None:
    assert percent(2, 3) == Decimal("66.67")
    assert percent(1, 3) == Decimal("33.33")
    assert percent(1, 8) == Decimal("12.50")
    assert percent(1, 16) == Decimal("6.25")
    assert percent(1, 32) == Decimal("3.13")  # 3.125
    assert percent(4, 4) == Decimal("100.00")
    assert percent(0, 5) == Decimal("0.00")
    assert percent(0, 0) is None


def row(severity: str, status: str, response: str | None, resolution: str | None, *breached: bool) -> Any:
    return {
        "severity": severity,
        "status": status,
        "first_response_hours": None if response is None else Decimal(response),
        "resolution_hours": None if resolution is None else Decimal(resolution),
        "breached_response": breached[0],
        "breached_resolution": breached[1],
    }


def test_summarise_counts_per_severity_and_always_names_all_four() -> None:
    lines = summarise(
        [
            row("high", "resolved", "1.00", "10.00", False, False),
            row("high", "acknowledged", "5.00", None, True, False),
            row("high", "open", None, None, True, True),
            row("low", "open", None, None, False, False),
        ]
    )
    assert [line["severity"] for line in lines] == ["critical", "high", "medium", "low"]
    assert lines[0] == {
        "severity": "critical",
        "filed": 0,
        "open": 0,
        "resolved": 0,
        "median_first_response_hours": None,
        "p90_first_response_hours": None,
        "median_resolution_hours": None,
        "breaches": 0,
        "sla_compliance_pct": None,
    }
    assert lines[1] == {
        "severity": "high",
        "filed": 3,
        "open": 2,
        "resolved": 1,
        "median_first_response_hours": Decimal("3.00"),
        "p90_first_response_hours": Decimal("5.00"),
        "median_resolution_hours": Decimal("10.00"),
        "breaches": 2,
        "sla_compliance_pct": Decimal("33.33"),
    }
    assert (lines[3]["filed"], lines[3]["open"], lines[3]["sla_compliance_pct"]) == (1, 1, Decimal("100.00"))
