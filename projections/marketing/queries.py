"""Queries of the marketing read model: the campaigns list and the sales funnel.

Campaigns are judged at ``as_of`` (``None``: everything known now): a campaign launched
after it is left out, and its spend, leads, lead steps, orders and cancellations count only
when they happened by then. ``qualified``, ``won`` and ``lost`` count leads that ever reached
that state, each by the step that took it there: a lead won straight from captured was never
qualified. A campaign's ``orders`` are every order placed with it, cancelled ones too; its
revenue, spend and ROAS are ``returns``' (one definition with the plan's objective).

The funnel takes the leads captured in ``[start, end)`` and counts, as known now, how many
were ever qualified, won or lost, and how many are still open (neither won nor lost).

Counts come from SQL; figures are worked out here exactly (``Fraction``) and rounded half-up
to 2 places once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from ledger.store import Connection, q
from projections.marketing.returns import Statement, Window, by_as_of, revenue_sql, roas, spend_sql, within
from projections.sales.figures import cents

DIMENSIONS: Final = ("channel", "campaign")
NO_CAMPAIGN: Final = "none"
_KEY: Final = {"channel": "l.channel", "campaign": f"coalesce(l.campaign_id, '{NO_CAMPAIGN}')"}


@dataclass(frozen=True, slots=True)
class Campaign:
    """One campaign's figures at a time; money and percentages with 2 places, None where undefined."""

    campaign_id: str
    name: str
    medium: str
    starts_on: date
    ends_on: date
    budget: Decimal
    spend: Decimal
    leads: int
    qualified: int
    won: int
    orders: int
    revenue: Decimal
    cost_per_lead: Decimal | None
    roas: Decimal | None
    budget_used_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class Stage:
    """One key's funnel over the leads captured in a window."""

    key: str
    leads: int
    qualified: int
    won: int
    lost: int
    open: int
    conversion_pct: Decimal | None


def _steps(schema: str, arg: Statement, as_of: datetime | None) -> str:
    """SQL: a lateral over lead ``l``: whether it was ever qualified, won or lost by ``as_of``."""
    return (
        "SELECT coalesce(bool_or(kind = 'qualified'), FALSE) AS qualified, "
        "coalesce(bool_or(kind = 'won'), FALSE) AS won, coalesce(bool_or(kind = 'lost'), FALSE) AS lost "
        f"FROM {q(schema, 'lead_steps')} WHERE lead_id = l.lead_id AND {by_as_of(arg, 'occurred_at', as_of)}"
    )


async def campaigns(
    conn: Connection, schema: str, *, as_of: datetime | None, after: str | None, limit: int
) -> list[Campaign]:
    """Up to ``limit`` campaigns launched by ``as_of``, in campaign id order after ``after``."""
    arg = Statement()
    window = Window(as_of=as_of)
    listed = [by_as_of(arg, "c.launched_at", as_of)]
    listed += [f"c.campaign_id > {arg(after, 'text')}"] if after is not None else []
    rows = await conn.fetch(
        f"""
        WITH listed AS (
            SELECT c.* FROM {q(schema, "campaigns")} c
            WHERE {" AND ".join(listed)}
            ORDER BY c.campaign_id
            LIMIT {arg(limit, "integer")}
        ), funnel AS (
            SELECT l.campaign_id, count(*) AS leads,
                count(*) FILTER (WHERE s.qualified) AS qualified, count(*) FILTER (WHERE s.won) AS won
            FROM {q(schema, "leads")} l JOIN listed USING (campaign_id)
            CROSS JOIN LATERAL ({_steps(schema, arg, as_of)}) s
            WHERE {by_as_of(arg, "l.captured_at", as_of)}
            GROUP BY l.campaign_id
        ), revenue AS ({revenue_sql(schema, arg, window)}),
        spent AS ({spend_sql(schema, arg, window)})
        SELECT c.campaign_id, c.name, c.medium, c.starts_on, c.ends_on, c.budget,
            coalesce(s.spend, 0) AS spend, coalesce(f.leads, 0) AS leads,
            coalesce(f.qualified, 0) AS qualified, coalesce(f.won, 0) AS won,
            coalesce(r.orders, 0) AS orders, coalesce(r.revenue, 0) AS revenue
        FROM listed c
        LEFT JOIN funnel f USING (campaign_id)
        LEFT JOIN revenue r USING (campaign_id)
        LEFT JOIN spent s USING (campaign_id)
        ORDER BY c.campaign_id
        """,
        *arg.values,
    )
    return [_campaign(row) for row in rows]


def _campaign(row: Any) -> Campaign:
    spend, budget, leads = Fraction(row["spend"]), Fraction(row["budget"]), row["leads"]
    return Campaign(
        campaign_id=row["campaign_id"],
        name=row["name"],
        medium=row["medium"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        budget=row["budget"],
        spend=row["spend"],
        leads=leads,
        qualified=row["qualified"],
        won=row["won"],
        orders=row["orders"],
        revenue=row["revenue"],
        cost_per_lead=cents(spend / leads) if leads else None,
        roas=roas(row["revenue"], row["spend"]),
        budget_used_pct=cents(spend / budget * 100) if budget else None,
    )


async def funnel(
    conn: Connection,
    schema: str,
    *,
    start: datetime | None,
    end: datetime | None,
    dimension: str,
    after: str | None,
    limit: int,
) -> list[Stage]:
    """Per key of ``dimension`` in key order after ``after``, up to ``limit`` keys: the leads
    captured in [start, end) (a bound left out is open), with at least one lead."""
    arg = Statement()
    captured = within(arg, "l.captured_at", Window(start, end))
    page = f"WHERE key > {arg(after, 'text')}" if after is not None else ""
    rows = await conn.fetch(
        f"""
        SELECT * FROM (
            SELECT {_KEY[dimension]} AS key, count(*) AS leads,
                count(*) FILTER (WHERE s.qualified) AS qualified,
                count(*) FILTER (WHERE s.won) AS won, count(*) FILTER (WHERE s.lost) AS lost,
                count(*) FILTER (WHERE NOT s.won AND NOT s.lost) AS open
            FROM {q(schema, "leads")} l CROSS JOIN LATERAL ({_steps(schema, arg, None)}) s
            WHERE {captured}
            GROUP BY 1
        ) k
        {page}
        ORDER BY key
        LIMIT {arg(limit, "integer")}
        """,
        *arg.values,
    )
    return [
        Stage(
            key=row["key"],
            leads=row["leads"],
            qualified=row["qualified"],
            won=row["won"],
            lost=row["lost"],
            open=row["open"],
            conversion_pct=cents(Fraction(row["won"] * 100, row["leads"])),
        )
        for row in rows
    ]
