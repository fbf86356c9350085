"""A command as the writer receives it, the pending answer its caller waits on, and how the
answers that need no decision are given: a key seen before, a key repeated in one batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

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


def outcome(future: asyncio.Future[CommandResult]) -> CommandResult | BaseException:
    error = future.exception()
    return future.result() if error is None else error


def new_future() -> asyncio.Future[CommandResult]:
    future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
    # A caller that went away (client disconnect) leaves its outcome unread; read it here.
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    return future


@dataclass(slots=True)
class Pending:
    """A queued command and the future its caller waits on."""

    request: CommandRequest
    command_id: str
    future: asyncio.Future[CommandResult] = field(default_factory=new_future)

    @property
    def key(self) -> Key | None:
        r = self.request
        return None if r.idempotency_key is None else (r.actor, r.idempotency_key)


def earlier_with_key(pending: Pending, decided: Sequence[tuple[Pending, object]]) -> Pending | None:
    """The command of this same batch that used the key first, if any."""
    if pending.key is None:
        return None
    return next((earlier for earlier, _ in decided if earlier.key == pending.key), None)


def fail(pending: Pending, error: BaseException) -> None:
    if not pending.future.done():
        pending.future.set_exception(error)


def fail_all(
    decided: Sequence[tuple[Pending, object]], repeats: Sequence[tuple[Pending, Pending]], error: Exception
) -> None:
    for pending, _ in decided:
        fail(pending, error)
    for pending, _ in repeats:
        fail(pending, error)


def answered_from_index(pending: Pending, index: IdempotencyIndex) -> bool:
    """A key used by an earlier batch: answer its first result again, or refuse another body."""
    key = pending.key
    known = None if key is None else index.get(key)
    if known is None:
        return False
    if known.command_id != pending.command_id:
        fail(pending, IdempotencyConflict(_KEY_CONFLICT))
    else:
        pending.future.set_result(known)
    return True


def answer_repeats(repeats: Sequence[tuple[Pending, Pending]]) -> None:
    """Answer each repeat of a key within one batch as its first was answered."""
    for pending, first in repeats:
        if pending.future.done():
            continue
        if first.command_id != pending.command_id:
            fail(pending, IdempotencyConflict(_KEY_CONFLICT))
        elif not first.future.done():
            fail(pending, WriterUnavailable("the first command with this Idempotency-Key is unsettled"))
        elif (error := first.future.exception()) is not None:
            fail(pending, error)
        else:
            pending.future.set_result(first.future.result())
