"""Planning: sales targets. A later target for the same period, dimension and key replaces the
earlier one, so the write side keeps nothing: the read model holds the latest per stream."""

from __future__ import annotations

from collections.abc import Mapping

from handlers.model import Decider, Evolver, WriteModel
from schemas.base import Command, Event
from schemas.planning import SalesTargetSet, SetSalesTarget


def set_sales_target(state: WriteModel, command: SetSalesTarget) -> list[Event]:
    return [
        SalesTargetSet(
            period=command.period, dimension=command.dimension, key=command.key, amount=command.amount
        )
    ]


def sales_target_set(state: WriteModel, event: SalesTargetSet) -> None:
    """No rule depends on an earlier target."""


DECIDERS: Mapping[type[Command], Decider] = {SetSalesTarget: set_sales_target}
EVOLVERS: Mapping[type[Event], Evolver] = {SalesTargetSet: sales_target_set}
