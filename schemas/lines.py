"""Document lines: numbered lines of orders and purchase orders, each number at most once.

Line numbers identify a document's lines across its life, so a command or event names each
line at most once; a repeated number is a schema violation (422), not a business rule.
"""

from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.types import MAX_LINES, LineNo


class Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    line_no: LineNo


LineT = TypeVar("LineT", bound=Line)


def unique_line_numbers(lines: tuple[LineT, ...]) -> tuple[LineT, ...]:
    seen: set[int] = set()
    for line in lines:
        if line.line_no in seen:
            raise ValueError(f"line_no {line.line_no} appears more than once")
        seen.add(line.line_no)
    return lines


Lines = Annotated[
    tuple[LineT, ...], Field(min_length=1, max_length=MAX_LINES), AfterValidator(unique_line_numbers)
]
"""One to 500 lines, each line_no at most once."""

SomeLines = Annotated[tuple[LineT, ...], Field(max_length=MAX_LINES), AfterValidator(unique_line_numbers)]
"""Up to 500 lines (maybe none), each line_no at most once."""
