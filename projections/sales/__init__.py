"""The sales read model: what was booked, shipped and returned, against the targets set.

``tables`` holds its DDL and batched apply, ``totals`` the per-day, month and year sums the
apply keeps, ``spans`` how a range of time splits into those blocks, ``flows`` the sums a read
takes from blocks and order rows, ``queries`` its reads, ``figures`` the pure arithmetic of
periods and attainment, ``objectives`` the plan's objectives (read by ``projections.plans``).
"""

from __future__ import annotations

from projections.sales.figures import (
    Attainment,
    Days,
    attainment,
    business_days,
    elapsed_fraction,
    period_span,
)
from projections.sales.queries import BASES, DIMENSIONS, Day, Period, actuals_of, attainment_of, daily
from projections.sales.tables import Sales, cancelled_amount

PROJECTION = Sales()

__all__ = [
    "BASES",
    "DIMENSIONS",
    "PROJECTION",
    "Attainment",
    "Day",
    "Days",
    "Period",
    "Sales",
    "actuals_of",
    "attainment",
    "attainment_of",
    "business_days",
    "cancelled_amount",
    "daily",
    "elapsed_fraction",
    "period_span",
]
