"""The writer's retries: every failure of a step that must succeed in the end (taking the lease,
recovering, following the log as a standby) is logged with its traceback, counted, and tried
again after a pause that doubles up to a cap. None ends the writer, and none is silent."""

from __future__ import annotations

from typing import Final

import structlog

from ledger.metrics import Metrics

log = structlog.get_logger("ledger.writer")

FIRST_RETRY: Final = 0.2  # seconds before a step is tried again, doubled up to the last
LAST_RETRY: Final = 5.0


class Backoff:
    """The pause before the next attempt of one step, for one run of attempts."""

    def __init__(self, metrics: Metrics, step: str) -> None:
        self._metrics = metrics
        self._step = step
        self.delay = FIRST_RETRY

    def failed(self, error: Exception) -> float:
        """Log and count a failure; answer how long to wait before the next attempt."""
        delay = self.delay
        self._metrics.writer_recovery_failures.labels(self._step, type(error).__name__).inc()
        log.error(f"writer_{self._step}_failed", error=repr(error), retry_in=delay, exc_info=error)
        self.delay = min(delay * 2, LAST_RETRY)
        return delay
