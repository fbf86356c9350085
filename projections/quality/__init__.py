"""The quality read model: inspections, defects, and what quality is judged against.

Inspections give defect trends, a p-chart with the Western Electric rules and a Pareto of
defect categories; receipts name the supplier of an inspected lot; shipped lines and filed
complaints give complaints per thousand units shipped. The tables (``tables``) copy facts
one row each; every join across streams happens in the queries (``queries``); the chart's
arithmetic is pure (``pchart``).
"""

from __future__ import annotations

from projections.quality.pchart import Chart, Point, Subgroup, p_chart, western_electric
from projections.quality.queries import (
    Filters,
    Inspected,
    complaint_rate,
    control_chart,
    defect_rate,
    inspected,
    pareto,
    trends,
)
from projections.quality.tables import Quality

PROJECTION = Quality()

__all__ = [
    "PROJECTION",
    "Chart",
    "Filters",
    "Inspected",
    "Point",
    "Quality",
    "Subgroup",
    "complaint_rate",
    "control_chart",
    "defect_rate",
    "inspected",
    "p_chart",
    "pareto",
    "trends",
    "western_electric",
]
