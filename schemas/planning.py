"""Planning: sales targets per period and dimension.

A target lives on `target:{period}/{dimension}/{key}`; a later target for the same stream
replaces the earlier one. A period is a month (`2026-11`), a quarter (`2026-Q4`) or a year
(`2026`); the `total` dimension has the single key `*`, every other dimension keys by id.
"""

from typing import Annotated, ClassVar, Literal, Self

from pydantic import StringConstraints, model_validator

from schemas.base import Command, Event
from schemas.types import ID_PATTERN, NonNegativeMoney, whole_match

PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
KEY_PATTERN = rf"^\*$|{ID_PATTERN}"
TOTAL_KEY = "*"

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN), whole_match(PERIOD_PATTERN)]
Dimension = Literal["total", "channel", "team", "category"]
TargetKey = Annotated[str, StringConstraints(max_length=64, pattern=KEY_PATTERN), whole_match(KEY_PATTERN)]


def _check_key(dimension: str, key: str) -> None:
    if (dimension == "total") != (key == TOTAL_KEY):
        raise ValueError('key must be "*" exactly when dimension is "total"')


class SetSalesTarget(Command):
    command_name: ClassVar[str] = "set-sales-target"
    area: ClassVar[str] = "planning"

    period: Period
    dimension: Dimension
    key: TargetKey
    amount: NonNegativeMoney

    @model_validator(mode="after")
    def _key_fits_dimension(self) -> Self:
        _check_key(self.dimension, self.key)
        return self


class SalesTargetSet(Event):
    type: Literal["SalesTargetSet"] = "SalesTargetSet"

    period: Period
    dimension: Dimension
    key: TargetKey
    amount: NonNegativeMoney

    @model_validator(mode="after")
    def _key_fits_dimension(self) -> Self:
        _check_key(self.dimension, self.key)
        return self

    def stream(self) -> str:
        return f"target:{self.period}/{self.dimension}/{self.key}"


COMMANDS: tuple[type[Command], ...] = (SetSalesTarget,)
EVENTS: tuple[type[Event], ...] = (SalesTargetSet,)
