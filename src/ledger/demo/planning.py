"""Sales targets: monthly per team, per channel and in total, and quarterly in total, per channel
and per category, for every period the history touches.

Targets are set the way a sales manager sets them: from the run rate, with some stretch.
The run rate is what the generated history booked per day (the generator knows its own
future, a manager only a forecast of it), adjusted for growth over the history. Each
target is set on the last business afternoon before its period starts, or at the start of
the history when that is earlier, and each quarter's total is revised once, early in its
second month, as forecasts are. The plan's sales objectives (``objectives``) start from the
same forecast, ``run_rate``.
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
CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
MICROSECOND = timedelta(microseconds=1)


def sales_targets(sim: Sim) -> list[Planned]:
    """Every target of the history, in business-time order."""
    rates = daily_rates(sim)
    targets: list[Planned] = []
    months = sim.timeline.months()
    for year, month in months:
        targets += _month_targets(sim, rates, year, month)
    for year, quarter in sorted({(y, (m - 1) // 3 + 1) for y, m in months}):
        targets += _quarter_targets(sim, rates, year, quarter)
    return sorted(targets, key=lambda planned: planned.at)


def daily_rates(sim: Sim) -> dict[tuple[str, str], Decimal]:
    """Booked amount per day over the history, by (dimension, key)."""
    days = max(Decimal((sim.timeline.end - sim.open_at) // MICROSECOND) / 86_400_000_000, Decimal(1))
    totals: defaultdict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (_, dimension, key), amount in sim.books.booked.items():
        totals[(dimension, key)] += amount
    return {key: total / days for key, total in totals.items()}


def growth(sim: Sim, day: date) -> Decimal:
    """Demand grows over the history; a period's run rate follows where it lies in it."""
    timeline = sim.timeline
    progress = Decimal((timeline.at(day, 12.0) - timeline.start) // MICROSECOND) / Decimal(
        (timeline.end - timeline.start) // MICROSECOND
    )
    within = min(max(progress, Decimal(0)), Decimal(1))
    return (1 + Decimal(str(GROWTH)) * (within - Decimal("0.5"))).quantize(FOUR_PLACES)


def run_rate(sim: Sim, first: date, end: date) -> Decimal:
    """The forecast of every channel's sales over the days from ``first`` to before ``end``:
    the run rate, grown to the middle of those days."""
    rates = daily_rates(sim)
    channels = {team.channel for team in sim.company.teams}
    days = (end - first).days
    per_day = sum((rates.get(("channel", c), Decimal(0)) for c in channels), Decimal(0))
    return (per_day * days * growth(sim, first + timedelta(days=days // 2))).quantize(CENT)


def _draw(sim: Sim, low: float, high: float) -> Decimal:
    """A random factor between ``low`` and ``high``, to four places."""
    return Decimal(sim.rng.uniform(low, high)).quantize(FOUR_PLACES)


def _money(value: Decimal, step: int) -> str:
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


def _month_targets(sim: Sim, rates: dict[tuple[str, str], Decimal], year: int, month: int) -> list[Planned]:
    first = date(year, month, 1)
    days = calendar.monthrange(year, month)[1]
    period, at = f"{year}-{month:02d}", set_before(sim, first)
    grown = growth(sim, first + timedelta(days=days // 2))
    by_team = {
        team.team_id: round(
            rates.get(("team", team.team_id), Decimal(0)) * days * grown * _draw(sim, 0.97, 1.12), -2
        )
        for team in sim.company.teams
    }
    by_channel: defaultdict[str, Decimal] = defaultdict(Decimal)
    for team in sim.company.teams:
        by_channel[team.channel] += by_team[team.team_id]
    targets = [_target(at, period, "total", TOTAL, _money(sum(by_team.values(), Decimal(0)), 500))]
    targets += [_target(at, period, "channel", key, _money(value, 500)) for key, value in by_channel.items()]
    targets += [_target(at, period, "team", key, _money(value, 500)) for key, value in by_team.items()]
    return targets


def _quarter_targets(
    sim: Sim, rates: dict[tuple[str, str], Decimal], year: int, quarter: int
) -> list[Planned]:
    months = [3 * (quarter - 1) + i for i in (1, 2, 3)]
    first = date(year, months[0], 1)
    days = sum(calendar.monthrange(year, m)[1] for m in months)
    period, at = f"{year}-Q{quarter}", set_before(sim, first, 16.5)
    grown = growth(sim, first + timedelta(days=days // 2)) * _draw(sim, 1.0, 1.06)
    channels = sorted({team.channel for team in sim.company.teams})
    categories = sorted({product.category for product in sim.company.products.values()})
    total = sum((rates.get(("channel", c), Decimal(0)) for c in channels), Decimal(0)) * days * grown
    targets = [_target(at, period, "total", TOTAL, _money(total, 1000))]
    for dimension, keys in (("channel", channels), ("category", categories)):
        for key in keys:
            amount = _money(rates.get((dimension, key), Decimal(0)) * days * grown, 1000)
            targets.append(_target(at, period, dimension, key, amount))
    revised = sim.timeline.at(_first_business_day(date(year, months[1], 1)), 10.0)
    if at < revised <= sim.timeline.end:
        targets.append(_target(revised, period, "total", TOTAL, _money(total * _draw(sim, 0.95, 1.05), 1000)))
    return targets


def _first_business_day(day: date) -> date:
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
