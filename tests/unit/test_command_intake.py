"""The intake's supervision, with fakes of its two ports (the topic's consumer, the writer).

A read that fails is logged and counted, and reading starts again from the group's
committed offsets; a chunk whose batch did not commit is read again from there too; in the
end each record is answered once. (On real Kafka: tests/integration/test_command_topic*.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog

from ledger.log import LogUnavailable, TopicPartition
from ledger.log.kafka_commands import CommandRecord, Rewound
from ledger.metrics import Metrics
from ledger.writer.intake import CommandIntake
from ledger.writer.outbox import Delivery, Outbox
from ledger.writer.state import Status

P0 = TopicPartition("t.commands", 0)


class Topic:
    """Three records on one partition; the committed offset moves only with answers."""

    group = "t.writer"

    def __init__(self, failing_reads: int) -> None:
        self.failing_reads = failing_reads
        self.committed = 0
        self.next = 0
        self.rewinds = 0

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def rewind(self) -> Rewound:
        self.rewinds += 1
        self.next = self.committed
        return Rewound({P0: self.committed}, {})

    async def read(self, max_records: int, timeout: float) -> list[CommandRecord]:
        await asyncio.sleep(0)
        if self.failing_reads:
            self.failing_reads -= 1
            raise LogUnavailable("the broker is away")
        records = [CommandRecord(P0, o, o, f"k-{o}".encode(), (), b"not json") for o in range(self.next, 3)]
        self.next = 3
        return records

    async def lag(self) -> int:
        return 3 - self.next


class Writer:
    """Answers every delivery through the outbox, but for the first batch, which fails."""

    status = Status.ACTIVE

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.failing_batches = 1
        self.answered: list[int] = []
        self.outbox: Outbox | None = None

    def answer_through(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def until(self, *wanted: Status) -> Status:
        return self.status

    async def submit_delivered(self, items: Sequence[tuple[Delivery, Any]]) -> None:
        assert self.outbox is not None
        if self.failing_batches:
            self.failing_batches -= 1
            return
        self.outbox.attachment(items)
        self.outbox.committed(items)
        self.answered += [delivery.offset for delivery, _ in items]
        self.topic.committed = items[-1][0].offset + 1


async def test_failures_are_logged_counted_and_read_again_from_the_committed_offsets() -> None:
    topic = Topic(failing_reads=1)
    writer = Writer(topic)
    metrics = Metrics()
    ports: list[Any] = [writer, topic, None]  # no token store: records that are not JSON never reach it
    intake = CommandIntake(*ports, metrics, "t.command-results")
    with structlog.testing.capture_logs() as logs:
        await intake.start()
        async with asyncio.timeout(10):
            while len(writer.answered) < 3:
                await asyncio.sleep(0.01)
        await intake.stop()
    assert writer.answered == [0, 1, 2]
    assert topic.rewinds == 3  # at the start, after the failed read, after the unanswered chunk
    failed = [entry["error"] for entry in logs if entry["event"] == "command_intake_failed"]
    assert [f.split("(")[0] for f in failed] == ["LogUnavailable", "Unanswered"]
    restarts = metrics.command_intake_restarts
    assert restarts.labels("LogUnavailable")._value.get() == restarts.labels("Unanswered")._value.get() == 1
    assert metrics.command_records.labels("unknown", "invalid")._value.get() == 3
