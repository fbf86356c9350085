"""How a range of instants splits into the UTC blocks the sales totals are kept by: the pieces
tile the range exactly, the runs are whole blocks, and what is left at the edges is under a day."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from projections.sales.figures import period_span
from projections.sales.spans import SPANS, Run, Split, ceil, floor, following, split
from schemas.types import EARLIEST_TIME, LATEST_TIME


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def blocks(run: Run) -> list[tuple[datetime, datetime]]:
    found, start = [], run.first
    while start < run.end:
        found.append((start, following(run.span, start)))
        start = found[-1][1]
    return found


def pieces(parts: Split) -> list[tuple[datetime, datetime]]:
    return sorted([*parts.slivers, *(block for run in parts.runs for block in blocks(run))])


def test_a_month_in_utc_is_one_block_and_in_berlin_a_run_of_days_between_two_slivers() -> None:
    assert split(*period_span("2026-10", ZoneInfo("UTC"))) == Split(
        (Run("month", at("2026-10-01T00:00:00Z"), at("2026-11-01T00:00:00Z")),), ()
    )
    # October in Berlin: 22:00 UTC on 09-30 (summer time) to 23:00 UTC on 10-31 (winter time)
    assert split(*period_span("2026-10", ZoneInfo("Europe/Berlin"))) == Split(
        (Run("day", at("2026-10-01T00:00:00Z"), at("2026-10-31T00:00:00Z")),),
        (
            (at("2026-09-30T22:00:00Z"), at("2026-10-01T00:00:00Z")),
            (at("2026-10-31T00:00:00Z"), at("2026-10-31T23:00:00Z")),
        ),
    )


def test_a_year_cut_by_as_of_is_months_then_days_then_the_part_of_its_day() -> None:
    as_of = at("2026-11-29T13:37:00.000001Z")
    assert split(at("2026-01-01T00:00:00Z"), as_of) == Split(
        (
            Run("month", at("2026-01-01T00:00:00Z"), at("2026-11-01T00:00:00Z")),
            Run("day", at("2026-11-01T00:00:00Z"), at("2026-11-29T00:00:00Z")),
        ),
        ((at("2026-11-29T00:00:00Z"), as_of),),
    )


def test_a_range_inside_one_day_or_empty_reads_only_rows() -> None:
    start, end = at("2026-03-05T01:00:00Z"), at("2026-03-05T23:00:00Z")
    assert split(start, end) == Split((), ((start, end),))
    assert split(end, end) == Split((), ())
    assert split(end, start) == Split((), ())


def test_block_edges_across_months_and_years() -> None:
    assert floor("year", at("2026-07-14T05:00:00+09:00")) == at("2026-01-01T00:00:00Z")
    assert floor("month", at("2026-03-01T00:30:00+01:00")) == at("2026-02-01T00:00:00Z")
    assert following("month", at("2026-12-01T00:00:00Z")) == at("2027-01-01T00:00:00Z")
    assert following("day", at("2028-02-28T00:00:00Z")) == at("2028-02-29T00:00:00Z")
    assert ceil("day", at("2026-03-05T00:00:00Z")) == at("2026-03-05T00:00:00Z")
    assert ceil("year", at("2026-03-05T00:00:00.000001Z")) == at("2027-01-01T00:00:00Z")


_SPAN = (LATEST_TIME - EARLIEST_TIME) // timedelta(microseconds=1)
instants = st.one_of(
    st.integers(0, _SPAN).map(lambda us: EARLIEST_TIME + timedelta(microseconds=us)),
    # near block edges: whole hours and minutes around the turn of a month
    st.builds(
        lambda year, month, minutes: datetime(year, month, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(1900, 2998),
        st.integers(1, 12),
        st.integers(-3 * 24 * 60, 3 * 24 * 60),
    ),
)


@given(start=instants, end=instants)
def test_pieces_tile_the_range_runs_are_whole_blocks_and_slivers_are_under_a_day(
    start: datetime, end: datetime
) -> None:
    parts = split(start, end)
    tiles = pieces(parts)
    if start >= end:
        assert tiles == []
        return
    assert tiles[0][0] == start
    assert tiles[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(tiles))
    for run in parts.runs:
        assert floor(run.span, run.first) == run.first
        assert floor(run.span, run.end) == run.end
        assert run.first < run.end
    assert len(parts.runs) <= 2 * len(SPANS) - 1
    assert len(parts.slivers) <= 2
    assert all(hi - lo < timedelta(days=1) for lo, hi in parts.slivers)
