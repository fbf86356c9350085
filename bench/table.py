"""The results as a table for a terminal: ours and the raw limit, median (min to max), ratio."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from bench.results import Figure, Report


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _spread(values: list[float]) -> str:
    if not values:
        return ""
    return f"({_number(min(values))} to {_number(max(values))})"


def _target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    sign = "≥" if figure.better == "higher" else "≤"
    what = "×" if figure.target_is_ratio else ""
    mark = {True: "met", False: "missed", None: ""}[figure.met]
    return f"{sign} {what}{_number(figure.target)} {mark}"


def render(report: Report, console: Console | None = None) -> None:
    table = Table(title=f"ledger bench ({report.scale}, {report.repeat} runs each)", show_lines=False)
    table.add_column("figure")
    table.add_column("unit")
    table.add_column("ours: median (min to max)", justify="right")
    table.add_column("raw limit / peer: median (min to max)", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target", justify="right")
    for f in report.figures:
        limit = f"{_number(f.limit_median)} {_spread(f.limit)}" if f.limit else "-"
        label = f.title if not f.limit_title else f"{f.title}\n  vs {f.limit_title}"
        if f.processes:
            label += "\n  on ledger serve: " + ", ".join(f"{role} {n}" for role, n in f.processes.items())
        ratio = "-" if f.ratio is None else f"{f.ratio:.3g}"
        table.add_row(label, f.unit, f"{_number(f.median)} {_spread(f.ours)}", limit, ratio, _target(f))
    (console or Console(width=200)).print(table)
