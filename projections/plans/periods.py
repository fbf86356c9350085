"""An objective's period as instants, and the period before it of the same length.

A month, quarter or year spans as a sales target's does; a span of years ``2026..2028`` runs
from the start of its first year to the end of its last, in LEDGER_TIMEZONE. The period
before a month is the month before it, and so on: a span of three years has the three years
before it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from projections.sales import period_span


def span(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of ``period``; ValueError when it names none."""
    first, dots, last = period.partition("..")
    if not dots:
        return period_span(period, zone)
    if not (first.isdigit() and last.isdigit() and len(first) == len(last) == 4 and first <= last):
        raise ValueError("a span of years runs from the earlier year to the later, e.g. 2026..2028")
    return period_span(first, zone)[0], period_span(last, zone)[1]


def previous(period: str) -> str:
    """The period of the same length just before ``period`` (a well-formed one)."""
    first, dots, last = period.partition("..")
    if dots:
        years = int(last) - int(first) + 1
        return f"{int(first) - years:04d}..{int(first) - 1:04d}"
    year, _, part = period.partition("-")
    if not part:
        return f"{int(year) - 1:04d}"
    if part.startswith("Q"):
        quarter = int(part[1])
        return f"{int(year) - 1:04d}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
    month = int(part)
    return f"{int(year) - 1:04d}-12" if month == 1 else f"{year}-{month - 1:02d}"
