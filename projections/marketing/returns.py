"""What campaigns return: the revenue of the orders placed with them, the spend recorded on them,
and the return on that spend (ROAS). One definition of each, for every reader of them: the
campaigns list and the plan's ``campaign_roas`` objective.

Counted over a ``Window`` of business time: orders placed and spend recorded in ``[start,
end)`` and at or before ``as_of`` (``None`` leaves that bound open). An order's revenue is
its booked amount (its lines' amounts as placed) less its cancellations that occurred by
``as_of``, each priced as the sales read model prices a cancellation
(``projections.sales.cancelled_amount``, applied when the row was stored): booked less
cancelled, the sales read model's booked basis. ROAS is revenue over spend, 2 places, None
with no spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from ledger.store import Connection, q
from projections.sales.figures import cents


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` of business time, known at ``as_of``; ``None`` leaves a bound open."""

    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None


@dataclass
class Statement:
    """A statement's numbered parameters, added as its text is built."""

    values: list[object] = field(default_factory=list)

    def __call__(self, value: object, type_: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{type_}"


def within(arg: Statement, column: str, window: Window) -> str:
    """SQL: ``column`` (a business time) lies in the window (``TRUE`` when it is unbounded)."""
    conditions = [f"{column} >= {arg(window.start, 'timestamptz')}"] if window.start is not None else []
    conditions += [f"{column} < {arg(window.end, 'timestamptz')}"] if window.end is not None else []
    conditions += [f"{column} <= {arg(window.as_of, 'timestamptz')}"] if window.as_of is not None else []
    return " AND ".join(conditions) or "TRUE"


def by_as_of(arg: Statement, column: str, as_of: datetime | None) -> str:
    """SQL: ``column`` is at or before ``as_of`` (``TRUE`` without one)."""
    return "TRUE" if as_of is None else f"{column} <= {arg(as_of, 'timestamptz')}"


def revenue_sql(schema: str, arg: Statement, window: Window) -> str:
    """SQL: per campaign_id, the ``orders`` placed with it in the window and their ``revenue``."""
    lines, cancellations = q(schema, "order_lines"), q(schema, "cancellations")
    return (
        "SELECT o.campaign_id, count(*) AS orders, sum(b.booked - coalesce(c.cancelled, 0)) AS revenue "
        f"FROM {q(schema, 'orders')} o "
        f"CROSS JOIN LATERAL (SELECT sum(amount) AS booked FROM {lines} WHERE order_id = o.order_id) b "
        f"CROSS JOIN LATERAL (SELECT sum(amount) AS cancelled FROM {cancellations} "
        f"WHERE order_id = o.order_id AND {by_as_of(arg, 'occurred_at', window.as_of)}) c "
        f"WHERE {within(arg, 'o.placed_at', window)} "
        "GROUP BY o.campaign_id"
    )


def spend_sql(schema: str, arg: Statement, window: Window) -> str:
    """SQL: per campaign_id, the ``spend`` recorded on it in the window."""
    return (
        f"SELECT campaign_id, sum(amount) AS spend FROM {q(schema, 'spends')} "
        f"WHERE {within(arg, 'recorded_at', window)} GROUP BY campaign_id"
    )


def roas(revenue: Decimal, spend: Decimal) -> Decimal | None:
    """Revenue over spend, half-up to 2 places; None with no spend."""
    return cents(Fraction(revenue) / Fraction(spend)) if spend else None


async def campaign_roas(
    conn: Connection, schema: str, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> Decimal | None:
    """The revenue of the orders carrying a campaign placed in [start, end) over the spend
    recorded in [start, end) (business times), 2 places; None with no spend.

    ``as_of`` (optional) counts only what happened by then: orders and spend at or before it,
    cancellations that occurred by it; without it, every cancellation known now counts."""
    arg = Statement()
    window = Window(start, end, as_of)
    row = await conn.fetchrow(
        f"SELECT (SELECT sum(revenue) FROM ({revenue_sql(schema, arg, window)}) r) AS revenue, "
        f"(SELECT sum(spend) FROM ({spend_sql(schema, arg, window)}) s) AS spend",
        *arg.values,
    )
    assert row is not None  # an aggregate without GROUP BY always answers a row
    return roas(row["revenue"] or Decimal(0), row["spend"] or Decimal(0))
