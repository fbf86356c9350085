"""Sales targets: monthly per team, per channel and in total, and quarterly in total, per channel
and per category, for every period the history touches.

Targets are set the way a sales manager sets them: from the run rate, with some stretch.
The run rate is what the generated history booked per day (the generator knows its own
future, a manager only a forecast of it), adjusted for growth over the history. Each
target is set on the last business afternoon before its period starts, or at the start of
the history when that is earlier, and each quarter's total is revised once, early in its
second month, as forecasts are.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from ledger.demo.demand import GROWTH
from ledger.demo.simulation import Planned, Sim
from ledger.demo.timeline import is_business_day

TOTAL = "*"


def sales_targets(sim: Sim) -> list[Planned]:
    """Every target of the history, in business-time order."""
    rates = _daily_rates(sim)
    targets: list[Planned] = []
    months = sim.timeline.months()
    for year, month in months:
        targets += _month_targets(sim, rates, year, month)
    for year, quarter in sorted({(y, (m - 1) // 3 + 1) for y, m in months}):
        targets += _quarter_targets(sim, rates, year, quarter)
    return sorted(targets, key=lambda planned: planned.at)


def _daily_rates(sim: Sim) -> dict[tuple[str, str], float]:
    """Booked amount per day over the history, by (dimension, key)."""
    days = max((sim.timeline.end - sim.open_at).total_seconds() / 86400, 1.0)
    totals: defaultdict[tuple[str, str], float] = defaultdict(float)
    for (_, dimension, key), amount in sim.books.booked.items():
        totals[(dimension, key)] += float(amount)
    return {key: total / days for key, total in totals.items()}


def _growth(sim: Sim, day: date) -> float:
    """Demand grows over the history; a period's run rate follows where it lies in it."""
    timeline = sim.timeline
    span = (timeline.end - timeline.start).total_seconds()
    progress = (timeline.at(day, 12.0) - timeline.start).total_seconds() / span
    return 1 + GROWTH * (min(max(progress, 0.0), 1.0) - 0.5)


def _money(value: float, step: int) -> str:
    rounded = max(step, round(value / step) * step)
    return f"{Decimal(rounded):.2f}"


def set_before(sim: Sim, first_day: date, hour: float = 16.0) -> datetime:
    """The last business afternoon before ``first_day``, or the start of the history."""
    day = first_day - timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return max(sim.timeline.at(day, hour), sim.open_at - timedelta(minutes=30))


def _target(at: datetime, period: str, dimension: str, key: str, amount: str) -> Planned:
    body = {"period": period, "dimension": dimension, "key": key, "amount": amount}
    return Planned(at, "set-sales-target", body)


def _month_targets(sim: Sim, rates: dict[tuple[str, str], float], year: int, month: int) -> list[Planned]:
    first = date(year, month, 1)
    days = calendar.monthrange(year, month)[1]
    period, at = f"{year}-{month:02d}", set_before(sim, first)
    growth = _growth(sim, first + timedelta(days=days // 2))
    by_team = {
        team.team_id: round(
            rates.get(("team", team.team_id), 0.0) * days * growth * sim.rng.uniform(0.97, 1.12), -2
        )
        for team in sim.company.teams
    }
    by_channel: defaultdict[str, float] = defaultdict(float)
    for team in sim.company.teams:
        by_channel[team.channel] += by_team[team.team_id]
    targets = [_target(at, period, "total", TOTAL, _money(sum(by_team.values()), 500))]
    targets += [_target(at, period, "channel", key, _money(value, 500)) for key, value in by_channel.items()]
    targets += [_target(at, period, "team", key, _money(value, 500)) for key, value in by_team.items()]
    return targets


def _quarter_targets(sim: Sim, rates: dict[tuple[str, str], float], year: int, quarter: int) -> list[Planned]:
    months = [3 * (quarter - 1) + i for i in (1, 2, 3)]
    first = date(year, months[0], 1)
    days = sum(calendar.monthrange(year, m)[1] for m in months)
    period, at = f"{year}-Q{quarter}", set_before(sim, first, 16.5)
    growth = _growth(sim, first + timedelta(days=days // 2)) * sim.rng.uniform(1.0, 1.06)
    channels = sorted({team.channel for team in sim.company.teams})
    categories = sorted({product.category for product in sim.company.products.values()})
    total = sum(rates.get(("channel", c), 0.0) for c in channels) * days * growth
    targets = [_target(at, period, "total", TOTAL, _money(total, 1000))]
    for dimension, keys in (("channel", channels), ("category", categories)):
        for key in keys:
            amount = _money(rates.get((dimension, key), 0.0) * days * growth, 1000)
            targets.append(_target(at, period, dimension, key, amount))
    revised = sim.timeline.at(_first_business_day(date(year, months[1], 1)), 10.0)
    if at < revised <= sim.timeline.end:
        targets.append(
            _target(revised, period, "total", TOTAL, _money(total * sim.rng.uniform(0.95, 1.05), 1000))
        )
    return targets


def _first_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
