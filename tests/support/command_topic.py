"""An integrator's side of the command topic: plain aiokafka, none of the ledger's own code.

``send`` produces command records as any client would; ``read_answers`` reads
``<prefix>.command-results`` with a plain ``read_committed`` consumer from the start up to
the topic's end, so an aborted answer is never seen and every committed one is. ``client``
keyword arguments (``security_protocol``, ``sasl_*``) go to aiokafka as they are.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition


@dataclass(frozen=True)
class Sent:
    partition: int
    offset: int
    key: bytes | None


@dataclass(frozen=True)
class Answer:
    partition: int  # of the answer record
    offset: int
    key: bytes | None
    command: tuple[int, int]  # (partition, offset) of the command's record, from its headers
    status: int
    body: Any
    headers: dict[str, str]


def command(name: str, body: Any) -> bytes:
    return orjson.dumps({"name": name, "body": body})


def bearer(token: str) -> list[tuple[str, bytes]]:
    return [("authorization", f"Bearer {token}".encode())]


async def send(
    bootstrap: str,
    topic: str,
    records: list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]],
    **client: Any,
) -> list[Sent]:
    """Produce (key, value, headers) records in order (a key's records keep their order)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **client)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=value, key=key, headers=headers)
            for key, value, headers in records
        ]
        metadata = [await f for f in futures]
    finally:
        await producer.stop()
    return [Sent(m.partition, m.offset, key) for m, (key, _, _) in zip(metadata, records, strict=True)]


class Answers:
    """A plain ``read_committed`` consumer of the results topic, reading in the background from
    its start: ``received`` grows as answers commit; ``complete`` waits for the rest."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, **client: Any) -> None:
        self._tps = [TopicPartition(topic, p) for p in range(partitions)]
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            **client,
        )
        self.received: list[Answer] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Answers:
        await self._consumer.start()
        self._consumer.assign(self._tps)
        await self._consumer.seek_to_beginning()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    async def _read(self) -> None:
        while True:
            for messages in (await self._consumer.getmany(timeout_ms=200)).values():
                self.received.extend(_answer(m) for m in messages)

    async def complete(self, expected: int, timeout: float = 60) -> list[Answer]:
        """Every committed answer, once at least ``expected`` are in and the topic is read to its end."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.received) >= expected:
                ends = await self._consumer.end_offsets(self._tps)
                if all([await self._consumer.position(tp) >= ends[tp] for tp in self._tps]):
                    return list(self.received)
            assert self._task is not None
            assert not self._task.done(), "the answers' reader stopped"
            assert time.monotonic() < deadline, f"{len(self.received)} answers of {expected} in {timeout} s"
            await asyncio.sleep(0.05)


async def read_answers(
    bootstrap: str, topic: str, partitions: int, expected: int, timeout: float = 60, **client: Any
) -> list[Answer]:
    """Every committed answer, waiting until at least ``expected`` are there, then to the end."""
    async with Answers(bootstrap, topic, partitions, **client) as answers:
        return await answers.complete(expected, timeout)


def _answer(message: Any) -> Answer:
    headers = dict(message.headers)
    value = orjson.loads(message.value)
    assert set(value) == {"status", "body"}, value
    command_at = (int(headers["command-partition"]), int(headers["command-offset"]))
    decoded = {name: raw.decode() for name, raw in headers.items()}
    return Answer(
        message.partition, message.offset, message.key, command_at, value["status"], value["body"], decoded
    )


def by_command(answers: list[Answer]) -> dict[tuple[int, int], Answer]:
    """The answers by their command's record, none of them twice."""
    found: dict[tuple[int, int], Answer] = {}
    for answer in answers:
        assert answer.command not in found, f"two answers to the command at {answer.command}"
        found[answer.command] = answer
    return found
