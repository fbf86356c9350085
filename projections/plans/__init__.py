"""The plan's objectives and the scorecard that measures them: reads over several read models.

The objectives' rows are tables of the sales read model (``projections.sales.objectives``);
``objectives`` tells which are in force at a time,
``periods`` turns a period into instants, ``kpis`` measures each KPI through the queries of
the read models that report it (one definition of each figure), ``scorecard`` judges them.
"""

from __future__ import annotations

from projections.plans.kpis import KPIS, Kpi, Measure, Reading, Window
from projections.plans.objectives import Objective, Selection, objectives
from projections.plans.periods import previous, span
from projections.plans.scorecard import Score, meets, reads, scorecard, status

__all__ = [
    "KPIS",
    "Kpi",
    "Measure",
    "Objective",
    "Reading",
    "Score",
    "Selection",
    "Window",
    "meets",
    "objectives",
    "previous",
    "reads",
    "scorecard",
    "span",
    "status",
]
