"""A command as the writer receives it, the pending answer its caller waits on, and how the
answers that need no decision are given: a key seen before, a key repeated in one batch.

A command that arrived as a log record (``ledger.writer.outbox``) may come refused already
by the gates; its caller waits until the writer is done with its batch, committed or not
(``release``), never merely until its outcome is known: the answer counts only once it is
in the log."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.envelope import Envelope
from ledger.ids import new_hex
from ledger.log import Record
from ledger.tracing.spans import Caller
from ledger.writer.errors import IdempotencyConflict, WriterUnavailable
from ledger.writer.idempotency import IdempotencyIndex, Key, command_digest
from ledger.writer.outbox import Delivery, Outcome
from ledger.writer.results import CommandResult, WrittenEvent
from schemas import Command

_KEY_CONFLICT = "this Idempotency-Key was used with another command body"


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A command as the HTTP layer hands it over: parsed, with who sent it and how."""

    name: str
    command: Command
    actor: str
    body: object = None  # as sent, for the idempotency digest
    idempotency_key: str | None = None
    correlation_id: str | None = None


def command_id(request: CommandRequest) -> str:
    """A digest of the key and body when keyed (so a repeat is recognised), else a fresh id."""
    if request.idempotency_key is not None:
        return command_digest(request.actor, request.idempotency_key, request.name, request.body)
    return f"cmd-{new_hex()}"


class Waiting:
    """Callers' commands not all answered yet: one future for a whole ``submit_many``.

    A future per command, with its callbacks and the wait over them all, cost more than
    deciding the command did; a count and one future cost next to nothing. ``caller`` is the
    span the commands arrived in while tracing is on: their events carry its ``traceparent``."""

    __slots__ = ("caller", "future", "left")

    def __init__(self, count: int, caller: Caller | None = None) -> None:
        self.caller = caller
        self.left = count
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not count:
            self.future.set_result(None)

    def answered(self) -> None:
        self.left -= 1
        if not self.left:
            self.future.set_result(None)


@dataclass(slots=True)
class Pending:
    """A queued command, and its answer once given (its caller waits on ``waiting``).

    ``request`` is None only for a delivered record the gates refused: ``error`` says why."""

    request: CommandRequest | None
    command_id: str
    waiting: Waiting
    result: CommandResult | None = None
    error: BaseException | None = None
    delivery: Delivery | None = None
    released: bool = False

    @property
    def key(self) -> Key | None:
        r = self.request
        return None if r is None or r.idempotency_key is None else (r.actor, r.idempotency_key)

    def done(self) -> bool:
        return self.result is not None or self.error is not None

    def settle(self, result: CommandResult) -> None:
        if not self.done():
            self.result = result
            if self.delivery is None:
                self.waiting.answered()

    def fail(self, error: BaseException) -> None:
        if not self.done():
            self.error = error
            if self.delivery is None:
                self.waiting.answered()

    def release(self) -> None:
        """A delivery's batch is over (its answer committed, or not at all): its caller may look."""
        if self.delivery is not None and not self.released:
            self.released = True
            self.waiting.answered()

    def outcome(self) -> CommandResult | BaseException:
        """The answer: the result, or why the command was refused (once ``done``)."""
        if self.error is not None:
            return self.error
        assert self.result is not None
        return self.result


def pendings(
    requests: Sequence[CommandRequest], caller: Caller | None = None
) -> tuple[list[Pending], Waiting]:
    """Each request as a queued command, and what their caller waits on for all of them."""
    waiting = Waiting(len(requests), caller)
    return [Pending(request, command_id(request), waiting) for request in requests], waiting


def delivered_pendings(
    items: Sequence[tuple[Delivery, CommandRequest | BaseException]],
) -> tuple[list[Pending], Waiting]:
    """Each delivered record as a queued command (one the gates refused, already failed),
    and what their caller waits on until the writer is done with all of them."""
    waiting = Waiting(len(items))
    queued = []
    for delivery, item in items:
        if isinstance(item, CommandRequest):
            queued.append(Pending(item, command_id(item), waiting, delivery=delivery))
        else:
            queued.append(Pending(None, "", waiting, error=item, delivery=delivery))
    return queued, waiting


def results_of(
    decided: Sequence[tuple[Pending, Sequence[Envelope]]], records: Sequence[Record]
) -> list[CommandResult]:
    """Each decided command's result, its events placed at the records appended for them."""
    it = iter(records)
    return [
        CommandResult(
            pending.command_id,
            tuple(WrittenEvent.from_record(next(it), e.id, e.type, e.stream, e.version) for e in envelopes),
        )
        for pending, envelopes in decided
    ]


def earlier_with_key(pending: Pending, decided: Sequence[tuple[Pending, object]]) -> Pending | None:
    """The command of this same batch that used the key first, if any."""
    if pending.key is None:
        return None
    return next((earlier for earlier, _ in decided if earlier.key == pending.key), None)


def fail(pending: Pending, error: BaseException) -> None:
    pending.fail(error)


def fail_all(
    decided: Sequence[tuple[Pending, object]], repeats: Sequence[tuple[Pending, Pending]], error: Exception
) -> None:
    for pending, _ in decided:
        pending.fail(error)
    for pending, _ in repeats:
        pending.fail(error)


def answered_from_index(pending: Pending, index: IdempotencyIndex) -> bool:
    """A key used by an earlier batch: answer its first result again, or refuse another body."""
    key = pending.key
    known = None if key is None else index.get(key)
    if known is None:
        return False
    if known.command_id != pending.command_id:
        pending.fail(IdempotencyConflict(_KEY_CONFLICT))
    else:
        pending.settle(known)
    return True


def repeat_outcome(pending: Pending, first: Pending, first_outcome: Outcome | None) -> Outcome:
    """The answer to a repeat of a key within one batch: its first's (None: not settled)."""
    if first.command_id != pending.command_id:
        return IdempotencyConflict(_KEY_CONFLICT)
    if first_outcome is None:
        return WriterUnavailable("the first command with this Idempotency-Key is unsettled")
    return first_outcome


def answer_repeats(repeats: Sequence[tuple[Pending, Pending]]) -> None:
    """Answer each repeat of a key within one batch as its first was answered."""
    for pending, first in repeats:
        if pending.done():
            continue
        answer = repeat_outcome(pending, first, first.outcome() if first.done() else None)
        if isinstance(answer, BaseException):
            pending.fail(answer)
        else:
            pending.settle(answer)


def release(batch: Sequence[Pending]) -> None:
    for pending in batch:
        pending.release()
