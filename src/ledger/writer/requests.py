"""A command as the writer receives it, the pending answer its caller waits on, and how the
answers that need no decision are given: a key seen before, a key repeated in one batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.ids import new_hex
from ledger.writer.errors import IdempotencyConflict, WriterUnavailable
from ledger.writer.idempotency import IdempotencyIndex, Key, command_digest
from ledger.writer.results import CommandResult
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
    deciding the command did; a count and one future cost next to nothing."""

    __slots__ = ("future", "left")

    def __init__(self, count: int) -> None:
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
    """A queued command, and its answer once given (its caller waits on ``waiting``)."""

    request: CommandRequest
    command_id: str
    waiting: Waiting
    result: CommandResult | None = None
    error: BaseException | None = None

    @property
    def key(self) -> Key | None:
        r = self.request
        return None if r.idempotency_key is None else (r.actor, r.idempotency_key)

    def done(self) -> bool:
        return self.result is not None or self.error is not None

    def settle(self, result: CommandResult) -> None:
        if not self.done():
            self.result = result
            self.waiting.answered()

    def fail(self, error: BaseException) -> None:
        if not self.done():
            self.error = error
            self.waiting.answered()

    def outcome(self) -> CommandResult | BaseException:
        """The answer: the result, or why the command was refused (once ``done``)."""
        if self.error is not None:
            return self.error
        assert self.result is not None
        return self.result


def pendings(requests: Sequence[CommandRequest]) -> tuple[list[Pending], Waiting]:
    """Each request as a queued command, and what their caller waits on for all of them."""
    waiting = Waiting(len(requests))
    return [Pending(request, command_id(request), waiting) for request in requests], waiting


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


def answer_repeats(repeats: Sequence[tuple[Pending, Pending]]) -> None:
    """Answer each repeat of a key within one batch as its first was answered."""
    for pending, first in repeats:
        if pending.done():
            continue
        if first.command_id != pending.command_id:
            pending.fail(IdempotencyConflict(_KEY_CONFLICT))
        elif not first.done():
            pending.fail(WriterUnavailable("the first command with this Idempotency-Key is unsettled"))
        else:
            answer = first.outcome()
            if isinstance(answer, BaseException):
                pending.fail(answer)
            else:
                pending.settle(answer)
