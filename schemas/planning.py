"""Planning: sales targets per period and dimension.

A target lives on `target:{period}/{dimension}/{key}`; a later target for the same stream
replaces the earlier one. A period is a month (`2026-11`), a quarter (`2026-Q4`) or a year
(`2026`); the `total` dimension has the single key `*`, `channel` and `team` key by id, and
`category` by a product category, which is free text (so a key may hold spaces or slashes:
the period and the dimension never do, so the stream id still reads back unambiguously).
"""

import re
from typing import Annotated, ClassVar, Final, Literal, Self

from pydantic import Field, StringConstraints, ValidationInfo, field_validator, model_validator

from schemas.base import Command, Event
from schemas.types import ID_PATTERN, FreeText, NonNegativeMoney, StoredText, whole_match

PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
BUSINESS_PERIOD_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})(-(0[1-9]|1[0-2])|-Q[1-4])?$"
"""A period inside the business-time window (years 1900 to 2999), as commands name them."""
TOTAL_KEY = "*"

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN), whole_match(PERIOD_PATTERN)]
BusinessPeriod = Annotated[
    str, StringConstraints(pattern=BUSINESS_PERIOD_PATTERN), whole_match(BUSINESS_PERIOD_PATTERN)
]
Dimension = Literal["total", "channel", "team", "category"]
_ID: Final = re.compile(ID_PATTERN)
_KEY_RULE: Final = '"*" for total, an id for channel and team, free text for category'


def _check_key(dimension: str, key: str) -> None:
    if (dimension == "total") != (key == TOTAL_KEY):
        raise ValueError('key must be "*" exactly when dimension is "total"')


class SetSalesTarget(Command):
    command_name: ClassVar[str] = "set-sales-target"
    area: ClassVar[str] = "planning"

    period: BusinessPeriod
    dimension: Dimension
    key: Annotated[FreeText, Field(description=_KEY_RULE)]
    amount: NonNegativeMoney

    @field_validator("key")
    @classmethod
    def _key_fits_dimension(cls, key: str, info: ValidationInfo) -> str:
        """``*`` for total, an id for a channel or a team, free text for a category."""
        dimension = info.data.get("dimension")
        if dimension is None:  # refused on its own account
            return key
        _check_key(dimension, key)
        if dimension in ("channel", "team") and not _ID.fullmatch(key):
            raise ValueError(f"a {dimension} key is an id: 1 to 64 of [A-Za-z0-9._-]")
        return key


class SalesTargetSet(Event):
    type: Literal["SalesTargetSet"] = "SalesTargetSet"

    period: Period
    dimension: Dimension
    key: StoredText
    amount: NonNegativeMoney

    @model_validator(mode="after")
    def _key_fits_dimension(self) -> Self:
        _check_key(self.dimension, self.key)
        return self

    def stream(self) -> str:
        return f"target:{self.period}/{self.dimension}/{self.key}"


COMMANDS: tuple[type[Command], ...] = (SetSalesTarget,)
EVENTS: tuple[type[Event], ...] = (SalesTargetSet,)
