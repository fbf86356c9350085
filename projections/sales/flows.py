"""Sums of the sales flows over ranges of time: whole blocks from the totals, edges from the rows.

A flow is one line's amount of one kind: ``placed`` and ``cancelled`` at the order's time,
``shipped`` and ``returned`` at their own. ``sums`` answers, per range (a slot) and per key of
a dimension, what each kind sums to, in one statement: the runs of whole UTC days, months and
years in a range (``spans.split``) read the totals, a few rows whatever the range's length;
the slivers left at its edges, under a day each, read the order rows, which carry the time
each flow counts at and what it is grouped by, exactly as the totals were summed from them.
So the two halves add up to what the order rows alone would give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Final

from ledger.store import Connection, q
from projections.sales.spans import split
from projections.sales.totals import KINDS

# The key of a dimension, over a totals row or a flow (both aliased ``f``, with ``p`` the product).
_KEY: Final = {"total": "'*'", "channel": "f.channel", "team": "f.team_id", "category": "p.category"}
_Sliver = tuple[int, datetime, datetime]  # (slot, start, end)


@dataclass(frozen=True, slots=True)
class Amounts:
    """What each kind of flow sums to, exactly (fields in the order of ``KINDS``)."""

    placed: Fraction = Fraction(0)
    cancelled: Fraction = Fraction(0)
    shipped: Fraction = Fraction(0)
    returned: Fraction = Fraction(0)


NOTHING: Final = Amounts()


@dataclass(frozen=True, slots=True)
class Late:
    """The cancellations of orders placed in [start, end) that occurred after ``as_of``: taken
    back from the cancelled sum of range ``slot``, as not yet known at ``as_of``."""

    slot: int
    as_of: datetime
    start: datetime
    end: datetime


@dataclass
class _Statement:
    """A statement's numbered parameters, added as its text is built."""

    values: list[object] = field(default_factory=list)

    def __call__(self, value: object, type_: str) -> str:
        self.values.append(value)
        return f"${len(self.values)}::{type_}"


async def sums(
    conn: Connection,
    schema: str,
    windows: Sequence[tuple[datetime, datetime]],
    dimension: str,
    kinds: Sequence[str],
    *,
    channel: str | None = None,
    team_id: str | None = None,
    late: Late | None = None,
) -> dict[tuple[int, str], Amounts]:
    """Per (index of the window, key of ``dimension``): the flows in [start, end) of that window,
    of ``kinds`` at least (a block's total brings every kind), of ``channel`` and ``team_id`` if
    given (the category dimension has neither); less what ``late`` takes back. Keys with
    nothing at all are absent."""
    if dimension == "category" and (channel is not None or team_id is not None):
        raise ValueError("sku totals have no channel or team to filter by")
    splits = [split(start, end) for start, end in windows]
    runs = [(slot, run) for slot, s in enumerate(splits) for run in s.runs]
    slivers = [(slot, lo, hi) for slot, s in enumerate(splits) for lo, hi in s.slivers]
    arg = _Statement()
    where = _filters(arg, channel, team_id)
    catalog = f"JOIN {q(schema, 'products')} p ON p.sku = f.sku" if dimension == "category" else ""
    parts = []
    if runs:
        table = "sku_totals" if dimension == "category" else "totals"
        slots, spans = arg([slot for slot, _ in runs], "integer[]"), arg([r.span for _, r in runs], "text[]")
        firsts, ends = (
            arg([r.first for _, r in runs], "timestamptz[]"),
            arg([r.end for _, r in runs], "timestamptz[]"),
        )
        # (span, bucket) between (span, lo) and (span, hi): one range of the primary key, and
        # no equality a hash join could take instead of looking each run up.
        parts.append(
            f"SELECT r.slot, {_KEY[dimension]} AS key, f.placed, f.cancelled, f.shipped, f.returned "
            f"FROM unnest({slots}, {spans}, {firsts}, {ends}) AS r(slot, span, lo, hi) "
            f"JOIN {q(schema, table)} f "
            "ON (f.span, f.bucket) >= (r.span, r.lo) AND (f.span, f.bucket) < (r.span, r.hi) "
            f"{catalog} {where}"
        )
    branches = _branches(schema, arg, slivers, kinds) if slivers else []
    branches += [_late(schema, arg, late)] if late is not None else []
    if branches:
        pivot = ", ".join(f"CASE WHEN f.kind = '{kind}' THEN f.amount END" for kind in KINDS)
        parts.append(
            f"SELECT f.slot, {_KEY[dimension]} AS key, {pivot} "
            f"FROM ({' UNION ALL '.join(branches)}) AS f(slot, kind, amount, channel, team_id, sku) "
            f"{catalog} {where}"
        )
    if not parts:
        return {}
    rows = await conn.fetch(
        "SELECT slot, key, sum(placed) AS placed, sum(cancelled) AS cancelled, "
        "sum(shipped) AS shipped, sum(returned) AS returned "
        f"FROM ({' UNION ALL '.join(parts)}) AS x(slot, key, placed, cancelled, shipped, returned) "
        "GROUP BY slot, key",
        *arg.values,
    )
    return {(row["slot"], row["key"]): Amounts(*(Fraction(row[kind] or 0) for kind in KINDS)) for row in rows}


def _filters(arg: _Statement, channel: str | None, team_id: str | None) -> str:
    conditions = [f"f.channel = {arg(channel, 'text')}"] if channel is not None else []
    conditions += [f"f.team_id = {arg(team_id, 'text')}"] if team_id is not None else []
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _branches(schema: str, arg: _Statement, slivers: list[_Sliver], kinds: Sequence[str]) -> list[str]:
    """The flows of ``kinds`` in the slivers, from the order rows: (slot, kind, amount, channel,
    team_id, sku). Each row carries the time it counts at and what it is grouped by, so a
    sliver is one range of one index."""
    slots = arg([slot for slot, _, _ in slivers], "integer[]")
    los, his = (
        arg([lo for _, lo, _ in slivers], "timestamptz[]"),
        arg([hi for _, _, hi in slivers], "timestamptz[]"),
    )
    window = f"unnest({slots}, {los}, {his}) AS s(slot, lo, hi)"
    branches = []
    if "placed" in kinds:
        branches.append(
            f"SELECT s.slot, 'placed', l.amount, l.channel, l.team_id, l.sku FROM {window} "
            f"JOIN {q(schema, 'order_lines')} l ON l.placed_at >= s.lo AND l.placed_at < s.hi"
        )
    if moved := [kind for kind in kinds if kind != "placed"]:
        branches.append(
            f"SELECT s.slot, m.kind, m.amount, m.channel, m.team_id, m.sku FROM {window} "
            f"JOIN {q(schema, 'order_moves')} m ON m.kind = ANY({arg(moved, 'text[]')}) "
            "AND m.counted_at >= s.lo AND m.counted_at < s.hi"
        )
    return branches


def _late(schema: str, arg: _Statement, late: Late) -> str:
    """The cancellations ``late`` takes back, as negative cancelled flows of its slot."""
    return (
        f"SELECT {arg(late.slot, 'integer')}, m.kind, -m.amount, m.channel, m.team_id, m.sku "
        f"FROM {q(schema, 'order_moves')} m "
        f"WHERE m.kind = 'cancelled' AND m.occurred_at > {arg(late.as_of, 'timestamptz')} "
        f"AND m.counted_at >= {arg(late.start, 'timestamptz')} "
        f"AND m.counted_at < {arg(late.end, 'timestamptz')}"
    )
