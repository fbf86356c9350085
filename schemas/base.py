"""Base classes for commands (what a caller asks for) and events (what the log records).

Both are frozen pydantic models that forbid unknown fields, so a typo in a request is a 422
and an event, once built, cannot change. A command names itself and its business area (the
area also names the write scope); an event names its type, its schema version and the
stream it belongs to.
"""

from abc import abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from schemas.types import Timestamp


class Command(BaseModel):
    """A request to change the ledger; `occurred_at` is business time, now when absent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Named `command_name`, not `name`: several commands carry a body field called `name`.
    command_name: ClassVar[str]
    area: ClassVar[str]

    occurred_at: Timestamp | None = None


class Event(BaseModel):
    """A fact in the log. Subclasses pin `type` to a Literal equal to their class name."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)

    schema_version: ClassVar[int] = 1

    type: str

    @abstractmethod
    def stream(self) -> str:
        """The stream id, `category:id`."""

    def data(self) -> dict[str, Any]:
        """The event's data as stored in the log; the type travels in the envelope."""
        return self.model_dump(mode="json", exclude={"type"}, exclude_none=False)
