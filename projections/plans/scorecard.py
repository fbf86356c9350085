"""The plan's scorecard: each objective in force, its KPI measured, and how it stands.

Before its period ends (``as_of`` before the end) an objective is ``on_track`` when the figure
it is judged on meets the target, else ``off_track``; from the end on it is ``met`` or
``missed`` alike. Meeting is in the KPI's good direction, and meeting exactly meets it. A
KPI with nothing to measure (no figure) is ``off_track`` or ``missed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from projections.plans.kpis import KPIS, Good, Measure, Reading, Window
from projections.plans.objectives import Objective, Selection, objectives
from projections.plans.periods import span

Status = Literal["on_track", "off_track", "met", "missed"]


@dataclass(frozen=True, slots=True)
class Score:
    objective: Objective
    actual: Decimal | None
    status: Status


def meets(figure: Decimal | None, target: Decimal, good: Good) -> bool:
    if figure is None:
        return False
    return figure >= target if good == "up" else figure <= target


def status(measure: Measure, target: Decimal, good: Good, *, ended: bool) -> Status:
    hit = meets(measure.judged, target, good)
    if ended:
        return "met" if hit else "missed"
    return "on_track" if hit else "off_track"


async def scorecard(
    reading: Reading, *, as_of: datetime, selection: Selection, limit: int | None
) -> list[Score]:
    """Up to ``limit`` objectives in force at ``as_of``, by id, scored at ``as_of``; each KPI of
    a period is measured once however many objectives name it."""
    schema = reading.schemas["sales"]
    found = await objectives(reading.conn, schema, as_of=as_of, selection=selection, limit=limit)
    measured: dict[tuple[str, str], Measure] = {}
    scores = []
    for objective in found:
        kpi = KPIS.get(objective.kpi)
        start, end = span(objective.period, reading.zone)
        key = (objective.kpi, objective.period)
        if key not in measured:
            window = Window(objective.period, start, end, as_of)
            measured[key] = Measure(None, None) if kpi is None else await kpi.measure(reading, window)
        measure = measured[key]
        good: Good = "up" if kpi is None else kpi.good
        judged = status(measure, objective.target, good, ended=as_of >= end)
        scores.append(Score(objective, measure.actual, judged))
    return scores


def reads() -> tuple[str, ...]:
    """Every read model the scorecard reads: sales, which holds the objectives, and those of
    every KPI's measure."""
    return tuple(dict.fromkeys(("sales", *(model for kpi in KPIS.values() for model in kpi.reads))))
