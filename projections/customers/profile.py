"""One customer as the ledger knows it: its segment, its orders and what they earned, its
complaints and what it said when called back.

``orders`` counts every order it placed, cancelled ones too, and ``first_order_at`` and
``last_order_at`` are the first and last of them. ``net_revenue`` is what was shipped to it less
what it returned, 2 places. A complaint is open until resolved, and again once reopened.
``csat_avg`` is its mean csat, as the satisfaction figures define it. A customer is known once
any fact names it (its registration may arrive after its orders: another topic).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ledger.store import Connection, q
from projections.customers.satisfaction import csat_average, tally


@dataclass(frozen=True, slots=True)
class Profile:
    customer_id: str
    segment: str | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    orders: int
    net_revenue: Decimal
    complaints: int
    open_complaints: int
    last_follow_up_at: datetime | None
    csat_avg: Decimal | None


async def profile(conn: Connection, schema: str, customer_id: str) -> Profile | None:
    """The customer's profile; None when no fact names it."""
    row = await conn.fetchrow(
        f"""
        SELECT
            (SELECT segment FROM {q(schema, "customers")} WHERE customer_id = $1) AS segment,
            EXISTS (SELECT 1 FROM {q(schema, "customers")} WHERE customer_id = $1) AS registered,
            o.orders, o.first_order_at, o.last_order_at, r.net_revenue,
            c.complaints, c.open_complaints, f.follow_ups, f.last_follow_up_at
        FROM (
            SELECT count(*) AS orders, min(placed_at) AS first_order_at, max(placed_at) AS last_order_at
            FROM {q(schema, "orders")} WHERE customer_id = $1
        ) o, (
            SELECT coalesce(sum(CASE m.kind WHEN 'shipped' THEN m.figure ELSE -m.figure END), 0)
                AS net_revenue
            FROM {q(schema, "order_moves")} m JOIN {q(schema, "orders")} o USING (order_id)
            WHERE o.customer_id = $1 AND m.kind IN ('shipped', 'returned')
        ) r, (
            SELECT count(*) AS complaints,
                count(*) FILTER (WHERE coalesce(t.state, 'reopened') = 'reopened') AS open_complaints
            FROM {q(schema, "complaints")} c
            LEFT JOIN LATERAL (
                SELECT state FROM {q(schema, "complaint_turns")}
                WHERE complaint_id = c.complaint_id ORDER BY version DESC LIMIT 1
            ) t ON true
            WHERE c.customer_id = $1
        ) c, (
            SELECT count(*) AS follow_ups, max(occurred_at) AS last_follow_up_at
            FROM {q(schema, "follow_ups")} WHERE customer_id = $1
        ) f
        """,
        customer_id,
    )
    if row is None or not (row["registered"] or row["orders"] or row["complaints"] or row["follow_ups"]):
        return None
    said = await tally(conn, schema, customer_id=customer_id)
    return Profile(
        customer_id=customer_id,
        segment=row["segment"],
        first_order_at=row["first_order_at"],
        last_order_at=row["last_order_at"],
        orders=row["orders"],
        net_revenue=row["net_revenue"],
        complaints=row["complaints"],
        open_complaints=row["open_complaints"],
        last_follow_up_at=row["last_follow_up_at"],
        csat_avg=csat_average(said.csat_answers, said.csat_sum),
    )
