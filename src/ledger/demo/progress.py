"""How ``ledger demo`` shows its progress: a live bar on a terminal, log lines otherwise.

Both show commands settled out of all, events appended, events per second and the time
left; the log lines come every few seconds, as structured ``demo_progress`` records.
"""

from __future__ import annotations

import time

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

from ledger.demo.runner import Meter, Summary

log = structlog.get_logger("ledger.demo")


class _EventsColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        events = int(task.fields.get("events", 0))
        elapsed = task.elapsed or 0.0
        rate = events / elapsed if elapsed else 0.0
        return Text(f"{events} events, {rate:,.0f} events/s")


class BarMeter:
    """A rich progress bar on the console (stderr, so the summary on stdout stays clean)."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]demo[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("commands"),
            _EventsColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._task: TaskID | None = None

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("demo", total=total, events=0)
        self._progress.start()

    def update(self, summary: Summary) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=summary.done, events=summary.events)

    def stop(self) -> None:
        self._progress.stop()


class LogMeter:
    """A ``demo_progress`` log record every ``every`` seconds, and one at the end."""

    def __init__(self, every: float = 2.0) -> None:
        self._every = every
        self._total = 0
        self._started = self._next = 0.0
        self._last: Summary | None = None

    def start(self, total: int) -> None:
        self._total = total
        self._started = time.monotonic()
        self._next = self._started + self._every

    def update(self, summary: Summary) -> None:
        self._last = summary
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self._every
            self._log(summary, now)

    def stop(self) -> None:
        if self._last is not None:
            self._log(self._last, time.monotonic())

    def _log(self, summary: Summary, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        done = summary.done
        left = (self._total - done) * elapsed / done if done else None
        log.info(
            "demo_progress",
            commands=done,
            of=self._total,
            events=summary.events,
            events_per_s=round(summary.events / elapsed),
            seconds_left=None if left is None else round(left, 1),
        )


def meter_for(console: Console) -> Meter:
    """A bar when ``console`` is a terminal, log lines when it is a file or a pipe."""
    return BarMeter(console) if console.is_terminal else LogMeter()
