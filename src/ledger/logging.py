"""structlog configured once, for the CLI and the app factory: JSON lines on stderr."""

from __future__ import annotations

import io
import logging
import sys
from typing import TextIO, cast

import structlog


class _Stderr(io.TextIOBase):
    """``sys.stderr`` as it is when a record is written, not as it was when a logger was first
    used: structlog caches loggers on first use, and whoever swaps ``sys.stderr`` (pytest's
    capsys between CLI runs in one process) must not leave them writing to a closed stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info") -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # A text stream in all but its static type, which structlog spells ``TextIO``.
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _Stderr())),
        # Not cached: a process that configures more than once (the tests, running the CLI in
        # process) would keep writing through whichever configuration a logger first met.
        # Nothing logs per event, so the lookup a call costs is not worth a stale logger.
        cache_logger_on_first_use=False,
    )
