"""Reading the engine's structured log in tests, with ``structlog.testing.capture_logs``.

A module's logger caches its configuration on first use once ``configure_logging`` has run
(any CLI test in the same session does): capturing then sees nothing from it. So the loggers
of the modules a test reads are replaced by fresh ones for the duration of the capture.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import structlog


@contextlib.contextmanager
def captured(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> Iterator[list[dict[str, Any]]]:
    """Every event logged through the ``log`` of ``modules`` inside the block."""
    with structlog.testing.capture_logs() as events, monkeypatch.context() as patch:
        for module in modules:
            patch.setattr(module, "log", structlog.get_logger(module.__name__))
        yield events


def named(events: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == event]
