"""A command as the writer receives it, and the pending answer its caller waits on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledger.ids import new_hex
from ledger.writer.idempotency import Key, command_digest
from ledger.writer.results import CommandResult
from schemas import Command


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
