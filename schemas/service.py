"""Service: customer complaints and their life cycle (filed, acknowledged, resolved, reopened).

Every complaint event lives on `complaint:{complaint_id}`. Which transition is allowed when
is a business rule (409); SLA clocks run on the events' business times.
"""

from typing import ClassVar, Literal

from schemas.base import Command, Event
from schemas.types import FreeText, Identifier, StoredText

ContactChannel = Literal["phone", "email", "chat", "store"]
Severity = Literal["low", "medium", "high", "critical"]


class FileComplaint(Command):
    command_name: ClassVar[str] = "file-complaint"
    area: ClassVar[str] = "service"

    complaint_id: Identifier
    customer_id: Identifier
    channel: ContactChannel
    category: FreeText
    severity: Severity
    description: FreeText
    order_id: Identifier | None = None
    sku: Identifier | None = None
    lot_id: Identifier | None = None


class AcknowledgeComplaint(Command):
    command_name: ClassVar[str] = "acknowledge-complaint"
    area: ClassVar[str] = "service"

    complaint_id: Identifier


class ResolveComplaint(Command):
    command_name: ClassVar[str] = "resolve-complaint"
    area: ClassVar[str] = "service"

    complaint_id: Identifier
    resolution: FreeText


class ReopenComplaint(Command):
    command_name: ClassVar[str] = "reopen-complaint"
    area: ClassVar[str] = "service"

    complaint_id: Identifier
    reason: FreeText


class ComplaintFiled(Event):
    type: Literal["ComplaintFiled"] = "ComplaintFiled"

    complaint_id: Identifier
    customer_id: Identifier
    channel: ContactChannel
    category: StoredText
    severity: Severity
    description: StoredText
    order_id: Identifier | None = None
    sku: Identifier | None = None
    lot_id: Identifier | None = None

    def stream(self) -> str:
        return f"complaint:{self.complaint_id}"


class ComplaintAcknowledged(Event):
    """The first response to the customer: stops the first-response SLA clock."""

    type: Literal["ComplaintAcknowledged"] = "ComplaintAcknowledged"

    complaint_id: Identifier

    def stream(self) -> str:
        return f"complaint:{self.complaint_id}"


class ComplaintResolved(Event):
    type: Literal["ComplaintResolved"] = "ComplaintResolved"

    complaint_id: Identifier
    resolution: StoredText

    def stream(self) -> str:
        return f"complaint:{self.complaint_id}"


class ComplaintReopened(Event):
    type: Literal["ComplaintReopened"] = "ComplaintReopened"

    complaint_id: Identifier
    reason: StoredText

    def stream(self) -> str:
        return f"complaint:{self.complaint_id}"


COMMANDS: tuple[type[Command], ...] = (
    FileComplaint,
    AcknowledgeComplaint,
    ResolveComplaint,
    ReopenComplaint,
)
EVENTS: tuple[type[Event], ...] = (
    ComplaintFiled,
    ComplaintAcknowledged,
    ComplaintResolved,
    ComplaintReopened,
)
