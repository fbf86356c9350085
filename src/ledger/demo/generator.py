"""``generate(now, seed, days)``: a small company's history as an ordered list of commands.

Pure and seeded: the same ``now``, seed and days give the same commands, and nothing here
reads a clock or a global random generator. The history starts ``days`` before ``now`` with
the master data and the opening stock; routine business starts three hours later and runs
until a few minutes before ``now``. Every command carries its business time in
``occurred_at``; times increase strictly from one command to the next, so they increase per
entity too, and none lies after ``now``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import partial
from random import Random
from typing import Any, NamedTuple

from ledger.demo import leads, loyalty, marketing, purchasing, quality, sales, service, supply
from ledger.demo.company import build_company
from ledger.demo.demand import CHANNELS, GROWTH, policies
from ledger.demo.objectives import objectives
from ledger.demo.planning import sales_targets
from ledger.demo.setup import register_master_data
from ledger.demo.simulation import Action, Planned, Sim
from ledger.demo.timeline import Timeline, is_business_day, whole_seconds

MAX_DAYS = 5000  # over thirteen years: enough for a million-event history (the benchmark's rebuild)
OPENING_HOURS = timedelta(hours=3)  # master data, opening stock and its inspections come first
QUIET_END = timedelta(minutes=5)  # nothing is generated this close to ``now``
BAD_SPELL = timedelta(days=15)
COUNTED_PER_WEEK = 12
MONDAY = 0
FRIDAY = 4


class DemoCommand(NamedTuple):
    """One command of the history: its API name and its JSON body, ``occurred_at`` included."""

    name: str
    body: dict[str, Any]

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromisoformat(self.body["occurred_at"])


def generate(now: datetime, seed: int, days: int = 90, tz: tzinfo = UTC) -> list[DemoCommand]:
    """The history of the ``days`` before ``now``, in the order it must be submitted."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_DAYS}, not {days}")
    rng = Random(seed)
    start = whole_seconds(now - timedelta(days=days)).astimezone(UTC)
    timeline = Timeline(start, now.astimezone(UTC) - QUIET_END, tz)
    company = build_company(rng)
    spell_start = start + (timeline.end - start) * rng.uniform(0.3, 0.7)
    sim = Sim(
        rng,
        company,
        policies(company),
        timeline,
        open_at=start + OPENING_HOURS,
        bad_spell=(spell_start, spell_start + BAD_SPELL),
    )
    register_master_data(sim)
    supply.open_stock(sim)
    marketing.plan_campaigns(sim)
    first = timeline.local_date(start)
    total_days = max((timeline.local_date(timeline.end) - first).days, 1)
    for day in timeline.days():
        progress = (day - first).days / total_days
        sim.schedule(max(timeline.at(day, 0.0), start), partial(_plan_day, sim, day=day, progress=progress))
    sim.run()
    plan = objectives(sim)
    return _stamped(heapq.merge(sim.planned, sales_targets(sim), plan, key=lambda p: p.at), now)


def _routine(sim: Sim, when: datetime, action: Action) -> None:
    if when >= sim.open_at:
        sim.schedule(when, action)


def _plan_day(sim: Sim, when: datetime, *, day: date, progress: float) -> None:
    """Everything that happens on one local day: purchasing, restocking, orders, leads, checks."""
    timeline, rng = sim.timeline, sim.rng
    business = is_business_day(day)
    if business:
        _routine(sim, timeline.at(day, 7.0), partial(purchasing.review, sim))
    if day.weekday() < 6:
        store_products = [p for p in sim.company.products.values() if p.in_store]
        for minute, product in enumerate(store_products):
            action = partial(supply.restock_store, sim, sku=product.sku)
            _routine(sim, timeline.at(day, 7.5 + minute / 60), action)
    noon = timeline.at(day, 12.0)
    for name, channel in CHANNELS.items():
        factor = channel.weekday[day.weekday()] * (1 + GROWTH * progress) * rng.uniform(0.85, 1.15)
        mean = channel.per_day * factor * marketing.lift(sim, noon, name)
        for _ in range(sim.poisson(mean) if factor else 0):
            _routine(
                sim, timeline.between(rng, day, *channel.hours), partial(sales.place_order, sim, channel=name)
            )
    leads.plan_day(sim, day)
    if day.weekday() == MONDAY:
        loyalty.plan_week(sim, day)
    if business:
        _plan_checks(sim, day)
    if day.weekday() == FRIDAY:
        for sku, location_id in rng.sample(sorted(sim.policies), COUNTED_PER_WEEK):
            action = partial(supply.cycle_count, sim, sku=sku, location_id=location_id)
            _routine(sim, timeline.between(rng, day, 15.5, 17.5), action)


def _plan_checks(sim: Sim, day: date) -> None:
    timeline, rng = sim.timeline, sim.rng
    for _ in range(rng.randint(0, 2)):
        _routine(sim, timeline.between(rng, day, 9.5, 16.0), partial(quality.final_inspection, sim))
    if sim.chance(0.4):
        _routine(sim, timeline.between(rng, day, 10.0, 15.0), partial(quality.in_process_inspection, sim))
    if sim.chance(0.12):
        _routine(sim, timeline.between(rng, day, 9.0, 12.0), partial(quality.trade_samples, sim))
    if sim.chance(0.25):
        _routine(sim, timeline.between(rng, day, 8.0, 20.0), partial(service.general_complaint, sim))


def _stamped(planned: Iterable[Planned], now: datetime) -> list[DemoCommand]:
    """Write each command's business time into its body, strictly increasing, none after ``now``."""
    commands: list[DemoCommand] = []
    last: datetime | None = None
    for item in planned:
        at = item.at if last is None or item.at > last else last + timedelta(seconds=1)
        if at > now:
            raise AssertionError(f"business time {at} lies after now ({now})")
        commands.append(DemoCommand(item.name, {**item.body, "occurred_at": _rfc3339(at)}))
        last = at
    return commands


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
