"""Stock valuation: a moving average per product and location, decided in command order.

A receipt with a cost adds ``qty x unit_cost``; a receipt without one, a resaleable return
and a positive count add ``qty x average``. A movement out (issue, shipment, rejected lot,
negative count, transfer out) removes ``qty x value / on_hand``, or the whole value when it
empties the location; a transfer adds what it removed at its destination. Every amount is
rounded half-up to cents. The average is ``value / on_hand`` while stock is on hand, and
keeps its last figure (4 places) once on_hand falls to 0.

The average depends on the order of movements, and a transfer's value crosses streams, so
the writer decides it here and records the amount in the event: read models only add up
recorded amounts, which any order of reading gives alike. ``Valuer`` sees the movements of
one command in order, so two lines of one shipment drawing on the same level are valued
one after the other.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from handlers import pricing
from handlers.errors import InvalidQuantity
from handlers.model import StockKey, StockLevel, WriteModel, qty

_EXACT: Final = Context(prec=80, rounding=ROUND_HALF_UP)
_CENT: Final = Decimal("0.01")
_COST_PLACES: Final = Decimal("0.0001")


def average(level: StockLevel) -> Decimal:
    """What one more unit at this level is valued at (unrounded while stock is on hand)."""
    if level.on_hand > 0:
        return _EXACT.divide(level.value, level.on_hand)
    return level.unit_cost


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, context=_EXACT)


def shown_cost(amount: Decimal) -> Decimal:
    """An average as recorded and shown: half-up to 4 places."""
    return amount.quantize(_COST_PLACES, context=_EXACT)


def _checked(amount: Decimal, what: str) -> Decimal:
    if not pricing.fits(amount):
        raise InvalidQuantity(f"{what} is too large to record")
    return amount


class Valuer:
    """Values the stock movements of one command, each against the levels the earlier left."""

    def __init__(self, state: WriteModel) -> None:
        self._state = state
        self._levels: dict[StockKey, StockLevel] = {}

    def level(self, sku: str, location_id: str) -> StockLevel:
        key = (sku, location_id)
        found = self._levels.get(key)
        return found if found is not None else self._state.level(sku, location_id)

    def _moved(self, sku: str, location_id: str, on_hand: Decimal, value: Decimal) -> Decimal:
        """Book the movement; answer the location's average after it, as recorded."""
        level = self.level(sku, location_id)
        after = replace(level, on_hand=level.on_hand + on_hand, value=level.value + value)
        cost = shown_cost(average(after) if after.on_hand > 0 else average(level))
        self._levels[(sku, location_id)] = replace(after, unit_cost=cost)
        return _checked(cost, f"the average cost of {sku} at {location_id}")

    def add(
        self, sku: str, location_id: str, amount: Decimal, unit_cost: Decimal | None = None
    ) -> tuple[Decimal, Decimal]:
        """``amount`` more units in, at ``unit_cost`` or else the average: (value added, average after)."""
        cost = average(self.level(sku, location_id)) if unit_cost is None else unit_cost
        value = _checked(cents(_EXACT.multiply(amount, cost)), f"the value of {amount} {sku}")
        return value, self._moved(sku, location_id, amount, value)

    def remove(self, sku: str, location_id: str, amount: Decimal) -> tuple[Decimal, Decimal]:
        """``amount`` units out: (value removed, average after)."""
        level = self.level(sku, location_id)
        if amount >= level.on_hand:
            value = level.value
        else:
            value = cents(_EXACT.divide(_EXACT.multiply(amount, level.value), level.on_hand))
        return value, self._moved(sku, location_id, -amount, -value)

    def transfer(self, sku: str, source: str, destination: str, amount: Decimal) -> tuple[Decimal, Decimal]:
        """Move ``amount`` units and their value: (value moved, the source's average after)."""
        value, cost = self.remove(sku, source, amount)
        self._moved(sku, destination, amount, value)
        return value, cost


def moved(level: StockLevel, value: Decimal | None, unit_cost_after: Decimal | None) -> StockLevel:
    """``level`` after an event that recorded ``value`` (added, or removed when negative).

    Events recorded before valuation carry no value: they leave value and average alone.
    """
    if value is None:
        return level
    return replace(
        level,
        value=qty(level.value + value),
        unit_cost=level.unit_cost if unit_cost_after is None else qty(unit_cost_after),
    )


__all__ = ["Valuer", "average", "cents", "moved", "shown_cost"]
