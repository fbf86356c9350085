"""Planning: sales targets per period and dimension, and the plan's objectives.

A target lives on `target:{period}/{dimension}/{key}`; a later target for the same stream
replaces the earlier one. A period is a month (`2026-11`), a quarter (`2026-Q4`) or a year
(`2026`); the `total` dimension has the single key `*`, `channel` and `team` key by id, and
`category` by a product category, which is free text (so a key may hold spaces or slashes:
the period and the dimension never do, so the stream id still reads back unambiguously).

An objective lives on `objective:{objective_id}`: a KPI the ledger measures itself (see
`Kpi`), a target for it over a period (a month, quarter, year, or a span of years such as
`2026..2028`), and a horizon (short 1 to 3 months, medium 3 to 12, long 1 to 3 years). A
later `set-objective` for the same id replaces the earlier; a retired one is left out.
"""

import re
from typing import Annotated, ClassVar, Final, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.base import Command, Event
from schemas.types import (
    ID_PATTERN,
    FreeText,
    Identifier,
    NonNegativeMoney,
    Quantity,
    StoredText,
    whole_match,
)

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


SPAN_PATTERN = r"^(19[0-9]{2}|2[0-9]{3})\.\.(19[0-9]{2}|2[0-9]{3})$"
# Both alternatives inside one anchored group: `^a|b$` would anchor `a` only at the start and
# `b` only at the end, so JSON Schema (and pydantic, which searches) would take "2026-11x".
OBJECTIVE_PERIOD_PATTERN = rf"^(?:{BUSINESS_PERIOD_PATTERN[1:-1]}|{SPAN_PATTERN[1:-1]})$"


def _span_in_order(period: str) -> str:
    first, dots, last = period.partition("..")
    if dots and last < first:
        raise ValueError("a span of years runs from the earlier year to the later, e.g. 2026..2028")
    return period


ObjectivePeriod = Annotated[
    str,
    StringConstraints(pattern=OBJECTIVE_PERIOD_PATTERN),
    whole_match(OBJECTIVE_PERIOD_PATTERN),
    AfterValidator(_span_in_order),
]
"""A month, a quarter, a year, or a span of whole years (`2026..2028`)."""

Horizon = Literal["short", "medium", "long"]
Kpi = Literal[
    "net_sales",
    "sales_growth_pct",
    "sla_compliance_pct",
    "defect_rate",
    "supplier_otif_pct",
    "customer_otif_pct",
    "csat_avg",
    "nps",
    "repeat_rate_pct",
    "campaign_roas",
    "inventory_value",
]
"""What an objective measures (API.md v1.1, "Plans"); an unknown one is a 422."""


class SetObjective(Command):
    """Set (or replace) an objective of the plan: a KPI's target over a period."""

    command_name: ClassVar[str] = "set-objective"
    area: ClassVar[str] = "planning"

    objective_id: Identifier
    title: FreeText
    horizon: Horizon
    period: ObjectivePeriod
    kpi: Kpi
    target: Quantity
    owner: FreeText | None = None
    """Who answers for it: a person or a role, free text (API.md names no id for it)."""


class RetireObjective(Command):
    command_name: ClassVar[str] = "retire-objective"
    area: ClassVar[str] = "planning"

    objective_id: Identifier
    reason: FreeText


class ObjectiveSet(Event):
    type: Literal["ObjectiveSet"] = "ObjectiveSet"

    objective_id: Identifier
    title: StoredText
    horizon: Horizon
    period: ObjectivePeriod
    kpi: Kpi
    target: Quantity
    owner: StoredText | None = None

    def stream(self) -> str:
        return f"objective:{self.objective_id}"


class ObjectiveRetired(Event):
    type: Literal["ObjectiveRetired"] = "ObjectiveRetired"

    objective_id: Identifier
    reason: StoredText

    def stream(self) -> str:
        return f"objective:{self.objective_id}"


COMMANDS: tuple[type[Command], ...] = (SetSalesTarget, SetObjective, RetireObjective)
EVENTS: tuple[type[Event], ...] = (SalesTargetSet, ObjectiveSet, ObjectiveRetired)
