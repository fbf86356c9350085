"""Which customers bought in a period, which were new, which came back and which fell away:
each figure defined once here, for the retention route and the plan's scorecard.

A customer is active in a period when it placed an order there that was not cancelled in full
(as known now: every unit ordered was cancelled, so nothing shipped). Retention speaks of such
orders only: an order cancelled in full is as if never placed. Of the active customers, the
returning ones had such an order before the period and the new ones had none (so new plus
returning is active); the lapsed were active in the previous period of the same length and are
not in this one. ``repeat_rate_pct`` is returning over active, in percent, 2 places, None with
no one active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from ledger.store import Connection, q
from projections.sales.figures import cents


@dataclass(frozen=True, slots=True)
class Retention:
    active: int
    new: int
    returning: int
    lapsed: int
    repeat_rate_pct: Decimal | None


def repeat_rate(active: int, returning: int) -> Decimal | None:
    """Returning customers in percent of the active ones."""
    return cents(Fraction(returning * 100, active)) if active else None


def previous_period(period: str) -> str:
    """The month, quarter or year before ``period`` (``2026-11``, ``2026-Q4``, ``2026``), named
    the same way."""
    year, _, part = period.partition("-")
    if not part:
        return str(int(year) - 1)
    if part.startswith("Q"):
        quarter = int(part[1:])
        return f"{year}-Q{quarter - 1}" if quarter > 1 else f"{int(year) - 1}-Q4"
    month = int(part)
    return f"{year}-{month - 1:02d}" if month > 1 else f"{int(year) - 1}-12"


async def retention(
    conn: Connection, schema: str, *, start: datetime, end: datetime, previous_start: datetime
) -> Retention:
    """The customers of [start, end), against those before ``start`` and those of
    [previous_start, start)."""
    row = await conn.fetchrow(
        f"""
        WITH counted AS (
            SELECT o.customer_id, o.placed_at
            FROM {q(schema, "orders")} o
            WHERE o.placed_at < $2 AND o.ordered > coalesce((
                SELECT sum(m.figure) FROM {q(schema, "order_moves")} m
                WHERE m.order_id = o.order_id AND m.kind = 'cancelled'
            ), 0)
        ),
        active AS (SELECT DISTINCT customer_id FROM counted WHERE placed_at >= $1),
        earlier AS (SELECT DISTINCT customer_id FROM counted WHERE placed_at < $1),
        previous AS (SELECT DISTINCT customer_id FROM counted WHERE placed_at >= $3 AND placed_at < $1)
        SELECT
            (SELECT count(*) FROM active) AS active,
            (SELECT count(*) FROM active JOIN earlier USING (customer_id)) AS returning,
            (SELECT count(*) FROM previous WHERE customer_id NOT IN (SELECT customer_id FROM active))
                AS lapsed
        """,
        start,
        end,
        previous_start,
    )
    active, returning, lapsed = (0, 0, 0) if row is None else (row["active"], row["returning"], row["lapsed"])
    return Retention(active, active - returning, returning, lapsed, repeat_rate(active, returning))


async def repeat_rate_pct(conn: Connection, schema: str, start: datetime, end: datetime) -> Decimal | None:
    """The repeat rate of [start, end): the customers active there who had bought before it, in
    percent of those active, 2 places; None with no one active. (Which customers lapsed does not
    enter it, so the previous period is never asked for.)"""
    figures = await retention(conn, schema, start=start, end=end, previous_start=start)
    return figures.repeat_rate_pct
