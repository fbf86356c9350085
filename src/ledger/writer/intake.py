"""The command topic's intake: integrators' commands, decided by the active writer exactly once.

On the Kafka log the active writer reads ``<prefix>.commands`` (``ledger.log.kafka_commands``)
and queues each record like an HTTP command, refused already when it fails a gate
(``ledger.writer.command_records``). The writer answers the records of a batch inside the
batch's own transaction (``Outbox``): the command's events, its answer on
``<prefix>.command-results`` and the group's offset past its record commit together, or
none of them does. So every command has exactly one committed answer and its events once:

- a batch that does not commit leaves its records unanswered, and the intake rewinds to the
  group's committed offsets once the writer is active again;
- a writer that dies mid-batch is fenced by the one that takes over, which aborts its open
  transaction, reads the group's offsets and goes on from there;
- one chunk of records is in the writer's hands at a time, and an attachment whose records
  do not follow on from the last committed offset of their partition is refused (the
  transaction aborts), so no record is ever stepped over.

Only an active writer reads. The intake task is supervised: a failure (the broker or the
token store away) is logged, counted in ``ledger_command_intake_restarts_total`` and
followed, after a pause, by a rewind. Answers are counted in ``ledger_command_records_total``
by command and outcome, the records not read yet in ``ledger_command_intake_lag_records``.
A token is looked up through the token store, whose cache keeps an answer two seconds: a
token revoked through this writer stops working at once, one revoked elsewhere within two
seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Final

import structlog

from ledger.http.auth import TokenStore
from ledger.http.gates import outcome
from ledger.log import Attachment, TopicPartition
from ledger.log.kafka_commands import CommandConsumer
from ledger.metrics import Metrics
from ledger.writer.command_records import answer, answer_record, read_command
from ledger.writer.errors import WriterUnavailable
from ledger.writer.outbox import Delivery, Outcome
from ledger.writer.service import Writer
from ledger.writer.state import Status

log = structlog.get_logger("ledger.writer")

CHUNK: Final = 500  # records read and handed to the writer at once
_POLL_S: Final = 0.5
_FIRST_PAUSE: Final = 0.2
_LAST_PAUSE: Final = 5.0


class RecordsOutOfOrder(Exception):
    """An attachment's records do not follow on from their partition's committed offset."""


class Unanswered(Exception):
    """A chunk's batch did not commit (the writer lost the log, was fenced, or failed on it)."""


class CommandIntake:
    def __init__(
        self,
        writer: Writer,
        consumer: CommandConsumer,
        tokens: TokenStore,
        metrics: Metrics,
        results_topic: str,
    ) -> None:
        self._writer = writer
        self._consumer = consumer
        self._tokens = tokens
        self._metrics = metrics
        self._results_topic = results_topic
        self._committed: dict[TopicPartition, int] = {}  # the group's offsets, as this writer moved them
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._writer.answer_through(self)
        self._task = asyncio.create_task(self._supervise(), name="ledger-command-intake")

    async def stop(self) -> None:
        """Stop reading; a chunk in the writer's hands is still decided and answered by it."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
        await self._consumer.close()

    # -- the Outbox the writer answers through -------------------------------------------------

    def attachment(self, answers: Sequence[tuple[Delivery, Outcome]]) -> Attachment:
        offsets: dict[TopicPartition, int] = {}
        records = []
        for delivery, decided in answers:
            source = delivery.source
            expected = offsets.get(source, self._committed.get(source))
            if delivery.since != expected:
                raise RecordsOutOfOrder(
                    f"{source.topic}/{source.partition} record {delivery.offset} read from {delivery.since}, "
                    f"but the last committed offset there is {expected}"
                )
            offsets[source] = delivery.offset + 1
            records.append(answer_record(self._results_topic, delivery, *answer(decided)))
        return Attachment(records, self._consumer.group, offsets)

    def committed(self, answers: Sequence[tuple[Delivery, Outcome]]) -> None:
        for delivery, decided in answers:
            delivery.answered = True
            self._committed[delivery.source] = delivery.offset + 1
            self._metrics.command_records.labels(delivery.name, outcome(answer(decided)[0])).inc()

    # -- reading -------------------------------------------------------------------------------

    async def _supervise(self) -> None:
        pause = _FIRST_PAUSE
        while True:
            try:
                await self._run()
            except Exception as e:
                self._metrics.command_intake_restarts.labels(type(e).__name__).inc()
                log.error("command_intake_failed", error=repr(e), retry_in=pause, exc_info=e)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LAST_PAUSE)
            else:
                pause = _FIRST_PAUSE

    async def _run(self) -> None:
        """Wait for the writer to be active, rewind, read while it stays active."""
        await self._writer.until(Status.ACTIVE)
        rewound = await self._consumer.rewind()
        self._committed = rewound.start
        if rewound.expired:
            lost = sum(end - start for start, end in rewound.expired.values())
            self._metrics.command_records_expired.inc(lost)
            log.error("command_records_expired", offsets=lost, partitions=repr(rewound.expired))
        log.info("command_intake_reading", offsets=repr(self._committed))
        while self._writer.status is Status.ACTIVE:
            records = await self._consumer.read(CHUNK, _POLL_S)
            self._metrics.command_intake_lag.set(await self._consumer.lag())
            if not records:
                continue
            items = [await read_command(record, self._tokens) for record in records]
            with contextlib.suppress(WriterUnavailable):  # no longer active: nothing was queued
                await self._writer.submit_delivered(items)
            if unanswered := sum(not delivery.answered for delivery, _ in items):
                raise Unanswered(
                    f"{unanswered} of {len(items)} records: reading again from the group's offsets"
                )
