"""Customers: follow-ups after orders and complaints, and what customers said in them.

A follow-up lives on `followup:{follow_up_id}` in the `customers` topic. `csat` is a
satisfaction score from 1 to 5, `nps` a likelihood to recommend from 0 to 10; either, both or
neither may be given.
"""

from typing import Annotated, ClassVar, Literal

from pydantic import Field, Strict

from schemas.base import Command, Event
from schemas.types import FreeText, Identifier, StoredText

FollowUpKind = Literal["call", "visit", "email", "survey"]
Csat = Annotated[int, Strict(), Field(ge=1, le=5)]
Nps = Annotated[int, Strict(), Field(ge=0, le=10)]


class RecordFollowUp(Command):
    """A call, visit, email or survey with a customer, maybe about one of its orders or complaints."""

    command_name: ClassVar[str] = "record-follow-up"
    area: ClassVar[str] = "customers"

    follow_up_id: Identifier
    customer_id: Identifier
    kind: FollowUpKind
    order_id: Identifier | None = None
    complaint_id: Identifier | None = None
    csat: Csat | None = None
    nps: Nps | None = None
    note: FreeText | None = None


class FollowUpRecorded(Event):
    type: Literal["FollowUpRecorded"] = "FollowUpRecorded"

    follow_up_id: Identifier
    customer_id: Identifier
    kind: FollowUpKind
    order_id: Identifier | None = None
    complaint_id: Identifier | None = None
    csat: Csat | None = None
    nps: Nps | None = None
    note: StoredText | None = None

    def stream(self) -> str:
        return f"followup:{self.follow_up_id}"


COMMANDS: tuple[type[Command], ...] = (RecordFollowUp,)
EVENTS: tuple[type[Event], ...] = (FollowUpRecorded,)
