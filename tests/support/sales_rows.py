"""The sales figures from the order rows alone: the queries as they were before the totals.

Kept as the oracle the totals must agree with: every amount aggregated per request from
``orders``, ``order_lines`` and ``order_moves``, joined as they always were, so whatever the
totals do, ``attainment_of`` and ``daily`` must answer exactly what these answer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final

from ledger.store import Connection, q
from projections.sales import Attainment, Day, Days, Period
from projections.sales.figures import attainment, cents, elapsed_fraction

_KEY: Final = {"total": "'*'", "channel": "f.channel", "team": "f.team_id", "category": "p.category"}
_KINDS: Final = {"booked": ("placed", "cancelled"), "shipped": ("shipped", "returned")}
_ALL_KINDS: Final = ("placed", "cancelled", "shipped", "returned")


def _flows(schema: str, kinds: tuple[str, ...], start: str, end: str) -> str:
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


async def attainment_from_rows(
    conn: Connection, schema: str, *, period: Period, dimension: str, basis: str, as_of: datetime
) -> list[Attainment]:
    targets = {
        row["key"]: row["amount"]
        for row in await conn.fetch(
            f"SELECT DISTINCT ON (key) key, amount FROM {q(schema, 'targets')} "
            "WHERE period = $1 AND dimension = $2 AND occurred_at <= $3 ORDER BY key, version DESC",
            period.name,
            dimension,
            as_of,
        )
    }
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
    actuals: dict[str, Decimal] = {row["key"]: row["actual"] for row in rows}
    elapsed = elapsed_fraction(period.start, period.end, as_of)
    keys = sorted(set(targets) | {key for key, amount in actuals.items() if amount != 0})
    return [attainment(key, targets.get(key), actuals.get(key, Decimal(0)), elapsed) for key in keys]


async def daily_from_rows(
    conn: Connection, schema: str, *, days: Days, channel: str | None = None, team_id: str | None = None
) -> list[Day]:
    bounds = list(days.bounds)
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
    sums = {(row["slot"] - 1, row["kind"]): row["amount"] for row in rows}

    def amount(n: int, kind: str) -> Decimal:
        return sums.get((n, kind), Decimal(0))

    return [
        Day(
            day=days.first + timedelta(days=n),
            booked=cents(amount(n, "placed") - amount(n, "cancelled")),
            shipped=cents(amount(n, "shipped")),
            returned=cents(amount(n, "returned")),
            net=cents(amount(n, "shipped") - amount(n, "returned")),
        )
        for n in range(days.count)
    ]
