"""How a projector is named in the bookkeeping tables, and what it reports about itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def projector_key(prefix: str, name: str, version: int, scratch: str = "") -> str:
    """The projector's name in the checkpoint, parked and status tables."""
    return f"{prefix}:{name}:v{version}" + (f":{scratch}" if scratch else "")


@dataclass(frozen=True)
class ProjectorStats:
    name: str
    version: int
    position: str
    lag: int
    events_per_second: float
    events: int
    parked: int
    last_error: str | None
    live: bool
    restarts: int = 0  # failures outside apply, each followed by a restart with backoff
    retries: int = 0  # transient database or log errors, each retried from the checkpoint
    last_error_at: datetime | None = None
    state: str = "running"  # running, retrying, restarting, dead, standby (another process owns it)
    caught_up_at_start: bool = False  # has reached where the log ended when this process took it
