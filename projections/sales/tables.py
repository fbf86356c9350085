"""The sales read model's tables and how each batch of facts lands in them.

Order rows are keyed by their event (order id and stream version, product sku, target stream
and version) and only ever inserted, so a redelivered fact changes nothing and any split of
the facts into batches yields the same tables. Every target version is kept, not just the
latest, so that ``as_of`` can ask which target was in force at a past business time; so is
every version of the plan's objectives (``objectives``). The totals (``totals``) are sums of
the order rows' flows, each added by the statement that inserted its row, so they too are the
same whatever the batches.

Order events all live on the order's stream, where ``OrderPlaced`` comes first: a move (a
shipment, return or cancellation) takes its order line's price, channel, team and sku at
apply time from the line inserted earlier in this batch or in an earlier one, and so does a
cancellation its order's time. Products arrive on another topic, so a line's category is
joined at query time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from ledger.store import Connection, Fact, q
from projections.sales import objectives, totals
from schemas import event_types
from schemas.catalog import ProductRegistered
from schemas.planning import ObjectiveRetired, ObjectiveSet, SalesTargetSet
from schemas.sales import OrderCancelled, OrderPlaced, OrderReturned, OrderShipped

# order_id, version, line_no, kind, occurred_at, qty, amount (None for a cancellation: priced here)
MoveRow = tuple[str, int, int, str, datetime, Decimal, Decimal | None]


class Sales:
    name: ClassVar[str] = "sales"
    # 2: the totals, and order rows that carry what reads group by; 3: the plan's objectives
    version: ClassVar[int] = 3
    areas: ClassVar[tuple[str, ...]] = ("catalog", "sales", "planning")
    event_types: ClassVar[frozenset[str]] = event_types(
        ProductRegistered,
        OrderPlaced,
        OrderShipped,
        OrderCancelled,
        OrderReturned,
        SalesTargetSet,
        ObjectiveSet,
        ObjectiveRetired,
    )

    def ddl(self, schema: str) -> str:
        return (
            f"""
        CREATE TABLE IF NOT EXISTS {q(schema, "products")} (
            sku text PRIMARY KEY,
            category text NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "orders")} (
            order_id text PRIMARY KEY,
            channel text NOT NULL,
            team_id text NOT NULL,
            placed_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS {q(schema, "order_lines")} (
            order_id text NOT NULL,
            line_no integer NOT NULL,
            sku text NOT NULL,
            qty numeric NOT NULL,
            unit_price numeric NOT NULL,
            discount_pct numeric NOT NULL,
            amount numeric NOT NULL,
            placed_at timestamptz NOT NULL,
            channel text NOT NULL,
            team_id text NOT NULL,
            PRIMARY KEY (order_id, line_no)
        );
        CREATE INDEX IF NOT EXISTS order_lines_by_placed_at ON {q(schema, "order_lines")} (placed_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "order_moves")} (
            order_id text NOT NULL,
            version integer NOT NULL,
            line_no integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('shipped', 'returned', 'cancelled')),
            occurred_at timestamptz NOT NULL,
            qty numeric NOT NULL,
            amount numeric NOT NULL,
            counted_at timestamptz NOT NULL,
            channel text NOT NULL,
            team_id text NOT NULL,
            sku text NOT NULL,
            PRIMARY KEY (order_id, version, line_no)
        );
        CREATE INDEX IF NOT EXISTS order_moves_by_counted_at
            ON {q(schema, "order_moves")} (kind, counted_at);
        CREATE INDEX IF NOT EXISTS order_moves_by_occurred_at
            ON {q(schema, "order_moves")} (kind, occurred_at);
        CREATE TABLE IF NOT EXISTS {q(schema, "targets")} (
            period text NOT NULL,
            dimension text NOT NULL,
            key text NOT NULL,
            version integer NOT NULL,
            occurred_at timestamptz NOT NULL,
            amount numeric NOT NULL,
            PRIMARY KEY (period, dimension, key, version)
        );
        """
            + totals.ddl(schema)
            + objectives.ddl(schema)
        )

    async def apply(self, conn: Connection, schema: str, facts: Sequence[Fact]) -> None:
        products: list[tuple[str, str]] = []
        placed: list[tuple[OrderPlaced, datetime]] = []
        moves: list[MoveRow] = []
        targets: list[tuple[str, str, str, int, datetime, Decimal]] = []
        objective_rows: list[objectives.EventRow] = []
        for fact in facts:
            event, envelope = fact.event, fact.envelope
            at, version = envelope.occurred_at, envelope.version
            match event:
                case ProductRegistered():
                    products.append((event.sku, event.category))
                case OrderPlaced():
                    placed.append((event, at))
                case OrderShipped() | OrderReturned():
                    kind = "shipped" if isinstance(event, OrderShipped) else "returned"
                    moves += [
                        (event.order_id, version, line.line_no, kind, at, line.qty, line.amount)
                        for line in event.lines
                    ]
                case OrderCancelled():
                    moves += [
                        (event.order_id, version, line.line_no, "cancelled", at, line.qty, None)
                        for line in event.lines
                    ]
                case SalesTargetSet():
                    targets.append((event.period, event.dimension, event.key, version, at, event.amount))
                case ObjectiveSet() | ObjectiveRetired():
                    objective_rows.append(objectives.row_of(event, envelope))
        await _insert_products(conn, schema, products)
        await _insert_orders(conn, schema, placed)
        await _insert_moves(conn, schema, moves)
        await _insert_targets(conn, schema, targets)
        await objectives.insert(conn, schema, objective_rows)


def _columns(rows: Sequence[tuple[object, ...]]) -> list[list[object]]:
    return [list(column) for column in zip(*rows, strict=True)]


async def _insert_products(conn: Connection, schema: str, rows: list[tuple[str, str]]) -> None:
    if rows:
        await conn.execute(
            f"INSERT INTO {q(schema, 'products')} (sku, category) "
            "SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
            *_columns(rows),
        )


async def _insert_orders(conn: Connection, schema: str, placed: list[tuple[OrderPlaced, datetime]]) -> None:
    """An order, and its lines with what the reads group a placement by; each line inserted
    (not one already there) adds its amount to the totals as placed."""
    orders: list[tuple[str, str, str, datetime]] = []
    lines: list[tuple[str, int, str, Decimal, Decimal, Decimal, Decimal, datetime, str, str]] = []
    for event, at in placed:
        orders.append((event.order_id, event.channel, event.team_id, at))
        order = (at, event.channel, event.team_id)
        lines += [
            (event.order_id, ln.line_no, ln.sku, ln.qty, ln.unit_price, ln.discount_pct, ln.amount, *order)
            for ln in event.lines
        ]
    if not orders:
        return
    await conn.execute(
        f"INSERT INTO {q(schema, 'orders')} (order_id, channel, team_id, placed_at) "
        "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING",
        *_columns(orders),
    )
    await conn.execute(
        f"WITH flows AS (INSERT INTO {q(schema, 'order_lines')} "
        "(order_id, line_no, sku, qty, unit_price, discount_pct, amount, placed_at, channel, team_id) "
        "SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::numeric[], $5::numeric[], "
        "$6::numeric[], $7::numeric[], $8::timestamptz[], $9::text[], $10::text[]) ON CONFLICT DO NOTHING "
        "RETURNING placed_at AS at, channel, team_id, sku, 'placed' AS kind, amount)"
        + totals.adding(schema, ("placed",)),
        *_columns(lines),
    )


def cancelled_amount(qty: str, line: str) -> str:
    """SQL for what cancelling ``qty`` units of an order line (the alias ``line``, with its
    unit_price and discount_pct) takes off the booked amount: qty * net unit price, half-up to
    cents per line. Every read model that subtracts cancellations prices them with this.

    ``round(x, 0) * 0.01`` rounds ``x / 100`` to cents exactly (numeric division could lose
    digits)."""
    return f"round({qty} * {line}.unit_price * (100 - {line}.discount_pct), 0) * 0.01"


async def _insert_moves(conn: Connection, schema: str, rows: list[MoveRow]) -> None:
    """Shipments, returns and cancellations, each line with its order line's channel, team and
    sku, at the time it counts (a cancellation at its order's); each move inserted adds its
    amount to the totals.

    A cancelled quantity costs what ``cancelled_amount`` says. A line the order does not have
    leaves the columns taken from it NULL, which the NOT NULL constraints refuse, so the runtime
    parks the stream instead of dropping the line.
    """
    if rows:
        await conn.execute(
            f"WITH flows AS (INSERT INTO {q(schema, 'order_moves')} "
            "(order_id, version, line_no, kind, occurred_at, qty, amount, counted_at, channel, team_id, sku) "
            "SELECT m.order_id, m.version, m.line_no, m.kind, m.occurred_at, m.qty, "
            f"coalesce(m.amount, {cancelled_amount('m.qty', 'l')}), "
            "CASE WHEN m.kind = 'cancelled' THEN l.placed_at ELSE m.occurred_at END, "
            "l.channel, l.team_id, l.sku "
            "FROM unnest($1::text[], $2::integer[], $3::integer[], $4::text[], $5::timestamptz[], "
            "$6::numeric[], $7::numeric[]) AS m(order_id, version, line_no, kind, occurred_at, qty, amount) "
            f"LEFT JOIN {q(schema, 'order_lines')} l ON l.order_id = m.order_id AND l.line_no = m.line_no "
            "ON CONFLICT DO NOTHING RETURNING counted_at AS at, channel, team_id, sku, kind, amount)"
            + totals.adding(schema, ("shipped", "returned", "cancelled")),
            *_columns(rows),
        )


async def _insert_targets(
    conn: Connection, schema: str, rows: list[tuple[str, str, str, int, datetime, Decimal]]
) -> None:
    if rows:
        await conn.execute(
            f"INSERT INTO {q(schema, 'targets')} (period, dimension, key, version, occurred_at, amount) "
            "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[], "
            "$6::numeric[]) ON CONFLICT DO NOTHING",
            *_columns(rows),
        )
