"""Planning: sales targets and the plan's objectives.

A later target for the same period, dimension and key replaces the earlier one, so the write
side keeps nothing of targets: the read model holds the latest per stream. A later objective
for the same id replaces the earlier too (bringing back a retired one); the write side keeps
only whether each objective is retired, which retiring it twice needs.
"""

from __future__ import annotations

from collections.abc import Mapping

from handlers.errors import InvalidTransition, UnknownObjective
from handlers.model import Decider, Evolver, WriteModel
from schemas.base import Command, Event
from schemas.planning import (
    ObjectiveRetired,
    ObjectiveSet,
    RetireObjective,
    SalesTargetSet,
    SetObjective,
    SetSalesTarget,
)


def set_sales_target(state: WriteModel, command: SetSalesTarget) -> list[Event]:
    return [
        SalesTargetSet(
            period=command.period, dimension=command.dimension, key=command.key, amount=command.amount
        )
    ]


def sales_target_set(state: WriteModel, event: SalesTargetSet) -> None:
    """No rule depends on an earlier target."""


def set_objective(state: WriteModel, command: SetObjective) -> list[Event]:
    return [
        ObjectiveSet(
            objective_id=command.objective_id,
            title=command.title,
            horizon=command.horizon,
            period=command.period,
            kpi=command.kpi,
            target=command.target,
            owner=command.owner,
        )
    ]


def retire_objective(state: WriteModel, command: RetireObjective) -> list[Event]:
    retired = state.objectives.get(command.objective_id)
    if retired is None:
        raise UnknownObjective(f"no objective {command.objective_id}", objective_id=command.objective_id)
    if retired:
        raise InvalidTransition(
            f"objective {command.objective_id} is already retired", objective_id=command.objective_id
        )
    return [ObjectiveRetired(objective_id=command.objective_id, reason=command.reason)]


def objective_set(state: WriteModel, event: ObjectiveSet) -> None:
    state.objectives[event.objective_id] = False


def objective_retired(state: WriteModel, event: ObjectiveRetired) -> None:
    state.objectives[event.objective_id] = True


DECIDERS: Mapping[type[Command], Decider] = {
    SetSalesTarget: set_sales_target,
    SetObjective: set_objective,
    RetireObjective: retire_objective,
}
EVOLVERS: Mapping[type[Event], Evolver] = {
    SalesTargetSet: sales_target_set,
    ObjectiveSet: objective_set,
    ObjectiveRetired: objective_retired,
}
