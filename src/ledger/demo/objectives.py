"""The plan: objectives for each quarter and month (short), each year (medium) and three years (long).

Every quarter the history touches has short objectives for net sales, complaints answered
within SLA, orders on time and in full, the return on campaign spend, the defect rate and
(when the books open before it) customers who buy again; every month whose previous month
lies whole in the history one for growth over that month. Each year has medium ones for
satisfaction, NPS, suppliers on time and in full, the stock's value and deliveries; and
the three years from the first one long ones for NPS, satisfaction, the return on campaign
spend and defects. Each is set on the last business afternoon before its period (or with
the opening of the books).

Targets are set as a manager sets them, never by measuring the history (the read models
measure it): net sales from the sales forecast (``planning.run_rate``) with a margin below
it (within reach) or above it (a stretch); every other KPI from the company's standing
ambitions, one figure within reach of what this company does and one a stretch. So the
scorecard has objectives on track and off, met and missed. Once, at about three fifths of
the history, the quarter's sales objective is revised; at about seven tenths the year's
delivery objective is retired in favour of the quarterly ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from ledger.demo.planning import run_rate, set_before
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
# kpi: (within reach, a stretch), picked by Spec.stretch; for the defect rate and the stock's
# value lower is better
AMBITIONS: Final = {
    "sla_compliance_pct": (Decimal("85.00"), Decimal("97.50")),
    "customer_otif_pct": (Decimal("88.00"), Decimal("98.00")),
    "campaign_roas": (Decimal("2.50"), Decimal("12.00")),
    "defect_rate": (Decimal("0.030000"), Decimal("0.008000")),
    "repeat_rate_pct": (Decimal("60.00"), Decimal("90.00")),
    "csat_avg": (Decimal("3.70"), Decimal("4.40")),
    "nps": (Decimal("10.00"), Decimal("30.00")),
    "supplier_otif_pct": (Decimal("70.00"), Decimal("88.00")),
    "inventory_value": (Decimal("150000.00"), Decimal("90000.00")),
}
# net sales: the forecast times (within reach, a stretch), picked the same way, to the thousand
SALES_MARGINS: Final = (Decimal("0.85"), Decimal("1.15"))
THOUSAND: Final = Decimal(1000)
CENT: Final = Decimal("0.01")
REVISED_AT: Final = 0.6
RETIRED_AT: Final = 0.7
RETIRE_REASON: Final = "Delivery performance is managed per quarter from now on"


def objectives(sim: Sim) -> list[Planned]:
    """Every objective of the history, its one revision and its one retirement, in time order."""
    timeline = sim.timeline
    first, last = timeline.local_date(timeline.start), timeline.local_date(timeline.end)
    plan: list[Planned] = []
    periods = _periods(first, last)
    for period in periods["quarter"]:
        label = f"{period[5:]} {period[:4]}"
        opened = timeline.at(period_days(period)[0], 0.0) > timeline.start
        plan += [
            _objective(sim, s, "short", period, f"{s.title}, {label}")
            for s in QUARTER
            if opened or not s.after_opening
        ]
    for period in periods["month"]:
        # growth is measured against the month before, which the books must hold whole
        if timeline.at(period_days(_previous_month(period))[0], 0.0) >= timeline.start:
            plan.append(_objective(sim, GROWTH, "short", period, f"{GROWTH.title}, {period}"))
    for period in periods["year"]:
        plan += [_objective(sim, s, "medium", period, f"{s.title}, {period}") for s in YEAR]
    for period in periods["span"]:
        years = period.replace("..", "-")
        plan += [_objective(sim, s, "long", period, f"{s.title}, {years}") for s in SPAN]
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


def period_days(period: str) -> tuple[date, date]:
    """The first day of a month, quarter, year or span of years, and the first day after it."""
    first, dots, last = period.partition("..")
    if dots:
        return date(int(first), 1, 1), date(int(last) + 1, 1, 1)
    year, _, rest = period.partition("-")
    if not rest:
        start, months = date(int(year), 1, 1), 12
    elif rest.startswith("Q"):
        start, months = date(int(year), 3 * int(rest[1]) - 2, 1), 3
    else:
        start, months = date(int(year), int(rest), 1), 1
    index = start.year * 12 + start.month - 1 + months
    return start, date(index // 12, index % 12 + 1, 1)


def _objective(sim: Sim, spec: Spec, horizon: str, period: str, title: str) -> Planned:
    timeline = sim.timeline
    first, end = period_days(period)
    at = set_before(sim, max(first, timeline.local_date(timeline.start)))
    body = {
        "objective_id": f"OBJ-{period.replace('..', '-')}-{spec.code}",
        "title": title,
        "horizon": horizon,
        "period": period,
        "kpi": spec.kpi,
        "target": str(_target(sim, spec, first, end)),
        "owner": spec.owner,
    }
    return Planned(at, "set-objective", body)


def _target(sim: Sim, spec: Spec, first: date, end: date) -> Decimal:
    if spec.kpi == "sales_growth_pct":
        return GROWTH_TARGET
    if spec.kpi == "net_sales":
        # over the days of the period the books hold: a manager opening them mid-quarter
        # plans only what is left of it
        opened = max(first, sim.timeline.local_date(sim.open_at))
        forecast = run_rate(sim, opened, end) * SALES_MARGINS[spec.stretch]
        return ((forecast / THOUSAND).quantize(Decimal(1)) * THOUSAND).quantize(CENT)
    return AMBITIONS[spec.kpi][spec.stretch]


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
