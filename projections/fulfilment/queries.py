"""The fulfilment figures: per key, how many orders promised in a window were delivered on time,
shipped in full, or both, and how long shipping them took.

An order is judged on all of its rows at once, as known now: its lines, its cancellation, its
shipments and their deliveries, joined by order (and a delivery to its shipment by id). Every
quantity shipped is at most what its line still had open, so the sums over an order tell what
each line tells: the order was delivered on time when the units delivered at or before its
promise add up to what was ordered less what was cancelled, and in full when what was shipped
adds up to what was ordered (nothing cancelled). An order cancelled in full (nothing shipped,
everything cancelled) is left out; orders without a promise are never counted.

Counts come from SQL; shares and the mean are worked out here exactly (``Fraction``) and
rounded half-up to 2 places once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Final

from ledger.store import Connection, q
from projections.sales.figures import cents

DIMENSIONS: Final = ("total", "channel", "team")
_KEY: Final = {"total": "'*'", "channel": "o.channel", "team": "o.team_id"}
_SECONDS_PER_DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class Figures:
    """One key's figures; shares in percent and days with 2 places, None with nothing to measure."""

    key: str
    orders: int
    on_time_pct: Decimal | None
    in_full_pct: Decimal | None
    otif_pct: Decimal | None
    mean_days_to_ship: Decimal | None


async def otif_pct_of(
    conn: Connection, schema: str, *, start: datetime, end: datetime, as_of: datetime
) -> Decimal | None:
    """The ``total`` key's ``otif_pct`` of orders promised in [start, end), as known at ``as_of``
    (the plan's customer OTIF); None with no order to judge."""
    found = await fulfilment(conn, schema, start=start, end=end, dimension="total", as_of=as_of)
    return found[0].otif_pct if found else None


async def fulfilment(
    conn: Connection,
    schema: str,
    *,
    start: datetime | None,
    end: datetime | None,
    dimension: str,
    as_of: datetime | None = None,
) -> list[Figures]:
    """Per key of ``dimension``, by key: the orders whose promise lies in [start, end) (an
    open end without a bound), with at least one order. With ``as_of``, as known then: only
    orders placed and shipments, cancellations and deliveries that occurred by it count."""
    bounds: list[datetime | None] = [as_of]
    where = ["o.promised_at IS NOT NULL", "($1::timestamptz IS NULL OR o.placed_at <= $1)"]
    if start is not None:
        bounds.append(start)
        where.append(f"o.promised_at >= ${len(bounds)}")
    if end is not None:
        bounds.append(end)
        where.append(f"o.promised_at < ${len(bounds)}")
    rows = await conn.fetch(
        f"""
        WITH judged AS (
            SELECT {_KEY[dimension]} AS key, o.placed_at, l.ordered,
                coalesce(c.cancelled, 0) AS cancelled, coalesce(s.shipped, 0) AS shipped,
                coalesce(s.delivered, 0) AS delivered, s.last_shipped_at
            FROM {q(schema, "orders")} o
            CROSS JOIN LATERAL (
                SELECT sum(qty) AS ordered FROM {q(schema, "order_lines")} WHERE order_id = o.order_id
            ) l
            CROSS JOIN LATERAL (
                SELECT sum(qty) AS cancelled FROM {q(schema, "cancellations")}
                WHERE order_id = o.order_id AND ($1::timestamptz IS NULL OR cancelled_at <= $1)
            ) c
            CROSS JOIN LATERAL (
                SELECT sum(s.qty) AS shipped, max(s.shipped_at) AS last_shipped_at,
                    sum(s.qty) FILTER (WHERE d.delivered_at <= o.promised_at) AS delivered
                FROM {q(schema, "shipments")} s
                LEFT JOIN {q(schema, "deliveries")} d
                    ON d.order_id = s.order_id AND d.shipment_id = s.shipment_id
                    AND ($1::timestamptz IS NULL OR d.delivered_at <= $1)
                WHERE s.order_id = o.order_id AND ($1::timestamptz IS NULL OR s.shipped_at <= $1)
            ) s
            WHERE {" AND ".join(where)}
        ), counted AS (
            SELECT key, placed_at, last_shipped_at,
                delivered >= ordered - cancelled AS on_time,
                shipped >= ordered AND cancelled = 0 AS in_full
            FROM judged
            WHERE NOT (shipped = 0 AND cancelled >= ordered)
        )
        SELECT key, count(*) AS orders,
            count(*) FILTER (WHERE on_time) AS on_time,
            count(*) FILTER (WHERE in_full) AS in_full,
            count(*) FILTER (WHERE on_time AND in_full) AS otif,
            sum(extract(epoch FROM last_shipped_at - placed_at)) FILTER (WHERE in_full) AS ship_seconds
        FROM counted
        GROUP BY key
        ORDER BY key
        """,
        *bounds,
    )
    return [
        _figures(row["key"], row["orders"], row["on_time"], row["in_full"], row["otif"], row["ship_seconds"])
        for row in rows
    ]


def _figures(
    key: str, orders: int, on_time: int, in_full: int, otif: int, ship_seconds: Decimal | None
) -> Figures:
    def share(part: int) -> Decimal | None:
        return cents(Fraction(part * 100, orders)) if orders else None

    days = None
    if in_full and ship_seconds is not None:
        days = cents(Fraction(ship_seconds) / in_full / _SECONDS_PER_DAY)
    return Figures(key, orders, share(on_time), share(in_full), share(otif), days)
