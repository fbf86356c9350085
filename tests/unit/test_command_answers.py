"""The intake's answers to delivered commands, built for the writer's transaction (no I/O).

What commits with a batch: one answer record per delivery, on its command's partition,
under its key, naming its record, ``{"status", "body"}`` as HTTP answers; and the group's
offset past the last record of each partition. A delivery that does not follow on from its
partition's committed offset is refused, so no record is ever stepped over.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from ledger.http.problems import Problem
from ledger.log import TopicPartition
from ledger.metrics import Metrics
from ledger.writer.intake import CommandIntake, RecordsOutOfOrder
from ledger.writer.outbox import Delivery
from ledger.writer.results import CommandResult, WrittenEvent

P0, P1 = TopicPartition("t.commands", 0), TopicPartition("t.commands", 1)


def intake(committed: dict[TopicPartition, int]) -> tuple[CommandIntake, Metrics]:
    metrics = Metrics()
    consumer: Any = SimpleNamespace(group="t.writer")  # all an attachment asks of the consumer
    nothing: Any = None  # the writer and the token store: answers never reach them
    made = CommandIntake(nothing, consumer, nothing, metrics, "t.command-results")
    made._committed = dict(committed)
    return made, metrics


def success() -> CommandResult:
    event = WrittenEvent("e-1", "LocationRegistered", "location:A", 1, "t.catalog", 1, 7)
    return CommandResult("cmd-1", (event,))


def test_each_delivery_is_answered_on_its_partition_and_the_offsets_pass_its_record() -> None:
    made, _ = intake({P0: 10, P1: 0})
    answers = [
        (Delivery(P0, 12, 10, b"k-1", "register-location"), success()),
        (Delivery(P1, 3, 0, None, "unknown"), Problem(400, "malformed-json", "the value is empty")),
        (Delivery(P0, 13, 13, b"k-2", "register-location"), Problem(403, "missing-scope", "no")),
    ]
    attachment = made.attachment(answers)
    assert attachment.group == "t.writer"
    assert attachment.offsets == {P0: 14, P1: 4}
    sent = [(r.topic, r.partition, r.key, dict(r.headers), orjson.loads(r.value)) for r in attachment.records]
    assert [(t, p, k, h["command-partition"], h["command-offset"]) for t, p, k, h, _ in sent] == [
        ("t.command-results", 0, b"k-1", b"0", b"12"),
        ("t.command-results", 1, None, b"1", b"3"),
        ("t.command-results", 0, b"k-2", b"0", b"13"),
    ]
    assert [v for *_, v in sent] == [
        {"status": 201, "body": success().body()},
        {
            "status": 400,
            "body": {
                "type": "/problems/malformed-json",
                "title": "Bad request",
                "status": 400,
                "detail": "the value is empty",
            },
        },
        {
            "status": 403,
            "body": {"type": "/problems/missing-scope", "title": "Forbidden", "status": 403, "detail": "no"},
        },
    ]


@pytest.mark.parametrize("since", [9, 11])
def test_a_delivery_that_does_not_follow_the_committed_offset_is_refused(since: int) -> None:
    made, _ = intake({P0: 10})
    with pytest.raises(RecordsOutOfOrder):
        made.attachment([(Delivery(P0, 12, since, b"k", "register-location"), success())])


def test_committed_answers_move_the_offsets_and_are_counted_by_outcome() -> None:
    made, metrics = intake({P0: 10})
    answers = [
        (Delivery(P0, 10, 10, b"k-1", "register-location"), success()),
        (Delivery(P0, 11, 11, b"k-2", "register-location"), Problem(409, "already-exists", "taken")),
    ]
    made.attachment(answers)
    made.committed(answers)
    assert all(delivery.answered for delivery, _ in answers)
    made.attachment([(Delivery(P0, 15, 12, b"k-3", "register-location"), success())])
    counted = metrics.command_records
    assert counted.labels("register-location", "accepted")._value.get() == 1
    assert counted.labels("register-location", "rejected")._value.get() == 1
