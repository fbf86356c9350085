"""The p-chart and the Western Electric rules: pure Decimal arithmetic, no database.

A p-chart plots each subgroup's fraction defective p_i = d_i / n_i around the centre line
p̄ = Σd / Σn of the whole selection. With variable subgroup sizes each point has its own
sigma_i = sqrt(p̄(1 - p̄) / n_i), so the rules are judged on the standardised z_i =
(p_i - p̄) / sigma_i: a zone boundary at k sigma is |z| = k whatever n_i is.

A rule fires at the point that completes its run: the point itself must be on the run's side,
and the window of the rule ending at that point must hold enough such points. At the start of
the chart the window is shorter (only the points already there can count), so two points
beyond 2 sigma at positions 1 and 2 fire "2_of_3_beyond_2_sigma" at position 2. A run that
goes on fires again at every further point it still satisfies. "Beyond" is strict: a point
exactly on a limit is not beyond it, and a point on the centre line is on neither side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

CHART_PLACES: Final = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Rule:
    """``needed`` of ``window`` consecutive points beyond ``limit`` sigma on one side."""

    name: str
    window: int
    needed: int
    limit: Decimal


RULES: Final = (
    Rule("beyond_3_sigma", 1, 1, Decimal(3)),
    Rule("2_of_3_beyond_2_sigma", 3, 2, Decimal(2)),
    Rule("4_of_5_beyond_1_sigma", 5, 4, Decimal(1)),
    Rule("8_on_one_side", 8, 8, Decimal(0)),
)


@dataclass(frozen=True, slots=True)
class Subgroup:
    """One plotted point's raw counts: an inspection, or a day's or week's inspections."""

    key: str | datetime
    n: int
    defective: int


@dataclass(frozen=True, slots=True)
class Point:
    key: str | datetime
    n: int
    defective: int
    p: Decimal
    ucl: Decimal
    lcl: Decimal
    out_of_control: bool
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """``center_line`` is None when nothing was inspected (there is no fraction to plot)."""

    center_line: Decimal | None
    points: tuple[Point, ...]


def rounded(value: Decimal, places: Decimal) -> Decimal:
    """Half-up rounding to the places of ``places`` (e.g. Decimal("0.0001"))."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _side(z: Decimal, limit: Decimal) -> int:
    if z > limit:
        return 1
    if z < -limit:
        return -1
    return 0


def _fires(rule: Rule, z: Sequence[Decimal], i: int) -> bool:
    side = _side(z[i], rule.limit)
    if side == 0:
        return False
    window = z[max(0, i - rule.window + 1) : i + 1]
    return sum(1 for value in window if _side(value, rule.limit) == side) >= rule.needed


def western_electric(z: Sequence[Decimal]) -> list[tuple[str, ...]]:
    """For each point, the names of the rules that fire at it, in the order of ``RULES``."""
    return [tuple(rule.name for rule in RULES if _fires(rule, z, i)) for i in range(len(z))]


def p_chart(subgroups: Sequence[Subgroup]) -> Chart:
    """The chart of ``subgroups`` in plotting order, limits and fractions to six places."""
    total_n = sum(s.n for s in subgroups)
    if total_n == 0:
        return Chart(None, ())
    p_bar = Decimal(sum(s.defective for s in subgroups)) / Decimal(total_n)
    spread = p_bar * (1 - p_bar)
    sigmas = [(spread / Decimal(s.n)).sqrt() for s in subgroups]
    fractions = [Decimal(s.defective) / Decimal(s.n) for s in subgroups]
    if spread == 0:
        fired: list[tuple[str, ...]] = [() for _ in subgroups]
    else:
        fired = western_electric([(p - p_bar) / sigma for p, sigma in zip(fractions, sigmas, strict=True)])
    points = tuple(
        Point(
            key=s.key,
            n=s.n,
            defective=s.defective,
            p=rounded(p, CHART_PLACES),
            ucl=rounded(p_bar + 3 * sigma, CHART_PLACES),
            lcl=rounded(max(Decimal(0), p_bar - 3 * sigma), CHART_PLACES),
            out_of_control=bool(rules),
            rules=rules,
        )
        for s, p, sigma, rules in zip(subgroups, fractions, sigmas, fired, strict=True)
    )
    return Chart(rounded(p_bar, CHART_PLACES), points)
