"""What customers said: CSAT and NPS over follow-ups, per bucket of business time or over a
window, each figure defined once here and used by every reader (the satisfaction route, the
customer route and the plan's scorecard).

A response is a follow-up with a ``csat`` or an ``nps``. ``csat_avg`` is the mean csat (1 to 5);
``csat_pct`` the share of csat answers that are 4 or 5; ``nps`` the share of promoters (9 or 10)
less the share of detractors (0 to 6), in percent, over the nps answers;
``after_complaint_csat_avg`` the mean csat of follow-ups that name a complaint. Counts and sums
come from SQL; every figure is worked out exactly (``Fraction``) and rounded half-up to 2 places
once, and is None with nothing to measure. A follow-up's segment is its customer's, joined here,
at query time, since registrations arrive on another topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from ledger.store import Connection, q
from projections.sales.figures import cents

Bucket = Literal["month", "quarter"]
BUCKETS: Final = ("month", "quarter")


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts and sums a set of follow-ups gives, from which every figure is worked out."""

    responses: int = 0
    csat_answers: int = 0
    csat_sum: int = 0
    satisfied: int = 0  # csat 4 or 5
    nps_answers: int = 0
    promoters: int = 0  # nps 9 or 10
    detractors: int = 0  # nps 0 to 6
    after_complaint_answers: int = 0
    after_complaint_sum: int = 0


def csat_average(answers: int, total: int) -> Decimal | None:
    """The mean of ``answers`` csat scores adding up to ``total``."""
    return cents(Fraction(total, answers)) if answers else None


def csat_share(answers: int, satisfied: int) -> Decimal | None:
    """The percentage of csat answers that are 4 or 5."""
    return cents(Fraction(satisfied * 100, answers)) if answers else None


def net_promoter_score(answers: int, promoters: int, detractors: int) -> Decimal | None:
    """Promoters less detractors, in percent of the nps answers."""
    return cents(Fraction((promoters - detractors) * 100, answers)) if answers else None


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """One bucket's figures; ``bucket`` is its start in the ledger's time zone."""

    bucket: datetime
    responses: int
    csat_avg: Decimal | None
    csat_pct: Decimal | None
    nps: Decimal | None
    after_complaint_csat_avg: Decimal | None


def figures(bucket: datetime, tally: Tally) -> Satisfaction:
    return Satisfaction(
        bucket=bucket,
        responses=tally.responses,
        csat_avg=csat_average(tally.csat_answers, tally.csat_sum),
        csat_pct=csat_share(tally.csat_answers, tally.satisfied),
        nps=net_promoter_score(tally.nps_answers, tally.promoters, tally.detractors),
        after_complaint_csat_avg=csat_average(tally.after_complaint_answers, tally.after_complaint_sum),
    )


_TALLY: Final = """
    count(*) AS responses,
    count(f.csat) AS csat_answers,
    coalesce(sum(f.csat), 0) AS csat_sum,
    count(*) FILTER (WHERE f.csat >= 4) AS satisfied,
    count(f.nps) AS nps_answers,
    count(*) FILTER (WHERE f.nps >= 9) AS promoters,
    count(*) FILTER (WHERE f.nps <= 6) AS detractors,
    count(f.csat) FILTER (WHERE f.complaint_id IS NOT NULL) AS after_complaint_answers,
    coalesce(sum(f.csat) FILTER (WHERE f.complaint_id IS NOT NULL), 0) AS after_complaint_sum
"""


_FIELDS: Final = tuple(field.name for field in fields(Tally))


def _tally(row: Mapping[str, Any] | None) -> Tally:
    return Tally() if row is None else Tally(*(row[name] for name in _FIELDS))


def _where(
    start: datetime | None, end: datetime | None, segment: str | None, customer_id: str | None = None
) -> tuple[str, list[object]]:
    """The conditions picking the responses in [start, end) of one segment or customer, and
    their arguments (numbered from $1)."""
    where = ["(f.csat IS NOT NULL OR f.nps IS NOT NULL)"]
    args: list[object] = []
    for condition, value in (
        ("f.occurred_at >= ${}", start),
        ("f.occurred_at < ${}", end),
        ("c.segment = ${}", segment),
        ("f.customer_id = ${}", customer_id),
    ):
        if value is not None:
            args.append(value)
            where.append(condition.format(len(args)))
    return " AND ".join(where), args


async def satisfaction(
    conn: Connection,
    schema: str,
    *,
    start: datetime | None,
    end: datetime | None,
    bucket: Bucket,
    segment: str | None,
    zone: ZoneInfo,
) -> list[Satisfaction]:
    """Per bucket with at least one response in [start, end) (open where a bound is None), of
    customers in ``segment`` when one is given, oldest first."""
    where, args = _where(start, end, segment)
    rows = await conn.fetch(
        f"""
        SELECT date_trunc(${len(args) + 1}, f.occurred_at, ${len(args) + 2}) AS bucket, {_TALLY}
        FROM {q(schema, "follow_ups")} f
        LEFT JOIN {q(schema, "customers")} c USING (customer_id)
        WHERE {where}
        GROUP BY 1
        ORDER BY 1
        """,
        *args,
        bucket,
        zone.key,
    )
    return [figures(row["bucket"].astimezone(zone), _tally(dict(row))) for row in rows]


async def tally(
    conn: Connection,
    schema: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    customer_id: str | None = None,
) -> Tally:
    """The responses in [start, end) (open where a bound is None), of one customer if named."""
    where, args = _where(start, end, None, customer_id)
    row = await conn.fetchrow(
        f"""
        SELECT {_TALLY}
        FROM {q(schema, "follow_ups")} f
        LEFT JOIN {q(schema, "customers")} c USING (customer_id)
        WHERE {where}
        """,
        *args,
    )
    return _tally(None if row is None else dict(row))


async def csat_avg(conn: Connection, schema: str, start: datetime, end: datetime) -> Decimal | None:
    """The mean csat of the follow-ups recorded in [start, end), 2 places; None without one."""
    counted = await tally(conn, schema, start=start, end=end)
    return csat_average(counted.csat_answers, counted.csat_sum)


async def nps(conn: Connection, schema: str, start: datetime, end: datetime) -> Decimal | None:
    """The net promoter score of the follow-ups recorded in [start, end), 2 places; None
    without an nps answer."""
    counted = await tally(conn, schema, start=start, end=end)
    return net_promoter_score(counted.nps_answers, counted.promoters, counted.detractors)
