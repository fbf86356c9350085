"""The one active writer: decides commands in arrival order and appends them in group commits.

The write model lives in memory (the ``evolve`` fold of every event), so a decision never
waits on a query or reads a stale projection. Commands queue; the loop takes what has
queued, decides each against the state as the earlier ones left it, appends every resulting
event in one transaction and only then answers the callers. A failed append rolls the state
back through the journal and fails those callers with 503; nothing is acknowledged that is
not durable. Commands read from the log's command topic join the same queue
(``submit_delivered``); a batch that holds any is answered in its append's own transaction
(``ledger.writer.outbox``), even when it appends no event.

Each group commit is a span of its own, linked to the span each of its commands arrived in,
and its append a span within it; while tracing is on, a command's events carry its span's
``traceparent`` (``ledger.tracing.spans``).

Start-up: take the log's writer lease (or wait for it as a hot standby while another
process writes, ``ledger.writer.standby``), claim the log (which fences any earlier writer),
then read the log after the state (``ledger.writer.recovery``), so no event of a fenced
predecessor can be missed. Recovery, at a take-over or after the log failed, is retried
until the writer is active, fenced or stopped (``ledger.writer.retrying``). Snapshots are
the active writer's (``ledger.writer.snapshotting``).

A log that refuses to be written as configured (``LogRefused``: its topics keep fewer
in-sync copies than ``LEDGER_MIN_INSYNC_FLOOR``) leaves the writer ``REFUSED``, appending
nothing and saying why in ``problem``, while it asks again now and then: an operator may
raise the topics' setting without a restart. ``ledger writer`` exits instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import structlog

from handlers import DomainError, WriteModel, decide, evolve
from ledger.envelope import Envelope
from ledger.ids import new_uuid
from ledger.log import EventLog, LogError, LogRefused, LogWriter, Position, WriterFenced
from ledger.memory import freeze_survivors
from ledger.metrics import Metrics
from ledger.tracing.spans import NO_SPANS, Spans
from ledger.writer.answering import Answering
from ledger.writer.errors import WriterUnavailable
from ledger.writer.lease import WriterLease
from ledger.writer.outbox import Delivery, Outbox
from ledger.writer.recovery import read_to_end, restore
from ledger.writer.requests import (
    CommandRequest,
    Pending,
    answer_repeats,
    answered_from_index,
    delivered_pendings,
    earlier_with_key,
    fail,
    fail_all,
    pendings,
    release,
    results_of,
)
from ledger.writer.results import CommandResult
from ledger.writer.retrying import Backoff
from ledger.writer.snapshots import SnapshotStore
from ledger.writer.snapshotting import Snapshotter
from ledger.writer.standby import HotStandby
from ledger.writer.state import Folded, Status, WriterState
from schemas import Command, Event
from schemas.trusted import replaced

__all__ = ["CommandRequest", "Status", "Writer"]

log = structlog.get_logger("ledger.writer")

REFUSED_RECHECK: Final = 10.0  # seconds between two looks at a log that refused this writer


class Writer:
    """The log's writer: one active at a time (see the module docstring)."""

    def __init__(
        self,
        log: EventLog,
        snapshots: SnapshotStore | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_batch: int = 4096,
        snapshot_every: int = 10_000,
        metrics: Metrics | None = None,
        lease: WriterLease | None = None,
        spans: Spans = NO_SPANS,
    ) -> None:
        """``lease``: the log's writer lease, taken before the log is claimed and released by
        ``stop``; while another process holds it, this writer stands by. ``spans``: the
        group commits' and appends' (none while tracing is off)."""
        self._log = log
        self._lease = lease
        self._snapshot_store = snapshots
        self._snapshots = Snapshotter(snapshots, log, every=snapshot_every)
        self._clock = clock
        self._max_batch = max_batch
        self._metrics = metrics or Metrics()
        self._spans = spans
        self._queue: asyncio.Queue[Pending | None] = asyncio.Queue()
        self._folded = Folded()
        self._handle: LogWriter | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._recovery_task: asyncio.Task[None] | None = None
        self._status = Status.STARTING
        self._publish(Status.STARTING)
        self._changed = asyncio.Event()
        self._outbox: Outbox | None = None
        self.problem: str | None = None

    @property
    def status(self) -> Status:
        return self._status

    @status.setter
    def status(self, value: Status) -> None:
        self._status = value
        self._publish(value)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _publish(self, value: Status) -> None:
        """``ledger_writer_status``: 1 for this status, 0 for the rest, so a sum counts writers."""
        for status in Status:
            self._metrics.writer_status.labels(status.value).set(1 if status is value else 0)

    async def until(self, *wanted: Status) -> Status:
        """Wait until the status is one of ``wanted``; answer it."""
        while self._status not in wanted:
            await self._changed.wait()
        return self._status

    @property
    def position(self) -> Position:
        """How far into the log this writer's state reaches."""
        return self._folded.position

    @property
    def model(self) -> WriteModel:
        return self._state.model

    @property
    def _state(self) -> WriterState:
        """The state, which moves with its position (``Folded``)."""
        return self._folded.state

    # -- lifetime -------------------------------------------------------------------------

    async def start(self) -> None:
        """Become the active writer, or a standby when another process holds the lease.

        When the lease is free, recovery happens here and its failure is raised (the lease is
        let go again), but for the log's refusal: the writer is then ``REFUSED`` and asks again
        in the background. A standby recovers in the background once it has taken the lease.
        """
        if self._lease is not None and not await self._lease.try_acquire():
            self.status = Status.STANDBY
            self.problem = "another process holds this log's writer lease"
            log.info("writer_waiting_for_lease")
            self._recovery_task = self._supervised(self._take_over(), "ledger-writer-standby")
        else:
            try:
                await self._recover()
            except LogRefused as e:
                self._refuse(e)
                self._recovery_task = self._supervised(
                    self._keep_recovering(from_snapshot=True), "ledger-writer-refused"
                )
            except BaseException:
                if self._lease is not None:
                    await self._lease.release()
                raise
        self._loop_task = self._supervised(self._run(), "ledger-writer")

    async def stop(self) -> None:
        """Finish the batch in hand, refuse the rest, snapshot, let go of the log and the lease."""
        # Waited for, not awaited: a task that died has been reported already (``_report_death``).
        if self._recovery_task is not None:
            self._recovery_task.cancel()
            await asyncio.wait([self._recovery_task])
        if self._loop_task is not None:
            await self._queue.put(None)
            await asyncio.wait([self._loop_task])
        await self._snapshots.settle()  # one begun by the loop: stored (or logged as failed) first
        if self.status is Status.ACTIVE:
            await self._snapshots.take(self._folded)
        self.status = Status.STOPPED
        self._fail_queued(WriterUnavailable("the writer is shutting down"))
        if self._handle is not None:
            await self._handle.close()
        if self._lease is not None:
            await self._lease.release()

    def _supervised(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """A task of the writer's own whose end by any exception is logged, never silent."""
        task = asyncio.create_task(work, name=name)
        task.add_done_callback(self._report_death)
        return task

    def _report_death(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or (error := task.exception()) is None:
            return
        log.critical("writer_task_died", task=task.get_name(), error=repr(error), exc_info=error)
        if self.status in (
            Status.STARTING,
            Status.STANDBY,
            Status.ACTIVE,
            Status.UNAVAILABLE,
            Status.REFUSED,
        ):
            self.status = Status.UNAVAILABLE
            self.problem = f"{task.get_name()} died: {error!r}"
            self._fail_queued(WriterUnavailable(self.problem))

    async def submit(self, request: CommandRequest) -> CommandResult:
        """Queue a command and wait until its events are durable (or it is refused)."""
        answer = (await self.submit_many([request]))[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def submit_many(self, requests: Sequence[CommandRequest]) -> list[CommandResult | BaseException]:
        """Queue commands in order and wait for all: each one's result, or why it was refused.

        One call for a whole batch rather than a task per command: at tens of thousands of
        commands a second, the per-command task and shield cost more than deciding does.
        """
        self._require_active()
        queued, waiting = pendings(requests, self._spans.caller())
        for pending in queued:
            self._queue.put_nowait(pending)
        # Shielded: a caller that goes away leaves its commands to be decided and answered.
        await asyncio.shield(waiting.future)
        return [p.outcome() for p in queued]

    def answer_through(self, outbox: Outbox) -> None:
        """Where the answers of delivered commands go (``submit_delivered``)."""
        self._outbox = outbox

    async def submit_delivered(
        self, items: Sequence[tuple[Delivery, CommandRequest | BaseException]]
    ) -> None:
        """Queue commands read from a log, in order, each to decide or refused by the gates
        already, and wait until the writer is done with them: each delivery is ``answered``
        when its answer committed with its batch, else it was not answered at all."""
        assert self._outbox is not None, "answer_through first"
        self._require_active()
        queued, waiting = delivered_pendings(items)
        for pending in queued:
            self._queue.put_nowait(pending)
        await asyncio.shield(waiting.future)

    def _require_active(self) -> None:
        if self.status is not Status.ACTIVE:
            raise WriterUnavailable(f"the writer is {self.status.value}: {self.problem or 'not ready'}")

    # -- recovery -------------------------------------------------------------------------

    async def _recover(self, *, from_snapshot: bool = True) -> None:
        """Claim the log, then read it to the end: from the snapshot, or (after a failed
        append, or as a warm standby) from this writer's own position."""
        self._handle = await self._log.open_writer()  # fence first, then read to the end
        if from_snapshot:
            self._folded = await restore(self._log, self._snapshot_store)
            self._snapshots.resumed(self._folded.resumed)
        else:
            await read_to_end(self._log, self._folded)
        freeze_survivors()  # the recovered state lives as long as the writer: never rescan it
        self.status = Status.ACTIVE
        self.problem = None
        log.info("writer_active", events=self._folded.events, position=repr(self._folded.position))

    async def _take_over(self) -> None:
        """The standby's wait (``HotStandby``), then recovery from where it stands."""
        assert self._lease is not None
        standby = HotStandby(self._lease, self._log, self._snapshot_store, self._metrics)
        warm = await standby.wait()
        self.status = Status.STARTING
        if warm is not None:
            self._folded = warm
            self._snapshots.resumed(warm.resumed)
        await self._keep_recovering(from_snapshot=warm is None)

    async def _keep_recovering(self, *, from_snapshot: bool) -> None:
        """Recover until this writer is active, fenced or stopped, whatever each attempt raises."""
        backoff = Backoff(self._metrics, "recovery")
        while self.status in (Status.STARTING, Status.UNAVAILABLE, Status.REFUSED):
            if self.status is Status.REFUSED:  # only an operator changes that: no hurry
                await asyncio.sleep(REFUSED_RECHECK)
            try:
                if self._handle is not None:
                    await self._handle.close()
                await self._recover(from_snapshot=from_snapshot)
            except WriterFenced as e:
                self._fence(e)
            except LogRefused as e:
                self._metrics.writer_recovery_failures.labels("recovery", type(e).__name__).inc()
                if (self.status, self.problem) != (Status.REFUSED, str(e)):
                    self._refuse(e)  # logged once, and again only when the reason changes
            except Exception as e:
                self.problem = f"recovery failed: {e!r}"
                await asyncio.sleep(backoff.failed(e))

    # -- the loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            last = False
            while len(batch) < self._max_batch and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    last = True
                    break
                batch.append(item)
            await self._commit_guarded(batch)
            if last:
                return

    async def _commit_guarded(self, batch: list[Pending]) -> None:
        """Commit a batch; a defect in doing so fails its callers and leaves the state as it was."""
        try:
            with self._spans.group_commit((p.waiting.caller for p in batch), len(batch)):
                await self._commit(batch)
        except Exception as e:
            self._state.model.journal.rollback()  # whatever was decided and not committed
            log.error("writer_batch_failed", error=repr(e), commands=len(batch), exc_info=e)
            for pending in batch:
                fail(pending, WriterUnavailable(f"the writer failed on this batch: {e!r}"))

    async def _commit(self, batch: list[Pending]) -> None:
        try:
            await self._commit_batch(batch)
        finally:
            release(batch)  # delivered commands: answered in the committed transaction, or not at all

    async def _commit_batch(self, batch: list[Pending]) -> None:
        if self.status is not Status.ACTIVE:
            for pending in batch:
                fail(pending, WriterUnavailable(f"the writer is {self.status.value}: {self.problem}"))
            return
        journal = self._state.model.journal
        decided: list[tuple[Pending, list[Envelope]]] = []
        repeats: list[tuple[Pending, Pending]] = []
        now = self._clock()
        for pending in batch:
            if pending.done() or answered_from_index(pending, self._state.idempotency):
                continue
            if (first := earlier_with_key(pending, decided)) is not None:
                repeats.append((pending, first))  # answered once the first is settled
                continue
            assert pending.request is not None  # only a refused delivery has none, and it is done
            try:
                decided.append((pending, self._decide(pending, pending.request, now)))
            except DomainError as e:
                fail(pending, e)
            except Exception as e:  # a defect in a handler must not take the writer down
                log.exception("command_failed", command=pending.request.name, command_id=pending.command_id)
                fail(pending, e)
        envelopes = [e for _, envs in decided for e in envs]
        delivered = [p for p in batch if p.delivery is not None]
        if not envelopes and not delivered:
            answer_repeats(repeats)
            return
        # Delivered commands are answered in the append's own transaction, even with no events.
        answering = None
        if delivered:
            assert self._outbox is not None
            answering = Answering(self._outbox, decided, repeats, delivered)
        try:
            assert self._handle is not None
            with self._metrics.appends.time(), self._spans.append(len(envelopes)):
                records = await self._handle.append(
                    envelopes, None if answering is None else answering.attach
                )
        except WriterFenced as e:
            journal.rollback()
            self._fence(e)
            fail_all(decided, repeats, WriterUnavailable("this writer was fenced by another"))
            return
        except Exception as e:  # LogError, or anything else: the append's outcome is unknown
            journal.rollback()
            if not isinstance(e, LogError):
                log.error("writer_append_failed", error=repr(e), exc_info=e)
            self._lose_log(e)
            fail_all(decided, repeats, WriterUnavailable(f"the log did not confirm the append: {e}"))
            return
        journal.commit()
        # The state and its position move together, before anyone is answered.
        appended = Position.after((r.topic, r.partition, r.offset) for r in records)
        self._folded.position = self._folded.position.merge(appended)
        self._folded.events += len(records)
        if answering is not None:
            answering.committed()
        self._settle(decided, results_of(decided, records) if answering is None else answering.results)
        answer_repeats(repeats)
        if self._snapshots.due(self._folded):
            await self._snapshots.begin(self._folded)

    def _decide(self, pending: Pending, request: CommandRequest, now: datetime) -> list[Envelope]:
        """Decide one command and apply its events to the state (journaled, so undoable)."""
        journal = self._state.model.journal
        mark = journal.mark()
        command = request.command
        if command.occurred_at is None:
            command = replaced(command, occurred_at=now)
        try:
            events = decide(self._state.model, command)
            envelopes = [self._seal(event, command, pending, request, now) for event in events]
            for event in events:
                evolve(self._state.model, event)
        except BaseException:
            journal.rollback(mark)
            raise
        return envelopes

    def _seal(
        self, event: Event, command: Command, pending: Pending, request: CommandRequest, now: datetime
    ) -> Envelope:
        stream = event.stream()
        version, prevhash = self._state.heads.get(stream, (0, ""))
        assert command.occurred_at is not None
        envelope = Envelope.seal(
            id=new_uuid(),
            type=event.type,
            schema_version=event.schema_version,
            stream=stream,
            version=version + 1,
            occurred_at=command.occurred_at,
            recorded_at=now,
            actor=request.actor,
            correlation_id=request.correlation_id or pending.command_id,
            causation_id=pending.command_id,
            idempotency_key=request.idempotency_key,
            prevhash=prevhash,
            data=event.data(),
        )
        if (caller := pending.waiting.caller) is not None:
            envelope.traceparent = caller.traceparent  # outside the hash: set once it is sealed
        self._state.heads[stream] = (envelope.version, envelope.hash)
        return envelope

    def _settle(self, decided: list[tuple[Pending, list[Envelope]]], results: list[CommandResult]) -> None:
        for (pending, _), result in zip(decided, results, strict=True):
            if pending.key is not None:
                self._state.idempotency.remember(pending.key, result)
            pending.settle(result)

    def _fail_queued(self, error: Exception) -> None:
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                fail(item, error)
                item.release()

    def _refuse(self, error: LogRefused) -> None:
        self.status = Status.REFUSED
        self.problem = str(error)
        log.error("writer_refused", reason=self.problem)

    def _fence(self, error: Exception) -> None:
        self.status = Status.FENCED
        self.problem = str(error)
        log.error("writer_fenced", reason=str(error))

    def _lose_log(self, error: Exception) -> None:
        self.status = Status.UNAVAILABLE
        self.problem = str(error) or repr(error)
        log.warning("writer_log_unavailable", reason=self.problem)
        self._recovery_task = self._supervised(
            self._keep_recovering(from_snapshot=False), "ledger-writer-reconnect"
        )
