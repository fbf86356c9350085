"""The sales totals: every flow summed per UTC day, month and year, so that reads are lookups.

A flow is one line's amount of one kind: placed and cancelled at the order's time (the
booked basis; a cancellation is bucketed at its order's time, not its own), shipped and
returned at their own (the shipped basis). ``totals`` sums them per channel and team (what
the total, channel and team dimensions and the daily series filter by), ``sku_totals`` per
sku: a product's category lives on another stream and may arrive after the order, so the
category is joined at query time, over the skus of the few blocks a read touches.

A flow is added exactly once: the statement that inserts an order row (``INSERT ... ON
CONFLICT DO NOTHING RETURNING``) adds the flows of the rows it inserted and of no others, so
a redelivered fact, whose rows are already there, adds nothing, and sums do not care how the
facts were split into batches.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

from ledger.store import q
from projections.sales.spans import SPANS

KINDS: Final = ("placed", "cancelled", "shipped", "returned")

_AMOUNTS: Final = ", ".join(f"{kind} numeric NOT NULL" for kind in KINDS)
_SPANS: Final = ", ".join(f"'{span}'" for span in SPANS)
# What each table sums by, besides the block.
_KEYS: Final = {"totals": ("channel", "team_id"), "sku_totals": ("sku",)}


def ddl(schema: str) -> str:
    # Half-full pages: a batch adds to rows it finds there (its days, months and year), and an
    # update that fits beside its row needs no new index entry.
    return f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "totals")} (
            span text NOT NULL CHECK (span IN ({_SPANS})),
            bucket timestamptz NOT NULL,
            channel text NOT NULL,
            team_id text NOT NULL,
            {_AMOUNTS},
            PRIMARY KEY (span, bucket, channel, team_id)
        ) WITH (fillfactor = 50);
        CREATE TABLE IF NOT EXISTS {q(schema, "sku_totals")} (
            span text NOT NULL CHECK (span IN ({_SPANS})),
            bucket timestamptz NOT NULL,
            sku text NOT NULL,
            {_AMOUNTS},
            PRIMARY KEY (span, bucket, sku)
        ) WITH (fillfactor = 50);
        """


def adding(schema: str, kinds: Sequence[str]) -> str:
    """The rest of a statement whose first CTE is ``flows(at, channel, team_id, sku, kind,
    amount)``, of ``kinds`` only: it adds the flows into both tables, at every span.

    Flows are summed per day once; months are summed from the days, years from the months."""
    ctes, upserts = [], []
    for table, keys in _KEYS.items():
        columns = ", ".join(keys)
        sums = ", ".join(
            f"sum(amount) FILTER (WHERE kind = '{kind}') AS {kind}" if kind in kinds else f"0 AS {kind}"
            for kind in KINDS
        )
        finest = SPANS[-1]
        ctes.append(
            f"{table}_{finest} AS (SELECT date_trunc('{finest}', at, 'UTC') AS bucket, {columns}, {sums} "
            f"FROM flows GROUP BY bucket, {columns})"
        )
        rolled = ", ".join(f"sum({kind}) AS {kind}" for kind in KINDS)
        for smaller, larger in itertools.pairwise(reversed(SPANS)):
            ctes.append(
                f"{table}_{larger} AS (SELECT date_trunc('{larger}', bucket, 'UTC') AS bucket, "
                f"{columns}, {rolled} FROM {table}_{smaller} GROUP BY 1, {columns})"
            )
        blocks = " UNION ALL ".join(f"SELECT '{span}', * FROM {table}_{span}" for span in SPANS)
        amounts = ", ".join(KINDS)
        upserts.append(
            f"INSERT INTO {q(schema, table)} AS t (span, bucket, {columns}, {amounts}) "
            f"SELECT span, bucket, {columns}, {', '.join(f'coalesce({kind}, 0)' for kind in KINDS)} "
            f"FROM ({blocks}) AS b(span, bucket, {columns}, {amounts}) "
            f"ON CONFLICT (span, bucket, {columns}) DO UPDATE SET "
            + ", ".join(f"{kind} = t.{kind} + excluded.{kind}" for kind in kinds)
        )
    by_team, by_sku = upserts
    return f", {', '.join(ctes)}, by_team AS ({by_team}) {by_sku}"
