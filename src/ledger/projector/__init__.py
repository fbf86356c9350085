"""The read side's engine: projectors that follow the log into PostgreSQL read models."""

from ledger.projector.runtime import ProjectorRuntime, ProjectorStats

__all__ = ["ProjectorRuntime", "ProjectorStats"]
