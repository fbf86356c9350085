"""Figures as measured: several runs of ours beside the raw limit measured in the same run.

Every figure keeps its samples, not just a summary, so the JSON file can be read again and
the spread judged. The ratio is always median(ours) / median(limit) in the figure's unit: for
a rate, the share of the raw limit we reach; for a latency or a duration, how many times
the raw limit's we take; for the peer, how many times the peer's rate we reach. A figure
measured through ``ledger serve`` names how many processes of each role it ran.
"""

from __future__ import annotations

import json
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Better = Literal["higher", "lower"]


@dataclass
class Figure:
    key: str
    title: str
    unit: str
    better: Better
    limit_title: str = ""
    target: float | None = None  # in ``unit``; None: reported, not judged
    target_is_ratio: bool = False  # the target applies to the ratio (the peer's 20 times)
    processes: dict[str, int] = field(default_factory=dict)  # of ``ledger serve``, by role, where it ran
    ours: list[float] = field(default_factory=list)
    limit: list[float] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.ours) if self.ours else None

    @property
    def limit_median(self) -> float | None:
        return statistics.median(self.limit) if self.limit else None

    @property
    def ratio(self) -> float | None:
        ours, limit = self.median, self.limit_median
        return None if ours is None or not limit else ours / limit

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        value = self.ratio if self.target_is_ratio else self.median
        if value is None:
            return False
        return value >= self.target if self.better == "higher" else value <= self.target

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw.update(
            median=self.median,
            min=min(self.ours, default=None),
            max=max(self.ours, default=None),
            limit_median=self.limit_median,
            limit_min=min(self.limit, default=None),
            limit_max=max(self.limit, default=None),
            ratio=self.ratio,
            met=self.met,
        )
        return raw


@dataclass
class Report:
    scale: str
    repeat: int
    figures: list[Figure] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    environment: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "scale": self.scale,
            "repeat": self.repeat,
            "environment": {
                "python": platform.python_version(),
                "machine": platform.machine(),
                **self.environment,
            },
            "figures": [f.to_json() for f in self.figures],
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
