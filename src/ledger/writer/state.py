"""The writer's status, the state a snapshot holds, and the fold of log records into it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from handlers import WriteModel, evolve
from handlers.journal import Table
from ledger.log import Position, Record
from ledger.writer.idempotency import IdempotencyIndex
from ledger.writer.results import WrittenEvent
from schemas import decode_event


class Status(StrEnum):
    STARTING = "starting"
    STANDBY = "standby"  # another process holds the log's writer lease; this one waits for it
    ACTIVE = "active"
    UNAVAILABLE = "unavailable"  # the log failed; reconnecting in the background
    REFUSED = "refused"  # the log is less durable than LEDGER_MIN_INSYNC_FLOOR; asked again now and then
    FENCED = "fenced"  # another writer took over; this one never writes again
    STOPPED = "stopped"


@dataclass
class WriterState:
    """Everything a snapshot holds: the model, each stream's head, the idempotency keys."""

    model: WriteModel = field(default_factory=WriteModel)
    heads: Table[str, tuple[int, str]] = field(init=False)
    idempotency: IdempotencyIndex = field(default_factory=IdempotencyIndex)

    def __post_init__(self) -> None:
        self.heads = Table(self.model.journal)


def apply_record(state: WriterState, record: Record) -> None:
    """Fold one event read back from the log into ``state`` (journaled, but for the keys:
    observing an event's key twice changes nothing)."""
    envelope = record.envelope()
    evolve(state.model, decode_event(envelope.type, envelope.schema_version, envelope.data))
    state.heads[envelope.stream] = (envelope.version, envelope.hash)
    if envelope.idempotency_key is not None:
        written = WrittenEvent.from_record(
            record, envelope.id, envelope.type, envelope.stream, envelope.version
        )
        state.idempotency.observe((envelope.actor, envelope.idempotency_key), envelope.causation_id, written)


@dataclass
class Folded:
    """The state, how far into the log it reaches, and how many events it holds.

    The three move together: a batch read from the log is folded in whole, with the
    position after it, or not at all, so whatever stops a reader part-way (a failure, a
    cancellation between two reads) leaves them agreeing and the next read goes on from there.
    """

    state: WriterState = field(default_factory=WriterState)
    position: Position = field(default_factory=Position.empty)
    events: int = 0
    resumed: int = 0  # the events of the snapshot it was resumed from (0: none)

    def fold(self, records: Sequence[Record], position: Position) -> None:
        journal = self.state.model.journal
        try:
            for record in records:
                apply_record(self.state, record)
        except BaseException:
            journal.rollback()
            raise
        journal.commit()  # replayed facts are final
        self.events += len(records)
        self.position = position
