"""Who buys: customers lapse for a while and come back, and prospects won by leads join.

Now and then a named customer stops buying (a project ended, a competitor's offer), most
often towards the end of a quarter, and stays away for two to seven months, unless a lead
wins it back sooner; the store's walk-in account never lapses. A prospect registered when
its lead is won joins the buyers of its segment's channels and orders again like the
others. So a period has new customers, returning ones and ones that lapsed since the
period before.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from ledger.demo.catalogue import CHANNEL_SEGMENTS
from ledger.demo.company import WALK_IN, Customer
from ledger.demo.simulation import Sim

LAPSE_PER_WEEK: Final = 0.003
LAPSE_AT_QUARTER_END: Final = 0.04  # a week in the last three of a quarter, when projects and budgets end
AWAY_WEEKS: Final = (10, 30)


def plan_week(sim: Sim, monday: date) -> None:
    """Monday: some customers lapse; those whose time away is over buy again."""
    books = sim.books
    for customer_id, until in list(books.back_on.items()):
        if until <= monday:
            won_back(sim, customer_id)
    quarter_end = monday.month % 3 == 0 and monday.day > 9
    chance = LAPSE_AT_QUARTER_END if quarter_end else LAPSE_PER_WEEK
    for customer in books.customers.values():
        buying = customer.customer_id != WALK_IN and customer.customer_id not in books.lapsed
        if buying and sim.chance(chance):
            _lapse(sim, customer.customer_id, monday)


def _lapse(sim: Sim, customer_id: str, monday: date) -> None:
    usual: dict[str, float] = {}
    for channel, (customers, weights) in sim.buyers.items():
        for i, customer in enumerate(customers):
            if customer.customer_id == customer_id:
                usual[channel], weights[i] = weights[i], 0.0
    sim.books.lapsed[customer_id] = usual
    weeks = sim.rng.randint(*AWAY_WEEKS)
    sim.books.back_on[customer_id] = date.fromordinal(monday.toordinal() + 7 * weeks)


def won_back(sim: Sim, customer_id: str) -> None:
    """A lapsed customer buys again (its time away is over, or a lead won it back)."""
    usual = sim.books.lapsed.pop(customer_id, None)
    sim.books.back_on.pop(customer_id, None)
    if usual is None:
        return
    for channel, (customers, weights) in sim.buyers.items():
        for i, customer in enumerate(customers):
            if customer.customer_id == customer_id:
                weights[i] = usual.get(channel, weights[i])


def join(sim: Sim, customer: Customer) -> None:
    """A new customer buys through its segment's channels as often as the segment's others."""
    sim.books.customers[customer.customer_id] = customer
    for channel, segments in CHANNEL_SEGMENTS.items():
        for segment, weight in segments:
            if segment != customer.segment:
                continue
            peers = [c for c in sim.company.customers if c.segment == segment and c.customer_id != WALK_IN]
            customers, weights = sim.buyers[channel]
            customers.append(customer)
            weights.append(weight / len(peers))
