"""How a span of time splits into the calendar blocks the sales totals are kept by.

Totals are kept per UTC day, month and year, so any range of instants [start, end) is whole
blocks, at most two runs of each size around the coarsest, plus at each edge what is left of
a day, which only the order rows can answer (a sliver). The blocks are UTC's, not
LEDGER_TIMEZONE's: facts are applied without knowing the zone, and the same tables answer a
read in any zone. In UTC a period or business day is whole blocks, and only ``as_of`` cuts
a sliver (the part of its day up to it); in another zone each edge of a range is a sliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

SPANS: Final = ("year", "month", "day")
"""The sizes a total is kept at, coarsest first; each is whole blocks of the next."""


@dataclass(frozen=True, slots=True)
class Run:
    """The blocks of one ``span`` whose buckets (their starts) lie in [first, end)."""

    span: str
    first: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Split:
    """A range as runs of whole blocks, and the slivers left at its edges."""

    runs: tuple[Run, ...]
    slivers: tuple[tuple[datetime, datetime], ...]


def floor(span: str, moment: datetime) -> datetime:
    """The start of the ``span`` block holding ``moment``."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if span == "day":
        return day
    month = day.replace(day=1)
    return month if span == "month" else month.replace(month=1)


def following(span: str, start: datetime) -> datetime:
    """The start of the ``span`` block after the one starting at ``start``."""
    if span == "day":
        return start + timedelta(days=1)
    if span == "year":
        return start.replace(year=start.year + 1)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def ceil(span: str, moment: datetime) -> datetime:
    """The first start of a ``span`` block at or after ``moment``."""
    start = floor(span, moment)
    return start if start == moment else following(span, start)


def split(start: datetime, end: datetime) -> Split:
    """[start, end) as runs of whole UTC blocks and the slivers of under a day at its edges."""
    if start >= end:
        return Split((), ())
    first, last = ceil(SPANS[-1], start), floor(SPANS[-1], end)
    if first > last:  # within one day
        return Split((), ((start, end),))
    slivers = [(start, first)] if start < first else []
    slivers += [(last, end)] if last < end else []
    return Split(tuple(_runs(first, last, SPANS)), tuple(slivers))


def _runs(start: datetime, end: datetime, spans: tuple[str, ...]) -> list[Run]:
    """[start, end), both on a boundary of the finest of ``spans``, as runs: the coarsest blocks
    that fit in the middle, the finer ones on either side."""
    if start >= end:
        return []
    span, finer = spans[0], spans[1:]
    if not finer:
        return [Run(span, start, end)]
    first, last = ceil(span, start), floor(span, end)
    if first >= last:
        return _runs(start, end, finer)
    return [*_runs(start, first, finer), Run(span, first, last), *_runs(last, end, finer)]
