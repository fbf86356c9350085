"""What a command produced, as answered to its caller and remembered for idempotent retries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.log import Position, Record


@dataclass(frozen=True, slots=True)
class WrittenEvent:
    id: str
    type: str
    stream: str
    version: int
    topic: str
    partition: int
    offset: int

    @property
    def position(self) -> Position:
        return Position.after([(self.topic, self.partition, self.offset)])

    @classmethod
    def from_record(
        cls, record: Record, event_id: str, type_: str, stream: str, version: int
    ) -> WrittenEvent:
        return cls(event_id, type_, stream, version, record.topic, record.partition, record.offset)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's appended events; the body of its 201."""

    command_id: str
    events: tuple[WrittenEvent, ...]

    @property
    def position(self) -> Position:
        return Position.after((e.topic, e.partition, e.offset) for e in self.events)

    def body(self) -> dict[str, Any]:
        return {
            "events": [
                {
                    "id": e.id,
                    "type": e.type,
                    "stream": e.stream,
                    "version": e.version,
                    "position": e.position.token(),
                }
                for e in self.events
            ],
            "position": self.position.token(),
        }
