"""Given events, when commands, then events: the shape of every handler unit test.

``given(*events)`` folds the events into a fresh ``WriteModel``, ``.accepted(*commands)`` adds
history by command; ``.when(*commands)`` decides them in order, evolving each one's events
before the next, as the writer does within a batch; ``.then(*events)`` compares every event
decided, ``.raises(Error, **extra)`` expects the last command refused. Every decision is
checked to leave the state untouched, since only ``evolve`` may change it. The builders
below make the master data tests need.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from handlers import DomainError, WriteModel, decide, evolve
from schemas.base import Command, Event
from schemas.catalog import (
    CustomerRegistered,
    LocationRegistered,
    ProductRegistered,
    SupplierRegistered,
    TeamRegistered,
)
from schemas.inventory import StockReceived
from schemas.marketing import CampaignLaunched, LeadCaptured
from schemas.sales import PlaceLine, PlaceOrder

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def D(value: str | int) -> Decimal:
    return Decimal(value)


def decide_pure(state: WriteModel, command: Command) -> list[Event]:
    """``decide`` with a business time, checking that it changed nothing."""
    if command.occurred_at is None:
        command = command.model_copy(update={"occurred_at": T0})
    mark, before = state.journal.mark(), pickle.dumps(state)
    try:
        return decide(state, command)
    finally:
        assert state.journal.mark() == mark, "decide wrote to the state"
        assert pickle.dumps(state) == before, "decide changed the state"


def apply(state: WriteModel, events: Iterable[Event]) -> WriteModel:
    for event in events:
        evolve(state, event)
    return state


@dataclass
class Scenario:
    state: WriteModel
    commands: list[Command] = field(default_factory=list)

    def accepted(self, *commands: Command) -> Scenario:
        """Decide and apply ``commands`` now, as history the test builds on."""
        for command in commands:
            apply(self.state, decide_pure(self.state, command))
        return self

    def when(self, *commands: Command) -> Scenario:
        self.commands.extend(commands)
        return self

    def decided(self) -> list[Event]:
        events: list[Event] = []
        for command in self.commands:
            decided = decide_pure(self.state, command)
            apply(self.state, decided)
            events.extend(decided)
        return events

    def then(self, *expected: Event) -> WriteModel:
        assert self.decided() == list(expected)
        return self.state

    def raises(self, error: type[DomainError], **extra: Any) -> DomainError:
        *earlier, last = self.commands
        self.commands = earlier
        self.decided()
        with pytest.raises(error) as info:
            decide_pure(self.state, last)
        assert type(info.value) is error
        for key, value in extra.items():
            assert info.value.extra.get(key) == value, (key, info.value.extra)
        return info.value


def given(*events: Event) -> Scenario:
    return Scenario(apply(WriteModel(), events))


def product(sku: str = "SKU-1", *, inspected: bool = False) -> ProductRegistered:
    return ProductRegistered(
        sku=sku, name=f"Product {sku}", uom="ea", category="tools", requires_inspection=inspected
    )


def location(location_id: str = "WH-A") -> LocationRegistered:
    return LocationRegistered(location_id=location_id, name=f"Site {location_id}", kind="warehouse")


def supplier(supplier_id: str = "SUP-1") -> SupplierRegistered:
    return SupplierRegistered(supplier_id=supplier_id, name=f"Supplier {supplier_id}")


def customer(customer_id: str = "CUS-1") -> CustomerRegistered:
    return CustomerRegistered(customer_id=customer_id, name=f"Customer {customer_id}")


def team(team_id: str = "north") -> TeamRegistered:
    return TeamRegistered(team_id=team_id, name=f"Team {team_id}")


def campaign(campaign_id: str = "CMP-1", budget: str = "1500.00") -> CampaignLaunched:
    """A search campaign through November 2026."""
    return CampaignLaunched(
        campaign_id=campaign_id,
        name=f"Campaign {campaign_id}",
        medium="search",
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        budget=D(budget),
        currency="EUR",
    )


def lead(
    lead_id: str = "LD-1", campaign_id: str | None = "CMP-1", customer_id: str | None = "CUS-1"
) -> LeadCaptured:
    return LeadCaptured(lead_id=lead_id, campaign_id=campaign_id, customer_id=customer_id, channel="online")


def received(
    qty: str | int, sku: str = "SKU-1", location_id: str = "WH-A", receipt_id: str = ""
) -> StockReceived:
    return StockReceived(
        receipt_id=receipt_id or f"RCV-{sku}-{location_id}-{qty}",
        sku=sku,
        location_id=location_id,
        qty=D(qty),
    )


def level(state: WriteModel, sku: str = "SKU-1", location_id: str = "WH-A") -> tuple[Decimal, ...]:
    """(on_hand, quarantined, reserved, available) of one stock stream."""
    stock = state.level(sku, location_id)
    return (stock.on_hand, stock.quarantined, stock.reserved, stock.available)


UNVALUED = {"value": Decimal(0), "unit_cost_after": Decimal(0)}
"""What a movement of stock that was never valued records: no value moved, an average of 0
(the stock ``received`` above came in before valuation, so it is worth nothing)."""

SALES = (product(), product("SKU-2"), location(), customer(), team(), received(10), received(4, "SKU-2"))
"""Two products in stock at WH-A (10 of SKU-1, 4 of SKU-2), a customer and a team."""


def line(
    line_no: int, qty: str | int, price: str = "10.00", sku: str = "SKU-1", discount: str = "0"
) -> PlaceLine:
    return PlaceLine(line_no=line_no, sku=sku, qty=D(qty), unit_price=D(price), discount_pct=D(discount))


def place(
    *lines: PlaceLine,
    order_id: str = "SO-1",
    customer_id: str = "CUS-1",
    team_id: str = "north",
    fulfil_from: str = "WH-A",
) -> PlaceOrder:
    return PlaceOrder(
        order_id=order_id,
        customer_id=customer_id,
        channel="online",
        team_id=team_id,
        currency="EUR",
        fulfil_from=fulfil_from,
        lines=lines,
    )


FUNNEL = (*SALES, customer("CUS-2"), campaign(), campaign("CMP-2"))
"""SALES, a second customer CUS-2, and the campaigns CMP-1 and CMP-2."""
