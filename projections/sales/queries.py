"""Queries of the sales read model: attainment against targets, and the daily series.

Both read one set of flows: an order's placed lines and its cancellations count at
the business time of the order (the booked basis), shipments and returns at their own
business time (the shipped basis). Channel, team and the placed time come from the order,
a line's category from the catalog, joined here because products live on another stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from ledger.store import Connection, q
from projections.sales.figures import Attainment, Days, attainment, cents, elapsed_fraction

DIMENSIONS: Final = ("total", "channel", "team", "category")
BASES: Final = ("shipped", "booked")

_KEY: Final = {"total": "'*'", "channel": "f.channel", "team": "f.team_id", "category": "p.category"}
# (counts positive, counts negative) per basis
_KINDS: Final = {"booked": ("placed", "cancelled"), "shipped": ("shipped", "returned")}
_ALL_KINDS: Final = ("placed", "cancelled", "shipped", "returned")
_ZERO: Final = Decimal(0)


def _flows(schema: str, kinds: tuple[str, ...], start: str, end: str) -> str:
    """Every amount of ``kinds`` bucketed at a time in [``start``, ``end``) (SQL placeholders),
    with its kind, that time ``at``, the time ``seen_at`` it became known, its order's channel
    and team, and its line's sku. ``at`` is the order's time for placements and cancellations.
    Each branch bounds its own time column, so the indexes on them serve the window."""
    orders, lines, moves = q(schema, "orders"), q(schema, "order_lines"), q(schema, "order_moves")
    branches = []
    if "placed" in kinds:
        branches.append(f"""
            SELECT 'placed' AS kind, o.placed_at AS at, o.placed_at AS seen_at, l.amount,
                   o.channel, o.team_id, l.sku
              FROM {orders} o JOIN {lines} l ON l.order_id = o.order_id
             WHERE o.placed_at >= {start} AND o.placed_at < {end}""")
    if "cancelled" in kinds:
        branches.append(f"""
            SELECT m.kind, o.placed_at AS at, m.occurred_at AS seen_at, m.amount,
                   o.channel, o.team_id, l.sku
              FROM {orders} o
              JOIN {moves} m ON m.order_id = o.order_id AND m.kind = 'cancelled'
              JOIN {lines} l ON l.order_id = m.order_id AND l.line_no = m.line_no
             WHERE o.placed_at >= {start} AND o.placed_at < {end}""")
    if dated := [kind for kind in kinds if kind in ("shipped", "returned")]:
        branches.append(f"""
            SELECT m.kind, m.occurred_at AS at, m.occurred_at AS seen_at, m.amount,
                   o.channel, o.team_id, l.sku
              FROM {moves} m
              JOIN {orders} o ON o.order_id = m.order_id
              JOIN {lines} l ON l.order_id = m.order_id AND l.line_no = m.line_no
             WHERE m.kind IN ({", ".join(f"'{kind}'" for kind in dated)})
               AND m.occurred_at >= {start} AND m.occurred_at < {end}""")
    return " UNION ALL ".join(branches)


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
    actuals = await _actuals(conn, schema, period, dimension, basis, as_of)
    elapsed = elapsed_fraction(period.start, period.end, as_of)
    keys = sorted(set(targets) | {key for key, amount in actuals.items() if amount != 0})
    return [attainment(key, targets.get(key), actuals.get(key, _ZERO), elapsed) for key in keys]


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


async def _actuals(
    conn: Connection, schema: str, period: Period, dimension: str, basis: str, as_of: datetime
) -> dict[str, Decimal]:
    plus, minus = _KINDS[basis]
    catalog = f"JOIN {q(schema, 'products')} p ON p.sku = f.sku" if dimension == "category" else ""
    rows = await conn.fetch(
        f"SELECT {_KEY[dimension]} AS key, "
        "sum(CASE WHEN f.kind = $1 THEN f.amount ELSE -f.amount END) AS actual "
        f"FROM ({_flows(schema, (plus, minus), '$2', '$3')}) f {catalog} "
        "WHERE f.seen_at <= $4 GROUP BY 1",
        plus,
        period.start,
        period.end,
        as_of,
    )
    return {row["key"]: row["actual"] for row in rows}


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
    bounds = list(days.bounds)
    # width_bucket over the days' start instants: bucket n is day n - 1, whatever the zone's offsets.
    rows = await conn.fetch(
        "SELECT width_bucket(f.at, $1::timestamptz[]) AS slot, f.kind, sum(f.amount) AS amount "
        f"FROM ({_flows(schema, _ALL_KINDS, '$2', '$3')}) f "
        "WHERE ($4::text IS NULL OR f.channel = $4) "
        "AND ($5::text IS NULL OR f.team_id = $5) GROUP BY 1, 2",
        bounds,
        bounds[0],
        bounds[-1],
        channel,
        team_id,
    )
    sums: dict[tuple[int, str], Decimal] = {(row["slot"] - 1, row["kind"]): row["amount"] for row in rows}
    return [_day(days.first + timedelta(days=n), n, sums) for n in range(days.count)]


def _day(day: date, n: int, sums: dict[tuple[int, str], Decimal]) -> Day:
    def amount(kind: str) -> Decimal:
        return sums.get((n, kind), _ZERO)

    shipped, returned = amount("shipped"), amount("returned")
    return Day(
        day=day,
        booked=cents(amount("placed") - amount("cancelled")),
        shipped=cents(shipped),
        returned=cents(returned),
        net=cents(shipped - returned),
    )
