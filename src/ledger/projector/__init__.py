"""The read side's engine: projectors that follow the log into PostgreSQL read models."""

from ledger.projector.runtime import ProjectorRuntime
from ledger.projector.stats import ProjectorStats

__all__ = ["ProjectorRuntime", "ProjectorStats"]
