"""What every figure's runner is handed: the real parts, the scale, the report, the servers."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.console import Console

from bench.infra import Environment
from bench.results import Report
from bench.scale import Scale
from bench.serve import Serves

console = Console(stderr=True)


@dataclass(frozen=True)
class Run:
    env: Environment
    scale: Scale
    report: Report
    serves: Serves


def say(text: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {text}")
