"""Loading a generated history through the command path: the same ``Writer`` the HTTP API uses.

``load_demo`` opens the log, refuses one that already holds events (demo data must not mix
into a real history) unless forced, claims the writer and submits the commands in order. Up
to ``WINDOW`` commands are in flight at once, so the writer decides and appends them in
large group commits; a refused command is counted by its code, never fatal. The writer
takes its snapshot on stop, so the ``ledger serve`` that follows starts from it.

Claiming the writer would fence any writer already running on the log, so ``load_demo`` first
takes the log's writer lease (``ledger.writer.lease``) and holds it until its writer has
stopped: while a server runs on the log it refuses (``WriterActive``) instead, and a server
started meanwhile waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from handlers import DomainError
from ledger import bootstrap
from ledger.config import Settings
from ledger.demo.generator import DemoCommand, generate
from ledger.log import EventLog, Position
from ledger.metrics import Metrics
from ledger.writer import CommandRequest, Writer
from schemas import parse_command

WINDOW = 500
ACTOR = "demo"


class LogNotEmpty(Exception):
    """The log already holds events: the demo loads only into an empty one (unless forced)."""

    def __init__(self, held: int) -> None:
        super().__init__(
            f"the log already holds events ({held} messages); `ledger demo` loads only into an empty "
            "log: use --force to add the demo history anyway"
        )
        self.held = held


class WriterActive(Exception):
    """Another process holds the log's writer lease: a server runs on the log (or an import)."""


class DemoFailed(Exception):
    """The writer stopped taking commands (log unavailable, fenced by another writer)."""


@dataclass
class Summary:
    commands: int = 0
    events: int = 0
    accepted: Counter[str] = field(default_factory=Counter)  # by command name
    refused: Counter[str] = field(default_factory=Counter)  # by error code
    first_refusal: dict[str, str] = field(default_factory=dict)  # code: the first message
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(self.accepted.values()) + sum(self.refused.values())

    def refuse(self, code: str, detail: str) -> None:
        self.refused[code] += 1
        self.first_refusal.setdefault(code, detail)

    def report(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        lines = [
            f"demo: {self.commands} commands, {self.events} events in {self.seconds:.1f} s "
            f"({rate:.0f} events/s); {sum(self.refused.values())} refused"
        ]
        lines += [f"  {name:<24}{count:>7}" for name, count in self.accepted.most_common()]
        lines += [
            f"  refused {code}: {count} (first: {self.first_refusal[code]})"
            for code, count in self.refused.most_common()
        ]
        return "\n".join(lines)


Progress = Callable[[Summary], None]


class Meter(Protocol):
    """Shows how loading goes: ``start`` with the number of commands, ``update`` as they settle."""

    def start(self, total: int) -> None: ...

    def update(self, summary: Summary) -> None: ...

    def stop(self) -> None: ...


def messages_held(end: Position) -> int:
    """How many messages a log whose end is ``end`` holds (0 for an empty log)."""
    return sum(end.offsets.values())


async def submit_all(
    writer: Writer, commands: Sequence[DemoCommand], *, window: int = WINDOW, progress: Progress | None = None
) -> Summary:
    """Submit ``commands`` in order, at most ``window`` at a time; answer what became of them."""
    summary = Summary(commands=len(commands))
    started = time.monotonic()
    slots = asyncio.Semaphore(window)
    failures: list[Exception] = []
    in_flight: set[asyncio.Task[None]] = set()

    async def submit(name: str, request: CommandRequest) -> None:
        try:
            result = await writer.submit(request)
        except DomainError as e:
            summary.refuse(e.code, e.detail)
        except Exception as e:  # the writer is down: nothing more can be loaded
            failures.append(e)
        else:
            summary.accepted[name] += 1
            summary.events += len(result.events)
        finally:
            slots.release()
            if progress is not None:
                progress(summary)

    for command in commands:
        await slots.acquire()
        if failures:
            slots.release()
            break
        try:
            request = CommandRequest(
                command.name, parse_command(command.name, command.body), ACTOR, command.body
            )
        except ValidationError as e:
            summary.refuse("validation-failed", f"{command.name}: {e.errors()[0]['msg']}")
            slots.release()
            continue
        # Tasks start in the order they are created and the writer's queue is unbounded, so
        # the commands reach the writer, and are decided, in the order of the history.
        task = asyncio.create_task(submit(command.name, request))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    summary.seconds = time.monotonic() - started
    if failures:
        raise DemoFailed(
            f"the writer stopped after {summary.done} of {len(commands)} commands: {failures[0]}"
        )
    return summary


async def load_demo(
    settings: Settings,
    *,
    days: int,
    seed: int,
    now: datetime,
    force: bool = False,
    meter: Meter | None = None,
) -> Summary:
    """Generate the history and load it into the log that ``settings`` name."""
    pools = bootstrap.plan("command", settings)
    async with bootstrap.database(settings) as dsn, bootstrap.event_log(settings, dsn, pools) as event_log:
        lease = bootstrap.lease(settings, dsn)
        try:
            await _refuse_unless_empty(event_log, force)
            if not await lease.try_acquire():
                raise WriterActive("a writer is active on the log")
            await _refuse_unless_empty(event_log, force)  # again: a server may have written meanwhile
            commands = generate(now, seed, days, ZoneInfo(settings.timezone))
            if meter is None:
                return await _load(settings, dsn, event_log, commands, None)
            meter.start(len(commands))
            try:
                return await _load(settings, dsn, event_log, commands, meter.update)
            finally:
                meter.stop()
        finally:
            await lease.release()


async def _refuse_unless_empty(event_log: EventLog, force: bool) -> None:
    held = messages_held(await event_log.end_position())
    if held and not force:
        raise LogNotEmpty(held)


async def _load(
    settings: Settings, dsn: str, event_log: EventLog, commands: list[DemoCommand], progress: Progress | None
) -> Summary:
    pools = bootstrap.plan("command", settings)
    async with (
        bootstrap.main_pool(dsn, settings, pools) as pool,
        # The lease is this load's own (``load_demo``): the writer takes none of its own.
        bootstrap.writer(settings, dsn, event_log, pool, Metrics(), leased=False) as writer,
    ):
        return await submit_all(writer, commands, progress=progress)
