"""The command side: one active writer that decides commands against its in-memory state
and appends the resulting events in group commits."""

from ledger.writer.errors import IdempotencyConflict, WriterUnavailable
from ledger.writer.results import CommandResult, WrittenEvent
from ledger.writer.service import CommandRequest, Writer

__all__ = [
    "CommandRequest",
    "CommandResult",
    "IdempotencyConflict",
    "Writer",
    "WriterUnavailable",
    "WrittenEvent",
]
