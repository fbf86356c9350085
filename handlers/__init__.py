"""The write side: pure ``decide(state, command) -> events`` and ``evolve(state, event) -> state``.

``decide`` reads the ``WriteModel`` and answers the events a command causes, or raises a
``DomainError``; it does no I/O, reads no clock, draws no random numbers and never changes the
state. ``evolve`` applies one event to the state's journaled tables. The writer decides a batch
command by command, evolving each command's events before deciding the next, and rolls the
journal back if the batch fails to commit. Each business area keeps its deciders and evolvers
in a module of its own; the registries below dispatch on the exact message class.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from handlers import (
    access,
    catalog,
    customers,
    inventory,
    marketing,
    planning,
    purchasing,
    quality,
    sales,
    service,
)
from handlers.errors import (
    AlreadyExists,
    DomainError,
    InsufficientStock,
    InvalidIdentifier,
    InvalidQuantity,
    InvalidTransition,
    LotMismatch,
    UnknownComplaint,
    UnknownCustomer,
    UnknownLine,
    UnknownLocation,
    UnknownLot,
    UnknownOrder,
    UnknownProduct,
    UnknownSupplier,
    UnknownTeam,
)
from handlers.model import Decider, Evolver, WriteModel
from schemas.base import Command, Event

_AREAS: Final = (
    catalog,
    inventory,
    sales,
    planning,
    quality,
    service,
    access,
    purchasing,
    marketing,
    customers,
)

DECIDERS: Final[Mapping[type[Command], Decider]] = MappingProxyType(
    {cls: fn for area in _AREAS for cls, fn in area.DECIDERS.items()}
)
EVOLVERS: Final[Mapping[type[Event], Evolver]] = MappingProxyType(
    {cls: fn for area in _AREAS for cls, fn in area.EVOLVERS.items()}
)


def decide(state: WriteModel, command: Command) -> list[Event]:
    """The events ``command`` causes against ``state``; raises a DomainError to refuse it."""
    decider = DECIDERS.get(type(command))
    if decider is None:
        raise TypeError(f"no decider for command type {type(command).__name__}")
    return decider(state, command)


def evolve(state: WriteModel, event: Event) -> WriteModel:
    """Apply ``event`` to ``state`` (in place, through its journal) and return it."""
    evolver = EVOLVERS.get(type(event))
    if evolver is None:
        raise TypeError(f"no evolver for event type {type(event).__name__}")
    evolver(state, event)
    return state


__all__ = [
    "DECIDERS",
    "EVOLVERS",
    "AlreadyExists",
    "DomainError",
    "InsufficientStock",
    "InvalidIdentifier",
    "InvalidQuantity",
    "InvalidTransition",
    "LotMismatch",
    "UnknownComplaint",
    "UnknownCustomer",
    "UnknownLine",
    "UnknownLocation",
    "UnknownLot",
    "UnknownOrder",
    "UnknownProduct",
    "UnknownSupplier",
    "UnknownTeam",
    "WriteModel",
    "decide",
    "evolve",
]
