"""Commands that arrived as log records, and where their answers go.

The writer knows no topic and no answer format. A command read from a log comes to it with
a ``Delivery`` (where its record is), refused already by the gates or ready to decide, and
joins the queue like any other. When a batch holds deliveries, its append carries their
answers and the offsets past their records, as the ``Outbox`` that consumes them
(``ledger.writer.intake``) builds them from each one's outcome: one transaction for the
events, the answers and the offsets. Only once it has committed is a delivery ``answered``
and the outbox told; if it fails, none of the batch's deliveries is, and they are read again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.log import Attachment, TopicPartition
from ledger.writer.results import CommandResult

Outcome = CommandResult | BaseException


@dataclass(slots=True)
class Delivery:
    """A command's record: where it is, and (once its transaction committed) that it is answered.

    ``since`` is where reading its partition stood before it: just past the previous record
    read there, or where reading began. Each delivery's ``since`` is the offset committed
    before it, so an outbox can tell that no record between two commits went unanswered.
    """

    source: TopicPartition
    offset: int
    since: int
    key: bytes | None
    name: str
    answered: bool = False


class Outbox(Protocol):
    def attachment(self, answers: Sequence[tuple[Delivery, Outcome]]) -> Attachment:
        """The answer records and offsets to commit with the batch that decided these."""
        ...

    def committed(self, answers: Sequence[tuple[Delivery, Outcome]]) -> None:
        """The transaction carrying these answers committed."""
        ...
