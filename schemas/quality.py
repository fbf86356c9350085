"""Quality: inspections of lots, the raw material of defect trends, p-charts and Paretos.

An inspection lives on its lot's stream, `lot:{lot_id}`. Units are counted in whole numbers:
`defective_units` can never exceed `sample_size`, while defect counts are not tied to
`defective_units` because one unit may carry several defects. The stock effect of a
disposition (LotReleased, LotRejected) is an inventory event.
"""

from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.base import Command, Event
from schemas.types import Count, FreeText, Identifier, PositiveCount, StoredText

Stage = Literal["incoming", "in_process", "final"]
Disposition = Literal["accept", "reject", "rework"]
MAX_DEFECT_KINDS = 100


class DefectCount(BaseModel):
    """How many defects of one category the sample showed, as a command reports it."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    category: FreeText
    count: Count


class Defect(BaseModel):
    """How many defects of one category the sample showed, as recorded."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    category: StoredText
    count: Count


DefectCounts = Annotated[tuple[DefectCount, ...], Field(max_length=MAX_DEFECT_KINDS)]
Defects = Annotated[tuple[Defect, ...], Field(max_length=MAX_DEFECT_KINDS)]


def _check_units(sample_size: int, defective_units: int) -> None:
    if defective_units > sample_size:
        raise ValueError("defective_units may not exceed sample_size")


class RecordInspection(Command):
    command_name: ClassVar[str] = "record-inspection"
    area: ClassVar[str] = "quality"

    inspection_id: Identifier
    lot_id: Identifier
    sku: Identifier
    location_id: Identifier | None = None
    supplier_id: Identifier | None = None
    stage: Stage
    sample_size: PositiveCount
    defective_units: Count
    defects: DefectCounts = ()
    disposition: Disposition

    @model_validator(mode="after")
    def _units_fit_sample(self) -> Self:
        _check_units(self.sample_size, self.defective_units)
        return self


class InspectionRecorded(Event):
    type: Literal["InspectionRecorded"] = "InspectionRecorded"

    inspection_id: Identifier
    lot_id: Identifier
    sku: Identifier
    location_id: Identifier | None = None
    supplier_id: Identifier | None = None
    stage: Stage
    sample_size: PositiveCount
    defective_units: Count
    defects: Defects = ()
    disposition: Disposition

    @model_validator(mode="after")
    def _units_fit_sample(self) -> Self:
        _check_units(self.sample_size, self.defective_units)
        return self

    def stream(self) -> str:
        return f"lot:{self.lot_id}"


COMMANDS: tuple[type[Command], ...] = (RecordInspection,)
EVENTS: tuple[type[Event], ...] = (InspectionRecorded,)
