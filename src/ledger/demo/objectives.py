"""The plan: objectives for each quarter and month (short), each year (medium) and three years (long).

Every quarter the history touches has short objectives for net sales, complaints answered
within SLA, orders on time and in full, the return on campaign spend, the defect rate and
(when the books open before it) customers who buy again; every month whose previous month
lies whole in the history one for growth over that month. Each year has medium ones for
satisfaction, NPS, suppliers on time and in full, the stock's value and deliveries; and
the three years from the first one long ones for NPS, satisfaction, the return on campaign
spend and defects. Each is set on the last business afternoon before its period (or with
the opening of the books).

Like the sales targets, the targets are set against what the history will show (the
generator knows its future, a manager a forecast of it, ``measures``): some within reach,
some a stretch, so the scorecard has objectives on track and off, met and missed. Once,
at about three fifths of the history, the quarter's sales objective is revised; at about
seven tenths the year's delivery objective is retired in favour of the quarterly ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from ledger.demo.measures import Measures, period_span
from ledger.demo.planning import set_before
from ledger.demo.simulation import Planned, Sim
from ledger.demo.timeline import is_business_day


@dataclass(frozen=True, slots=True)
class Spec:
    code: str
    title: str
    kpi: str
    stretch: bool  # a stretch (off track, missed) or within reach (on track, met)
    owner: str
    after_opening: bool = False  # measured against what came before: only for periods the books precede


QUARTER: Final = (
    Spec("SALES", "Net sales", "net_sales", False, "SALES-DIR"),
    Spec("SLA", "Complaints answered and resolved within SLA", "sla_compliance_pct", True, "SERVICE-MGR"),
    Spec("OTIF", "Orders delivered on time and in full", "customer_otif_pct", False, "LOGISTICS-MGR"),
    Spec("ROAS", "Return on campaign spend", "campaign_roas", True, "MARKETING-MGR"),
    Spec("DEFECTS", "Defect rate of inspected units", "defect_rate", False, "QUALITY-MGR"),
    Spec("REPEAT", "Customers who buy again", "repeat_rate_pct", False, "SALES-DIR", after_opening=True),
)
YEAR: Final = (
    Spec("CSAT", "Customer satisfaction", "csat_avg", False, "SERVICE-MGR"),
    Spec("NPS", "Net promoter score", "nps", True, "SALES-DIR"),
    Spec("SUPPLIERS", "Suppliers on time and in full", "supplier_otif_pct", True, "PURCHASING-MGR"),
    Spec("STOCK", "Stock value kept under", "inventory_value", False, "CFO"),
    Spec("OTIF", "Orders delivered on time and in full", "customer_otif_pct", False, "LOGISTICS-MGR"),
)
SPAN: Final = (
    Spec("NPS", "Net promoter score", "nps", True, "CEO"),
    Spec("CSAT", "Customer satisfaction", "csat_avg", True, "CEO"),
    Spec("ROAS", "Return on campaign spend", "campaign_roas", False, "MARKETING-MGR"),
    Spec("DEFECTS", "Defect rate of inspected units", "defect_rate", True, "QUALITY-MGR"),
)
GROWTH: Final = Spec(
    "GROWTH",
    "Net sales growth over the month before",
    "sales_growth_pct",
    False,
    "SALES-DIR",
    after_opening=True,
)
GROWTH_TARGET: Final = Decimal("3.00")
LOWER_IS_BETTER: Final = ("defect_rate", "inventory_value")
# kpi: (margin, relative or in points, step of the target, places)
ROUNDING: Final = {
    "net_sales": (0.07, True, 1000.0, 2),
    "campaign_roas": (0.15, True, 0.1, 2),
    "defect_rate": (0.2, True, 0.001, 6),
    "inventory_value": (0.1, True, 5000.0, 2),
    "csat_avg": (0.15, False, 0.05, 2),
    "nps": (8.0, False, 1.0, 2),
}
PCT: Final = (4.0, False, 0.5, 2)
FALLBACK: Final = {"campaign_roas": 4.0, "defect_rate": 0.015, "csat_avg": 4.0, "nps": 20.0}
REVISED_AT: Final = 0.6
RETIRED_AT: Final = 0.7
RETIRE_REASON: Final = "Delivery performance is managed per quarter from now on"


def objectives(sim: Sim) -> list[Planned]:
    """Every objective of the history, its one revision and its one retirement, in time order."""
    timeline = sim.timeline
    measures = Measures(((p.at, p.name, p.body) for p in sim.planned), timeline.tz)
    first, last = timeline.local_date(timeline.start), timeline.local_date(timeline.end)
    plan: list[Planned] = []
    periods = _periods(first, last)
    for period in periods["quarter"]:
        label = f"{period[5:]} {period[:4]}"
        opened = period_span(period, timeline.tz)[0] > timeline.start
        plan += [
            _objective(sim, measures, s, "short", period, f"{s.title}, {label}")
            for s in QUARTER
            if opened or not s.after_opening
        ]
    for period in periods["month"]:
        # growth is measured against the month before, which the books must hold whole
        if period_span(_previous_month(period), timeline.tz)[0] >= timeline.start:
            plan.append(_objective(sim, measures, GROWTH, "short", period, f"{GROWTH.title}, {period}"))
    for period in periods["year"]:
        plan += [_objective(sim, measures, s, "medium", period, f"{s.title}, {period}") for s in YEAR]
    for period in periods["span"]:
        years = period.replace("..", "-")
        plan += [_objective(sim, measures, s, "long", period, f"{s.title}, {years}") for s in SPAN]
    plan += _revision_and_retirement(sim, plan)
    return sorted(plan, key=lambda p: p.at)


def _periods(first: date, last: date) -> dict[str, list[str]]:
    months: list[str] = []
    index = first.year * 12 + first.month - 1
    while index <= last.year * 12 + last.month - 1:
        months.append(f"{index // 12}-{index % 12 + 1:02d}")
        index += 1
    quarters = sorted({f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in months})
    years = sorted({m[:4] for m in months})
    spans = sorted({f"{y}..{y + 2}" for y in range(first.year, last.year + 1, 3)})
    return {"month": months, "quarter": quarters, "year": years, "span": spans}


def _previous_month(period: str) -> str:
    index = int(period[:4]) * 12 + int(period[5:]) - 2
    return f"{index // 12}-{index % 12 + 1:02d}"


def _objective(sim: Sim, measures: Measures, spec: Spec, horizon: str, period: str, title: str) -> Planned:
    timeline = sim.timeline
    start, end = period_span(period, timeline.tz)
    at = set_before(sim, max(start.date(), timeline.local_date(timeline.start)))
    body = {
        "objective_id": f"OBJ-{period.replace('..', '-')}-{spec.code}",
        "title": title,
        "horizon": horizon,
        "period": period,
        "kpi": spec.kpi,
        "target": str(_target(sim, measures, spec, start, end)),
        "owner": spec.owner,
    }
    return Planned(at, "set-objective", body)


def _target(sim: Sim, measures: Measures, spec: Spec, start: datetime, end: datetime) -> Decimal:
    if spec.kpi == "sales_growth_pct":
        return GROWTH_TARGET
    actual = _actual(sim, measures, spec.kpi, start, end)
    margin, relative, step, places = ROUNDING.get(spec.kpi, PCT)
    if actual is None:
        actual = FALLBACK.get(spec.kpi, 90.0)
    better = -1.0 if spec.kpi in LOWER_IS_BETTER else 1.0
    sign = better if spec.stretch else -better  # a stretch lies on the better side of the actual
    target = actual * (1 + sign * margin) if relative else actual + sign * margin
    rounded = (math.ceil if sign > 0 else math.floor)(target / step) * step
    if not relative:
        rounded = min(rounded, 100.0)
    return Decimal(rounded).quantize(Decimal(1).scaleb(-places))


def _actual(sim: Sim, measures: Measures, kpi: str, start: datetime, end: datetime) -> float | None:
    as_of = sim.timeline.end
    ongoing = end > as_of
    upto = min(end, as_of)
    if kpi == "net_sales":
        done = measures.net_sales(start, upto)
        elapsed = (upto - start) / (end - start)
        return done / elapsed if ongoing and elapsed else done
    if kpi == "inventory_value":
        books, products = sim.books, sim.company.products
        return sum(float(level.on_hand * products[sku].cost) for (sku, _), level in books.levels.items())
    figures: dict[str, Callable[[], float | None]] = {
        "sla_compliance_pct": lambda: measures.sla_compliance_pct(start, end, as_of),
        "defect_rate": lambda: measures.defect_rate(start, end),
        "supplier_otif_pct": lambda: measures.supplier_otif_pct(start, end, as_of),
        "customer_otif_pct": lambda: measures.customer_otif_pct(start, end, as_of),
        "csat_avg": lambda: measures.csat_avg(start, end),
        "nps": lambda: measures.nps(start, end),
        "repeat_rate_pct": lambda: measures.repeat_rate_pct(start, end),
        "campaign_roas": lambda: measures.campaign_roas(start, end),
    }
    return figures[kpi]()


def _revision_and_retirement(sim: Sim, plan: list[Planned]) -> list[Planned]:
    """The quarter's sales objective revised down a little; the year's delivery objective retired."""
    timeline = sim.timeline
    span = timeline.end - timeline.start
    revised_at = _business_morning(sim, timeline.start + span * REVISED_AT)
    retired_at = _business_morning(sim, timeline.start + span * RETIRED_AT)
    day, year = timeline.local_date(revised_at), timeline.local_date(retired_at).year
    by_id = {p.body["objective_id"]: p for p in plan}
    changes: list[Planned] = []
    sales = by_id.get(f"OBJ-{day.year}-Q{(day.month - 1) // 3 + 1}-SALES")
    if sales is not None and sales.at < revised_at:
        target = (Decimal(sales.body["target"]) * Decimal("0.97") / 1000).quantize(Decimal(1)) * 1000
        revised = {**sales.body, "title": f"{sales.body['title']} (revised)", "target": f"{target:.2f}"}
        changes.append(Planned(revised_at, "set-objective", revised))
    deliveries = by_id.get(f"OBJ-{year}-OTIF")
    if deliveries is not None and deliveries.at < retired_at:
        retirement = {"objective_id": deliveries.body["objective_id"], "reason": RETIRE_REASON}
        changes.append(Planned(retired_at, "retire-objective", retirement))
    return changes


def _business_morning(sim: Sim, instant: datetime) -> datetime:
    timeline = sim.timeline
    day = timeline.local_date(instant)
    while not is_business_day(day):
        day = date.fromordinal(day.toordinal() + 1)
    return min(max(timeline.at(day, 10.0), sim.open_at), timeline.end)
