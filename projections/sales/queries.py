"""Queries of the sales read model: attainment against targets, and the daily series.

Both read one set of flows: an order's placed lines and its cancellations count at
the business time of the order (the booked basis), shipments and returns at their own
business time (the shipped basis). Channel, team and the placed time come from the order,
a line's category from the catalog, joined here because products live on another stream.

A read is a lookup whatever the period's length (``flows.sums``): whole UTC days, months and
years from the totals, the rest of a day at either edge from the order rows. ``as_of`` cuts
a range short just after it, one edge more. The one amount known later than the time it
counts at, a cancellation (at its order's time, known when it occurs), is summed over the
whole period, and those that occurred after ``as_of`` are taken back from the order rows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from ledger.store import Connection, q
from projections.sales.figures import Attainment, Days, attainment, cents, elapsed_fraction
from projections.sales.flows import NOTHING, Amounts, Late, sums
from projections.sales.totals import KINDS

DIMENSIONS: Final = ("total", "channel", "team", "category")
BASES: Final = ("shipped", "booked")

_MICROSECOND: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A planning period as a target names it, and the instants [start, end) it spans."""

    name: str
    start: datetime
    end: datetime


async def attainment_of(
    conn: Connection, schema: str, *, period: Period, dimension: str, basis: str, as_of: datetime
) -> list[Attainment]:
    """Every key with a target or a non-zero actual in ``period``, by key.

    Only events that occurred at or before ``as_of`` count, targets included: the target of
    a key is its highest version set by then.
    """
    targets = await _targets(conn, schema, period.name, dimension, as_of)
    actuals = await actuals_of(conn, schema, period, dimension, basis, as_of)
    elapsed = elapsed_fraction(period.start, period.end, as_of)
    keys = sorted(set(targets) | {key for key, amount in actuals.items() if amount != 0})
    return [attainment(key, targets.get(key), actuals.get(key, Fraction(0)), elapsed) for key in keys]


async def _targets(
    conn: Connection, schema: str, period: str, dimension: str, as_of: datetime
) -> dict[str, Decimal]:
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (key) key, amount FROM {q(schema, 'targets')} "
        "WHERE period = $1 AND dimension = $2 AND occurred_at <= $3 ORDER BY key, version DESC",
        period,
        dimension,
        as_of,
    )
    return {row["key"]: row["amount"] for row in rows}


async def actuals_of(
    conn: Connection, schema: str, period: Period, dimension: str, basis: str, as_of: datetime
) -> dict[str, Fraction]:
    """Per key: shipped less returned in the period by ``as_of``; or placed in the period by
    ``as_of`` less the cancellations of the period's orders that occurred by ``as_of``."""
    whole = (period.start, period.end)
    # What happened at or before as_of: the period up to the instant after it.
    known = (period.start, period.end if as_of >= period.end else max(period.start, as_of + _MICROSECOND))
    if basis == "shipped":
        found = await sums(conn, schema, [known], dimension, ("shipped", "returned"))
        return {key: amounts.shipped - amounts.returned for (_, key), amounts in found.items()}
    # Cancellations count over the whole period (their orders' times), placements over what is known.
    windows = [whole] if known == whole else [whole, known]
    late = Late(0, as_of, *whole)
    found = await sums(conn, schema, windows, dimension, ("placed", "cancelled"), late=late)
    keys = {key for _, key in found}
    placed_in = len(windows) - 1
    return {
        key: found.get((placed_in, key), NOTHING).placed - found.get((0, key), NOTHING).cancelled
        for key in keys
    }


@dataclass(frozen=True, slots=True)
class Day:
    """One business day: booked (placed less cancelled, by the order's day), shipped, returned, net."""

    day: date
    booked: Decimal
    shipped: Decimal
    returned: Decimal
    net: Decimal


async def daily(
    conn: Connection,
    schema: str,
    *,
    days: Days,
    channel: str | None = None,
    team_id: str | None = None,
) -> list[Day]:
    """Every one of ``days``, quiet days included as zeros."""
    windows = list(itertools.pairwise(days.bounds))
    found = await sums(conn, schema, windows, "total", KINDS, channel=channel, team_id=team_id)
    return [_day(days.first + timedelta(days=n), found.get((n, "*"), NOTHING)) for n in range(days.count)]


def _day(day: date, amounts: Amounts) -> Day:
    shipped, returned = amounts.shipped, amounts.returned
    return Day(
        day=day,
        booked=cents(amounts.placed - amounts.cancelled),
        shipped=cents(shipped),
        returned=cents(returned),
        net=cents(shipped - returned),
    )
