"""The read models as the HTTP layer sees them: live tables, positions, projector status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ledger.log import Position


@dataclass(frozen=True)
class ProjectorStatus:
    """A projector as its owner last published it (``ledger_projections.status``)."""

    name: str
    version: int
    position: str
    lag: int | None  # None: no process has published this projector yet
    events_per_second: float
    events: int
    parked: int
    last_error: str | None
    live: bool
    restarts: int = 0
    retries: int = 0
    last_error_at: datetime | None = None
    state: str = "running"  # running, retrying, restarting, dead, stopped, unowned
    caught_up_at_start: bool = False
    owner: str | None = None  # host:pid of the process that owns it
    updated_at: datetime | None = None
    stale: bool = True  # not published for a while: its owner is gone or stuck


@dataclass(frozen=True)
class ProcessStatus:
    """A projector process of this log, as it last said."""

    owner: str
    owns: list[str]
    waits: list[str]
    watcher: dict[str, Any]
    started_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Readiness:
    """The projectors' part of ``/readyz``."""

    ready: bool  # every projection has caught up with the log as it was when its owner took it (latched)
    caught_up: bool  # every projection is at the end of the log now
    listening: bool  # this process hears of new checkpoints (else min_position waits go unanswered)
    waiting_for: list[str] = field(default_factory=list)  # projections not caught up to start yet
    problem: str | None = None


class ReadModels(Protocol):
    """The read models as the HTTP layer sees them."""

    def schema(self, name: str) -> str:
        """The live tables of projection ``name``."""
        ...

    def version(self, name: str) -> int | None:
        """The version of the live tables; None before any projector has run."""
        ...

    def position(self, name: str) -> Position:
        """How far the live tables are: never ahead of what a read of them sees."""
        ...

    def position_of(self, names: Sequence[str]) -> Position:
        """How far the live tables of all of ``names`` are, together: per partition, the least
        of the positions of those that read its topic (never ahead of any of them)."""
        ...

    async def wait_for(self, name: str, target: Position, timeout: float) -> bool:
        """Until the live tables of ``name`` cover ``target`` (its topics), or ``timeout``."""
        ...

    async def refresh(self) -> None:
        """Read the live rows and positions again (a read found its tables gone)."""
        ...

    async def stats(self) -> list[ProjectorStatus]: ...

    async def processes(self) -> list[ProcessStatus]: ...

    async def readiness(self) -> Readiness: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...
