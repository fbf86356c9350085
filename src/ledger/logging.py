"""structlog configured once, for the CLI and the app factory: JSON lines on stderr.

Context bound with ``structlog.contextvars`` (a request's id, principal and command) is
merged into every line logged in that context. aiohttp's and aiokafka's own warnings and
errors (they log through the standard library) become lines of the same stream, never bare
text among the JSON (aiokafka writes one at each reconnect while a broker is down); a
client's malformed HTTP, which aiohttp answers with a 400 itself, is one line, never a
traceback. A line logged inside a span (while tracing is on: ``ledger.tracing``) carries its
``trace_id`` and ``span_id``, so a trace and its lines find each other."""

from __future__ import annotations

import io
import logging
import os
import sys
from typing import Final, TextIO, cast

import structlog
from aiohttp.http_exceptions import HttpProcessingError
from opentelemetry import trace


class _Stderr(io.TextIOBase):
    """``sys.stderr`` as it is when a record is written, not as it was when a logger was first
    used: structlog caches loggers on first use, and whoever swaps ``sys.stderr`` (pytest's
    capsys between CLI runs in one process) must not leave them writing to a closed stream."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


ROUTED: Final = ("aiohttp", "aiokafka")
"""The libraries whose standard-library records become structlog lines."""


class _LibraryLines(logging.Handler):
    """A library's standard-library records, as structlog lines."""

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        logger = structlog.get_logger(record.name).bind(logger=record.name)
        if isinstance(error, HttpProcessingError) and error.code < 500:
            # The client's fault, answered already: what it sent wrong is all an operator needs.
            logger.warning(record.getMessage(), error=f"{error.code}: {error.message}")
        else:
            logger.log(record.levelno, record.getMessage(), exc_info=record.exc_info or False)


def _route_libraries() -> None:
    for name in ROUTED:
        library = logging.getLogger(name)
        if not any(isinstance(h, _LibraryLines) for h in library.handlers):
            library.addHandler(_LibraryLines())
        library.setLevel(logging.WARNING)  # aiohttp's access log is left out: the app writes its own
        library.propagate = False


def _named(role: str) -> structlog.types.Processor:
    """Adds the process's role and pid: the lines of ``ledger serve``'s children interleave."""
    pid = os.getpid()

    def add(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
        event.setdefault("role", role)
        event.setdefault("pid", pid)
        return event

    return add


def add_trace_ids(_: object, __: str, event: structlog.types.EventDict) -> structlog.types.EventDict:
    """The ids of the span the line is logged in, if any (none while tracing is off)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", trace.format_trace_id(context.trace_id))
        event.setdefault("span_id", trace.format_span_id(context.span_id))
    return event


def configure_logging(level: str = "info", *, role: str | None = None) -> None:
    """``role``: a process of ``ledger serve`` names itself on every line."""
    _route_libraries()
    named = [] if role is None else [_named(role)]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,
            *named,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # A text stream in all but its static type, which structlog spells ``TextIO``. A line
        # and its newline go out in one write: the children of ``ledger serve`` share one
        # stderr, and a newline written apart let another process's line run into this one.
        logger_factory=structlog.WriteLoggerFactory(file=cast(TextIO, _Stderr())),
        # Not cached: a process that configures more than once (the tests, running the CLI in
        # process) would keep writing through whichever configuration a logger first met.
        # Nothing logs per event, so the lookup a call costs is not worth a stale logger.
        cache_logger_on_first_use=False,
    )
