"""The discrete-event core of the generator: a queue of timed actions and the commands they emit.

Actions run in business-time order. Each decides against the books as the commands before
it left them, emits its commands at its own time and may schedule later actions (a
shipment after an order, an inspection after a receipt). Emitting in time order is what
keeps the generated history consistent: the writer decides the commands in the same order.
Actions due after the end of the history are dropped, so orders stay open and complaints
unanswered at the end, as they would be in a real ledger on any given afternoon.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from ledger.demo.books import Books
from ledger.demo.company import Company, Customer, Product
from ledger.demo.demand import CHANNELS, Policy, assortment, customers_for
from ledger.demo.timeline import Timeline, whole_seconds

Action = Callable[[datetime], None]
TICK = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Planned:
    """A command at its business time, before the time is written into its body."""

    at: datetime
    name: str
    body: dict[str, Any]


class Sim:
    def __init__(
        self,
        rng: Random,
        company: Company,
        policies: dict[tuple[str, str], Policy],
        timeline: Timeline,
        *,
        open_at: datetime,
        bad_spell: tuple[datetime, datetime],
    ) -> None:
        self.rng = rng
        self.company = company
        self.policies = policies
        self.timeline = timeline
        self.open_at = open_at  # routine business starts here, after set-up and opening stock
        self.bad_spell = bad_spell  # when the unreliable supplier's quality slips
        self.books = Books()
        self.books.customers = {c.customer_id: c for c in company.customers}
        self.buyers: dict[str, tuple[list[Customer], list[float]]] = {
            name: customers_for(company, name) for name in CHANNELS
        }
        self.assortments: dict[str, list[Product]] = {name: assortment(company, name) for name in CHANNELS}
        self.planned: list[Planned] = []
        self._queue: list[tuple[datetime, int, Action]] = []
        self._scheduled = 0
        self._last = timeline.start - TICK
        self.now = timeline.start  # the time of the action running

    def schedule(self, when: datetime, action: Action) -> None:
        """Run ``action`` at ``when`` (dropped when that is past the end of the history)."""
        when = whole_seconds(when)
        if when < self.now:
            raise ValueError(f"an action at {when} was scheduled from one at {self.now}")
        if when <= self.timeline.end:
            self._scheduled += 1
            heapq.heappush(self._queue, (when, self._scheduled, action))

    def run(self) -> None:
        while self._queue:
            when, _, action = heapq.heappop(self._queue)
            self.now = when
            action(when)

    def emit(self, when: datetime, name: str, body: dict[str, Any]) -> datetime:
        """Record a command; two commands never share a business time."""
        at = max(whole_seconds(when), self._last + TICK)
        self._last = at
        self.planned.append(Planned(at, name, body))
        return at

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def binomial(self, n: int, p: float) -> int:
        return sum(1 for _ in range(n) if self.rng.random() < p)

    def poisson(self, mean: float) -> int:
        # Knuth's method: exact, and quick for the small means of daily order counts.
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k
