"""Progress of long work (verify, export, import, replay): a bar on a terminal, log lines otherwise.

A ``Meter`` is told what it measures and how much there is (``start``), how much is done so
far (``update``, an absolute count) and when the phase is over (``stop``). On a terminal it
draws a rich bar with events per second and the time left, on stderr so that stdout keeps
only the answer; anywhere else it writes a structured ``progress`` log record every few
seconds and one at the end. Work in several phases (import, then project) starts the meter
once per phase.
"""

from __future__ import annotations

import time
from typing import Protocol

import structlog
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class Meter(Protocol):
    def start(self, what: str, total: int) -> None: ...

    def update(self, done: int) -> None: ...

    def stop(self) -> None: ...


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed else 0.0
        return Text(f"{rate:,.0f} events/s")


class BarMeter:
    """A rich progress bar on ``console``."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, what: str, total: int) -> None:
        self.stop()
        self._progress = Progress(
            TextColumn(f"[bold]{what}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            _RateColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self._console,
        )
        self._task = self._progress.add_task(what, total=max(total, 1))
        self._progress.start()

    def update(self, done: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress, self._task = None, None


class LogMeter:
    """A ``progress`` log record every ``every`` seconds while work goes on, and one at its end
    (unless nothing was done)."""

    def __init__(self, every: float = 2.0) -> None:
        self._every = every
        self._what = ""
        self._total = self._done = 0
        self._started = self._next = 0.0
        self._running = False

    def start(self, what: str, total: int) -> None:
        self.stop()
        self._what, self._total, self._done = what, total, 0
        self._started = time.monotonic()
        self._next = self._started + self._every
        self._running = True

    def update(self, done: int) -> None:
        self._done = done
        now = time.monotonic()
        if self._running and now >= self._next:
            self._next = now + self._every
            self._log(now)

    def stop(self) -> None:
        if self._running and self._done:  # work refused before it began has no progress to tell
            self._log(time.monotonic())
        self._running = False

    def _log(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = max(self._total - self._done, 0) / rate if rate else None
        # Looked up per record: the CLI may reconfigure logging between runs in one process.
        structlog.get_logger("ledger.progress").info(
            "progress",
            what=self._what,
            done=self._done,
            of=self._total,
            events_per_s=round(rate),
            seconds_left=None if left is None else round(left, 1),
        )


class NoMeter:
    """Shows nothing (library callers that do not want progress)."""

    def start(self, what: str, total: int) -> None:
        return None

    def update(self, done: int) -> None:
        return None

    def stop(self) -> None:
        return None


def meter_for(console: Console) -> Meter:
    """A bar when ``console`` is a terminal, log lines when it is a file or a pipe."""
    return BarMeter(console) if console.is_terminal else LogMeter()
